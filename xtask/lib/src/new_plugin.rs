//! `cargo xtask new-plugin`: scaffolds a plugin crate in `plugins/<team>/<name>/` that
//! compiles and passes its generated test, adds it to `teams/<team>.toml` (enabled),
//! and syncs the app.
//!
//! Method bodies come from the contract: `templates/<slot>.toml` in the contract
//! package, checked against the trait (a template that no longer matches it is refused
//! instead of generating a crate that does not compile). A slot without a template gets
//! a generic skeleton from the trait's signatures: it compiles, each body says what to
//! write, and the team file entry is added disabled until someone writes them.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;

use crate::cargo_meta::manifest::{is_package_name, package_name};
use crate::config::source::SourceFile;
use crate::config::{self, Config, SlotTrait};
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
        self.run_at(&project::current_root()?)
    }

    /// The command in the workspace at `root`.
    pub(crate) fn run_at(&self, root: &Path) -> Result<()> {
        let project = Project::at(root)?;
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
             {}, {}, {} and Cargo.lock",
            self.package,
            project.display(&dir),
            project.display(&project.teams_dir().join(format!("{}.toml", self.team))),
            project.display(&project.app_manifest()),
            project.display(&project.app_plugins_rs()),
        );
        Ok(())
    }
}

/// How `new-plugin` fills a plugin for one slot: from the contract's
/// `templates/<slot>.toml`, or a generic skeleton built from the trait's signatures.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Template {
    /// Items of the contract `src/lib.rs` uses besides the trait.
    imports: Vec<String>,
    /// The `impl` block's body. `{package}` is replaced.
    body: String,
    /// Items of the contract the test module uses besides the trait.
    test_imports: Vec<String>,
    /// Statements exercising `selected` (the chosen instance) in the generated test.
    test: String,
    /// A generic skeleton (no template shipped): bodies to fill in, not enabled.
    skeleton: bool,
    /// Import the whole contract (`use <contract>::*;`): the skeleton's signatures may
    /// name any of its types.
    glob_import: bool,
}

impl Template {
    /// A generic skeleton: the contract ships no template for the slot.
    pub(crate) fn is_skeleton(&self) -> bool {
        self.skeleton
    }
}

/// `templates/<slot>.toml` in a contract package.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct TemplateFile {
    #[serde(default)]
    imports: Vec<String>,
    body: String,
    #[serde(default)]
    test_imports: Vec<String>,
    #[serde(default)]
    test: String,
}

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
            && let Some(name) = package_name(&table)
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
    let (version, name) = check_arguments(args)?;
    let config = Config::load(project)?;
    let traits = config::contract_traits(project)?;
    let Some(slot) = traits.iter().find(|t| t.slot == args.slot) else {
        let known: Vec<&str> = traits.iter().map(|t| t.slot.as_str()).collect();
        bail!(
            "--slot `{}`: unknown slot (the contract declares: {})",
            args.slot,
            known.join(", ")
        );
    };
    let template = template_for(project, slot)?;
    let rel = format!(
        "{}/{}/{package}",
        project.display(&project.settings.plugins),
        args.team
    );
    let dir = project.root.join(&rel);
    check_free(project, &config, args, &version, &dir, &rel)?;
    let team_path = project.teams_dir().join(format!("{}.toml", args.team));
    let scaffold = Scaffold {
        old_team: std::fs::read_to_string(&team_path).ok(),
        team_path,
        dir,
        rel,
        name,
        version,
        slot,
        template,
    };
    if let Err(err) = scaffold.write(project, args) {
        scaffold.undo();
        return Err(err.context(format!("new-plugin: removed {} again", scaffold.rel)));
    }
    Ok(scaffold.dir)
}

/// The plugin's version and name, with the package and team names checked.
fn check_arguments(args: &NewPlugin) -> Result<(semver::Version, String)> {
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
    Ok((version, name))
}

