//! The model of team files and sets: teams, their plugins (with where each came from)
//! and deployment sets, validated; and what a set resolves to.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use anyhow::{Result, bail};

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

impl Config {
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
