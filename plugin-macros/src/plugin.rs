//! `#[plugin]`: registers a type as one version of a slot.

mod args;
mod expand;

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Error, Item};

use crate::errors::push;
use crate::plugin::args::PluginArgs;

pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let item: Item = match syn::parse2(input.clone()) {
        Ok(item) => item,
        Err(e) => return e.to_compile_error(),
    };
    let mut errors: Option<Error> = None;

    let (ident, generics) = match &item {
        Item::Struct(s) => (Some(&s.ident), Some(&s.generics)),
        Item::Enum(e) => (Some(&e.ident), Some(&e.generics)),
        Item::Union(u) => (Some(&u.ident), Some(&u.generics)),
        _ => (None, None),
    };
    let Some(ident) = ident else {
        let span = crate::slot::item_keyword_span(&input);
        let err = Error::new(span, "#[plugin] must be applied to a struct, enum or union");
        let err = err.to_compile_error();
        return quote!(#input #err);
    };
    if let Some(generics) = generics.filter(|g| !g.params.is_empty()) {
        push(
            &mut errors,
            Error::new_spanned(
                &generics.params,
                "#[plugin] type must not be generic: each registration is one concrete type",
            ),
        );
    }

    match PluginArgs::parse(args) {
        Ok(args) if errors.is_none() => {
            let registration = expand::registration(ident, &args);
            quote!(#item #registration)
        }
        Ok(_) => {
            let err = errors.map(|e| e.to_compile_error());
            quote!(#item #err)
        }
        Err(e) => {
            push(&mut errors, e);
            let err = errors.map(|e| e.to_compile_error());
            quote!(#item #err)
        }
    }
}
