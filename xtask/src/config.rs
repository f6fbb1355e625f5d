//! Team files (`teams/<team>.toml`) and deployment sets (`sets/<set>.toml`): strict
//! parsing, then validation; every error names the file, line and column, and the problem.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use toml::Spanned;

use crate::project::{Project, line_col};

/// The set `cargo xtask build` builds, and the app's `default` features.
pub(crate) const DEFAULT_SET: &str = "default";

/// Everything the team files and sets say, validated.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Team name (file stem) to its file.
    pub(crate) teams: BTreeMap<String, Team>,
    /// Every declared plugin, sorted by package.
    pub(crate) plugins: Vec<Plugin>,
    /// Set name (file stem) to its file.
    pub(crate) sets: BTreeMap<String, Set>,
    /// Slots the contract declares.
    pub(crate) slots: BTreeSet<String>,
}

/// One team file.
#[derive(Debug, Clone)]
pub(crate) struct Team {
    pub(crate) file: String,
    pub(crate) description: Option<String>,
}

/// One plugin version, as a team file declares it.
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
    /// `teams/<team>.toml:<line>:<column>` of the entry.
    pub(crate) origin: String,
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
    slot: Spanned<String>,
    name: Spanned<String>,
    version: Spanned<String>,
    enabled: bool,
    path: Option<Spanned<String>>,
    git: Option<Spanned<String>>,
    tag: Option<Spanned<String>>,
    rev: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSet {
    description: Option<String>,
    #[serde(default)]
    teams: Vec<Spanned<String>>,
    #[serde(default)]
    plugins: Vec<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
}

/// A file being read, to turn byte spans into `file:line:column`.
struct SourceFile {
    name: String,
    text: String,
}

impl SourceFile {
    fn at(&self, span: Range<usize>) -> String {
        let (line, column) = line_col(&self.text, span.start);
        format!("{}:{line}:{column}", self.name)
    }

    fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, String> {
        toml::from_str(&self.text).map_err(|err| {
            let at = match err.span() {
                Some(span) => self.at(span),
                None => self.name.clone(),
            };
            format!("{at}: {}", err.message().trim_end())
        })
    }
}

/// Collected problems; reported together so one run shows all of them.
#[derive(Default)]
pub(crate) struct Problems(Vec<String>);

impl Problems {
    pub(crate) fn push(&mut self, problem: impl Into<String>) {
        self.0.push(problem.into());
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok` when empty, else one error listing every problem under `what`.
    pub(crate) fn into_result(self, what: &str) -> Result<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        let count = self.0.len();
        let list: Vec<String> = self.0.into_iter().map(|p| format!("  - {p}")).collect();
        bail!(
            "{what}: {count} problem{}\n{}",
            if count == 1 { "" } else { "s" },
            list.join("\n")
        )
    }
}

pub(crate) fn is_package_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit() || c == '-')
}

fn is_ident(name: &str) -> bool {
    !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
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
        let slots = contract_slots(&project.contract_src())?;
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
            if pair[0].package == pair[1].package {
                problems.push(format!(
                    "{}: package `{}` is declared twice (also at {})",
                    pair[1].origin, pair[1].package, pair[0].origin
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
        if !sets.contains_key(DEFAULT_SET) {
            problems.push(format!(
                "{}: no `{DEFAULT_SET}.toml`: the default set is what `cargo xtask build` builds",
                project.display(&project.sets_dir())
            ));
        }
        problems.into_result("team files and sets")?;
        let config = Config {
            teams,
            plugins,
            sets,
            slots,
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

/// Parses one team file and validates each entry (against the contract's `slots`);
/// returns its description and valid plugins, pushing every problem found. `None`
/// when the file is not even a well-formed team file.
fn parse_team_file(
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
        .filter_map(|entry| {
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
            Ok(plugins.into_iter().map(|p| p.package).collect())
        }
        _ => Err(problems.0),
    }
}

fn validate_plugin(
    file: &SourceFile,
    team: &str,
    raw: RawPlugin,
    origin: String,
    slots: &BTreeSet<String>,
    problems: &mut Problems,
) -> Option<Plugin> {
    let before = problems.0.len();
    let package = raw.package.get_ref().clone();
    if !is_package_name(&package) {
        problems.push(format!(
            "{}: `{package}` is not a valid package name",
            file.at(raw.package.span())
        ));
    }
    let crate_name = match &raw.crate_name {
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
    };
    let slot = raw.slot.get_ref().clone();
    if !slots.contains(&slot) {
        let known: Vec<&str> = slots.iter().map(String::as_str).collect();
        problems.push(format!(
            "{}: unknown slot `{slot}` (the contract declares: {})",
            file.at(raw.slot.span()),
            known.join(", ")
        ));
    }
    if raw.name.get_ref().trim().is_empty() {
        problems.push(format!("{}: empty plugin name", file.at(raw.name.span())));
    }
    let version = match semver::Version::parse(raw.version.get_ref()) {
        Ok(version) => Some(version),
        Err(err) => {
            problems.push(format!(
                "{}: version `{}` is not semver: {err}",
                file.at(raw.version.span()),
                raw.version.get_ref()
            ));
            None
        }
    };
    let source = match (raw.path, raw.git) {
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
            let reference = match (raw.tag, raw.rev) {
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
    };
    if problems.0.len() != before {
        return None;
    }
    Some(Plugin {
        team: team.to_string(),
        package,
        crate_name,
        slot,
        name: raw.name.into_inner(),
        version: version?,
        enabled: raw.enabled,
        source: source?,
        origin,
    })
}

/// A slot as the contract declares it: `#[muster::slot]` on a trait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SlotTrait {
    /// The slot name: the `name = "..."` argument, else the trait name in snake case.
    pub(crate) slot: String,
    /// The trait's name.
    pub(crate) trait_name: String,
    /// The names of the trait's methods, in order (a text scan: `fn <name>` in its block).
    pub(crate) methods: Vec<String>,
}

/// The slots the contract declares: every `#[muster::slot]` in its sources, named by
/// its `name = "..."` argument or else its trait name in snake case.
pub(crate) fn contract_slots(src: &Path) -> Result<BTreeSet<String>> {
    Ok(contract_traits(src)?.into_iter().map(|t| t.slot).collect())
}

/// Every `#[muster::slot]` trait in the contract's sources.
pub(crate) fn contract_traits(src: &Path) -> Result<Vec<SlotTrait>> {
    let mut traits = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))?;
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let text = std::fs::read_to_string(&path)?;
                traits.extend(slot_traits_in(&text));
            }
        }
    }
    if traits.is_empty() {
        bail!(
            "{}: the contract declares no `#[muster::slot]`",
            src.display()
        );
    }
    traits.sort_by(|a, b| a.slot.cmp(&b.slot));
    Ok(traits)
}

