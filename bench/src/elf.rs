//! What the size and start-up tables read from a built host, with the `object` crate:
//! constructor pointers in `.init_array` (how we check that a backend adds no work
//! before `main`), the bytes of linkme's sections, and the load-time relocations.

use std::path::Path;

use anyhow::Context;
use object::{Object, ObjectSection};

/// A section of an ELF file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Its name (`.init_array`).
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its contents in the file (empty for `SHT_NOBITS` sections such as `.bss`).
    pub data: Vec<u8>,
}

/// The sections of the ELF file at `path`.
pub fn sections(path: &Path) -> anyhow::Result<Vec<Section>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let file = object::File::parse(&*bytes)
        .with_context(|| format!("{}: not an object file", path.display()))?;
    file.sections()
        .map(|s| {
            Ok(Section {
                name: s.name()?.to_owned(),
                size: s.size(),
                data: s.data()?.to_vec(),
            })
        })
        .collect::<Result<_, object::Error>>()
        .with_context(|| format!("{}: unreadable section", path.display()))
}

/// Number of constructor pointers in `.init_array` (0 when absent).
pub fn init_array_entries(path: &Path) -> anyhow::Result<u64> {
    Ok(sections(path)?
        .iter()
        .filter(|s| s.name == ".init_array")
        .map(|s| s.size / 8)
        .sum())
}

/// Total size of linkme's registration sections (`linkme_*`).
pub fn linkme_bytes(path: &Path) -> anyhow::Result<u64> {
    Ok(sections(path)?
        .iter()
        .filter(|s| s.name.starts_with("linkme_"))
        .map(|s| s.size)
        .sum())
}

/// Load-time relocations: the pointers the loader (or a static-PIE binary's own start
/// code) fixes up. Entries of `.rela.dyn` (24 bytes each on ELF64) plus those packed in
/// `.relr.dyn` (RELR: an even word is one address, an odd word a bitmap of the next 63).
pub fn relocations(path: &Path) -> anyhow::Result<u64> {
    Ok(sections(path)?
        .iter()
        .map(|s| match s.name.as_str() {
            ".rela.dyn" => s.size / 24,
            ".relr.dyn" => relr_count(&s.data),
            _ => 0,
        })
        .sum())
}

/// How many relocations a `.relr.dyn` section's words encode.
fn relr_count(words: &[u8]) -> u64 {
    words
        .chunks_exact(8)
        .map(|w| {
            let word = u64::from_le_bytes(w.try_into().expect("8 bytes"));
            if word & 1 == 0 {
                1
            } else {
                u64::from(word.count_ones() - 1)
            }
        })
        .sum()
}

#[cfg(test)]
mod tests {
    #[test]
    fn relr_words_decode() {
        let mut words = Vec::new();
        // One address, then a bitmap marking 3 of the next 63 words, then one with none.
        for w in [0x1000u64, 0b1011 << 1 | 1, 1] {
            words.extend(w.to_le_bytes());
        }
        assert_eq!(super::relr_count(&words), 1 + 3);
    }

    #[test]
    fn reads_the_running_test_binary() {
        let exe = std::env::current_exe().unwrap();
        let sections = super::sections(&exe).unwrap();
        assert!(sections.iter().any(|s| s.name == ".text"));
        assert!(super::relocations(&exe).is_ok());
    }
}
