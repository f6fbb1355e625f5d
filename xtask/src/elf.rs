//! Reads just enough of an ELF file to tell whether it is statically linked: no program
//! interpreter (`PT_INTERP`) and no needed shared objects (`DT_NEEDED`).

use anyhow::{Result, bail};

const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
const DT_NULL: u64 = 0;
const DT_NEEDED: u64 = 1;

/// What the dynamic loader would be asked to do with a binary.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Linkage {
    /// The program interpreter (`/lib64/ld-linux-x86-64.so.2`), if any.
    pub(crate) interpreter: Option<String>,
    /// How many `DT_NEEDED` entries the dynamic section has.
    pub(crate) needed: usize,
}

impl Linkage {
    pub(crate) fn is_static(&self) -> bool {
        self.interpreter.is_none() && self.needed == 0
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    little: bool,
    wide: bool,
}

impl Reader<'_> {
    fn take<const N: usize>(&self, at: u64) -> Result<[u8; N]> {
        let start = usize::try_from(at)?;
        match self.bytes.get(start..start + N) {
            Some(slice) => Ok(slice.try_into().expect("length checked")),
            None => bail!("truncated ELF file (offset {at})"),
        }
    }

    fn u16(&self, at: u64) -> Result<u16> {
        let b = self.take::<2>(at)?;
        Ok(if self.little {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        })
    }

    fn u32(&self, at: u64) -> Result<u32> {
        let b = self.take::<4>(at)?;
        Ok(if self.little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }

    fn u64(&self, at: u64) -> Result<u64> {
        let b = self.take::<8>(at)?;
        Ok(if self.little {
            u64::from_le_bytes(b)
        } else {
            u64::from_be_bytes(b)
        })
    }

    /// A word: 8 bytes in ELF64, 4 in ELF32.
    fn word(&self, at: u64) -> Result<u64> {
        if self.wide {
            self.u64(at)
        } else {
            self.u32(at).map(u64::from)
        }
    }
}

/// Parses the program headers (and dynamic section) of an ELF image.
pub(crate) fn linkage(bytes: &[u8]) -> Result<Linkage> {
    if bytes.len() < 0x34 || &bytes[..4] != b"\x7fELF" {
        bail!("not an ELF file");
    }
    let wide = match bytes[4] {
        1 => false,
        2 => true,
        class => bail!("unknown ELF class {class}"),
    };
    let little = match bytes[5] {
        1 => true,
        2 => false,
        data => bail!("unknown ELF data encoding {data}"),
    };
    let r = Reader {
        bytes,
        little,
        wide,
    };
    let (phoff, phentsize, phnum) = if wide {
        (r.u64(0x20)?, r.u16(0x36)?, r.u16(0x38)?)
    } else {
        (u64::from(r.u32(0x1c)?), r.u16(0x2a)?, r.u16(0x2c)?)
    };
    let mut linkage = Linkage::default();
    for i in 0..u64::from(phnum) {
        let ph = phoff + i * u64::from(phentsize);
        let kind = r.u32(ph)?;
        let (offset, size) = if wide {
            (r.u64(ph + 8)?, r.u64(ph + 0x20)?)
        } else {
            (u64::from(r.u32(ph + 4)?), u64::from(r.u32(ph + 0x10)?))
        };
        match kind {
            PT_INTERP => {
                let start = usize::try_from(offset)?;
                let end = start.saturating_add(usize::try_from(size)?);
                let raw = bytes.get(start..end).unwrap_or_default();
                let text = raw.split(|b| *b == 0).next().unwrap_or_default();
                linkage.interpreter = Some(String::from_utf8_lossy(text).into_owned());
            }
            PT_DYNAMIC => {
                let entry = if wide { 16 } else { 8 };
                let mut at = offset;
                while at + entry <= offset + size {
                    let tag = r.word(at)?;
                    if tag == DT_NULL {
                        break;
                    }
                    if tag == DT_NEEDED {
                        linkage.needed += 1;
                    }
                    at += entry;
                }
            }
            _ => {}
        }
    }
    Ok(linkage)
}

#[cfg(test)]
mod tests {
    use crate::elf::linkage;

    /// A minimal little-endian ELF64 image with the given program headers (type, contents).
    fn image(headers: &[(u32, Vec<u8>)]) -> Vec<u8> {
        let phoff = 64u64;
        let data_start = phoff + 56 * headers.len() as u64;
        let mut bytes = vec![0u8; 64];
        bytes[..6].copy_from_slice(b"\x7fELF\x02\x01");
        bytes[0x20..0x28].copy_from_slice(&phoff.to_le_bytes());
        bytes[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        bytes[0x38..0x3a].copy_from_slice(&(headers.len() as u16).to_le_bytes());
        let mut data: Vec<u8> = Vec::new();
        for (kind, contents) in headers {
            let mut ph = vec![0u8; 56];
            ph[..4].copy_from_slice(&kind.to_le_bytes());
            ph[8..16].copy_from_slice(&(data_start + data.len() as u64).to_le_bytes());
            ph[0x20..0x28].copy_from_slice(&(contents.len() as u64).to_le_bytes());
            bytes.extend(ph);
            data.extend(contents);
        }
        bytes.extend(data);
        bytes
    }

    fn dynamic(tags: &[u64]) -> Vec<u8> {
        tags.iter()
            .flat_map(|t| t.to_le_bytes().into_iter().chain(0u64.to_le_bytes()))
            .collect()
    }

    #[test]
    fn static_pie_has_a_dynamic_section_but_needs_nothing() {
        let l = linkage(&image(&[(1, vec![]), (2, dynamic(&[0x6ffffffb, 0]))])).unwrap();
        assert!(l.is_static(), "{l:?}");
    }

    #[test]
    fn interpreter_and_needed_libraries_are_found() {
        let l = linkage(&image(&[
            (3, b"/lib64/ld-linux-x86-64.so.2\0".to_vec()),
            (2, dynamic(&[1, 1, 0, 1])),
        ]))
        .unwrap();
        assert_eq!(
            l.interpreter.as_deref(),
            Some("/lib64/ld-linux-x86-64.so.2")
        );
        assert_eq!(l.needed, 2);
        assert!(!l.is_static());
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(linkage(b"#!/bin/sh\necho hi\n").is_err());
        assert!(linkage(&image(&[(2, vec![])])[..70]).is_err());
    }

    #[test]
    fn a_real_dynamic_executable_is_not_static() {
        // Whatever runs this test (cargo's test binary) is linked dynamically on glibc.
        let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let l = linkage(&exe).unwrap();
        if cfg!(all(
            target_os = "linux",
            target_env = "gnu",
            not(target_feature = "crt-static")
        )) {
            assert!(!l.is_static(), "{l:?}");
        }
    }
}
