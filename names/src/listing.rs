//! The listing of registered plugin versions: what a host's `plugins list --json`
//! prints (through `muster::PluginListing`, a re-export of this) and what
//! `cargo xtask build` reads back to compare with the plan. One serde type for both
//! sides, so the two cannot drift apart.

use serde::{Deserialize, Serialize};

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

/// A registration that can be listed: the runtime's plugin metadata implements it.
pub trait Listed {
    /// This registration's entry.
    fn listed(&self) -> ListedPlugin;
}

impl PluginListing {
    /// The listing of `plugins`, in their order.
    pub fn of<P: Listed + ?Sized>(plugins: &[&P]) -> PluginListing {
        PluginListing {
            plugins: plugins.iter().map(|p| p.listed()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::listing::PluginListing;

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
