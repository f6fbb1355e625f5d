//! `cargo xtask check`: team files and sets (see `config`), plugin sources, the app's
//! features and the dependency graph (one copy of `muster` and of the contract).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, bail};
use clap::Args;
use serde::Deserialize;

use crate::cargo_meta::Metadata;
use crate::config::{Config, GitRef, Plugin, PluginSource, Problems};
use crate::project::{self, Project};

/// Check team files, sets, plugin sources, the app's features and the dependency graph.
#[derive(Debug, Args)]
pub(crate) struct Check {}

impl Check {
    pub(crate) fn run(&self) -> Result<()> {
        let project = Project::current()?;
        let config = Config::load(&project)?;
        all(&project, &config)?;
        for (name, team) in &config.teams {
            let plugins: Vec<_> = config.plugins.iter().filter(|p| &p.team == name).collect();
            let enabled = plugins.iter().filter(|p| p.enabled).count();
            let about = team.description.as_deref().unwrap_or("");
            eprintln!(
                "team {name} ({}): {} plugins, {enabled} enabled. {about}",
                team.file,
                plugins.len()
            );
        }
        eprintln!(
            "check: {} teams, {} plugins, {} sets, slots {}: ok",
            config.teams.len(),
            config.plugins.len(),
            config.sets.len(),
            config.slots.iter().cloned().collect::<Vec<_>>().join(", ")
        );
        Ok(())
    }
}

/// Every check after loading: sources, app features, graph.
pub(crate) fn all(project: &Project, config: &Config) -> Result<()> {
    sources(project, config)?;
    app_features(project, config)?;
    graph(project)
}

/// Each plugin's path or git source contains its package (and crate).
pub(crate) fn sources(project: &Project, config: &Config) -> Result<()> {
    let mut problems = Problems::default();
    for plugin in config.packages() {
        let result = match &plugin.source {
            PluginSource::Path(path) => path_source(project, plugin, path),
            PluginSource::Git { url, reference } => git_source(project, plugin, url, reference),
        };
        if let Err(err) = result {
            problems.push(format!(
                "{}: plugin `{}`: {err:#}",
                plugin.origin, plugin.package
            ));
        }
    }
    problems.into_result("plugin sources")
}

#[derive(Deserialize)]
struct Manifest {
    package: Option<Package>,
    lib: Option<Lib>,
}

#[derive(Deserialize)]
struct Package {
    name: String,
}

#[derive(Deserialize)]
struct Lib {
    name: Option<String>,
}

/// `Some(crate name)` if `manifest` defines package `package`.
fn defines(manifest: &Path, package: &str) -> Result<Option<String>> {
    let text = std::fs::read_to_string(manifest)
        .with_context(|| format!("cannot read {}", manifest.display()))?;
    let parsed: Manifest = toml::from_str(&text)
        .with_context(|| format!("{} is not a valid manifest", manifest.display()))?;
    match parsed.package {
        Some(p) if p.name == package => Ok(Some(
            parsed
                .lib
                .and_then(|l| l.name)
                .unwrap_or_else(|| package.replace('-', "_")),
        )),
        _ => Ok(None),
    }
}

fn check_crate_name(plugin: &Plugin, found: &str, manifest: &Path) -> Result<()> {
    if found != plugin.crate_name {
        bail!(
            "{} builds crate `{found}`, but the team file expects `{}` (set `crate = \"{found}\"`)",
            manifest.display(),
            plugin.crate_name
        );
    }
    Ok(())
}

fn path_source(project: &Project, plugin: &Plugin, path: &str) -> Result<()> {
    let dir = project.root.join(path);
    let manifest = dir.join("Cargo.toml");
    if !manifest.is_file() {
        bail!(
            "path `{path}` has no Cargo.toml ({} does not exist)",
            manifest.display()
        );
    }
    match defines(&manifest, &plugin.package)? {
        Some(found) => check_crate_name(plugin, &found, &manifest),
        None => bail!(
            "path `{path}` does not contain package `{}` ({} defines another)",
            plugin.package,
            manifest.display()
        ),
    }
}

