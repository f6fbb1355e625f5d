//! `banner` 0.10.0, storefront's rich status line for the `showcase` slot.
//!
//! Renders `[host] processed N, pending M, failed slots: a, b` (or `all slots
//! healthy`). Semver ranks 0.10.0 above 0.2.0 (string order would not), so on a
//! host where it is acceptable it wins over both older releases.
#![forbid(unsafe_code)]

use edge_contract::{Showcase, Status};

/// The rich banner: counts plus the slots that have no acceptable version.
#[derive(Debug, Default)]
#[muster::plugin(
    slot = Showcase,
    version = "0.10.0",
    name = "banner",
    team = "storefront",
    description = "status line with counts and failed slots"
)]
pub struct RichBanner;

impl Showcase for RichBanner {
    fn render(&self, status: &Status) -> String {
        let health = if status.failed_slots.is_empty() {
            "all slots healthy".to_owned()
        } else {
            format!("failed slots: {}", status.failed_slots.join(", "))
        };
        format!(
            "[{}] processed {}, pending {}, {health}",
            status.host, status.processed, status.pending
        )
    }
}

#[cfg(test)]
mod tests {
    use edge_contract::{Showcase, Status};
    use muster::{Facts, Policy, Selector};

    use crate::RichBanner;

    fn status(failed: &[&str]) -> Status {
        Status {
            host: "edge-7".into(),
            processed: 12,
            pending: 3,
            failed_slots: failed.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn lists_failed_slots() {
        assert_eq!(
            RichBanner.render(&status(&["checksum", "uplink"])),
            "[edge-7] processed 12, pending 3, failed slots: checksum, uplink"
        );
    }

    #[test]
    fn says_when_all_slots_are_healthy() {
        assert_eq!(
            RichBanner.render(&status(&[])),
            "[edge-7] processed 12, pending 3, all slots healthy"
        );
    }

    #[test]
    fn accepts_itself_and_is_selected() {
        let facts = Facts::probe();
        let policy = Policy::new();
        let selected = Selector::new(&facts, &policy)
            .select::<dyn Showcase>()
            .expect("0.10.0 accepts every host");
        assert_eq!(selected.version().to_string(), "0.10.0");
    }

    #[test]
    fn is_registered_as_banner_0_10_0() {
        let (slot, name, team, requires) = edge_contract::conformance::registration(
            env!("CARGO_PKG_NAME"),
            env!("CARGO_PKG_VERSION"),
        );
        assert_eq!(
            (slot, name, team),
            ("showcase", "banner", Some("storefront"))
        );
        assert!(requires.is_empty(), "{requires:?}");
    }
}
