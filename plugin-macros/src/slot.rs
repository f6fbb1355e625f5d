//! `#[slot]`: parse the arguments (`muster_names::SlotArgs`, the grammar the xtask
//! reads contracts with too), validate the trait (`valid`), expand the registry
//! plumbing (`expand`); errors are combined and emitted once, here.

mod expand;
mod valid;

use muster_names::SlotArgs;
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Error, Expr, ExprLit, ItemTrait, Lit, LitStr, Meta};

use crate::errors::push;
use crate::krate;
use crate::slot::expand::generate;
use crate::slot::valid::{check_slot_name, validate};

pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let mut errors: Option<Error> = None;

    let item: ItemTrait = match syn::parse2(input.clone()) {
        Ok(item) => item,
        Err(_) => {
            let span = item_keyword_span(&input);
            let err = Error::new(
                span,
                "#[slot] must be applied to a trait, for example `pub trait Showcase: Send + Sync { ... }`",
            );
            let err = err.to_compile_error();
            return quote!(#input #err);
        }
    };
    let args = syn::parse2::<SlotArgs>(args).unwrap_or_else(|e| {
        push(&mut errors, e);
        SlotArgs::default()
    });
    for e in validate(&item) {
        push(&mut errors, e);
    }
    let name = args.name.as_ref().map_or_else(
        || muster_names::slot_name(&item.ident.to_string()),
        LitStr::value,
    );
    if let Some(lit) = &args.name
        && let Err(msg) = check_slot_name(&name)
    {
        push(&mut errors, Error::new(lit.span(), msg));
    }

    if let Some(err) = errors {
        // Emit the trait unchanged so uses of it do not add follow-on errors.
        let compile_error = err.to_compile_error();
        return quote!(#item #compile_error);
    }

    let description = args
        .description
        .as_ref()
        .map(LitStr::value)
        .unwrap_or_else(|| doc_summary(&item.attrs));
    let krate = args.krate.unwrap_or_else(krate::default_path);
    generate(item, &name, &description, &krate)
}

pub(crate) fn item_keyword_span(input: &TokenStream) -> Span {
    // Point at the item's keyword (`struct`, `fn`, ...) rather than at the attribute.
    input
        .clone()
        .into_iter()
        .find(|tt| matches!(tt, proc_macro2::TokenTree::Ident(i) if i != "pub"))
        .map_or_else(Span::call_site, |tt| tt.span())
}

/// The first paragraph of the trait's doc comment, used when no `description` is given.
fn doc_summary(attrs: &[syn::Attribute]) -> String {
    let mut lines = Vec::new();
    for attr in attrs {
        if !attr.path().is_ident("doc") {
            continue;
        }
        if let Meta::NameValue(nv) = &attr.meta
            && let Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) = &nv.value
        {
            let line = s.value().trim().to_owned();
            if line.is_empty() {
                if !lines.is_empty() {
                    break;
                }
            } else {
                lines.push(line);
            }
        }
    }
    lines.join(" ")
}
