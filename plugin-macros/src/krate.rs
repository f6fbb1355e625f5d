//! The path generated code uses to reach the `muster` crate (`crate = path` override).

use proc_macro2::Span;
use syn::{Path, parse_quote_spanned};

/// The default path, `::muster`.
pub(crate) fn default_path() -> Path {
    parse_quote_spanned!(Span::call_site()=> ::muster)
}

/// A short, stable, lowercase hex hash of a string (FNV-1a, 64 bit), used to make
/// generated identifiers unique across crates and modules.
pub(crate) fn hash(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The name of the crate being compiled, as cargo tells rustc (`CARGO_CRATE_NAME`).
pub(crate) fn current_crate() -> String {
    std::env::var("CARGO_CRATE_NAME").unwrap_or_else(|_| "unknown".to_owned())
}
