//! How a shipped Linux binary is linked: the C runtime statically (static-PIE, so ASLR
//! stays) and, where the toolchain supports it, its relative relocations packed (RELR,
//! `-z pack-relative-relocs`).
//!
//! Every registration, vtable and string reference in a position-independent binary is
//! a pointer the start code fixes up at load time. As `Elf64_Rela` entries that is 24
//! bytes each; packed as RELR it is about one bit each. Nothing is given up: the binary
//! stays position-independent and its pages the same. It needs GNU ld ≥ 2.38 (or lld)
//! to write them and glibc ≥ 2.36, whose static start code (`_dl_relocate_static_pie`)
//! applies them; an older glibc would start with its pointers unrelocated. So the xtask
//! packs only when it builds for the machine it runs on and both are new enough here,
//! records the choice in the manifest (`packed_relocations`), and `build` verifies that
//! the binary has them.

use std::path::Path;
use std::process::Command;

use crate::cargo_meta::host_triple;

/// The rustc flag that links the C runtime statically.
pub(crate) const CRT_STATIC_FLAG: &str = "-C target-feature=+crt-static";

/// The rustc flag that packs relative relocations (RELR).
pub(crate) const PACK_RELOCS_FLAG: &str = "-C link-arg=-Wl,-z,pack-relative-relocs";

/// glibc's first release whose static-PIE start code applies `DT_RELR`.
const GLIBC_APPLIES_RELR: (u32, u32) = (2, 36);
/// GNU ld's first release that writes `DT_RELR`.
const LD_WRITES_RELR: (u32, u32) = (2, 38);

/// Whether a static build for `target` on `host` packs its relocations: a Linux GNU
/// target built for this machine, with this machine's glibc and linker new enough.
pub(crate) fn packs_relocations(target: &str, host: &str) -> bool {
    target == host
        && target.contains("-linux-gnu")
        && supported(
            &output("getconf", &["GNU_LIBC_VERSION"]),
            &output("ld", &["-v"]),
        )
}

/// The rustc flags of the shipped static link for this machine (what `cargo xtask build`
/// adds for a Linux build of the host): for benchmarks that build as the xtask ships.
pub fn shipped_rustflags() -> Vec<&'static str> {
    // Empty if rustc cannot be run: then nothing is packed.
    let host = host_triple(Path::new(".")).unwrap_or_default();
    let mut flags = vec![CRT_STATIC_FLAG];
    if packs_relocations(&host, &host) {
        flags.push(PACK_RELOCS_FLAG);
    }
    flags
}

/// From `getconf GNU_LIBC_VERSION` (`glibc 2.36`) and `ld -v` (`GNU ld (GNU Binutils
/// for Debian) 2.40`, or `LLD 16.0.6 ...`): whether both handle RELR.
fn supported(glibc: &str, ld: &str) -> bool {
    let glibc_ok = glibc
        .trim()
        .strip_prefix("glibc ")
        .and_then(major_minor)
        .is_some_and(|v| v >= GLIBC_APPLIES_RELR);
    let ld = ld.lines().next().unwrap_or_default();
    let ld_ok = if ld.starts_with("GNU ld") {
        ld.split_whitespace()
            .last()
            .and_then(major_minor)
            .is_some_and(|v| v >= LD_WRITES_RELR)
    } else {
        // lld has written RELR since release 15; other linkers: do not risk it.
        ld.split_whitespace()
            .skip_while(|w| *w != "LLD")
            .nth(1)
            .and_then(major_minor)
            .is_some_and(|v| v >= (15, 0))
    };
    glibc_ok && ld_ok
}

/// `2.36`, `2.40.50.20230101` or `2.38-2ubuntu1` as `(2, 36)`, `(2, 40)`, `(2, 38)`.
fn major_minor(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?;
    let digits = minor
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(minor.len());
    Some((major, minor[..digits].parse().ok()?))
}

/// A program's stdout, or empty when it cannot be run.
fn output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::{major_minor, supported};

    #[test]
    fn versions_read() {
        assert_eq!(major_minor("2.36"), Some((2, 36)));
        assert_eq!(major_minor("2.40.50.20230101"), Some((2, 40)));
        assert_eq!(major_minor("2.38-2ubuntu1"), Some((2, 38)));
        assert_eq!(major_minor("x"), None);
    }

    #[test]
    fn packs_only_with_glibc_2_36_and_ld_2_38() {
        let debian12_ld = "GNU ld (GNU Binutils for Debian) 2.40\n";
        assert!(supported("glibc 2.36\n", debian12_ld));
        assert!(supported(
            "glibc 2.39",
            "GNU ld (GNU Binutils for Ubuntu) 2.42"
        ));
        // Ubuntu 22.04: ld writes RELR, but its static glibc would not apply them.
        assert!(!supported(
            "glibc 2.35",
            "GNU ld (GNU Binutils for Ubuntu) 2.38"
        ));
        // An old linker ignores the option (with a warning).
        assert!(!supported("glibc 2.36", "GNU ld version 2.35.2-24.el9"));
        assert!(supported(
            "glibc 2.36",
            "Debian LLD 16.0.6 (compatible with GNU linkers)"
        ));
        assert!(!supported(
            "glibc 2.36",
            "Debian LLD 14.0.6 (compatible with GNU linkers)"
        ));
        // musl has no `getconf GNU_LIBC_VERSION`; nothing readable: no packing.
        assert!(!supported("", debian12_ld));
        assert!(!supported("glibc 2.36", ""));
    }
}
