//! Conformance checks every plugin of a slot must pass, shipped with the contract so
//! each plugin crate (each release) runs the same ones in its own tests.

use crate::Checksum;

/// Bit-at-a-time CRC-32C (Castagnoli, reflected polynomial `0x82F6_3B78`): slow,
/// obviously right, independent of any table or instruction.
pub fn reference_crc32c(data: &[u8]) -> u32 {
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
pub fn noise(len: usize) -> Vec<u8> {
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

/// Checks a `checksum` implementation: the published CRC-32C vectors (check value,
/// iSCSI test patterns), then agreement with [`reference_crc32c`] at every length up
/// to 300 and several larger ones, at 17 alignments, and on a 1 MiB buffer.
/// Panics, naming the failing input, on the first mismatch.
pub fn check_checksum(plugin: &dyn Checksum) {
    let crc = |data: &[u8]| plugin.crc32c(data);
    let ascending: Vec<u8> = (0..32).collect();
    let descending: Vec<u8> = (0..32).rev().collect();
    let vectors: [(&str, &[u8], u32); 6] = [
        ("empty", b"", 0),
        ("check value 123456789", b"123456789", 0xE306_9283),
        ("32 zero bytes", &[0u8; 32], 0x8A91_36AA),
        ("32 0xFF bytes", &[0xFFu8; 32], 0x62A8_AB43),
        ("32 ascending bytes", &ascending, 0x46DD_794E),
        ("32 descending bytes", &descending, 0x113F_DB5C),
    ];
    for (what, data, expected) in vectors {
        assert_eq!(reference_crc32c(data), expected, "reference on {what}");
        assert_eq!(crc(data), expected, "{} on {what}", plugin.implementation());
    }
    let data = noise(4096 + 64);
    for start in 0..17 {
        for len in (0..300).chain([1023, 1024, 1025, 4096]) {
            let slice = &data[start..start + len];
            assert_eq!(
                crc(slice),
                reference_crc32c(slice),
                "start {start}, len {len}"
            );
        }
    }
    let long = noise(1 << 20);
    assert_eq!(crc(&long), reference_crc32c(&long), "1 MiB buffer");
}

/// What a plugin crate registered, for its own tests: `(slot, name, team, requires)`
/// of the one registration from `package`, whose version must equal
/// `package_version` (each release is its own package, versioned like its plugin).
/// Call as `registration(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))`.
pub fn registration(
    package: &str,
    package_version: &str,
) -> (
    &'static str,
    &'static str,
    Option<&'static str>,
    Vec<String>,
) {
    let found: Vec<_> = muster::plugins()
        .into_iter()
        .filter(|m| m.package() == package)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "package {package} should register exactly one plugin version"
    );
    let meta = found[0];
    assert_eq!(
        meta.version(),
        package_version,
        "plugin version of {package}"
    );
    let requires = meta.requires().iter().map(ToString::to_string).collect();
    (meta.slot(), meta.name(), meta.team(), requires)
}
