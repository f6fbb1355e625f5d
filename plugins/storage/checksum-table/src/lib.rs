//! `crc32c` 1.0.0, storage's portable CRC-32C for the `checksum` slot.
//!
//! CRC-32C (Castagnoli, reflected polynomial `0x82F6_3B78`) by slicing-by-8:
//! eight 256-entry tables, built at compile time by a `const fn`, consume eight
//! bytes per step. No requirements: this is the version every host can run, and
//! the one the faster `sse4.2` release falls back to.
#![forbid(unsafe_code)]

use edge_contract::Checksum;

/// The reflected Castagnoli polynomial.
const POLY: u32 = 0x82F6_3B78;

/// `TABLES[0]` is the classic byte table; `TABLES[k][b]` is the CRC of byte `b`
/// followed by `k` zero bytes.
static TABLES: [[u32; 256]; 8] = tables();

const fn tables() -> [[u32; 256]; 8] {
    let mut t = [[0u32; 256]; 8];
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
    while k < 8 {
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
    let mut chunks = data.chunks_exact(8);
    for chunk in &mut chunks {
        let lo = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]) ^ crc;
        let hi = u32::from_le_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]);
        crc = t[7][(lo & 0xFF) as usize]
            ^ t[6][((lo >> 8) & 0xFF) as usize]
            ^ t[5][((lo >> 16) & 0xFF) as usize]
            ^ t[4][(lo >> 24) as usize]
            ^ t[3][(hi & 0xFF) as usize]
            ^ t[2][((hi >> 8) & 0xFF) as usize]
            ^ t[1][((hi >> 16) & 0xFF) as usize]
            ^ t[0][(hi >> 24) as usize];
    }
    for &byte in chunks.remainder() {
        crc = t[0][((crc ^ u32::from(byte)) & 0xFF) as usize] ^ (crc >> 8);
    }
    !crc
}

/// The portable slicing-by-8 CRC-32C.
#[derive(Debug, Default)]
#[muster::plugin(
    slot = Checksum,
    version = "1.0.0",
    name = "crc32c",
    team = "storage",
    description = "portable slicing-by-8 CRC-32C"
)]
pub struct TableCrc32c;

impl Checksum for TableCrc32c {
    fn implementation(&self) -> &'static str {
        "table"
    }

    fn crc32c(&self, data: &[u8]) -> u32 {
        crc32c_append(0, data)
    }
}

#[cfg(test)]
mod tests {
    use edge_contract::Checksum;
    use edge_contract::conformance::reference_crc32c;

    use crate::{TableCrc32c, crc32c_append};

    #[test]
    fn passes_the_contract_conformance_checks() {
        edge_contract::conformance::check_checksum(&TableCrc32c);
    }

    #[test]
    fn appending_equals_one_pass() {
        let data = edge_contract::conformance::noise(1000);
        for split in [0, 1, 7, 8, 9, 500, 1000] {
            let (a, b) = data.split_at(split);
            assert_eq!(
                crc32c_append(crc32c_append(0, a), b),
                reference_crc32c(&data)
            );
        }
    }

    #[test]
    fn names_its_implementation() {
        assert_eq!(TableCrc32c.implementation(), "table");
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
