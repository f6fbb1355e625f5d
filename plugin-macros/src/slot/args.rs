//! The arguments of `#[slot(...)]`: `name`, `description`, `crate`, each at most once.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{LitStr, Path};

/// What `#[slot(...)]` says; every argument is optional.
#[derive(Default)]
pub(crate) struct SlotArgs {
    pub(crate) name: Option<LitStr>,
    pub(crate) description: Option<LitStr>,
    pub(crate) krate: Option<Path>,
}

impl SlotArgs {
    /// Parses the arguments, reporting a duplicate or unsupported one.
    pub(crate) fn parse(args: TokenStream) -> syn::Result<SlotArgs> {
        let mut out = SlotArgs {
            name: None,
            description: None,
            krate: None,
        };
        let parser = syn::meta::parser(|meta| {
            let key = meta.path.clone();
            if key.is_ident("name") {
                if out.name.is_some() {
                    return Err(meta.error("duplicate #[slot] argument `name`"));
                }
                out.name = Some(meta.value()?.parse()?);
            } else if key.is_ident("description") {
                if out.description.is_some() {
                    return Err(meta.error("duplicate #[slot] argument `description`"));
                }
                out.description = Some(meta.value()?.parse()?);
            } else if key.is_ident("crate") {
                if out.krate.is_some() {
                    return Err(meta.error("duplicate #[slot] argument `crate`"));
                }
                out.krate = Some(meta.value()?.parse()?);
            } else {
                return Err(meta.error(format!(
                    "unsupported #[slot] argument `{}`; expected `name`, `description` or `crate`",
                    key.to_token_stream().to_string().replace(' ', "")
                )));
            }
            Ok(())
        });
        syn::parse::Parser::parse2(parser, args)?;
        Ok(out)
    }
}
