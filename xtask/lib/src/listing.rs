//! Compares what a built binary reports (`<host> plugins list --json`) with the plan:
//! the guard against plugins silently dropped by the linker (or smuggled in).

use std::collections::BTreeSet;

use anyhow::{Context, Result, bail};
use muster_names::PluginListing;

use crate::plan::Resolved;

type Key = (String, String, String, String);

fn show((slot, name, version, krate): &Key) -> String {
    format!("{slot}: {name} {version} (crate {krate})")
}

/// Fails, naming every missing, unexpected or duplicated plugin, unless `json` lists
/// exactly the planned plugins.
pub(crate) fn compare(plan: &Resolved, json: &str) -> Result<()> {
    // The type the host prints with (`muster_names::PluginListing`, which `muster`
    // re-exports): one shape, both sides.
    let listing: PluginListing =
        serde_json::from_str(json).context("cannot parse `plugins list --json` output")?;
    let planned: BTreeSet<Key> = plan
        .plugins
        .iter()
        .map(|p| {
            (
                p.slot.clone(),
                p.name.clone(),
                p.version.clone(),
                p.crate_name.clone(),
            )
        })
        .collect();
    let mut listed = BTreeSet::new();
    let mut problems = Vec::new();
    for p in listing.plugins {
        let key = (p.slot, p.name, p.version, p.crate_name);
        if !listed.insert(key.clone()) {
            problems.push(format!("registered twice: {}", show(&key)));
        }
    }
    for key in planned.difference(&listed) {
        problems.push(format!(
            "missing (planned, not in the binary): {}",
            show(key)
        ));
    }
    for key in listed.difference(&planned) {
        problems.push(format!(
            "unexpected (in the binary, not planned): {}",
            show(key)
        ));
    }
    if !problems.is_empty() {
        bail!(
            "the binary does not contain exactly the plan of set `{}`:\n  - {}",
            plan.set,
            problems.join("\n  - ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::listing::compare;
    use crate::plan::{PlannedPlugin, Resolved};

    fn plan() -> Resolved {
        let plugin = |slot: &str, name: &str, version: &str, package: &str| PlannedPlugin {
            slot: slot.into(),
            name: name.into(),
            version: version.into(),
            team: "t".into(),
            package: package.into(),
            crate_name: package.replace('-', "_"),
            feature: format!("plugin-{package}"),
            source: format!("path:plugins/{package}"),
        };
        Resolved {
            set: "default".into(),
            description: None,
            teams: vec!["t".into()],
            plugins: vec![
                plugin("checksum", "crc32c", "1.0.0", "checksum-table"),
                plugin("showcase", "banner", "0.10.0", "showcase-v0-10"),
            ],
            features: vec![
                "plugin-checksum-table".into(),
                "plugin-showcase-v0-10".into(),
            ],
        }
    }

    const TABLE: &str = r#"{"slot":"checksum","name":"crc32c","version":"1.0.0","team":"storage","crate":"checksum_table"}"#;
    const BANNER: &str = r#"{"slot":"showcase","name":"banner","version":"0.10.0","crate":"showcase_v0_10","description":"x"}"#;

    #[test]
    fn the_same_plugins_in_any_order_match() {
        compare(&plan(), &format!(r#"{{"plugins":[{BANNER},{TABLE}]}}"#)).unwrap();
    }

    #[test]
    fn a_dropped_plugin_is_refused() {
        let err = compare(&plan(), &format!(r#"{{"plugins":[{TABLE}]}}"#))
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing (planned, not in the binary): showcase: banner 0.10.0 (crate showcase_v0_10)"), "{err}");
    }

    #[test]
    fn an_extra_or_duplicated_plugin_is_refused() {
        let extra = r#"{"slot":"checksum","name":"crc32c","version":"1.2.0-beta.1","crate":"checksum_beta"}"#;
        let err = compare(
            &plan(),
            &format!(r#"{{"plugins":[{TABLE},{BANNER},{extra}]}}"#),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("unexpected (in the binary, not planned): checksum: crc32c 1.2.0-beta.1"),
            "{err}"
        );
        let err = compare(
            &plan(),
            &format!(r#"{{"plugins":[{TABLE},{BANNER},{TABLE}]}}"#),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("registered twice"), "{err}");
    }

    #[test]
    fn a_wrong_version_or_crate_is_refused() {
        let moved = BANNER.replace("showcase_v0_10", "showcase_v0_1");
        let err = compare(&plan(), &format!(r#"{{"plugins":[{TABLE},{moved}]}}"#))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("missing") && err.contains("unexpected"),
            "{err}"
        );
    }

    #[test]
    fn malformed_output_is_an_error() {
        assert!(compare(&plan(), "not json").is_err());
        assert!(compare(&plan(), r#"{"plugins":[{"slot":"x"}]}"#).is_err());
    }
}
