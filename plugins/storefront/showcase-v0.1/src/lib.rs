//! `banner` 0.1.0, storefront's plain status line for the `showcase` slot.
//!
//! Accepts every host and renders `[host] processed N, pending M`. It is the
//! fallback release: 0.2.0 always turns hosts down, and 0.10.0 is richer.
#![forbid(unsafe_code)]

use edge_contract::{Showcase, Status};

/// The plain banner: no colours, no failed-slot list.
#[derive(Debug, Default)]
#[muster::plugin(
    slot = Showcase,
    version = "0.1.0",
    name = "banner",
    team = "storefront",
    description = "plain status line: host, processed, pending"
)]
pub struct PlainBanner;

impl Showcase for PlainBanner {
    fn render(&self, status: &Status) -> String {
        format!(
            "[{}] processed {}, pending {}",
            status.host, status.processed, status.pending
        )
    }
}

#[cfg(test)]
mod tests {
    use edge_contract::{Showcase, Status};
    use muster::Facts;

    use crate::PlainBanner;

    fn status() -> Status {
        Status {
            host: "edge-7".into(),
            processed: 12,
            pending: 3,
            failed_slots: vec!["uplink".into()],
        }
    }

    #[test]
    fn renders_host_processed_and_pending() {
        assert_eq!(
            PlainBanner.render(&status()),
            "[edge-7] processed 12, pending 3"
        );
    }

    #[test]
    fn accepts_every_host() {
        assert!(PlainBanner.is_acceptable(&Facts::probe()).is_ok());
    }

    #[test]
    fn is_registered_as_banner_0_1_0() {
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
