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

    // On a mistake, the type still gets the lifecycle every slot trait requires, so
    // that the mistake is the only error reported.
    let lifecycle = |krate: Option<&syn::Path>| {
        let krate = krate.cloned().unwrap_or_else(crate::krate::default_path);
        let (impl_generics, ty_generics, where_clause) = generics
            .map(|g| g.split_for_impl())
            .map_or((quote!(), quote!(), quote!()), |(i, t, w)| {
                (quote!(#i), quote!(#t), quote!(#w))
            });
        quote! {
            impl #impl_generics #krate::__private::Lifecycle for #ident #ty_generics #where_clause {}
        }
    };
    match PluginArgs::parse(args) {
        Ok(args) if errors.is_none() => {
            let registration = expand::registration(ident, &args);
            quote!(#item #registration)
        }
        Ok(args) => {
            let err = errors.map(|e| e.to_compile_error());
            let lifecycle = lifecycle(args.krate.as_ref());
            quote!(#item #err #lifecycle)
        }
        Err(e) => {
            push(&mut errors, e);
            let err = errors.map(|e| e.to_compile_error());
            let lifecycle = lifecycle(None);
            quote!(#item #err #lifecycle)
        }
    }
}
