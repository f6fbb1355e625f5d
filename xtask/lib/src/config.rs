//! Team files (`teams/<team>.toml`) and deployment sets (`sets/<set>.toml`): the model
//! and loading it (parsing is in `parse`, problem collection in `problems`, the
//! contract's slots in `contract`); every error names the file, line and column.

pub(crate) mod contract;
pub(crate) mod parse;
mod problems;

pub(crate) use crate::config::contract::{SlotTrait, contract_traits};
pub(crate) use crate::config::parse::is_package_name;
pub use crate::config::parse::parse_team;
pub(crate) use crate::config::problems::Problems;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use toml::Spanned;

use crate::config::contract::contract_slots;
use crate::config::parse::{RawSet, SourceFile, parse_team_file};
use crate::project::Project;

/// Everything the team files and sets say, validated.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Team name (file stem) to its file.
    pub(crate) teams: BTreeMap<String, Team>,
    /// Every declared plugin, sorted by package.
    pub(crate) plugins: Vec<Plugin>,
    /// Set name (file stem) to its file.
    pub(crate) sets: BTreeMap<String, Set>,
    /// Slots the contracts declare.
    pub(crate) slots: BTreeSet<String>,
    /// The set `build` builds by default: the host's `default` features.
    pub(crate) default_set: String,
    /// The host's directory, relative to the workspace root (`app`).
    pub(crate) host_dir: String,
    /// The team files' directory, relative to the root (`teams`).
    pub(crate) teams_dir: String,
    /// The sets' directory, relative to the root (`sets`).
    pub(crate) sets_dir: String,
}

/// One team file.
#[derive(Debug, Clone)]
pub(crate) struct Team {
    pub(crate) file: String,
    pub(crate) description: Option<String>,
}

/// One plugin version (one `#[muster::plugin]` registration), as a team file declares
/// it. A package that registers several has one `Plugin` per registration, sharing
/// package, source, `enabled` and `declared_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plugin {
    pub(crate) team: String,
    /// Cargo package name.
    pub(crate) package: String,
    /// Rust crate name (`CARGO_CRATE_NAME`): the package with `-` as `_` unless overridden.
    pub(crate) crate_name: String,
    pub(crate) slot: String,
    /// The `name` in `#[muster::plugin]`.
    pub(crate) name: String,
    /// The `version` in `#[muster::plugin]` (never derived from folder names).
    pub(crate) version: semver::Version,
    /// Whether the team ships it in the sets that name the team.
    pub(crate) enabled: bool,
    pub(crate) source: PluginSource,
    /// `teams/<team>.toml:<line>:<column>` of the registration (the `[[plugin]]`
    /// entry, or its `[[plugin.registration]]`).
    pub(crate) origin: String,
    /// `teams/<team>.toml:<line>:<column>` of the `[[plugin]]` entry that declares the
    /// package (shared by all registrations of one package).
    pub(crate) declared_at: String,
}

impl Plugin {
    /// The app feature that enables this plugin.
    pub(crate) fn feature(&self) -> String {
        format!("plugin-{}", self.package)
    }
}

/// Where a plugin crate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PluginSource {
    /// A directory: relative to the workspace root, or absolute.
    Path(String),
    /// A git repository at a tag or a revision.
    Git { url: String, reference: GitRef },
}

/// A fixed point in a git repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GitRef {
    Tag(String),
    Rev(String),
}

impl GitRef {
    pub(crate) fn key(&self) -> &'static str {
        match self {
            GitRef::Tag(_) => "tag",
            GitRef::Rev(_) => "rev",
        }
    }

    pub(crate) fn value(&self) -> &str {
        match self {
            GitRef::Tag(value) | GitRef::Rev(value) => value,
        }
    }
}

impl fmt::Display for PluginSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PluginSource::Path(path) => write!(f, "path:{path}"),
            PluginSource::Git { url, reference } => {
                write!(f, "git:{url}?{}={}", reference.key(), reference.value())
            }
        }
    }
}

/// One deployment set: which plugins go into one binary.
#[derive(Debug, Clone)]
pub(crate) struct Set {
    pub(crate) file: String,
    pub(crate) description: Option<String>,
    /// Teams whose enabled plugins the set takes.
    pub(crate) teams: Vec<String>,
    /// Further plugins (packages), enabled by their team or not.
    pub(crate) plugins: Vec<String>,
    /// Packages to leave out.
    pub(crate) exclude: Vec<String>,
}

/// The `*.toml` files of `dir`, sorted; none if it does not exist.
fn toml_files(dir: &Path) -> Result<Vec<PathBuf>> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "toml") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn read(project: &Project, path: &Path) -> Result<SourceFile> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(SourceFile {
        name: project.display(path),
        text,
    })
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

