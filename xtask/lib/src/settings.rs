//! The `[workspace.metadata.muster]` block of the workspace root `Cargo.toml`: which
//! package is the host, which are its contracts, where team files, sets, `dist/` and
//! the generated registry file live, and which sets `test` and `repro` build. Read
//! strictly (every problem names `Cargo.toml:line:column` and the key), checked
//! against the workspace before any command writes anything.
//!
//! ```toml
//! [workspace.metadata.muster]
//! host = "my-service"             # required: the binary package the xtask builds
//! contracts = ["my-contract"]     # required: packages whose #[muster::slot]s are the slots
//! teams = "teams"                 # team files (default "teams")
//! plugins = "plugins"             # where `new-plugin` scaffolds `<team>/<package>` (default)
//! sets = "sets"                   # deployment sets (default "sets")
//! dist = "dist"                   # build output (default "dist")
//! registry = "src/plugins.rs"     # generated `use <plugin> as _;` file, in the host (default)
//! default-set = "default"         # what `build` builds; the host's default features (default)
//! test-sets = ["default", "small"]  # sets `cargo xtask test` builds (default: [default-set]);
//!                                   # the first two are told apart by the SBOM/audit scan
//! repro-set = "small"             # the set `repro` checks (default: default-set)
//! test-features = [["plugin-x"]]  # extra `cargo test -p <host> --features ...` runs (default none)
//! bench = "my-bench"              # benchmark driver: `bench` runs it, `test` builds its benches
//! publish = ["my-contract"]       # `test` runs `cargo package --all-features` (verified) on these (default none)
//! test-tools = ["ansible-core"]   # pinned tools the workspace's own tests run: `test` installs them
//!                                 # and puts them on the tests' PATH (`cargo xtask doctor` lists them)
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use toml::Spanned;

use crate::cargo_meta::manifest::{is_package_name, package_name};
use crate::config::source::SourceFile;

/// The runtime crate every host and contract depends on.
pub(crate) const RUNTIME_PACKAGE: &str = "muster-rt";

#[derive(Deserialize)]
struct RawRoot {
    package: Option<toml::Value>,
    workspace: Option<RawWorkspace>,
}

#[derive(Deserialize)]
struct RawWorkspace {
    #[serde(default)]
    members: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
    metadata: Option<RawMetadata>,
}

#[derive(Deserialize)]
struct RawMetadata {
    muster: Option<Spanned<RawMuster>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawMuster {
    host: Option<Spanned<String>>,
    contracts: Option<Spanned<Vec<Spanned<String>>>>,
    teams: Option<Spanned<String>>,
    plugins: Option<Spanned<String>>,
    sets: Option<Spanned<String>>,
    dist: Option<Spanned<String>>,
    registry: Option<Spanned<String>>,
    default_set: Option<Spanned<String>>,
    test_sets: Option<Spanned<Vec<Spanned<String>>>>,
    repro_set: Option<Spanned<String>>,
    #[serde(default)]
    test_features: Vec<Vec<String>>,
    bench: Option<Spanned<String>>,
    #[serde(default)]
    publish: Vec<Spanned<String>>,
    #[serde(default)]
    test_tools: Vec<Spanned<String>>,
}

/// A workspace package the settings name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Package {
    /// Cargo package name.
    pub(crate) name: String,
    /// Its directory (absolute).
    pub(crate) dir: PathBuf,
    /// `Cargo.toml:line:column` of the key that names it (for later errors).
    pub(crate) origin: String,
}

/// The `[workspace.metadata.muster]` block, resolved against the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Settings {
    /// The host binary package.
    pub(crate) host: Package,
    /// The contract packages (their `#[muster::slot]` traits are the slots).
    pub(crate) contracts: Vec<Package>,
    /// Team files directory (absolute).
    pub(crate) teams: PathBuf,
    /// Where `new-plugin` puts crates: `<plugins>/<team>/<package>` (absolute).
    pub(crate) plugins: PathBuf,
    /// Sets directory (absolute).
    pub(crate) sets: PathBuf,
    /// Build output directory (absolute).
    pub(crate) dist: PathBuf,
    /// The generated registry file (absolute, inside the host).
    pub(crate) registry: PathBuf,
    /// The set `build` builds by default; the host's `default` features.
    pub(crate) default_set: String,
    /// The sets `cargo xtask test` builds (and scans, the first two).
    pub(crate) test_sets: Vec<String>,
    /// The set `repro` checks by default.
    pub(crate) repro_set: String,
    /// Extra feature lists `cargo xtask test` runs the host's tests with.
    pub(crate) test_features: Vec<Vec<String>>,
    /// The benchmark driver package: `cargo xtask bench` runs it, `test` builds its
    /// benchmarks (not runs them).
    pub(crate) bench: Option<String>,
    /// Packages `cargo xtask test` packages with `cargo package --all-features` (verified).
    pub(crate) publish: Vec<String>,
    /// Pinned tools the workspace's tests run (`cargo xtask test` installs them and puts
    /// them on the tests' `PATH`).
    pub(crate) test_tools: Vec<&'static crate::tools::table::Tool>,
}

