//! The grammar of `#[slot(...)]`'s arguments — `name`, `description`, `crate`, each at
//! most once — parsed by the macro when it expands a slot and by the xtask when it
//! reads a contract's sources, so the two read the same slot name.

use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::parse::{Parse, ParseStream, Parser};
use syn::{Attribute, LitStr, Meta, Path};

/// What `#[slot(...)]` says; every argument is optional.
#[derive(Default)]
pub struct SlotArgs {
    /// `name = "..."`: the slot's name (else [`slot_name`](crate::slot_name) of the trait).
    pub name: Option<LitStr>,
    /// `description = "..."` (else the trait's doc summary).
    pub description: Option<LitStr>,
    /// `crate = path`: where generated code finds the runtime crate.
    pub krate: Option<Path>,
}

impl Parse for SlotArgs {
    /// Parses the arguments, reporting a duplicate or unsupported one.
    fn parse(input: ParseStream<'_>) -> syn::Result<SlotArgs> {
        let mut out = SlotArgs::default();
        let parser = syn::meta::parser(|meta| out.argument(meta));
        parser.parse2(input.parse()?)?;
        Ok(out)
    }
}

impl SlotArgs {
    /// The arguments of a `#[slot]` or `#[slot(...)]` attribute (none for the bare form).
    pub fn of_attribute(attr: &Attribute) -> syn::Result<SlotArgs> {
        match &attr.meta {
            Meta::List(_) => attr.parse_args(),
            _ => Ok(SlotArgs::default()),
        }
    }

    /// One `key = value` argument.
    fn argument(&mut self, meta: ParseNestedMeta<'_>) -> syn::Result<()> {
        let key = &meta.path;
        if key.is_ident("name") {
            if self.name.is_some() {
                return Err(meta.error("duplicate #[slot] argument `name`"));
            }
            self.name = Some(meta.value()?.parse()?);
        } else if key.is_ident("description") {
            if self.description.is_some() {
                return Err(meta.error("duplicate #[slot] argument `description`"));
            }
            self.description = Some(meta.value()?.parse()?);
        } else if key.is_ident("crate") {
            if self.krate.is_some() {
                return Err(meta.error("duplicate #[slot] argument `crate`"));
            }
            self.krate = Some(meta.value()?.parse()?);
        } else {
            return Err(meta.error(format!(
                "unsupported #[slot] argument `{}`; expected `name`, `description` or `crate`",
                key.to_token_stream().to_string().replace(' ', "")
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::slot_args::SlotArgs;

    fn parse(attr: &str) -> syn::Result<SlotArgs> {
        let item: syn::ItemTrait = syn::parse_str(&format!("{attr} trait T {{}}")).unwrap();
        SlotArgs::of_attribute(&item.attrs[0])
    }

    #[test]
    fn the_three_arguments() {
        let args =
            parse(r#"#[slot(name = "checksum", description = "d", crate = ::renamed)]"#).unwrap();
        assert_eq!(args.name.unwrap().value(), "checksum");
        assert_eq!(args.description.unwrap().value(), "d");
        assert!(args.krate.is_some());
        assert!(parse("#[muster::slot]").unwrap().name.is_none());
    }

    #[test]
    fn duplicates_and_unknown_arguments_are_refused() {
        let err = |attr| parse(attr).err().unwrap().to_string();
        assert_eq!(
            err(r#"#[slot(name = "a", name = "b")]"#),
            "duplicate #[slot] argument `name`"
        );
        assert_eq!(
            err(r#"#[slot(nmae = "a")]"#),
            "unsupported #[slot] argument `nmae`; expected `name`, `description` or `crate`"
        );
    }
}
