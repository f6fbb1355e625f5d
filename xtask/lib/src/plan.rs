//! `cargo xtask plan`: the plugins a set puts into the binary and the exact cargo features.

use anyhow::Result;
use clap::Args;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::project::Project;

/// Print the resolved plugin list and cargo features of a set, without building.
#[derive(Debug, Args)]
pub(crate) struct Plan {
    /// The deployment set (`sets/<set>.toml`; default: `default-set` in
    /// `[workspace.metadata.muster]`).
    #[arg(long)]
    set: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

impl Plan {
    pub(crate) fn run(&self) -> Result<()> {
        let project = Project::current()?;
        let config = Config::load(&project)?;
        let plan = Resolved::new(&config, project.set_or_default(self.set.as_deref()))?;
        if self.json {
            println!("{}", serde_json::to_string_pretty(&plan)?);
        } else {
            print!("{}", plan.table());
        }
        Ok(())
    }
}

/// A set, resolved: what the binary must contain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Resolved {
    pub(crate) set: String,
    pub(crate) description: Option<String>,
    /// Teams with a plugin in the set.
    pub(crate) teams: Vec<String>,
    /// Sorted by slot, then version.
    pub(crate) plugins: Vec<PlannedPlugin>,
    /// The app features to build with (`--no-default-features --features ...`).
    pub(crate) features: Vec<String>,
}

/// One plugin version in a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub(crate) struct PlannedPlugin {
    pub(crate) slot: String,
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) team: String,
    pub(crate) package: String,
    #[serde(rename = "crate")]
    pub(crate) crate_name: String,
    pub(crate) feature: String,
    pub(crate) source: String,
}

impl Resolved {
    pub(crate) fn new(config: &Config, set: &str) -> Result<Resolved> {
        let chosen = config.resolve(set)?;
        let plugins: Vec<PlannedPlugin> = chosen
            .iter()
            .map(|p| PlannedPlugin {
                slot: p.slot.clone(),
                name: p.name.clone(),
                version: p.version.to_string(),
                team: p.team.clone(),
                package: p.package.clone(),
                crate_name: p.crate_name.clone(),
                feature: p.feature(),
                source: p.source.to_string(),
            })
            .collect();
        let mut teams: Vec<String> = plugins.iter().map(|p| p.team.clone()).collect();
        teams.sort();
        teams.dedup();
        let mut features: Vec<String> = plugins.iter().map(|p| p.feature.clone()).collect();
        features.sort();
        features.dedup(); // one feature per package, however many registrations it has
        Ok(Resolved {
            set: set.to_string(),
            description: config.sets[set].description.clone(),
            teams,
            plugins,
            features,
        })
    }

    /// SHA-256 of the plan's JSON, hex: identifies exactly what a binary should contain.
    pub(crate) fn hash(&self) -> String {
        let json = serde_json::to_vec(self).expect("plans always serialize");
        hex(&Sha256::digest(json))
    }

    /// The plan as a human-readable table.
    pub(crate) fn table(&self) -> String {
        let mut rows =
            vec![["slot", "name", "version", "team", "package", "source"].map(String::from)];
        for p in &self.plugins {
            rows.push(
                [&p.slot, &p.name, &p.version, &p.team, &p.package, &p.source].map(|s| s.clone()),
            );
        }
        let widths: Vec<usize> = (0..6)
            .map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0))
            .collect();
        let mut out = format!("set `{}`", self.set);
        if let Some(description) = &self.description {
            out.push_str(&format!(": {description}"));
        }
        out.push_str(&format!(
            "\n{} plugins from {}\n\n",
            self.plugins.len(),
            self.teams.join(", ")
        ));
        for row in rows {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(cell, w)| format!("{cell:w$}"))
                .collect();
            out.push_str(&format!("  {}\n", cells.join("  ").trim_end()));
        }
        out.push_str(&format!(
            "\nfeatures: --no-default-features --features {}\n",
            self.features.join(",")
        ));
        out.push_str(&format!("plan hash: {}\n", self.hash()));
        out
    }
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
