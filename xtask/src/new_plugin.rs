//! `cargo xtask new-plugin`: scaffolds a plugin crate in `plugins/<team>/<name>/` that
//! compiles and passes its generated test, adds it to `teams/<team>.toml` (enabled),
//! and syncs the app.
//!
//! Method bodies come from a template per slot (the xtask does not parse Rust); the
//! contract's trait is scanned for its `fn` names so a template that no longer matches
//! the contract is refused instead of generating a crate that does not compile.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;

use crate::config::{self, Config, SlotTrait, is_package_name};
use crate::project::{self, Project};
use crate::sync;

/// Scaffold a plugin crate, enable it in the team file, sync, and run its test.
#[derive(Debug, Args)]
pub(crate) struct NewPlugin {
    /// The team (`teams/<team>.toml`, created if missing).
    #[arg(long)]
    pub(crate) team: String,
    /// The slot it fills (a `#[muster::slot]` of the contract).
    #[arg(long)]
    pub(crate) slot: String,
    /// The plugin version (semver), in `#[muster::plugin]` and the team file.
    #[arg(long = "version")]
    pub(crate) plugin_version: String,
    /// The plugin's `name` (default: the package name). Give an existing plugin's name
    /// to scaffold a new release of it.
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// Scaffold, add and sync, but do not run `cargo test -p <package>`.
    #[arg(long)]
    pub(crate) no_test: bool,
    /// The package (and directory) name.
    pub(crate) package: String,
}

impl NewPlugin {
    pub(crate) fn run(&self) -> Result<()> {
        let project = Project::current();
        let dir = scaffold(&project, self)?;
        if self.no_test {
            eprintln!(
                "new-plugin: skipping `cargo test -p {}` (--no-test)",
                self.package
            );
        } else {
            project::run(project.cargo().args(["test", "--package", &self.package])).with_context(
                || format!("the scaffolded {} does not pass its test", self.package),
            )?;
        }
        println!(
            "new plugin {} in {}: replace the placeholder bodies in src/lib.rs, then commit it with \
             teams/{}.toml, app/Cargo.toml, app/src/plugins.rs and Cargo.lock",
            self.package,
            project.display(&dir),
            self.team
        );
        Ok(())
    }
}

/// A slot the xtask can scaffold: the trait's methods and their placeholder bodies.
pub(crate) struct Template {
    slot: &'static str,
    /// Method names, as the contract declares them (checked against it).
    methods: &'static [&'static str],
    /// `use edge_contract::{...}` items besides the trait.
    imports: &'static [&'static str],
    /// The `impl` block's body. `{package}` is replaced.
    body: &'static str,
    /// Imports of the test module besides the trait and `muster` ones.
    test_imports: &'static [&'static str],
    /// Statements exercising `selected` (the chosen instance) in the generated test.
    test: &'static str,
}

const TEMPLATES: &[Template] = &[
    Template {
        slot: "showcase",
        methods: &["render"],
        imports: &["Status"],
        body: r#"    fn render(&self, status: &Status) -> String {
        // Placeholder: replace with your status line.
        format!(
            "[{}] processed {}, pending {}",
            status.host, status.processed, status.pending
        )
    }
"#,
        test_imports: &["Status"],
        test: r#"    let status = Status {
        host: "edge-7".into(),
        ..Status::default()
    };
    assert!(selected.render(&status).contains("edge-7"));