/// Nothing of the new plugin exists yet: no package of its name (declared or in the
/// workspace), no directory, no enabled twin of its slot and version.
fn check_free(
    project: &Project,
    config: &Config,
    args: &NewPlugin,
    version: &semver::Version,
    dir: &Path,
    rel: &str,
) -> Result<()> {
    let package = &args.package;
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
        .find(|p| p.enabled && p.slot == args.slot && &p.version == version)
    {
        bail!(
            "--version `{version}`: version {version} of slot `{}` is already enabled ({} at {}); \
             two registrations of one version are never selected",
            args.slot,
            twin.package,
            twin.origin
        );
    }
    Ok(())
}

/// A plugin being added: what is written, and what to restore if a step fails.
struct Scaffold<'a> {
    /// The team file, and its text before (`None`: it did not exist).
    team_path: PathBuf,
    old_team: Option<String>,
    /// The crate's directory, absolute and as shown.
    dir: PathBuf,
    rel: String,
    name: String,
    version: semver::Version,
    slot: &'a SlotTrait,
    template: Template,
}

impl Scaffold<'_> {
    /// Writes the crate and its team file entry, then syncs.
    fn write(&self, project: &Project, args: &NewPlugin) -> Result<()> {
        let (package, name, version, rel) = (&args.package, &self.name, &self.version, &self.rel);
        write_crate(&self.dir, args, name, version, self.slot, &self.template)?;
        let mut team = self.old_team.clone().unwrap_or_else(|| {
            format!(
                "# Team {}: its plugins. Only this team edits this file.\n",
                args.team
            )
        });
        if !team.ends_with('\n') {
            team.push('\n');
        }
        team.push_str(&format!(
            "\n[[plugin]]\npackage = \"{package}\"\nslot = \"{}\"\nname = \"{name}\"\n\
             version = \"{version}\"\nenabled = {}\npath = \"{rel}\"\n",
            args.slot,
            !self.template.is_skeleton()
        ));
        std::fs::create_dir_all(project.teams_dir())?;
        std::fs::write(&self.team_path, team)
            .with_context(|| format!("cannot write {}", self.team_path.display()))?;
        eprintln!(
            "new-plugin: wrote {rel}/Cargo.toml, {rel}/src/lib.rs; added it to {}",
            project.display(&self.team_path)
        );
        if self.template.is_skeleton() {
            eprintln!(
                "note: the contract ships no template for slot `{}` ({}): {rel}/src/lib.rs is a \
                 skeleton whose methods panic with what to write; it is added with \
                 `enabled = false` until they are written",
                args.slot,
                project.display(&template_path(self.slot))
            );
        }
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
    }

    /// Removes the crate and restores the team file.
    fn undo(&self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        match &self.old_team {
            Some(text) => {
                let _ = std::fs::write(&self.team_path, text);
            }
            None => {
                let _ = std::fs::remove_file(&self.team_path);
            }
        }
    }
}

/// The template file of `slot` in its contract package.
pub(crate) fn template_path(slot: &SlotTrait) -> PathBuf {
    slot.package_dir
        .join("templates")
        .join(format!("{}.toml", slot.slot))
}

/// The template of `slot`: its contract's `templates/<slot>.toml`, checked against the
/// trait (its `fn`s must be the trait's, every required one included), else a generic
/// skeleton from the trait's signatures.
pub(crate) fn template_for(project: &Project, slot: &SlotTrait) -> Result<Template> {
    let path = template_path(slot);
    let shown = project.display(&path);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return skeleton(slot),
        Err(err) => return Err(err).with_context(|| format!("cannot read {shown}")),
    };
    let file = SourceFile {
        name: shown.clone(),
        text,
    };
    let raw: TemplateFile = file.parse().map_err(anyhow::Error::msg)?;
    let block: syn::ItemImpl = syn::parse_str(&format!(
        "impl {} for Plugin {{\n{}}}",
        slot.trait_name, raw.body
    ))
    .map_err(|err| anyhow::anyhow!("{shown}: `body` is not an impl block's body: {err}"))?;
    let methods: Vec<String> = block
        .items
        .iter()
        .filter_map(|item| match item {
            syn::ImplItem::Fn(f) => Some(f.sig.ident.to_string()),
            _ => None,
        })
        .collect();
    let missing = slot
        .required
        .iter()
        .any(|(name, _)| !methods.contains(name));
    let unknown = methods.iter().any(|m| !slot.methods.contains(m));
    if missing || unknown {
        bail!(
            "--slot `{}`: template {shown} implements {methods:?} but trait `{}` declares {:?}; \
             update the template",
            slot.slot,
            slot.trait_name,
            slot.methods
        );
    }
    Ok(Template {
        imports: raw.imports,
        body: raw.body,
        test_imports: raw.test_imports,
        test: raw.test,
        skeleton: false,
        glob_import: false,
    })
}

