//! `crc32c` 1.1.0, storage's hardware CRC-32C for the `checksum` slot.
//!
//! Uses the SSE4.2 `crc32` instruction through the [`crc32c`] crate, which wraps
//! the intrinsics behind a safe API; that keeps `unsafe` out of this crate (it
//! `forbid`s it). The registration declares `requires = [arch = "x86_64",
//! cpu = "sse4.2"]`, so the selector only picks this version on hosts whose
//! probed facts include the feature, and falls back to the portable `table`
//! release (1.0.0) elsewhere. (The `crc32c` crate would itself fall back to
//! software without SSE4.2, so a direct call is still correct, just not fast.)
//!
//! Benchmarks against the portable releases live in `cargo xtask bench`.
#![forbid(unsafe_code)]

use edge_contract::Checksum;

/// Hardware-accelerated CRC-32C.
#[derive(Debug, Default)]
#[muster::plugin(
    slot = Checksum,
    version = "1.1.0",
    name = "crc32c",
    team = "storage",
    description = "hardware CRC-32C (SSE4.2 crc32 instruction)",
    requires = [arch = "x86_64", cpu = "sse4.2"]
)]
pub struct Sse42Crc32c;

impl Checksum for Sse42Crc32c {
    fn implementation(&self) -> &'static str {
        "sse4.2"
    }

    fn crc32c(&self, data: &[u8]) -> u32 {
        crc32c::crc32c(data)
    }
}

#[cfg(test)]
mod tests {
    use edge_contract::Checksum;

    use muster::{Facts, Policy, Selector};

    use crate::Sse42Crc32c;

    #[test]
    fn passes_the_contract_conformance_checks() {
        edge_contract::conformance::check_checksum(&Sse42Crc32c);
    }

    #[test]
    fn is_selected_only_where_the_host_has_sse42() {
        let mut facts = Facts::probe();
        facts.arch = "x86_64".into();
        facts.cpu_features.insert("sse4.2".into());
        let policy = Policy::new();
        let selected = Selector::new(&facts, &policy)
            .select::<dyn Checksum>()
            .expect("acceptable with sse4.2");
        assert_eq!(selected.implementation(), "sse4.2");

        facts.cpu_features.remove("sse4.2");
        let report = Selector::new(&facts, &policy).explain::<dyn Checksum>();
        assert!(report.selected.is_none());
        let reason = report.tried()[0].reason.as_deref().unwrap_or_default();
        assert!(reason.contains("sse4.2"), "{reason}");
    }

    #[test]
    fn names_its_implementation() {
        assert_eq!(Sse42Crc32c.implementation(), "sse4.2");
    }

    #[test]
    fn is_registered_as_crc32c() {
        let (slot, name, team, requires) = edge_contract::conformance::registration(
            env!("CARGO_PKG_NAME"),
            env!("CARGO_PKG_VERSION"),
        );
        assert_eq!((slot, name, team), ("checksum", "crc32c", Some("storage")));
        assert_eq!(requires, ["arch=x86_64", "cpu=sse4.2"]);
    }
}
