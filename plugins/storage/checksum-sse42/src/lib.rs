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

    /// Bit-at-a-time CRC-32C: slow, obviously right, independent of the tables.
    fn reference(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &byte in data {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0x82F6_3B78
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    /// Deterministic pseudo-random bytes (xorshift64), so failures reproduce.
    fn noise(len: usize) -> Vec<u8> {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state.to_le_bytes()[0]
            })
            .collect()
    }

    fn crc(data: &[u8]) -> u32 {
        Sse42Crc32c.crc32c(data)
    }

    #[test]
    fn known_vectors() {
        assert_eq!(crc(b""), 0);
        assert_eq!(crc(b"123456789"), 0xE306_9283);
        assert_eq!(crc(&[0u8; 32]), 0x8A91_36AA);
        assert_eq!(crc(&[0xFFu8; 32]), 0x62A8_AB43);
        let ascending: Vec<u8> = (0..32).collect();
        assert_eq!(crc(&ascending), 0x46DD_794E);
        let descending: Vec<u8> = (0..32).rev().collect();
        assert_eq!(crc(&descending), 0x113F_DB5C);
    }

    #[test]
    fn reference_agrees_with_the_check_value() {
        assert_eq!(reference(b"123456789"), 0xE306_9283);
    }

    #[test]
    fn matches_the_reference_at_every_length_and_alignment() {
        let data = noise(4096 + 64);
        for start in 0..17 {
            for len in (0..300).chain([1023, 1024, 1025, 4096]) {
                let slice = &data[start..start + len];
                assert_eq!(crc(slice), reference(slice), "start {start}, len {len}");
            }
        }
    }

    #[test]
    fn matches_the_reference_on_a_long_buffer() {
        let data = noise(1 << 20);
        assert_eq!(crc(&data), reference(&data));
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
        let reason = report.candidates[0].reason.as_deref().unwrap_or_default();
        assert!(reason.contains("sse4.2"), "{reason}");
    }

    #[test]
    fn names_its_implementation() {
        assert_eq!(Sse42Crc32c.implementation(), "sse4.2");
    }

    #[test]
    fn is_registered_as_crc32c() {
        let meta = muster::plugins()
            .into_iter()
            .find(|m| m.package == env!("CARGO_PKG_NAME"))
            .expect("registered");
        assert_eq!(
            (meta.slot, meta.name, meta.version.text, meta.team),
            (
                "checksum",
                "crc32c",
                env!("CARGO_PKG_VERSION"),
                Some("storage")
            )
        );
        let requires: Vec<String> = meta.requires.iter().map(ToString::to_string).collect();
        assert_eq!(requires, ["arch=x86_64", "cpu=sse4.2"]);
    }
}
