//! `crc32c` 1.2.0-beta.1, storage's pre-release portable CRC-32C for the
//! `checksum` slot.
//!
//! Slicing-by-16: sixteen 256-entry tables (16 KiB, built at compile time by a
//! `const fn`) consume sixteen bytes per step. Being a pre-release, it is skipped
//! unless the operator's policy allows pre-releases; then it outranks 1.1.0.
#![forbid(unsafe_code)]

use edge_contract::Checksum;

/// The reflected Castagnoli polynomial.
const POLY: u32 = 0x82F6_3B78;

/// `TABLES[k][b]` is the CRC of byte `b` followed by `k` zero bytes.
static TABLES: [[u32; 256]; 16] = tables();

const fn tables() -> [[u32; 256]; 16] {
    let mut t = [[0u32; 256]; 16];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ POLY
            } else {
                crc >> 1
            };
            bit += 1;
        }
        t[0][i] = crc;
        i += 1;
    }
    let mut k = 1;
    while k < 16 {
        let mut i = 0;
        while i < 256 {
            let prev = t[k - 1][i];
            t[k][i] = (prev >> 8) ^ t[0][(prev & 0xFF) as usize];
            i += 1;
        }
        k += 1;
    }
    t
}

/// Continues a CRC-32C over `data` (`crc` is a finished CRC; 0 to start).
pub fn crc32c_append(crc: u32, data: &[u8]) -> u32 {
    let t = &TABLES;
    let mut crc = !crc;
    let mut chunks = data.chunks_exact(16);
    for chunk in &mut chunks {
        let mut next = 0;
        // Byte `j` of the chunk is followed by `15 - j` more bytes in this step.
        for (j, &byte) in chunk.iter().enumerate() {
            let byte = if j < 4 {
                byte ^ crc.to_le_bytes()[j]
            } else {
                byte
            };
            next ^= t[15 - j][usize::from(byte)];
        }
        crc = next;
    }
    for &byte in chunks.remainder() {
        crc = t[0][usize::from(byte ^ crc.to_le_bytes()[0])] ^ (crc >> 8);
    }
    !crc
}

/// The portable slicing-by-16 CRC-32C (beta).
#[derive(Debug, Default)]
#[muster::plugin(
    slot = Checksum,
    version = "1.2.0-beta.1",
    name = "crc32c",
    team = "storage",
    description = "portable slicing-by-16 CRC-32C (beta)"
)]
pub struct Table16Crc32c;

impl Checksum for Table16Crc32c {
    fn implementation(&self) -> &'static str {
        "table16-beta"
    }

    fn crc32c(&self, data: &[u8]) -> u32 {
        crc32c_append(0, data)
    }
}

#[cfg(test)]
mod tests {
    use edge_contract::Checksum;
    use edge_contract::conformance::reference_crc32c;

    use muster::{Facts, Policy, Selector};

    use crate::{Table16Crc32c, crc32c_append};

    #[test]
    fn passes_the_contract_conformance_checks() {
        edge_contract::conformance::check_checksum(&Table16Crc32c);
    }

    #[test]
    fn appending_equals_one_pass() {
        let data = edge_contract::conformance::noise(1000);
        for split in [0, 1, 15, 16, 17, 500, 1000] {
            let (a, b) = data.split_at(split);
            assert_eq!(
                crc32c_append(crc32c_append(0, a), b),
                reference_crc32c(&data)
            );
        }
    }

    #[test]
    fn is_a_prerelease_selected_only_when_allowed() {
        let facts = Facts::probe();
        let strict = Policy::new();
        assert!(
            Selector::new(&facts, &strict)
                .select::<dyn Checksum>()
                .is_err(),
            "pre-releases are skipped by default"
        );
        let mut relaxed = Policy::new();
        relaxed.allow_prerelease(true, muster::Source::Flag);
        let selected = Selector::new(&facts, &relaxed)
            .select::<dyn Checksum>()
            .expect("allowed");
        assert_eq!(selected.version().to_string(), "1.2.0-beta.1");
        assert_eq!(selected.implementation(), "table16-beta");
    }

    #[test]
    fn names_its_implementation() {
        assert_eq!(Table16Crc32c.implementation(), "table16-beta");
    }

    #[test]
    fn is_registered_as_crc32c() {
        let (slot, name, team, requires) = edge_contract::conformance::registration(
            env!("CARGO_PKG_NAME"),
            env!("CARGO_PKG_VERSION"),
        );
        assert_eq!((slot, name, team), ("checksum", "crc32c", Some("storage")));
        assert!(requires.is_empty(), "{requires:?}");
    }
}
