//! Tells whether an ELF file is statically linked: no program interpreter (`PT_INTERP`)
//! and no needed shared objects (`DT_NEEDED`), read from the program headers with the
//! `object` crate (no `ldd`: it would run the loader).

use anyhow::{Context, Result, bail};
use object::FileKind;
use object::elf::{self, FileHeader32, FileHeader64};
use object::read::elf::{Dyn, FileHeader, ProgramHeader};

/// What the dynamic loader would be asked to do with a binary.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Linkage {
    /// The program interpreter (`/lib64/ld-linux-x86-64.so.2`), if any.
    pub(crate) interpreter: Option<String>,
    /// How many `DT_NEEDED` entries the dynamic section has.
    pub(crate) needed: usize,
    /// The dynamic section has `DT_RELR`: relative relocations packed.
    pub(crate) packed_relocations: bool,
}

impl Linkage {
    pub(crate) fn is_static(&self) -> bool {
        self.interpreter.is_none() && self.needed == 0
    }
}

/// Reads the program headers (and dynamic segment) of an ELF image.
pub(crate) fn linkage(bytes: &[u8]) -> Result<Linkage> {
    let kind = FileKind::parse(bytes).context("not an ELF file")?;
    match kind {
        FileKind::Elf32 => read::<FileHeader32<object::Endianness>>(bytes),
        FileKind::Elf64 => read::<FileHeader64<object::Endianness>>(bytes),
        other => bail!("not an ELF file ({other:?})"),
    }
}

fn read<H: FileHeader<Endian = object::Endianness>>(bytes: &[u8]) -> Result<Linkage> {
    let header = H::parse(bytes).context("invalid ELF header")?;
    let endian = header.endian()?;
    let mut linkage = Linkage::default();
    for ph in header
        .program_headers(endian, bytes)
        .context("invalid ELF program headers")?
    {
        if let Some(interp) = ph.interpreter(endian, bytes)? {
            linkage.interpreter = Some(String::from_utf8_lossy(interp).into_owned());
        }
        if let Some(dynamic) = ph.dynamic(endian, bytes)? {
            for entry in dynamic {
                match entry.tag(endian) {
                    elf::DT_NULL => break,
                    elf::DT_NEEDED => linkage.needed += 1,
                    elf::DT_RELR => linkage.packed_relocations = true,
                    _ => {}
                }
            }
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
        bytes[..7].copy_from_slice(b"\x7fELF\x02\x01\x01");
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
        assert!(!l.packed_relocations, "{l:?}");
    }

    #[test]
    fn packed_relocations_are_seen_in_the_dynamic_section() {
        // DT_RELR (36) before DT_NULL counts; after it, not.
        let l = linkage(&image(&[(2, dynamic(&[0x6ffffffb, 36, 0]))])).unwrap();
        assert!(l.is_static() && l.packed_relocations, "{l:?}");
        let l = linkage(&image(&[(2, dynamic(&[0, 36]))])).unwrap();
        assert!(!l.packed_relocations, "{l:?}");
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