impl Config {
    /// Reads and validates `teams/*.toml`, `sets/*.toml` and the contract's slots.
    pub(crate) fn load(project: &Project) -> Result<Config> {
        let slots = contract_slots(project)?;
        let mut problems = Problems::default();
        let mut teams = BTreeMap::new();
        let mut plugins: Vec<Plugin> = Vec::new();
        let team_files = toml_files(&project.teams_dir())?;
        if team_files.is_empty() {
            problems.push(format!(
                "{}: no team files (`<team>.toml`)",
                project.display(&project.teams_dir())
            ));
        }
        for path in team_files {
            let file = read(project, &path)?;
            let team = stem(&path);
            if !is_package_name(&team) {
                problems.push(format!(
                    "{}: team name `{team}` (the file name) must be letters, digits, `-`, `_`",
                    file.name
                ));
            }
            let Some((description, found)) = parse_team_file(&file, &team, &slots, &mut problems)
            else {
                continue;
            };
            plugins.extend(found);
            teams.insert(
                team,
                Team {
                    file: file.name,
                    description,
                },
            );
        }

        plugins.sort_by(|a, b| a.package.cmp(&b.package));
        for pair in plugins.windows(2) {
            if pair[0].package == pair[1].package && pair[0].declared_at != pair[1].declared_at {
                problems.push(format!(
                    "{}: package `{}` is declared twice (also at {}); one `[[plugin]]` \
                     lists every registration of a package (`[[plugin.registration]]`)",
                    pair[1].declared_at, pair[1].package, pair[0].declared_at
                ));
            }
        }
        let mut enabled: BTreeMap<(&str, &semver::Version), &Plugin> = BTreeMap::new();
        for plugin in plugins.iter().filter(|p| p.enabled) {
            if let Some(first) = enabled.insert((&plugin.slot, &plugin.version), plugin) {
                problems.push(format!(
                    "{}: {} version {} of slot `{}` is enabled twice (`{}` here, `{}` at {}); \
                     two registrations of one version are ambiguous and never selected",
                    plugin.origin,
                    plugin.name,
                    plugin.version,
                    plugin.slot,
                    plugin.package,
                    first.package,
                    first.origin
                ));
            }
        }

        let mut sets = BTreeMap::new();
        let set_files = toml_files(&project.sets_dir())?;
        for path in set_files {
            let file = read(project, &path)?;
            let raw: RawSet = match file.parse() {
                Ok(raw) => raw,
                Err(problem) => {
                    problems.push(problem);
                    continue;
                }
            };
            let mut names =
                |list: Vec<Spanned<String>>, known: &dyn Fn(&str) -> bool, what: &str| {
                    let mut seen = BTreeSet::new();
                    let mut out = Vec::new();
                    for item in list {
                        let at = file.at(item.span());
                        let name = item.into_inner();
                        if !known(&name) {
                            problems.push(format!("{at}: unknown {what} `{name}`"));
                        } else if !seen.insert(name.clone()) {
                            problems.push(format!("{at}: {what} `{name}` is listed twice"));
                        } else {
                            out.push(name);
                        }
                    }
                    out
                };
            let known_team = |name: &str| teams.contains_key(name);
            let known_plugin = |name: &str| plugins.iter().any(|p| p.package == name);
            let set = Set {
                teams: names(raw.teams, &known_team, "team"),
                plugins: names(raw.plugins, &known_plugin, "plugin"),
                exclude: names(raw.exclude, &known_plugin, "plugin"),
                file: file.name,
                description: raw.description,
            };
            sets.insert(stem(&path), set);
        }
        let default_set = project.settings.default_set.clone();
        if !sets.contains_key(&default_set) {
            problems.push(format!(
                "{}: no `{default_set}.toml`: the default set is what `cargo xtask build` builds",
                project.display(&project.sets_dir())
            ));
        }
        problems.into_result("team files and sets")?;
        let config = Config {
            teams,
            plugins,
            sets,
            slots,
            default_set,
            host_dir: project.host_dir().display().to_string(),
            teams_dir: project.display(&project.teams_dir()),
            sets_dir: project.display(&project.sets_dir()),
        };
        let mut problems = Problems::default();
        for name in config.sets.keys() {
            if let Err(err) = config.resolve(name) {
                problems.push(format!("{err:#}"));
            }
        }
        problems.into_result("sets")?;
        Ok(config)
    }

    /// One plugin per package (its first registration): what gets a feature, a
    /// dependency, a `use` line and a source check. Sorted by package.
    pub(crate) fn packages(&self) -> Vec<&Plugin> {
        let mut packages: Vec<&Plugin> = self.plugins.iter().collect();
        packages.dedup_by(|a, b| a.package == b.package);
        packages
    }

    /// The plugins of set `name`, sorted by slot, then version.
    pub(crate) fn resolve(&self, name: &str) -> Result<Vec<&Plugin>> {
        let Some(set) = self.sets.get(name) else {
            let known: Vec<&str> = self.sets.keys().map(String::as_str).collect();
            bail!("unknown set `{name}` (known: {})", known.join(", "));
        };
        let mut chosen: Vec<&Plugin> = self
            .plugins
            .iter()
            .filter(|p| {
                (p.enabled && set.teams.contains(&p.team)) || set.plugins.contains(&p.package)
            })
            .filter(|p| !set.exclude.contains(&p.package))
            .collect();
        chosen.sort_by(|a, b| {
            (&a.slot, &a.version, &a.package).cmp(&(&b.slot, &b.version, &b.package))
        });
        for pair in chosen.windows(2) {
            if pair[0].slot == pair[1].slot && pair[0].version == pair[1].version {
                bail!(
                    "{}: version {} of slot `{}` is in the set twice (`{}` and `{}`)",
                    set.file,
                    pair[0].version,
                    pair[0].slot,
                    pair[0].package,
                    pair[1].package
                );
            }
        }
        if chosen.is_empty() {
            bail!("{}: set `{name}` has no plugins", set.file);
        }
        Ok(chosen)
    }
}
