//! The listing of registered plugin versions: what a host's `plugins list --json`
//! prints and what `cargo xtask build` reads back to compare with the plan. The serde
//! type lives in `muster-names`, which the xtask reads it from, so the two sides cannot
//! drift apart; this file lists the runtime's registrations in it.

use muster_names::listing::Listed;
pub use muster_names::listing::{ListedPlugin, PluginListing};

use crate::registration::PluginMeta;

impl Listed for PluginMeta {
    fn listed(&self) -> ListedPlugin {
        ListedPlugin {
            slot: self.slot().to_owned(),
            name: self.name().to_owned(),
            version: self.version().to_owned(),
            team: self.team().map(str::to_owned),
            crate_name: self.crate_name().to_owned(),
            package: self.package().to_owned(),
            description: self.description().map(str::to_owned),
            requires: self.requires().iter().map(ToString::to_string).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Requirement;

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
}
