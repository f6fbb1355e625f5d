//! The TOML of team and set files: strict parsing with spans (every problem names
//! `file:line:column`), and turning each `[[plugin]]` entry into a validated [`Plugin`].

use std::collections::BTreeSet;

use serde::Deserialize;
use toml::Spanned;

use crate::cargo_meta::manifest::is_package_name;
use crate::config::model::{GitRef, Plugin, PluginSource};
use crate::config::problems::Problems;
use crate::config::source::SourceFile;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTeam {
    description: Option<String>,
    #[serde(default, rename = "plugin")]
    plugins: Vec<Spanned<RawPlugin>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlugin {
    package: Spanned<String>,
    #[serde(rename = "crate")]
    crate_name: Option<Spanned<String>>,
    slot: Option<Spanned<String>>,
    name: Option<Spanned<String>>,
    version: Option<Spanned<String>>,
    /// Several registrations of one package (instead of `slot`, `name`, `version`).
    #[serde(default, rename = "registration")]
    registrations: Vec<Spanned<RawRegistration>>,
    enabled: bool,
    path: Option<Spanned<String>>,
    git: Option<Spanned<String>>,
    tag: Option<Spanned<String>>,
    rev: Option<Spanned<String>>,
}

/// One `#[muster::plugin]` of a package: `[[plugin.registration]]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegistration {
    slot: Spanned<String>,
    name: Spanned<String>,
    version: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSet {
    pub(crate) description: Option<String>,
    #[serde(default)]
    pub(crate) teams: Vec<Spanned<String>>,
    #[serde(default)]
    pub(crate) plugins: Vec<Spanned<String>>,
    #[serde(default)]
    pub(crate) exclude: Vec<Spanned<String>>,
}

fn is_ident(name: &str) -> bool {
    !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

/// Parses one team file and validates each entry (against the contract's `slots`);
/// returns its description and valid plugins, pushing every problem found. `None`
/// when the file is not even a well-formed team file.
pub(crate) fn parse_team_file(
    file: &SourceFile,
    team: &str,
    slots: &BTreeSet<String>,
    problems: &mut Problems,
) -> Option<(Option<String>, Vec<Plugin>)> {
    let raw: RawTeam = match file.parse() {
        Ok(raw) => raw,
        Err(problem) => {
            problems.push(problem);
            return None;
        }
    };
    let plugins = raw
        .plugins
        .into_iter()
        .flat_map(|entry| {
            let origin = file.at(entry.span());
            validate_plugin(file, team, entry.into_inner(), origin, slots, problems)
        })
        .collect();
    Some((raw.description, plugins))
}

/// Parses and validates the text of one team file named `name` (for `teams/<team>.toml`)
/// as `cargo xtask check` does, against the slot names `slots`: the packages it
/// declares, or every problem (each naming `name:line:column`). Pure: no disk access;
/// the entry point of the `team_file` fuzz target.
pub fn parse_team(
    name: &str,
    team: &str,
    text: &str,
    slots: &BTreeSet<String>,
) -> Result<Vec<String>, Vec<String>> {
    let file = SourceFile {
        name: name.to_owned(),
        text: text.to_owned(),
    };
    let mut problems = Problems::default();
    let parsed = parse_team_file(&file, team, slots, &mut problems);
    match parsed {
        Some((_, plugins)) if problems.is_empty() => {
            let mut packages: Vec<String> = plugins.into_iter().map(|p| p.package).collect();
            packages.dedup();
            Ok(packages)
        }
        _ => Err(problems.0),
    }
}

fn validate_plugin(
    file: &SourceFile,
    team: &str,
    mut raw: RawPlugin,
    origin: String,
    slots: &BTreeSet<String>,
    problems: &mut Problems,
) -> Vec<Plugin> {
    let before = problems.0.len();
    let package = raw.package.get_ref().clone();
    if !is_package_name(&package) {
        problems.push(format!(
            "{}: `{package}` is not a valid package name",
            file.at(raw.package.span())
        ));
    }
    let crate_name = crate_name_of(file, &package, raw.crate_name.as_ref(), problems);
    let registrations = registrations_of(file, &origin, &package, &mut raw, problems);
    let registered = check_registrations(file, registrations, slots, problems);
    let source = source_of(file, &origin, &package, &mut raw, problems);
    if problems.0.len() != before {
        return Vec::new();
    }
    let Some(source) = source else {
        return Vec::new();
    };
    registered
        .into_iter()
        .map(|(at, slot, name, version)| Plugin {
            team: team.to_string(),
            package: package.clone(),
            crate_name: crate_name.clone(),
            slot,
            name,
            version,
            enabled: raw.enabled,
            source: source.clone(),
            origin: at,
            declared_at: origin.clone(),
        })
        .collect()
}

/// The entry's crate name: its `crate`, else the package's name with `_` for `-`.
fn crate_name_of(
    file: &SourceFile,
    package: &str,
    crate_name: Option<&Spanned<String>>,
    problems: &mut Problems,
) -> String {
    match crate_name {
        Some(name) => {
            if !is_ident(name.get_ref()) {
                problems.push(format!(
                    "{}: `{}` is not a valid crate name",
                    file.at(name.span()),
                    name.get_ref()
                ));
            }
            name.get_ref().clone()
        }
        None => package.replace('-', "_"),
    }
}

/// What the package registers, each with where it is written: the entry's own
/// `slot`/`name`/`version`, or each `[[plugin.registration]]`.
fn registrations_of(
    file: &SourceFile,
    origin: &str,
    package: &str,
    raw: &mut RawPlugin,
    problems: &mut Problems,
) -> Vec<(String, RawRegistration)> {
    // What the package registers: the entry's own `slot`/`name`/`version`, or each
    // `[[plugin.registration]]` (one crate, several versions or slots).
    let inline_key = [&raw.slot, &raw.name, &raw.version]
        .into_iter()
        .flatten()
        .next()
        .map(|key| file.at(key.span()));
    if raw.registrations.is_empty() {
        match (raw.slot.take(), raw.name.take(), raw.version.take()) {
            (Some(slot), Some(name), Some(version)) => vec![(
                origin.to_owned(),
                RawRegistration {
                    slot,
                    name,
                    version,
                },
            )],
            (slot, name, version) => {
                let missing: Vec<&str> = [("slot", slot.is_none()), ("name", name.is_none())]
                    .into_iter()
                    .chain([("version", version.is_none())])
                    .filter(|(_, missing)| *missing)
                    .map(|(key, _)| key)
                    .collect();
                problems.push(format!(
                    "{origin}: plugin `{package}` lacks `{}`: give `slot`, `name` and `version`, \
                     or one `[[plugin.registration]]` per `#[muster::plugin]` of the crate",
                    missing.join("`, `")
                ));
                Vec::new()
            }
        }
    } else {
        if let Some(at) = inline_key {
            problems.push(format!(
                "{at}: plugin `{package}` has `[[plugin.registration]]` entries: its `slot`, \
                 `name` and `version` go in them, not in `[[plugin]]`"
            ));
        }
        std::mem::take(&mut raw.registrations)
            .into_iter()
            .map(|r| (file.at(r.span()), r.into_inner()))
            .collect()
    }
}

/// The registrations whose slot, name and version are valid, as
/// `(where, slot, name, version)`.
fn check_registrations(
    file: &SourceFile,
    registrations: Vec<(String, RawRegistration)>,
    slots: &BTreeSet<String>,
    problems: &mut Problems,
) -> Vec<(String, String, String, semver::Version)> {
    let mut registered = Vec::new();
    for (at, r) in registrations {
        let slot = r.slot.get_ref().clone();
        if !slots.contains(&slot) {
            let known: Vec<&str> = slots.iter().map(String::as_str).collect();
            problems.push(format!(
                "{}: unknown slot `{slot}` (the contract declares: {})",
                file.at(r.slot.span()),
                known.join(", ")
            ));
        }
        if r.name.get_ref().trim().is_empty() {
            problems.push(format!("{}: empty plugin name", file.at(r.name.span())));
        }
        match semver::Version::parse(r.version.get_ref()) {
            Ok(version) => registered.push((at, slot, r.name.into_inner(), version)),
            Err(err) => problems.push(format!(
                "{}: version `{}` is not semver: {err}",
                file.at(r.version.span()),
                r.version.get_ref()
            )),
        }
    }
    registered
}

/// Where the package comes from: a `path`, or a `git` URL with a `tag` or a `rev`.
fn source_of(
    file: &SourceFile,
    origin: &str,
    package: &str,
    raw: &mut RawPlugin,
    problems: &mut Problems,
) -> Option<PluginSource> {
    match (raw.path.take(), raw.git.take()) {
        (Some(path), None) => {
            for key in [&raw.tag, &raw.rev].into_iter().flatten() {
                problems.push(format!(
                    "{}: `tag`/`rev` only go with `git`",
                    file.at(key.span())
                ));
            }
            if path.get_ref().trim().is_empty() {
                problems.push(format!("{}: empty `path`", file.at(path.span())));
            }
            Some(PluginSource::Path(path.into_inner()))
        }
        (None, Some(git)) => {
            let reference = match (raw.tag.take(), raw.rev.take()) {
                (Some(tag), None) => Some(GitRef::Tag(tag.into_inner())),
                (None, Some(rev)) => Some(GitRef::Rev(rev.into_inner())),
                (Some(_), Some(rev)) => {
                    problems.push(format!(
                        "{}: give `tag` or `rev`, not both",
                        file.at(rev.span())
                    ));
                    None
                }
                (None, None) => {
                    problems.push(format!(
                        "{}: a `git` source needs a `tag` or a `rev` (a branch is not a fixed point)",
                        file.at(git.span())
                    ));
                    None
                }
            };
            reference.map(|reference| PluginSource::Git {
                url: git.into_inner(),
                reference,
            })
        }
        (Some(_), Some(git)) => {
            problems.push(format!(
                "{}: give `path` or `git`, not both",
                file.at(git.span())
            ));
            None
        }
        (None, None) => {
            problems.push(format!("{origin}: plugin `{package}` has no source: add `path = \"...\"` or `git = \"...\"`"));
            None
        }
    }
}