#[cfg(test)]
fn slots_in(text: &str) -> Vec<String> {
    slot_traits_in(text).into_iter().map(|t| t.slot).collect()
}

fn ident_at(text: &str) -> String {
    text.trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

fn slot_traits_in(text: &str) -> Vec<SlotTrait> {
    let mut traits = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("#[muster::slot") {
        rest = &rest[at + "#[muster::slot".len()..];
        let attr_end = rest.find(']').unwrap_or(rest.len());
        let attr = &rest[..attr_end];
        let named = attr
            .split("name")
            .nth(1)
            .and_then(|after| after.split('"').nth(1))
            .map(str::to_string);
        let Some(trait_at) = rest.find("trait ") else {
            continue;
        };
        let after = &rest[trait_at + "trait ".len()..];
        let trait_name = ident_at(after);
        let methods = after
            .find('{')
            .map(|open| block_methods(&after[open + 1..]))
            .unwrap_or_default();
        traits.push(SlotTrait {
            slot: named.unwrap_or_else(|| snake_case(&trait_name)),
            trait_name,
            methods,
        });
    }
    traits
}

/// The `fn <name>`s of a block, from just after its `{` to the matching `}` (comments
/// are skipped line by line; good enough for trait declarations).
fn block_methods(block: &str) -> Vec<String> {
    let mut methods = Vec::new();
    let mut depth = 0usize;
    for line in block.lines() {
        let code = line.split("//").next().unwrap_or("");
        if depth == 0
            && let Some(at) = code.find("fn ")
        {
            let before = &code[..at];
            if before.is_empty() || before.ends_with(char::is_whitespace) {
                methods.push(ident_at(&code[at + 3..]));
            }
        }
        for c in code.chars() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => return methods,
                '}' => depth -= 1,
                _ => {}
            }
        }
    }
    methods
}

fn snake_case(ident: &str) -> String {
    let mut out = String::new();
    for (i, c) in ident.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::config::{slot_traits_in, slots_in, snake_case};

    #[test]
    fn slots_come_from_the_name_argument_or_the_trait() {
        let text = "#[muster::slot(name = \"checksum\")]\npub trait Checksum {}\n\
                    /// Docs.\n#[muster::slot]\npub trait StatusLine: Send {}\n";
        assert_eq!(slots_in(text), ["checksum", "status_line"]);
        assert_eq!(snake_case("Uplink"), "uplink");
    }

    #[test]
    fn slot_traits_list_their_methods() {
        let text = "#[muster::slot(name = \"checksum\")]\npub trait Checksum: Send {\n\
                    /// Docs with fn inside.\n    fn implementation(&self) -> &'static str;\n\
                    fn crc32c(&self, data: &[u8]) -> u32 {\n        let f = 1; fn inner() {}\n    }\n}\n\
                    fn outside() {}\n#[muster::slot]\npub trait Uplink {}\n";
        let traits = slot_traits_in(text);
        assert_eq!(traits.len(), 2);
        assert_eq!(
            (traits[0].slot.as_str(), traits[0].trait_name.as_str()),
            ("checksum", "Checksum")
        );
        assert_eq!(traits[0].methods, ["implementation", "crc32c"]);
        assert_eq!(traits[1].slot, "uplink");
        assert!(traits[1].methods.is_empty());
    }
}
