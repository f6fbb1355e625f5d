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

#[cfg(test)]
mod tests {
    use proc_macro2::{TokenStream, TokenTree};
    use quote::quote;

    /// Whether `tokens` name the identifier `muster` anywhere.
    fn names_muster(tokens: TokenStream) -> bool {
        tokens.into_iter().any(|tt| match tt {
            TokenTree::Ident(i) => i == "muster",
            TokenTree::Group(g) => names_muster(g.stream()),
            _ => false,
        })
    }

    #[test]
    fn expansions_with_crate_never_name_muster() {
        let slot = crate::slot::expand(
            quote!(crate = ::renamed),
            quote!(
                pub trait Greeter: Send + Sync {
                    fn greet(&self) -> String;
                }
            ),
        );
        assert!(!slot.is_empty() && !names_muster(slot.clone()), "{slot}");
        let plugin = crate::plugin::expand(
            quote!(
                slot = Greeter,
                version = "1.0.0",
                requires = [min_cores = 2],
                crate = ::renamed
            ),
            quote!(
                struct Plain;
            ),
        );
        assert!(!names_muster(plugin.clone()), "{plugin}");
        assert!(plugin.to_string().contains("renamed"), "{plugin}");

        // Without `crate`, the default path is `::muster`.
        let plugin = crate::plugin::expand(
            quote!(slot = Greeter, version = "1.0.0"),
            quote!(
                struct Plain;
            ),
        );
        assert!(names_muster(plugin));
    }
}
