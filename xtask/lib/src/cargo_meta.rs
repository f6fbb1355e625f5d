//! What the xtask asks cargo and rustc about a workspace, in one place: the host
//! triple (`rustc -vV`), the compiler's version line, the target directory and the
//! package graph (`cargo metadata`, one serde shape for every reader), and a
//! manifest's `[package] name` and the package-name rule ([`manifest`], which needs no
//! process and no project, so the settings reader can use it).

pub(crate) mod manifest;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::project::{self, Project};

/// The compiler: `RUSTC` (as cargo sets it), else `rustc`.
pub(crate) fn rustc() -> String {
    std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into())
}

/// The host triple, from `rustc -vV` run in `dir` (whose `rust-toolchain.toml`, if
/// any, picks the compiler).
pub fn host_triple(dir: &Path) -> Result<String> {
    let mut cmd = Command::new(rustc());
    cmd.arg("-vV").current_dir(dir);
    host_triple_of(&mut cmd)
}

/// The host triple of `project`'s toolchain.
pub(crate) fn project_host_triple(project: &Project) -> Result<String> {
    let mut cmd = project.command(&rustc());
    cmd.arg("-vV");
    host_triple_of(&mut cmd)
}

/// The `host:` line of what `cmd` (a `rustc -vV`) prints.
fn host_triple_of(cmd: &mut Command) -> Result<String> {
    let text = project::stdout(cmd)?;
    text.lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(|host| host.trim().to_string())
        .context("`rustc -vV` printed no `host:` line")
}

/// `rustc -V` of `project`'s toolchain (`rustc 1.88.0 (6b00bc388 2025-06-23)`).
pub(crate) fn rustc_version(project: &Project) -> Result<String> {
    Ok(project::stdout(project.command(&rustc()).arg("-V"))?
        .trim()
        .to_string())
}

/// Cargo's target directory for this workspace.
pub(crate) fn target_dir(project: &Project) -> Result<PathBuf> {
    let metadata =
        Metadata::read(
            project
                .cargo()
                .args(["metadata", "--no-deps", "--format-version", "1"]),
        )?;
    Ok(metadata.target_directory)
}

/// `cargo metadata --format-version 1` output: the fields the xtask reads. What a
/// command's flags leave out (`--no-deps`: no `resolve`) is empty.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Metadata {
    #[serde(default)]
    pub(crate) packages: Vec<Package>,
    #[serde(default)]
    pub(crate) resolve: Option<Resolve>,
    #[serde(default)]
    pub(crate) workspace_root: PathBuf,
    #[serde(default)]
    pub(crate) target_directory: PathBuf,
    #[serde(default)]
    pub(crate) workspace_members: Vec<String>,
}

/// One package of the graph.
#[derive(Debug, Deserialize)]
pub(crate) struct Package {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) version: String,
    #[serde(default)]
    pub(crate) license: Option<String>,
    #[serde(default)]
    pub(crate) license_file: Option<PathBuf>,
    /// `None` for a path package.
    #[serde(default)]
    pub(crate) source: Option<String>,
    #[serde(default)]
    pub(crate) manifest_path: PathBuf,
    #[serde(default)]
    pub(crate) targets: Vec<Target>,
}

/// One build target of a package.
#[derive(Debug, Deserialize)]
pub(crate) struct Target {
    pub(crate) kind: Vec<String>,
}

/// The resolved graph.
#[derive(Debug, Deserialize)]
pub(crate) struct Resolve {
    pub(crate) nodes: Vec<Node>,
}

/// One package's resolved dependencies.
#[derive(Debug, Deserialize)]
pub(crate) struct Node {
    pub(crate) id: String,
    pub(crate) deps: Vec<NodeDep>,
}

/// One resolved dependency.
#[derive(Debug, Deserialize)]
pub(crate) struct NodeDep {
    pub(crate) pkg: String,
    pub(crate) dep_kinds: Vec<DepKind>,
}

/// How a dependency is used: `None` for normal, `dev` or `build`.
#[derive(Debug, Deserialize)]
pub(crate) struct DepKind {
    pub(crate) kind: Option<String>,
}

impl Metadata {
    /// Runs `cmd` (a `cargo metadata --format-version 1 ...`) and reads its output.
    pub(crate) fn read(cmd: &mut Command) -> Result<Metadata> {
        Metadata::parse(&project::stdout(cmd)?)
    }

    /// Reads `cargo metadata` output.
    pub(crate) fn parse(json: &str) -> Result<Metadata> {
        serde_json::from_str(json).context("cannot parse `cargo metadata` output")
    }