impl Settings {
    /// Reads `<root>/Cargo.toml` and checks the block against the workspace.
    pub(crate) fn load(root: &Path) -> Result<Settings> {
        let path = root.join("Cargo.toml");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Settings::parse(root, &text)
    }

    /// Parses the root manifest `text` of the workspace at `root`.
    pub(crate) fn parse(root: &Path, text: &str) -> Result<Settings> {
        let file = SourceFile {
            name: "Cargo.toml".to_owned(),
            text: text.to_owned(),
        };
        let raw: RawRoot = file.parse().map_err(anyhow::Error::msg)?;
        let Some(workspace) = raw.workspace else {
            bail!("Cargo.toml: no [workspace]; muster's xtask works on a workspace root manifest");
        };
        let Some(block) = workspace.metadata.and_then(|m| m.muster) else {
            bail!(
                "Cargo.toml: no [workspace.metadata.muster] block; add one naming at least \
                 `host = \"<binary package>\"` and `contracts = [\"<contract package>\"]` \
                 (see docs/adopting.md)"
            );
        };
        let block_at = file.at(block.span());
        let block = block.into_inner();
        let reader = Reader {
            root,
            file: &file,
            members: members(
                root,
                &workspace.members,
                &workspace.exclude,
                raw.package.is_some(),
            )?,
        };
        let (host, contracts) = reader.host_and_contracts(&block_at, &block)?;
        reader.check_host_dependencies(&host, &contracts)?;
        let teams = reader.dir("teams", &block.teams, "teams")?;
        let sets = reader.dir("sets", &block.sets, "sets")?;
        let plugins = reader.dir("plugins", &block.plugins, "plugins")?;
        let dist = reader.dir("dist", &block.dist, "dist")?;
        let registry = reader.registry(&host, block.registry.as_ref())?;
        let (default_set, test_sets, repro_set) = reader.set_names(&block)?;
        Ok(Settings {
            host,
            contracts,
            teams,
            plugins,
            sets,
            dist,
            registry,
            default_set,
            test_sets,
            repro_set,
            test_features: block.test_features,
            bench: block
                .bench
                .as_ref()
                .map(|b| reader.member("bench", b).map(|p| p.name))
                .transpose()?,
            publish: block
                .publish
                .iter()
                .map(|p| reader.member("publish", p).map(|p| p.name))
                .collect::<Result<Vec<_>>>()?,
            test_tools: block
                .test_tools
                .iter()
                .map(|t| reader.test_tool(t))
                .collect::<Result<Vec<_>>>()?,
        })
    }

    /// Packages of which the dependency graph must hold exactly one copy: the runtime
    /// and every contract (two copies would be two registries, two sets of slots).
    pub(crate) fn singletons(&self) -> Vec<&str> {
        std::iter::once(RUNTIME_PACKAGE)
            .chain(self.contracts.iter().map(|c| c.name.as_str()))
            .collect()
    }
}

/// Reads the `[workspace.metadata.muster]` block of one workspace: its keys' positions
/// and the workspace's members by package name.
struct Reader<'a> {
    root: &'a Path,
    file: &'a SourceFile,
    members: BTreeMap<String, PathBuf>,
}

