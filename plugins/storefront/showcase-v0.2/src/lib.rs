//! `banner` 0.2.0, storefront's palette status line for the `showcase` slot:
//! withdrawn.
//!
//! This release rendered with a terminal palette that was withdrawn, so its
//! `is_acceptable` hook turns every host down with a reason the selection report
//! shows; the selector then falls back to the next version (0.1.x), or picks
//! 0.10.x, which semver ranks above 0.2.0.
#![forbid(unsafe_code)]

use edge_contract::{Showcase, Status};
use muster::{Facts, Rejection};

/// Why this release is never acceptable (shown in selection reports).
pub const WITHDRAWN: &str =
    "0.2.0 renders with a terminal palette that was withdrawn; use 0.1.x or 0.10.x";

/// The palette banner. Kept so that its rejection is explained, not silent.
#[derive(Debug, Default)]
#[muster::plugin(
    slot = Showcase,
    version = "0.2.0",
    name = "banner",
    team = "storefront",
    description = "palette status line (withdrawn: always rejects the host)"
)]
pub struct PaletteBanner;

impl Showcase for PaletteBanner {
    fn render(&self, status: &Status) -> String {
        // Never selected (see `is_acceptable`), but still honest if called directly:
        // the palette codes are gone, so this is the plain line.
        format!(
            "[{}] processed {}, pending {}",
            status.host, status.processed, status.pending
        )
    }

    fn is_acceptable(&self, _facts: &Facts) -> Result<(), Rejection> {
        Err(Rejection::new(WITHDRAWN))
    }
}

#[cfg(test)]
mod tests {
    use edge_contract::{Showcase, Status};
    use muster::{Facts, Outcome, Policy, Selector};

    use crate::{PaletteBanner, WITHDRAWN};

    #[test]
    fn rejects_every_host_with_a_clear_reason() {
        let rejection = PaletteBanner
            .is_acceptable(&Facts::probe())
            .expect_err("0.2.0 is withdrawn");
        assert_eq!(rejection.reason(), WITHDRAWN);
        assert!(rejection.reason().contains("use 0.1.x or 0.10.x"));
    }

    #[test]
    fn selection_skips_it_and_says_why() {
        // Only this crate's registration is linked into this test binary.
        let facts = Facts::probe();
        let policy = Policy::new();
        let selector = Selector::new(&facts, &policy);
        assert!(selector.select::<dyn Showcase>().is_err());
        let report = selector.explain::<dyn Showcase>();
        assert!(report.selected.is_none());
        let ours = report
            .tried()
            .iter()
            .find(|c| c.version == "0.2.0")
            .expect("listed");
        assert_eq!(ours.outcome, Outcome::Rejected);
        assert!(
            ours.reason
                .as_deref()
                .is_some_and(|r| r.contains(WITHDRAWN)),
            "{:?}",
            ours.reason
        );
    }

    #[test]
    fn render_is_plain_if_called_directly() {
        let status = Status {
            host: "h".into(),
            processed: 1,
            pending: 0,
            failed_slots: Vec::new(),
        };
        assert_eq!(PaletteBanner.render(&status), "[h] processed 1, pending 0");
    }

    #[test]
    fn is_registered_as_banner_0_2_0() {
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