    /// The resolved graph's nodes by package id; an error when `cargo metadata` was run
    /// without resolving (`--no-deps`).
    pub(crate) fn nodes_by_id(&self) -> Result<BTreeMap<&str, &Node>> {
        Ok(self
            .resolve
            .as_ref()
            .context("`cargo metadata` printed no resolved graph")?
            .nodes
            .iter()
            .map(|n| (n.id.as_str(), n))
            .collect())
    }

    /// The names of the workspace members that are the package `name` or depend on it
    /// through normal dependencies (not dev or build), directly or not.
    pub(crate) fn members_linking(&self, name: &str) -> Vec<String> {
        let package = |id: &str| self.packages.iter().find(|p| p.id == id);
        let nodes = self.resolve.as_ref().map_or(&[][..], |r| &r.nodes[..]);
        let normal_deps = |id: &str| -> Vec<&str> {
            nodes
                .iter()
                .find(|n| n.id == id)
                .map(|n| {
                    n.deps
                        .iter()
                        .filter(|d| d.dep_kinds.iter().any(|k| k.kind.is_none()))
                        .map(|d| d.pkg.as_str())
                        .collect()
                })
                .unwrap_or_default()
        };
        let links = |member: &str| {
            let mut seen = std::collections::BTreeSet::new();
            let mut stack = vec![member];
            while let Some(id) = stack.pop() {
                if !seen.insert(id) {
                    continue;
                }
                if package(id).is_some_and(|p| p.name == name) {
                    return true;
                }
                stack.extend(normal_deps(id));
            }
            false
        };
        self.workspace_members
            .iter()
            .filter(|id| links(id))
            .filter_map(|id| package(id).map(|p| p.name.clone()))
            .collect()
    }
}

/// The host's dependency graph as one set builds it: `cargo metadata` resolved for
/// `target` and the set's `features` (without the host's defaults), pruned to the
/// packages `cargo tree -p <host>` finds in that build. `cargo metadata` resolves the
/// whole workspace at once, so a feature another member turns on for the host (a
/// bench's dev-dependency on it, say) would otherwise put that feature's crates into
/// every set's graph; `cargo tree -p` resolves the host's build alone, as `cargo build
/// -p` does.
pub(crate) fn set_metadata(
    project: &Project,
    target: &str,
    features: &[String],
) -> Result<Metadata> {
    let mut metadata = Metadata::read(
        project
            .cargo()
            .args(["metadata", "--format-version", "1", "--filter-platform"])
            .arg(target)
            .arg("--manifest-path")
            .arg(project.app_manifest())
            .arg("--no-default-features")
            .args(["--features", &features.join(",")]),
    )?;
    let mut tree = project.cargo();
    tree.args(["tree", "-p", project.host(), "--target", target])
        .args(["--no-default-features", "--features", &features.join(",")])
        .args(["-e", "normal,build", "--prefix", "none", "--format", "{p}"]);
    let shown = project::describe(&tree);
    let out = tree
        .output()
        .with_context(|| format!("cannot run {shown}"))?;
    if !out.status.success() {
        bail!(
            "{shown} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let built = tree_packages(&String::from_utf8_lossy(&out.stdout));
    metadata.retain_built(&built);
    Ok(metadata)
}

/// The `(name, version)` of each line of `cargo tree --prefix none --format {p}`
/// (`serde v1.0.228`, `host v0.1.0 (/work/host)`, `x v1.0.0 (*)`).
fn tree_packages(text: &str) -> BTreeSet<(String, String)> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let name = words.next()?;
            let version = words.next()?.strip_prefix('v')?;
            Some((name.to_owned(), version.to_owned()))
        })
        .collect()
}

impl Metadata {
    /// Keeps only the packages of `built` (`(name, version)`) in the resolved graph:
    /// their nodes, and only the edges between them.
    fn retain_built(&mut self, built: &BTreeSet<(String, String)>) {
        let kept: BTreeSet<String> = self
            .packages
            .iter()
            .filter(|p| built.contains(&(p.name.clone(), p.version.clone())))
            .map(|p| p.id.clone())
            .collect();
        if let Some(resolve) = &mut self.resolve {
            resolve.nodes.retain(|n| kept.contains(&n.id));
            for node in &mut resolve.nodes {
                node.deps.retain(|d| kept.contains(&d.pkg));
            }
        }
    }
}

/// `Cargo.lock`: the fields the xtask reads (the SBOM's checksums, the scan's check
/// of an SBOM against the lock).
#[derive(Debug, Deserialize)]
pub(crate) struct Lock {
    #[serde(default)]
    pub(crate) package: Vec<LockedPackage>,
}

