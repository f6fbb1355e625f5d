//! The listing of registered plugin versions: what a host's `plugins list --json`
//! prints and what `cargo xtask build` reads back to compare with the plan. One serde
//! type for both sides, so the two cannot drift apart.

use serde::{Deserialize, Serialize};

use crate::registration::PluginMeta;

/// `{"plugins": [...]}`: every registered plugin version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginListing {
    /// One entry per registration, in registry order.
    pub plugins: Vec<ListedPlugin>,
}

/// One registered plugin version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedPlugin {
    /// The slot it fills.
    pub slot: String,
    /// The plugin's name.
    pub name: String,
    /// Its version, as written in `#[plugin(version = "...")]`.
    pub version: String,
    /// The owning team, if declared.
    #[serde(default)]
    pub team: Option<String>,
    /// The registering crate (`CARGO_CRATE_NAME`).
    #[serde(rename = "crate")]
    pub crate_name: String,
    /// The registering package (`CARGO_PKG_NAME`).
    #[serde(default)]
    pub package: String,
    /// A one-line description, if declared.
    #[serde(default)]
    pub description: Option<String>,
    /// Its requirements on the host, in the short form `plugins list` shows
    /// (`cpu=sse4.2`, `cores>=2`, `label:network=online`), not the attribute's
    /// `cpu = "sse4.2"`.
    #[serde(default)]
    pub requires: Vec<String>,
}

impl PluginListing {
    /// The listing of `plugins`.
    pub fn of(plugins: &[&PluginMeta]) -> PluginListing {
        PluginListing {
            plugins: plugins
                .iter()
                .map(|p| ListedPlugin {
                    slot: p.slot().to_owned(),
                    name: p.name().to_owned(),
                    version: p.version().to_owned(),
                    team: p.team().map(str::to_owned),
                    crate_name: p.crate_name().to_owned(),
                    package: p.package().to_owned(),
                    description: p.description().map(str::to_owned),
                    requires: p.requires().iter().map(ToString::to_string).collect(),
                })
                .collect(),
        }
    }

    /// The listing of every plugin version linked into this binary.
    pub fn registered() -> PluginListing {
        PluginListing::of(&crate::plugins())
    }
}

#[cfg(test)]
mod tests {
    use crate::Requirement;
    use crate::listing::PluginListing;

    /// `requires` holds each requirement as `ListedPlugin::requires` documents it.
    #[test]
    fn requirements_are_listed_in_the_documented_short_form() {
        let listed: Vec<String> = [
            Requirement::CpuFeature("sse4.2"),
            Requirement::MinCores(2),
            Requirement::Label {
                key: "network",
                value: "online",
            },
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(listed, ["cpu=sse4.2", "cores>=2", "label:network=online"]);
    }

    /// The minimal shape (what a host that lists only slot, name, version and crate
    /// prints) reads back, with the optional fields defaulted.
    #[test]
    fn minimal_entries_read_back() {
        let json = r#"{"plugins":[{"slot":"s","name":"n","version":"1.0.0","crate":"c"}]}"#;
        let listing: PluginListing = serde_json::from_str(json).unwrap();
        assert_eq!(listing.plugins[0].crate_name, "c");
        assert_eq!(listing.plugins[0].team, None);
        let back = serde_json::to_value(&listing).unwrap();
        assert_eq!(back["plugins"][0]["crate"], "c");
        assert_eq!(back["plugins"][0]["team"], serde_json::Value::Null);
    }
}