"#,
    },
    Template {
        slot: "checksum",
        methods: &["implementation", "crc32c"],
        imports: &[],
        body: r#"    fn implementation(&self) -> &'static str {
        "{package}"
    }

    fn crc32c(&self, data: &[u8]) -> u32 {
        // Placeholder: bit-at-a-time CRC-32C, correct but slow; replace with yours.
        let mut crc = !0u32;
        for &byte in data {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0x82F6_3B78
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
"#,
        test_imports: &[],
        test: r#"    // The contract's check value: every version must agree on it.
    assert_eq!(selected.crc32c(b"123456789"), 0xE306_9283);
"#,
    },
    Template {
        slot: "uplink",
        methods: &["deliver"],
        imports: &[
            "PluginError",
            "Receipt",
            "Report",
            "UplinkContext",
            "write_atomically",
        ],
        body: r#"    fn deliver(&self, report: &Report, ctx: &UplinkContext) -> Result<Receipt, PluginError> {
        // Placeholder: spools to <spool>/outbox like relay 1.0.0; replace with your delivery.
        let id = &report.id;
        if id.is_empty() || id.starts_with('.') || id.contains(['/', '\\']) {
            return Err(PluginError::Transient(format!(
                "report id {id:?} is not a plain file name"
            )));
        }
        let outbox = ctx.spool.join("outbox");
        let path = write_atomically(&outbox, &format!("{id}.json"), &report.to_json())
            .map_err(|e| PluginError::Transient(format!("cannot spool report {id}: {e}")))?;
        Ok(Receipt {
            location: path.display().to_string(),
        })
    }
"#,
        test_imports: &["Report", "UplinkContext"],
        test: r#"    let spool = std::env::temp_dir().join(format!(
        "{}-test-{}",
        env!("CARGO_PKG_NAME"),
        std::process::id()
    ));
    let report = Report {
        id: Report::stable_id("a.txt", 9, 0xE306_9283),
        file: "a.txt".into(),
        bytes: 9,
        crc32c: "e3069283".into(),
        checksum_plugin: "crc32c@1.0.0".into(),
        host: "edge-7".into(),
    };
    let ctx = UplinkContext {
        target: spool.join("delivered"),
        spool: spool.clone(),
    };
    let receipt = selected.deliver(&report, &ctx).expect("delivered");
    let delivered = std::path::Path::new(&receipt.location).is_file();
    let _ = std::fs::remove_dir_all(&spool);
    assert!(delivered, "{}", receipt.location);
"#,
    },
];

/// `checksum-fast` -> `ChecksumFast`.
fn type_name(package: &str) -> String {
    package
        .split(['-', '_'])
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            let first = chars.next().map(|c| c.to_ascii_uppercase());
            first.into_iter().chain(chars).collect::<String>()
        })
        .collect()
}

/// Every `[package] name` of a `Cargo.toml` under `root` (skipping target, dist, hidden).
fn workspace_packages(root: &Path) -> Vec<String> {
    let mut names = Vec::new();
    let mut stack = vec![(root.to_path_buf(), 0)];
    while let Some((dir, depth)) = stack.pop() {
        let manifest = dir.join("Cargo.toml");
        if let Ok(text) = std::fs::read_to_string(&manifest)
            && let Ok(table) = toml::from_str::<toml::Table>(&text)
            && let Some(name) = table
                .get("package")
                .and_then(|p| p.get("name"))
                .and_then(|n| n.as_str())
        {
            names.push(name.to_owned());
        }
        if depth >= 4 {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if entry.path().is_dir()
                && !name.starts_with('.')
                && !["target", "dist", "node_modules"].contains(&name.as_ref())
            {
                stack.push((entry.path(), depth + 1));
            }
        }
    }
    names
}