/// Fetches `url` at `reference` into a scratch directory and looks for the package in
/// it, as cargo does (any `Cargo.toml` in the repository).
fn git_source(project: &Project, plugin: &Plugin, url: &str, reference: &GitRef) -> Result<()> {
    let scratch = scratch_dir(project, &plugin.package)?;
    let result = (|| {
        let git = |args: &[&str]| {
            let mut cmd = project.command("git");
            cmd.arg("-C").arg(&scratch).args(args);
            project::output(&mut cmd)
        };
        git(&["init", "--quiet"])?;
        let wanted = match reference {
            GitRef::Tag(tag) => format!("refs/tags/{tag}"),
            GitRef::Rev(rev) => rev.clone(),
        };
        git(&["fetch", "--quiet", "--depth=1", url, &wanted]).with_context(|| {
            format!(
                "cannot fetch {} `{}` from {url}",
                reference.key(),
                reference.value()
            )
        })?;
        git(&["checkout", "--quiet", "FETCH_HEAD"])?;
        find_package(&scratch, plugin)
    })();
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

fn scratch_dir(project: &Project, name: &str) -> Result<PathBuf> {
    let base = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| project.root.join("target"), PathBuf::from);
    // Unique per process and call: checks may run concurrently (tests do).
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = base
        .join("xtask")
        .join(format!("git-{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

fn find_package(root: &Path, plugin: &Plugin) -> Result<()> {
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            let name = path.file_name().unwrap_or_default();
            if path.is_dir() {
                if name != ".git" && name != "target" {
                    stack.push(path);
                }
            } else if name == "Cargo.toml"
                && let Ok(Some(found)) = defines(&path, &plugin.package)
            {
                let shown = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
                return check_crate_name(plugin, &found, &shown);
            }
        }
    }
    bail!(
        "the repository has no package `{}` at that {}",
        plugin.package,
        "revision"
    )
}

/// Every plugin feature and optional dependency of the app belongs to a team file.
pub(crate) fn app_features(project: &Project, config: &Config) -> Result<()> {
    let path = project.app_manifest();
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let manifest: toml::Table =
        toml::from_str(&text).with_context(|| format!("{} is not valid TOML", path.display()))?;
    let file = project.display(&path);
    let known: BTreeSet<&str> = config.plugins.iter().map(|p| p.package.as_str()).collect();
    let mut problems = Problems::default();
    let features = manifest
        .get("features")
        .and_then(|f| f.as_table())
        .cloned()
        .unwrap_or_default();
    for (name, enables) in &features {
        if let Some(package) = name.strip_prefix("plugin-")
            && !known.contains(package)
        {
            problems.push(format!(
                "{file}: feature `{name}` names no plugin in any team file"
            ));
        }
        for item in enables
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
        {
            let dep = item
                .strip_prefix("dep:")
                .unwrap_or(item)
                .split('/')
                .next()
                .unwrap_or(item);
            let optional = manifest
                .get("dependencies")
                .and_then(|d| d.get(dep))
                .and_then(|d| d.get("optional"))
                .and_then(|o| o.as_bool())
                == Some(true);
            if optional && !known.contains(dep) {
                problems.push(format!(
                    "{file}: feature `{name}` enables `{dep}`, which no team file mentions"
                ));
            }
        }
    }
    for (dep, spec) in manifest
        .get("dependencies")
        .and_then(|d| d.as_table())
        .into_iter()
        .flatten()
    {
        let optional = spec.get("optional").and_then(|o| o.as_bool()) == Some(true);
        if optional && !known.contains(dep.as_str()) {
            problems.push(format!(
                "{file}: optional dependency `{dep}` is no plugin of any team file"
            ));
        }
    }
    problems.into_result("app features")
}

/// At most one copy of the runtime and of each contract in the full graph.
pub(crate) fn graph(project: &Project) -> Result<()> {
    let metadata = Metadata::read(project.cargo().args([
        "metadata",
        "--format-version",
        "1",
        "--all-features",
    ]))?;
    duplicates(&metadata, &project.settings.singletons())
}

/// The duplicate check on `cargo metadata` output.
pub(crate) fn duplicates(metadata: &Metadata, singletons: &[&str]) -> Result<()> {
    let mut copies: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for package in &metadata.packages {
        if singletons.contains(&package.name.as_str()) {
            copies
                .entry(&package.name)
                .or_default()
                .push(format!("{} ({})", package.version, package.id));
        }
    }
    let mut problems = Problems::default();
    for (name, found) in copies {
        if found.len() > 1 {
            problems.push(format!(
                "{} copies of `{name}` in the graph: plugins built against one register where the app does not \
                 look: {}",
                found.len(),
                found.join(", ")
            ));
        }
    }
    problems.into_result("dependency graph")
}

#[cfg(test)]
mod tests {
    use crate::cargo_meta::Metadata;
    use crate::check::duplicates;

    #[test]
    fn two_copies_of_muster_are_an_error() {
        let one = r#"{"packages":[{"name":"muster","version":"0.1.0","id":"path+file:///w/core#0.1.0"},
            {"name":"edge-contract","version":"0.1.0","id":"path+file:///w/app/contract#0.1.0"}]}"#;
        duplicates(&Metadata::parse(one).unwrap(), &["muster", "edge-contract"]).unwrap();
        let two = r#"{"packages":[{"name":"muster","version":"0.1.0","id":"path+file:///w/core#0.1.0"},
            {"name":"muster","version":"0.2.0","id":"registry+https://github.com/rust-lang/crates.io-index#muster@0.2.0"}]}"#;
        let err = duplicates(&Metadata::parse(two).unwrap(), &["muster", "edge-contract"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("2 copies of `muster`"), "{err}");
        assert!(err.contains("muster@0.2.0"), "{err}");
    }
}
