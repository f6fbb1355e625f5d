//! The names `requires = [cpu = ..., os = ..., arch = ...]` accepts, which are also
//! the names `Facts::probe` reports.

/// Calls `$callback!` with the CPU features probed on x86 and x86_64, as string
/// literals spelled as `is_x86_feature_detected!` takes them: the one written list,
/// for code that needs the literals (that macro accepts nothing else); everyone else
/// reads [`CPU_FEATURES_X86`].
///
/// ```
/// macro_rules! count { ($($name:tt),*) => { [$($name),*].len() } }
/// assert_eq!(muster_names::cpu_features_x86!(count), muster_names::CPU_FEATURES_X86.len());
/// ```
#[macro_export]
macro_rules! cpu_features_x86 {
    ($callback:ident) => {
        $callback! {
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
            "ssse3"
        }
    };
}

/// Calls `$callback!` with the CPU features probed on aarch64, as string literals
/// spelled as `is_aarch64_feature_detected!` takes them (see [`cpu_features_x86!`]).
#[macro_export]
macro_rules! cpu_features_aarch64 {
    ($callback:ident) => {
        $callback! { "neon", "aes", "crc", "sha2", "sve", "lse" }
    };
}

/// The literals a `cpu_features_*!` list passes, as a slice.
macro_rules! str_slice {
    ($($name:tt),*) => {
        &[$($name),*]
    };
}

/// CPU features probed on x86 and x86_64, as `is_x86_feature_detected!` spells them.
pub const CPU_FEATURES_X86: &[&str] = cpu_features_x86!(str_slice);

/// CPU features probed on aarch64, as `is_aarch64_feature_detected!` spells them.
pub const CPU_FEATURES_AARCH64: &[&str] = cpu_features_aarch64!(str_slice);

/// Every CPU feature `requires = [cpu = "..."]` accepts: those of
/// [`CPU_FEATURES_X86`] and then those of [`CPU_FEATURES_AARCH64`] not already listed.
pub const CPU_FEATURES: &[&str] = &union::<{ union_len(CPU_FEATURES_X86, CPU_FEATURES_AARCH64) }>(
    CPU_FEATURES_X86,
    CPU_FEATURES_AARCH64,
);

/// Whether `list` holds `name` (usable in constants).
const fn contains(list: &[&str], name: &str) -> bool {
    let mut i = 0;
    while i < list.len() {
        let (a, b) = (list[i].as_bytes(), name.as_bytes());
        if a.len() == b.len() {
            let mut j = 0;
            while j < a.len() && a[j] == b[j] {
                j += 1;
            }
            if j == a.len() {
                return true;
            }
        }
        i += 1;
    }
    false
}

/// How many names `a` followed by those of `b` not in `a` are.
const fn union_len(a: &[&str], b: &[&str]) -> usize {
    let mut n = a.len();
    let mut i = 0;
    while i < b.len() {
        if !contains(a, b[i]) {
            n += 1;
        }
        i += 1;
    }
    n
}

/// `a`, then the names of `b` not in `a`; `N` is [`union_len`]`(a, b)`.
const fn union<const N: usize>(a: &[&'static str], b: &[&'static str]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut n = 0;
    while n < a.len() {
        out[n] = a[n];
        n += 1;
    }
    let mut i = 0;
    while i < b.len() {
        if !contains(a, b[i]) {
            out[n] = b[i];
            n += 1;
        }
        i += 1;
    }
    out
}

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
    use crate::{CPU_FEATURES, CPU_FEATURES_AARCH64, CPU_FEATURES_X86};

    #[test]
    fn cpu_features_are_the_two_probe_lists_without_repeats() {
        let mut union: Vec<&str> = CPU_FEATURES_X86.to_vec();
        for f in CPU_FEATURES_AARCH64 {
            if !union.contains(f) {
                union.push(f);
            }
        }
        assert_eq!(union, CPU_FEATURES);
        assert_eq!(CPU_FEATURES.len(), 25);
        assert!(CPU_FEATURES.contains(&"sse4.2") && CPU_FEATURES.contains(&"neon"));
    }
}