/// One `[[package]]` of `Cargo.lock`.
#[derive(Debug, Deserialize)]
pub(crate) struct LockedPackage {
    pub(crate) name: String,
    pub(crate) version: String,
    /// `None` for a path package.
    #[serde(default)]
    pub(crate) source: Option<String>,
    #[serde(default)]
    pub(crate) checksum: Option<String>,
}

/// The workspace's `Cargo.lock`.
pub(crate) fn read_lock(project: &Project) -> Result<Lock> {
    let path = project.root.join("Cargo.lock");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("cannot parse {}", path.display()))
}

#[cfg(test)]
mod tests {
    use crate::cargo_meta::Metadata;

    #[test]
    fn metadata_without_resolve_or_paths_reads() {
        let m = Metadata::parse(
            r#"{"packages":[{"name":"muster","version":"0.1.0","id":"x"}],"target_directory":"/t"}"#,
        )
        .unwrap();
        assert_eq!(m.packages[0].name, "muster");
        assert!(m.resolve.is_none());
        assert_eq!(m.target_directory, std::path::Path::new("/t"));
        assert!(Metadata::parse("{").is_err());
    }

    #[test]
    fn members_linking_follow_normal_dependencies_only() {
        let json = r#"{
            "packages": [
                {"id": "rt", "name": "muster", "version": "0.1.0"},
                {"id": "mac", "name": "muster-macros", "version": "0.1.0"},
                {"id": "plug", "name": "plug", "version": "0.1.0"},
                {"id": "host", "name": "host", "version": "0.1.0"},
                {"id": "xt", "name": "xtask", "version": "0.1.0"}
            ],
            "workspace_members": ["rt", "mac", "plug", "host", "xt"],
            "resolve": {"nodes": [
                {"id": "rt", "deps": [{"pkg": "mac", "dep_kinds": [{"kind": null}]}]},
                {"id": "mac", "deps": [{"pkg": "rt", "dep_kinds": [{"kind": "dev"}]}]},
                {"id": "plug", "deps": [{"pkg": "rt", "dep_kinds": [{"kind": null}]}]},
                {"id": "host", "deps": [{"pkg": "plug", "dep_kinds": [{"kind": null}]}]},
                {"id": "xt", "deps": [{"pkg": "rt", "dep_kinds": [{"kind": "build"}]}]}
            ]}
        }"#;
        let metadata = Metadata::parse(json).unwrap();
        assert_eq!(
            metadata.members_linking("muster"),
            ["muster", "plug", "host"]
        );
    }

    /// A feature another member turns on for the host is not the set's: the graph keeps
    /// only what `cargo tree -p` found in the set's build.
    #[test]
    fn the_set_graph_keeps_only_what_its_own_build_uses() {
        let tree = "edge-agent v0.1.0 (/w/app)\nchecksum-table v1.0.0 (/w/p/t)\n\
                    serde v1.0.228\nserde v1.0.228 (*)\n";
        let built = super::tree_packages(tree);
        assert_eq!(built.len(), 3, "{built:?}");
        assert!(built.contains(&("serde".to_owned(), "1.0.228".to_owned())));
        let json = r#"{
            "packages": [
                {"id": "host", "name": "edge-agent", "version": "0.1.0"},
                {"id": "table", "name": "checksum-table", "version": "1.0.0"},
                {"id": "sse", "name": "checksum-sse42", "version": "1.1.0"},
                {"id": "crc", "name": "crc32c", "version": "0.6.8"},
                {"id": "serde", "name": "serde", "version": "1.0.228"}
            ],
            "workspace_members": ["host"],
            "resolve": {"nodes": [
                {"id": "host", "deps": [
                    {"pkg": "table", "dep_kinds": [{"kind": null}]},
                    {"pkg": "sse", "dep_kinds": [{"kind": null}]}
                ]},
                {"id": "table", "deps": [{"pkg": "serde", "dep_kinds": [{"kind": null}]}]},
                {"id": "sse", "deps": [{"pkg": "crc", "dep_kinds": [{"kind": null}]}]},
                {"id": "crc", "deps": []},
                {"id": "serde", "deps": []}
            ]}
        }"#;
        let mut metadata = Metadata::parse(json).unwrap();
        metadata.retain_built(&built);
        let nodes = metadata.nodes_by_id().unwrap();
        assert_eq!(
            nodes.keys().copied().collect::<Vec<_>>(),
            ["host", "serde", "table"]
        );
        let host: Vec<&str> = nodes["host"].deps.iter().map(|d| d.pkg.as_str()).collect();
        assert_eq!(host, ["table"]);
    }
}
