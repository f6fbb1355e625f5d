//! Loading the model: every team file and set read, validated against the contract's
//! slots and each other, every problem collected before one error names them all.
//! A problem's consequences are not reported again: a set naming a team whose file
//! could not be read, or a plugin whose entry was refused, adds no second message.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use toml::Spanned;

use crate::cargo_meta::manifest::is_package_name;
use crate::config::contract::contract_slots;
use crate::config::model::{Config, Plugin, Set, Team};
use crate::config::parse::{RawSet, parse_team_file};
use crate::config::problems::Problems;
use crate::config::source::SourceFile;
use crate::project::Project;

impl Config {
    /// Reads and validates `teams/*.toml`, `sets/*.toml` and the contract's slots.
    pub(crate) fn load(project: &Project) -> Result<Config> {
        let slots = contract_slots(project)?;
        let mut problems = Problems::default();
        let (teams, plugins, reported) = read_teams(project, &slots, &mut problems)?;
        check_plugins(&plugins, &mut problems);
        let sets = read_sets(project, &teams, &plugins, &reported, &mut problems)?;
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
        config.check_sets_resolve()?;
        Ok(config)
    }

    /// Every set resolves (no version twice, not empty).
    fn check_sets_resolve(&self) -> Result<()> {
        let mut problems = Problems::default();
        for name in self.sets.keys() {
            if let Err(err) = self.resolve(name) {
                problems.push(format!("{err:#}"));
            }
        }
        problems.into_result("sets")
    }
}

/// Teams and packages that exist in the team files but were dropped because a problem
/// was already reported for them: a set naming one is a consequence of that problem,
/// not a second mistake (one mistake, one message).
#[derive(Default)]
struct Reported {
    /// Team files that exist but could not be read as team files.
    teams: BTreeSet<String>,
    /// Packages a team file names (read leniently) whose entry was refused.
    packages: BTreeSet<String>,
    /// A team file that is not even TOML: any package may be in it.
    any_package: bool,
}

/// The team files: each team and every plugin they declare, sorted by package, and
/// what was dropped because of a problem already reported.
fn read_teams(
    project: &Project,
    slots: &BTreeSet<String>,
    problems: &mut Problems,
) -> Result<(BTreeMap<String, Team>, Vec<Plugin>, Reported)> {
    let mut teams = BTreeMap::new();
    let mut plugins: Vec<Plugin> = Vec::new();
    let mut reported = Reported::default();
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
        let before = problems.0.len();
        let parsed = parse_team_file(&file, &team, slots, problems);
        if problems.0.len() > before {
            match declared_packages(&file.text) {
                Some(named) => reported.packages.extend(named),
                None => reported.any_package = true,
            }
        }
        let Some((description, found)) = parsed else {
            reported.teams.insert(team);
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
    for plugin in &plugins {
        reported.packages.remove(&plugin.package);
    }
    Ok((teams, plugins, reported))
}

/// The `package` of every `[[plugin]]` of a team file's text, read leniently (any
/// other key may be wrong); `None` if the text is not TOML.
fn declared_packages(text: &str) -> Option<BTreeSet<String>> {
    let table: toml::Table = toml::from_str(text).ok()?;
    Some(
        table
            .get("plugin")
            .and_then(toml::Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|entry| entry.get("package")?.as_str().map(str::to_owned))
            .collect(),
    )
}

/// No package declared twice, no version of a slot enabled twice.
fn check_plugins(plugins: &[Plugin], problems: &mut Problems) {
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
}

/// The sets, each list checked against the teams and plugins.
fn read_sets(
    project: &Project,
    teams: &BTreeMap<String, Team>,
    plugins: &[Plugin],
    reported: &Reported,
    problems: &mut Problems,
) -> Result<BTreeMap<String, Set>> {
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
        let mut names = |list: Vec<Spanned<String>>,
                         known: &dyn Fn(&str) -> bool,
                         dropped: &dyn Fn(&str) -> bool,
                         what: &str| {
            let mut seen = BTreeSet::new();
            let mut out = Vec::new();
            for item in list {
                let at = file.at(item.span());
                let name = item.into_inner();
                if !known(&name) {
                    // Dropped because of a problem already reported: not a second one.
                    if !dropped(&name) {
                        problems.push(format!("{at}: unknown {what} `{name}`"));
                    }
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
        let dropped_team = |name: &str| reported.teams.contains(name);
        let dropped_plugin = |name: &str| reported.any_package || reported.packages.contains(name);
        let set = Set {
            teams: names(raw.teams, &known_team, &dropped_team, "team"),
            plugins: names(raw.plugins, &known_plugin, &dropped_plugin, "plugin"),
            exclude: names(raw.exclude, &known_plugin, &dropped_plugin, "plugin"),
            file: file.name,
            description: raw.description,
        };
        sets.insert(stem(&path), set);
    }
    Ok(sets)
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

/// A file of the workspace, named as errors show it.
fn read(project: &Project, path: &Path) -> Result<SourceFile> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(SourceFile {
        name: project.display(path),
        text,
    })
}

/// A team's or set's name: its file's stem.
fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}