/// The generic skeleton: each required method with the trait's signature and a body
/// that says what to write (it compiles; calling it panics with that message).
fn skeleton(slot: &SlotTrait) -> Result<Template> {
    if let Some(why) = &slot.unsupported {
        bail!(
            "--slot `{}`: trait `{}` has no template ({}) and a generic skeleton cannot implement \
             it: {why}; ship one in the contract or write the crate by hand",
            slot.slot,
            slot.trait_name,
            template_path(slot).display()
        );
    }
    let mut body = String::new();
    for (name, signature) in &slot.required {
        body.push_str(&format!(
            "    #[allow(unused_variables)] // Remove once written.\n    {signature} {{\n        unimplemented!(\"{{package}}: write `{}::{name}` \
             (scaffolded by cargo xtask new-plugin)\")\n    }}\n",
            slot.trait_name
        ));
    }
    Ok(Template {
        body,
        skeleton: true,
        glob_import: true,
        ..Template::default()
    })
}

fn use_line(krate: &str, items: &[&str]) -> String {
    if items.len() == 1 {
        format!("use {krate}::{};\n", items[0])
    } else {
        format!("use {krate}::{{{}}};\n", items.join(", "))
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
         [dependencies]\nmuster-rt.workspace = true\n{}.workspace = true\n\n[lints]\nworkspace = true\n",
        slot.slot, slot.package
    );
    let krate = slot.package.replace('-', "_");
    let imports = if template.glob_import {
        format!("use {krate}::*;\n")
    } else {
        use_line(
            &krate,
            &sorted(std::iter::once(trait_name).chain(template.imports.iter().map(String::as_str))),
        )
    };
    let name_arg = if name == package.as_str() {
        String::new()
    } else {
        format!(",\n    name = \"{name}\"")
    };
    let prerelease = !version.pre.is_empty();
    let policy = if prerelease {
        "    // A pre-release: selected only when the policy allows pre-releases.\n    \
         let policy = Policy::from_flags(&[], &[], &[], true).unwrap();\n"
    } else {
        "    let policy = Policy::new();\n"
    };
    let lib = format!(
        "//! `{name}` {version}, {team}'s plugin for the `{slot_name}` slot.\n\
         //!\n\
         {scaffolded}\
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
        scaffolded = if template.skeleton {
            "//! Scaffolded by `cargo xtask new-plugin` from the contract's trait (it ships no\n\
             //! template for this slot): each body panics saying what to write. Write them, keep\n\
             //! the test that selects this version, then set `enabled = true` in the team file.\n"
        } else {
            "//! Scaffolded by `cargo xtask new-plugin`: the bodies are working placeholders;\n\
             //! replace them, and keep the test that selects this version on this host.\n"
        },
        imports = imports,
        body = template.body.replace("{package}", package),
        test_imports = indent(&use_line(
            &krate,
            &sorted(
                std::iter::once(trait_name).chain(template.test_imports.iter().map(String::as_str))
            )
        )),
        policy = indent(policy),
        test = indent(&template.test),
    );
    std::fs::create_dir_all(dir.join("src"))
        .with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(dir.join("Cargo.toml"), manifest)?;
    let lib_path = dir.join("src").join("lib.rs");
    std::fs::write(&lib_path, lib)?;
    if template.skeleton {
        // The skeleton's signatures are printed tokens (`& self`): let rustfmt lay them out.
        let formatted = std::process::Command::new("rustfmt")
            .args(["--edition", "2024"])
            .arg(&lib_path)
            .status();
        if !formatted.is_ok_and(|s| s.success()) {
            eprintln!("note: rustfmt did not format {}", lib_path.display());
        }
    }
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