impl Reader<'_> {
    /// `Cargo.toml:LINE:COLUMN: `NAME``, for errors about key `name`.
    fn key(&self, name: &str, span: Range<usize>) -> String {
        format!("{}: `{name}`", self.file.at(span))
    }

    /// The workspace member `value` names (key `k`).
    fn member(&self, k: &str, value: &Spanned<String>) -> Result<Package> {
        let at = self.key(k, value.span());
        match self.members.get(value.get_ref()) {
            Some(dir) => Ok(Package {
                name: value.get_ref().clone(),
                dir: dir.clone(),
                origin: at,
            }),
            None => bail!(
                "{at}: package `{}` is not a member of the workspace (members: {})",
                value.get_ref(),
                self.members.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        }
    }

    /// The host and the contracts, each a member; both keys are required.
    fn host_and_contracts(
        &self,
        block_at: &str,
        block: &RawMuster,
    ) -> Result<(Package, Vec<Package>)> {
        let Some(host) = &block.host else {
            bail!(
                "{block_at}: [workspace.metadata.muster] has no `host` (the binary package to build)"
            );
        };
        let host = self.member("host", host)?;
        let Some(contracts) = &block.contracts else {
            bail!(
                "{block_at}: [workspace.metadata.muster] has no `contracts` (the packages whose \
                 #[muster::slot] traits are the slots)"
            );
        };
        if contracts.get_ref().is_empty() {
            bail!(
                "{}: `contracts` is empty; name at least one contract package",
                self.file.at(contracts.span())
            );
        }
        let contracts = contracts
            .get_ref()
            .iter()
            .map(|c| self.member("contracts", c))
            .collect::<Result<Vec<_>>>()?;
        Ok((host, contracts))
    }

    /// The host depends on the runtime and on every contract.
    fn check_host_dependencies(&self, host: &Package, contracts: &[Package]) -> Result<()> {
        let depends_on = host_dependencies(host)?;
        for needed in
            std::iter::once(RUNTIME_PACKAGE).chain(contracts.iter().map(|c| c.name.as_str()))
        {
            if !depends_on.contains(needed) {
                bail!(
                    "{}: host `{}` does not depend on `{needed}` ({} has no such dependency)",
                    host.origin,
                    host.name,
                    display(self.root, &host.dir.join("Cargo.toml"))
                );
            }
        }
        Ok(())
    }

    /// A directory key (`k`), relative to the root, or `default`.
    fn dir(&self, k: &str, value: &Option<Spanned<String>>, default: &str) -> Result<PathBuf> {
        match value {
            None => Ok(self.root.join(default)),
            Some(v) => {
                relative(v.get_ref())
                    .map_err(|why| anyhow::anyhow!("{}: {why}", self.key(k, v.span())))?;
                Ok(self.root.join(v.get_ref()))
            }
        }
    }

    /// The registry file: a `.rs` path inside the host (default `src/plugins.rs`).
    fn registry(&self, host: &Package, value: Option<&Spanned<String>>) -> Result<PathBuf> {
        Ok(match value {
            None => host.dir.join("src").join("plugins.rs"),
            Some(v) => {
                relative(v.get_ref()).map_err(|why| {
                    anyhow::anyhow!(
                        "{}: {why}; the registry file is a path inside the host `{}`",
                        self.key("registry", v.span()),
                        host.name
                    )
                })?;
                if !v.get_ref().ends_with(".rs") {
                    bail!(
                        "{}: `{}` is not a Rust file (`.rs`)",
                        self.key("registry", v.span()),
                        v.get_ref()
                    );
                }
                host.dir.join(v.get_ref())
            }
        })
    }

    /// A set name (key `k`): letters, digits, `-`, `_`.
    fn set_name(&self, k: &str, v: &Spanned<String>) -> Result<String> {
        if is_package_name(v.get_ref()) {
            Ok(v.get_ref().clone())
        } else {
            bail!(
                "{}: set name `{}` must be letters, digits, `-`, `_`",
                self.key(k, v.span()),
                v.get_ref()
            )
        }
    }

    /// `default-set`, `test-sets` and `repro-set`, with their defaults.
    fn set_names(&self, block: &RawMuster) -> Result<(String, Vec<String>, String)> {
        let default_set = match &block.default_set {
            Some(v) => self.set_name("default-set", v)?,
            None => "default".to_owned(),
        };
        let test_sets = match &block.test_sets {
            Some(v) => v
                .get_ref()
                .iter()
                .map(|s| self.set_name("test-sets", s))
                .collect::<Result<Vec<_>>>()?,
            None => vec![default_set.clone()],
        };
        let repro_set = match &block.repro_set {
            Some(v) => self.set_name("repro-set", v)?,
            None => default_set.clone(),
        };
        Ok((default_set, test_sets, repro_set))
    }

    /// A `test-tools` entry: a pinned tool's name.
    fn test_tool(&self, t: &Spanned<String>) -> Result<&'static crate::tools::table::Tool> {
        crate::tools::table::by_name(t.get_ref()).ok_or_else(|| {
            anyhow::anyhow!(
                "{}: no pinned tool `{}` (known: {})",
                self.key("test-tools", t.span()),
                t.get_ref(),
                crate::tools::table::TOOLS
                    .iter()
                    .map(|t| t.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
    }
}

/// `path` must be relative and stay below where it starts (no `..`).
fn relative(path: &str) -> Result<(), String> {
    let p = Path::new(path);
    if path.is_empty() {
        return Err("the path is empty".to_owned());
    }
    if p.is_absolute() {
        return Err(format!(
            "`{path}` is absolute; give a path relative to the workspace"
        ));
    }
    if p.components()
        .any(|c| matches!(c, Component::ParentDir | Component::Prefix(_)))
    {
        return Err(format!("`{path}` leaves its directory (`..`)"));
    }
    Ok(())
}

fn display(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Workspace members by package name: `members` entries (literal paths; a `*`
/// component matches every directory), less `exclude`, plus the root package.
fn members(
    root: &Path,
    patterns: &[String],
    exclude: &[String],
    root_package: bool,
) -> Result<BTreeMap<String, PathBuf>> {
    let excluded: BTreeSet<PathBuf> = exclude.iter().map(|e| root.join(e)).collect();
    let mut dirs = Vec::new();
    if root_package {
        dirs.push(root.to_path_buf());
    }
    for pattern in patterns {
        let mut found = vec![root.to_path_buf()];
        for part in Path::new(pattern).components() {
            let part = part.as_os_str().to_string_lossy();
            let mut next = Vec::new();
            for dir in found {
                if part == "*" {
                    let Ok(entries) = std::fs::read_dir(&dir) else {
                        continue;
                    };
                    let mut children: Vec<PathBuf> = entries
                        .filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| p.is_dir())
                        .collect();
                    children.sort();
                    next.extend(children);
                } else if part.contains(['*', '?', '[']) {
                    bail!(
                        "Cargo.toml: workspace member pattern `{pattern}`: only whole `*` components are supported by muster's xtask"
                    );
                } else {
                    next.push(dir.join(part.as_ref()));
                }
            }
            found = next;
        }
        dirs.extend(found);
    }
    let mut members = BTreeMap::new();
    for dir in dirs {
        if excluded.contains(&dir) {
            continue;
        }
        let manifest = dir.join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        let table: toml::Table = toml::from_str(&text)
            .with_context(|| format!("{} is not valid TOML", display(root, &manifest)))?;
        if let Some(name) = package_name(&table) {
            members.insert(name.to_owned(), dir);
        }
    }
    Ok(members)
}

/// The package names `host` depends on (normal dependencies; `package = ` renames
/// followed).
fn host_dependencies(host: &Package) -> Result<BTreeSet<String>> {
    let manifest = host.dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .with_context(|| format!("cannot read {}", manifest.display()))?;
    let table: toml::Table = toml::from_str(&text)
        .with_context(|| format!("{} is not valid TOML", manifest.display()))?;
    let mut names = BTreeSet::new();
    if let Some(deps) = table.get("dependencies").and_then(|d| d.as_table()) {
        for (key, value) in deps {
            let renamed = value.get("package").and_then(|p| p.as_str());
            names.insert(renamed.unwrap_or(key).to_owned());
        }
    }
    Ok(names)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::path::Path;

    use crate::settings::{Package, Settings};

    /// This repository's settings, rooted at `root` (tests).
    pub(crate) fn fixture(root: &Path) -> Settings {
        let package = |name: &str, dir: &str| Package {
            name: name.to_owned(),
            dir: root.join(dir),
            origin: "Cargo.toml:1:1: `fixture`".to_owned(),
        };
        Settings {
            host: package("edge-agent", "app"),
            contracts: vec![package("edge-contract", "app/contract")],
            teams: root.join("teams"),
            plugins: root.join("plugins"),
            sets: root.join("sets"),
            dist: root.join("dist"),
            registry: root.join("app/src/plugins.rs"),
            default_set: "default".to_owned(),
            test_sets: vec!["default".to_owned(), "edge-minimal".to_owned()],
            repro_set: "edge-minimal".to_owned(),
            test_features: vec![vec!["plugin-checksum-chaos".to_owned()]],
            bench: Some("muster-bench".to_owned()),
            publish: Vec::new(),
            test_tools: Vec::new(),
        }
    }

    /// A workspace at `root` with a host `svc` (depending on `deps`) and a contract `api`.
    fn workspace(root: &Path, deps: &str) {
        let write = |path: &str, text: &str| {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            "svc/Cargo.toml",
            &format!("[package]\nname = \"svc\"\n\n[dependencies]\n{deps}"),
        );
        write("crates/api/Cargo.toml", "[package]\nname = \"api\"\n");
    }

    const WS: &str = "[workspace]\nmembers = [\"svc\", \"crates/*\"]\n\n";

    fn error(root: &Path, block: &str) -> String {
        let text = format!("{WS}[workspace.metadata.muster]\n{block}");
        format!("{:#}", Settings::parse(root, &text).unwrap_err())
    }

    #[test]
    fn defaults_fill_everything_but_host_and_contracts() {
        let dir = tempfile::tempdir().unwrap();
        workspace(
            dir.path(),
            "muster-rt = \"0.1\"\ncontract = { package = \"api\", path = \"x\" }\n",
        );
        let text =
            format!("{WS}[workspace.metadata.muster]\nhost = \"svc\"\ncontracts = [\"api\"]\n");
        let s = Settings::parse(dir.path(), &text).unwrap();
        assert_eq!(s.host.dir, dir.path().join("svc"));
        assert_eq!(s.contracts[0].dir, dir.path().join("crates/api"));
        assert_eq!(s.registry, dir.path().join("svc/src/plugins.rs"));
        assert_eq!(s.teams, dir.path().join("teams"));
        assert_eq!(
            (s.default_set.as_str(), s.repro_set.as_str()),
            ("default", "default")
        );
        assert_eq!(s.test_sets, ["default"]);
        assert_eq!(s.singletons(), ["muster-rt", "api"]);
    }

    #[test]
    fn bad_blocks_name_the_key_and_where() {
        let dir = tempfile::tempdir().unwrap();
        workspace(dir.path(), "muster-rt = \"0.1\"\napi = \"0.1\"\n");
        let root = dir.path();
        let err = error(root, "host = \"nope\"\ncontracts = [\"api\"]\n");
        assert!(
            err.starts_with("Cargo.toml:5:8: `host`: package `nope` is not a member"),
            "{err}"
        );
        let err = error(root, "host = \"svc\"\ncontracts = [\"api\", \"gone\"]\n");
        assert!(
            err.starts_with("Cargo.toml:6:21: `contracts`: package `gone`"),
            "{err}"
        );
        let err = error(root, "contracts = [\"api\"]\n");
        assert!(
            err.contains("Cargo.toml:4:1: [workspace.metadata.muster] has no `host`"),
            "{err}"
        );
        let err = error(
            root,
            "host = \"svc\"\ncontracts = [\"api\"]\nregistry = \"../x.rs\"\n",
        );
        assert!(
            err.contains("Cargo.toml:7:12: `registry`: `../x.rs` leaves its directory"),
            "{err}"
        );
        assert!(err.contains("inside the host `svc`"), "{err}");
        let err = error(
            root,
            "host = \"svc\"\ncontracts = [\"api\"]\nregistry = \"/etc/x.rs\"\n",
        );
        assert!(err.contains("`registry`: `/etc/x.rs` is absolute"), "{err}");
        let err = error(root, "host = \"svc\"\ncontracts = [\"api\"]\nhsot = 1\n");
        assert!(
            err.starts_with("Cargo.toml:7:1: unknown field `hsot`"),
            "{err}"
        );
        let err = format!("{:#}", Settings::parse(root, WS).unwrap_err());
        assert!(
            err.contains("no [workspace.metadata.muster] block"),
            "{err}"
        );
    }

    #[test]
    fn the_host_must_depend_on_muster_and_every_contract() {
        let dir = tempfile::tempdir().unwrap();
        workspace(dir.path(), "muster-rt = \"0.1\"\n");
        let err = error(dir.path(), "host = \"svc\"\ncontracts = [\"api\"]\n");
        assert!(
            err.starts_with(
                "Cargo.toml:5:8: `host`: host `svc` does not depend on `api` (svc/Cargo.toml"
            ),
            "{err}"
        );
        let dir = tempfile::tempdir().unwrap();
        workspace(dir.path(), "api = \"0.1\"\n");
        let err = error(dir.path(), "host = \"svc\"\ncontracts = [\"api\"]\n");
        assert!(err.contains("does not depend on `muster-rt`"), "{err}");
    }
}