/// Writes the crate, adds it to the team file and syncs; returns the crate's directory.
/// Everything is checked before anything is written; if the team files or the sync then
/// fail, the crate and the team file are restored.
pub(crate) fn scaffold(project: &Project, args: &NewPlugin) -> Result<PathBuf> {
    let package = &args.package;
    if !is_package_name(package) {
        bail!("NAME `{package}`: not a valid package name (letters, digits, `-`, `_`)");
    }
    if !is_package_name(&args.team) {
        bail!(
            "--team `{}`: not a valid team name (letters, digits, `-`, `_`)",
            args.team
        );
    }
    let version = semver::Version::parse(&args.plugin_version).map_err(|e| {
        anyhow::anyhow!(
            "--version `{}` is not semver (like 1.2.0): {e}",
            args.plugin_version
        )
    })?;
    let name = args.name.clone().unwrap_or_else(|| package.clone());
    if name.is_empty() || name.contains(['"', '\\']) {
        bail!("--name `{name}`: not a valid plugin name");
    }
    let config = Config::load(project)?;
    let traits = config::contract_traits(&project.contract_src())?;
    let Some(slot) = traits.iter().find(|t| t.slot == args.slot) else {
        let known: Vec<&str> = traits.iter().map(|t| t.slot.as_str()).collect();
        bail!(
            "--slot `{}`: unknown slot (the contract declares: {})",
            args.slot,
            known.join(", ")
        );
    };
    let template = template_for(slot)?;
    let rel = format!("plugins/{}/{package}", args.team);
    let dir = project.root.join(&rel);
    if let Some(existing) = config.plugins.iter().find(|p| &p.package == package) {
        bail!(
            "NAME `{package}`: package already declared at {}",
            existing.origin
        );
    }
    if workspace_packages(&project.root).contains(package) {
        bail!("NAME `{package}`: a package of that name already exists in the workspace");
    }
    if dir.exists() {
        bail!("NAME `{package}`: {rel} already exists");
    }
    if let Some(twin) = config
        .plugins
        .iter()
        .find(|p| p.enabled && p.slot == args.slot && p.version == version)
    {
        bail!(
            "--version `{version}`: version {version} of slot `{}` is already enabled ({} at {}); \
             two registrations of one version are never selected",
            args.slot,
            twin.package,
            twin.origin
        );
    }

    let team_path = project.teams_dir().join(format!("{}.toml", args.team));
    let old_team = std::fs::read_to_string(&team_path).ok();
    let result = (|| -> Result<()> {
        write_crate(&dir, args, &name, &version, slot, template)?;
        let mut team = old_team.clone().unwrap_or_else(|| {
            format!(
                "# Team {}: its plugins. Only this team edits this file.\n",
                args.team
            )
        });
        if !team.ends_with('\n') {
            team.push('\n');
        }
        team.push_str(&format!(
            "\n[[plugin]]\npackage = \"{package}\"\nslot = \"{}\"\nname = \"{name}\"\nversion = \"{version}\"\n\
             enabled = true\npath = \"{rel}\"\n",
            args.slot
        ));
        std::fs::create_dir_all(project.teams_dir())?;
        std::fs::write(&team_path, team)
            .with_context(|| format!("cannot write {}", team_path.display()))?;
        eprintln!(
            "new-plugin: wrote {rel}/Cargo.toml, {rel}/src/lib.rs; added it to {}",
            project.display(&team_path)
        );
        let config = Config::load(project)?;
        sync::write(project, &config)?;
        if !config
            .sets
            .values()
            .any(|set| set.teams.contains(&args.team))
        {
            eprintln!(
                "note: no set names team `{}`: add it to a set (sets/*.toml) to ship the plugin",
                args.team
            );
        }
        Ok(())
    })();
    if let Err(err) = result {
        let _ = std::fs::remove_dir_all(&dir);
        match &old_team {
            Some(text) => {
                let _ = std::fs::write(&team_path, text);
            }
            None => {
                let _ = std::fs::remove_file(&team_path);
            }
        }
        return Err(err.context(format!("new-plugin: removed {rel} again")));
    }
    Ok(dir)
}

/// The template of `slot`, checked against the contract's trait.
pub(crate) fn template_for(slot: &SlotTrait) -> Result<&'static Template> {
    let known: Vec<&str> = TEMPLATES.iter().map(|t| t.slot).collect();
    let Some(template) = TEMPLATES.iter().find(|t| t.slot == slot.slot) else {
        bail!(
            "--slot `{}`: no template for slot `{}` (the xtask has templates for: {}); write the crate \
             by hand and add it to the team file",
            slot.slot,
            slot.slot,
            known.join(", ")
        );
    };
    if template.methods != slot.methods.as_slice() {
        bail!(
            "--slot `{}`: the xtask's template implements {:?} but trait `{}` declares {:?}; update \
             TEMPLATES in xtask/src/new_plugin.rs",
            slot.slot,
            template.methods,
            slot.trait_name,
            slot.methods
        );
    }
    Ok(template)
}

fn use_line(items: &[&str]) -> String {
    if items.len() == 1 {
        format!("use edge_contract::{};\n", items[0])
    } else {
        format!("use edge_contract::{{{}}};\n", items.join(", "))
    }
}

/// `items` sorted as rustfmt sorts a `use` list (uppercase before lowercase).
fn sorted<'a>(items: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut items: Vec<&str> = items.into_iter().collect();
    items.sort_by_key(|item| (!item.starts_with(char::is_uppercase), *item));
    items.dedup();
    items
}

