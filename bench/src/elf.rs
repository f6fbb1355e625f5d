//! Just enough ELF64 (little-endian) to list section names and sizes: how we check
//! that a backend adds no constructors (`.init_array` entries) before `main`.

use std::path::Path;

/// A section of an ELF file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// Its name (`.init_array`).
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Where its contents start in the file.
    pub offset: u64,
}

fn u16_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(u16::from_le_bytes(
        b.get(at..at + 2)?.try_into().ok()?,
    )))
}

fn u32_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(u32::from_le_bytes(
        b.get(at..at + 4)?.try_into().ok()?,
    )))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// The sections of the ELF64 little-endian file at `path`.
pub fn sections(path: &Path) -> anyhow::Result<Vec<Section>> {
    let bytes = std::fs::read(path)?;
    parse(&bytes)
        .ok_or_else(|| anyhow::anyhow!("{}: not a 64-bit little-endian ELF", path.display()))
}

fn parse(b: &[u8]) -> Option<Vec<Section>> {
    if b.get(0..4)? != b"\x7fELF" || *b.get(4)? != 2 || *b.get(5)? != 1 {
        return None;
    }
    let shoff = usize::try_from(u64_at(b, 0x28)?).ok()?;
    let shentsize = usize::try_from(u16_at(b, 0x3a)?).ok()?;
    let shnum = usize::try_from(u16_at(b, 0x3c)?).ok()?;
    let shstrndx = usize::try_from(u16_at(b, 0x3e)?).ok()?;
    let header = |i: usize| shoff + i * shentsize;
    let strtab = usize::try_from(u64_at(b, header(shstrndx) + 0x18)?).ok()?;
    let mut out = Vec::with_capacity(shnum);
    for i in 0..shnum {
        let h = header(i);
        let name_at = strtab + usize::try_from(u32_at(b, h)?).ok()?;
        let len = b.get(name_at..)?.iter().position(|&c| c == 0)?;
        let name = String::from_utf8_lossy(&b[name_at..name_at + len]).into_owned();
        out.push(Section {
            name,
            size: u64_at(b, h + 0x20)?,
            offset: u64_at(b, h + 0x18)?,
        });
    }
    Some(out)
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
    let bytes = std::fs::read(path)?;
    let sections = parse(&bytes)
        .ok_or_else(|| anyhow::anyhow!("{}: not a 64-bit little-endian ELF", path.display()))?;
    let mut count = 0;
    for s in &sections {
        match s.name.as_str() {
            ".rela.dyn" => count += s.size / 24,
            ".relr.dyn" => {
                let start = usize::try_from(s.offset)?;
                let end = start + usize::try_from(s.size)?;
                let words = bytes.get(start..end).ok_or_else(|| {
                    anyhow::anyhow!("{}: .relr.dyn out of bounds", path.display())
                })?;
                count += relr_count(words);
            }
            _ => {}
        }
    }
    Ok(count)
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

#[cfg(all(
    test,
    target_os = "linux",
    target_pointer_width = "64",
    target_endian = "little"
))]
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
    }
}
