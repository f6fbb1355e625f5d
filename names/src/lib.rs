//! The naming rules and name lists that muster's macro crate, its runtime and its
//! xtask share, so that the three cannot disagree: one home per rule.
//!
//! - [`slot_name`]: the slot a `#[muster::slot]` trait declares when it gives no
//!   `name = "..."` (`HTTPClient` → `http_client`).
//! - [`CPU_FEATURES`], [`OSES`], [`ARCHES`]: the values `requires = [cpu = ...,
//!   os = ..., arch = ...]` accepts, which are also the names `Facts::probe` reports.
//!
//! ```
//! assert_eq!(muster_names::slot_name("HTTPClient"), "http_client");
//! assert!(muster_names::CPU_FEATURES.contains(&"sse4.2"));
//! ```

/// The slot name of a trait named `ident`: snake case, an acronym kept as one word
/// (`UplinkV2` → `uplink_v2`, `HTTPClient` → `http_client`, `ABC` → `abc`).
pub fn slot_name(ident: &str) -> String {
    let chars: Vec<char> = ident.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if i > 0
                && (prev_lower || (next_lower && chars[i - 1].is_uppercase()))
                && !out.ends_with('_')
            {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// CPU features probed on x86 and x86_64, as `is_x86_feature_detected!` spells them.
pub const CPU_FEATURES_X86: &[&str] = &[
    "aes",
    "avx",
    "avx2",
    "avx512bw",
    "avx512f",
    "bmi1",
    "bmi2",
    "f16c",
    "fma",
    "lzcnt",
    "pclmulqdq",
    "popcnt",
    "rdrand",
    "sha",
    "sse",
    "sse2",
    "sse3",
    "sse4.1",
    "sse4.2",
    "ssse3",
];

/// CPU features probed on aarch64, as `is_aarch64_feature_detected!` spells them.
pub const CPU_FEATURES_AARCH64: &[&str] = &["neon", "aes", "crc", "sha2", "sve", "lse"];

/// Every CPU feature `requires = [cpu = "..."]` accepts: those of
/// [`CPU_FEATURES_X86`] and then those of [`CPU_FEATURES_AARCH64`] not already listed.
pub const CPU_FEATURES: &[&str] = &[
    "aes",
    "avx",
    "avx2",
    "avx512bw",
    "avx512f",
    "bmi1",
    "bmi2",
    "f16c",
    "fma",
    "lzcnt",
    "pclmulqdq",
    "popcnt",
    "rdrand",
    "sha",
    "sse",
    "sse2",
    "sse3",
    "sse4.1",
    "sse4.2",
    "ssse3",
    "neon",
    "crc",
    "sha2",
    "sve",
    "lse",
];

/// Operating systems `requires = [os = "..."]` accepts (`std::env::consts::OS` values).
pub const OSES: &[&str] = &[
    "linux",
    "macos",
    "windows",
    "freebsd",
    "netbsd",
    "openbsd",
    "dragonfly",
    "illumos",
    "solaris",
    "android",
    "ios",
];

/// Architectures `requires = [arch = "..."]` accepts (`std::env::consts::ARCH` values).
pub const ARCHES: &[&str] = &[
    "x86",
    "x86_64",
    "arm",
    "aarch64",
    "riscv64",
    "powerpc64",
    "s390x",
    "loongarch64",
    "wasm32",
];

#[cfg(test)]
mod tests {
    use crate::{CPU_FEATURES, CPU_FEATURES_AARCH64, CPU_FEATURES_X86, slot_name};

    #[test]
    fn slot_names() {
        assert_eq!(slot_name("Showcase"), "showcase");
        assert_eq!(slot_name("UplinkV2"), "uplink_v2");
        assert_eq!(slot_name("HTTPClient"), "http_client");
        assert_eq!(slot_name("Checksum"), "checksum");
        assert_eq!(slot_name("StatusLine"), "status_line");
        assert_eq!(slot_name("ABC"), "abc");
    }

    #[test]
    fn cpu_features_are_the_two_probe_lists_without_repeats() {
        let mut union: Vec<&str> = CPU_FEATURES_X86.to_vec();
        for f in CPU_FEATURES_AARCH64 {
            if !union.contains(f) {
                union.push(f);
            }
        }
        assert_eq!(union, CPU_FEATURES);
    }
}