fn write_crate(
    dir: &Path,
    args: &NewPlugin,
    name: &str,
    version: &semver::Version,
    slot: &SlotTrait,
    template: &Template,
) -> Result<()> {
    let package = &args.package;
    let team = &args.team;
    let trait_name = slot.trait_name.as_str();
    let ty = type_name(package);
    let manifest = format!(
        "[package]\nname = \"{package}\"\ndescription = \"{team}'s `{name}` plugin for the `{}` slot, \
         release {version}.\"\nversion = \"{version}\"\nedition.workspace = true\n\
         rust-version.workspace = true\nlicense.workspace = true\npublish.workspace = true\n\n\
         [dependencies]\nmuster.workspace = true\nedge-contract.workspace = true\n\n[lints]\nworkspace = true\n",
        slot.slot
    );
    let name_arg = if name == package.as_str() {
        String::new()
    } else {
        format!(",\n    name = \"{name}\"")
    };
    let prerelease = !version.pre.is_empty();
    let policy = if prerelease {
        "    // A pre-release: selected only when the policy allows pre-releases.\n    \
         let policy = Policy::from_flags(&[] as &[&str], &[] as &[&str], true).unwrap();\n"
    } else {
        "    let policy = Policy::new();\n"
    };
    let lib = format!(
        "//! `{name}` {version}, {team}'s plugin for the `{slot_name}` slot.\n\
         //!\n\
         //! Scaffolded by `cargo xtask new-plugin`: the bodies are working placeholders;\n\
         //! replace them, and keep the test that selects this version on this host.\n\
         #![forbid(unsafe_code)]\n\
         \n\
         {imports}\
         \n\
         /// `{name}` {version} for the `{slot_name}` slot.\n\
         #[derive(Debug, Default)]\n\
         #[muster::plugin(\n    slot = {trait_name},\n    version = \"{version}\",\n    team = \"{team}\"{name_arg}\n)]\n\
         pub struct {ty};\n\
         \n\
         impl {trait_name} for {ty} {{\n{body}}}\n\
         \n\
         #[cfg(test)]\n\
         mod tests {{\n\
         {test_imports}\
         \x20   use muster::{{Facts, Policy, Selector}};\n\
         \n\
         \x20   /// Only this crate's versions are linked into its tests, so it must win.\n\
         \x20   #[test]\n\
         \x20   fn is_selected_on_this_host() {{\n\
         \x20       let facts = Facts::probe();\n\
         {policy}\
         \x20       let selected = Selector::new(&facts, &policy)\n\
         \x20           .select::<dyn {trait_name}>()\n\
         \x20           .unwrap_or_else(|err| panic!(\"{{err}}\"));\n\
         \x20       assert_eq!(selected.version().to_string(), \"{version}\");\n\
         \x20       assert_eq!(selected.registration().meta().name(), \"{name}\");\n\
         {test}\
         \x20   }}\n\
         }}\n",
        slot_name = slot.slot,
        imports = use_line(&sorted(
            std::iter::once(trait_name).chain(template.imports.iter().copied())
        )),
        body = template.body.replace("{package}", package),
        test_imports = indent(&use_line(&sorted(
            std::iter::once(trait_name).chain(template.test_imports.iter().copied())
        ))),
        policy = indent(policy),
        test = indent(template.test),
    );
    std::fs::create_dir_all(dir.join("src"))
        .with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(dir.join("Cargo.toml"), manifest)?;
    std::fs::write(dir.join("src").join("lib.rs"), lib)?;
    Ok(())
}

/// Indents every non-empty line by four spaces.
fn indent(text: &str) -> String {
    text.lines()
        .map(|line| {
            if line.is_empty() {
                "\n".to_owned()
            } else {
                format!("    {line}\n")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::new_plugin::{sorted, type_name};

    #[test]
    fn type_names_are_camel_case() {
        assert_eq!(type_name("checksum-fast"), "ChecksumFast");
        assert_eq!(type_name("uplink_v2"), "UplinkV2");
    }

    #[test]
    fn imports_sort_like_rustfmt() {
        assert_eq!(
            sorted(["Uplink", "write_atomically", "Report", "Report"]),
            ["Report", "Uplink", "write_atomically"]
        );
    }
}
