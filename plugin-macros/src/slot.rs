//! `#[slot]`: parse the arguments, validate the trait, expand the registry plumbing.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{
    Error, Expr, ExprLit, FnArg, ItemTrait, Lit, LitStr, Meta, Path, ReturnType, TraitItem, Type,
    TypeParamBound, WherePredicate,
};

use crate::errors::push;
use crate::krate;

/// Methods muster adds to every slot trait; a slot must not declare them itself.
const RESERVED: &[&str] = &["is_acceptable", "start", "stop"];

struct SlotArgs {
    name: Option<LitStr>,
    description: Option<LitStr>,
    krate: Option<Path>,
}

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
    let args = match parse_args(args) {
        Ok(args) => args,
        Err(e) => {
            push(&mut errors, e);
            SlotArgs {
                name: None,
                description: None,
                krate: None,
            }
        }
    };
    for e in validate(&item) {
        push(&mut errors, e);
    }
    let name = args
        .name
        .as_ref()
        .map_or_else(|| snake_case(&item.ident.to_string()), LitStr::value);
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

fn parse_args(args: TokenStream) -> syn::Result<SlotArgs> {
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

/// Syntactic dyn-compatibility checks with precise spans; the compiler's own
/// check (a `&dyn Trait` in the expansion) backs them up.
fn validate(item: &ItemTrait) -> Vec<Error> {
    let mut errors = Vec::new();
    if !item.generics.params.is_empty() {
        errors.push(Error::new(
            item.generics.params.span(),
            "#[slot] trait must not be generic: a slot is used as `dyn Trait`",
        ));
    }
    for bound in &item.supertraits {
        if let TypeParamBound::Trait(t) = bound
            && t.path.is_ident("Sized")
        {
            errors.push(Error::new(
                t.span(),
                "#[slot] trait must not require `Sized`: a slot is used as `dyn Trait`",
            ));
        }
    }
    for trait_item in &item.items {
        match trait_item {
            TraitItem::Const(c) => errors.push(Error::new(
                c.ident.span(),
                "#[slot] trait must not have associated consts: a slot is used as `dyn Trait`",
            )),
            TraitItem::Type(t) => errors.push(Error::new(
                t.ident.span(),
                "#[slot] trait must not have associated types: a slot is used as `dyn Trait`",
            )),
            TraitItem::Fn(f) => {
                let name = f.sig.ident.to_string();
                if RESERVED.contains(&name.as_str()) {
                    errors.push(Error::new(
                        f.sig.ident.span(),
                        format!(
                            "`{name}` is reserved: muster adds the `is_acceptable`, `start` and `stop` hooks to every slot"
                        ),
                    ));
                    continue;
                }
                if requires_self_sized(f.sig.generics.where_clause.as_ref()) {
                    continue; // Excluded from the vtable: anything goes.
                }
                if let Some(param) = f
                    .sig
                    .generics
                    .params
                    .iter()
                    .find(|p| !matches!(p, syn::GenericParam::Lifetime(_)))
                {
                    errors.push(Error::new(
                        param.span(),
                        format!(
                            "#[slot] method `{name}` must not have type parameters: a slot is used as `dyn Trait`"
                        ),
                    ));
                } else if !matches!(f.sig.inputs.first(), Some(FnArg::Receiver(_))) {
                    errors.push(Error::new(
                        f.sig.ident.span(),
                        format!(
                            "#[slot] method `{name}` needs a `self` receiver (or `where Self: Sized`): a slot is used as `dyn Trait`"
                        ),
                    ));
                } else if let ReturnType::Type(_, ty) = &f.sig.output
                    && is_self(ty)
                {
                    errors.push(Error::new(
                            ty.span(),
                            format!(
                                "#[slot] method `{name}` must not return `Self`: a slot is used as `dyn Trait`"
                            ),
                        ));
                }
            }
            _ => {}
        }
    }
    errors
}

fn requires_self_sized(where_clause: Option<&syn::WhereClause>) -> bool {
    where_clause.is_some_and(|w| {
        w.predicates.iter().any(|p| match p {
            WherePredicate::Type(t) => {
                is_self(&t.bounded_ty)
                    && t.bounds
                        .iter()
                        .any(|b| matches!(b, TypeParamBound::Trait(t) if t.path.is_ident("Sized")))
            }
            _ => false,
        })
    })
}

fn is_self(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.qself.is_none() && p.path.is_ident("Self"))
}

fn check_slot_name(name: &str) -> Result<(), String> {
    let ok = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid slot name `{name}`: use lowercase letters, digits, `_` and `-`, starting with a letter"
        ))
    }
}

/// `UplinkV2` -> `uplink_v2`, `HTTPClient` -> `http_client`.
pub(crate) fn snake_case(ident: &str) -> String {
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

fn generate(mut item: ItemTrait, name: &str, description: &str, krate: &Path) -> TokenStream {
    let ident = item.ident.clone();
    let vis = item.vis.clone();
    let crate_name = krate::current_crate();
    let hash = krate::hash(&format!("{crate_name}::{}", item.to_token_stream()));
    let upper = ident.to_string().to_uppercase();
    let slice = format_ident!(
        "__MUSTER_SLOT_{}_{}_{}",
        crate_name.to_uppercase(),
        upper,
        &hash[..8]
    );
    let node = format_ident!("__MusterNode{}{}", ident, &hash[..8]);
    let info = format_ident!(
        "__MUSTER_INFO_{}_{}_{}",
        crate_name.to_uppercase(),
        upper,
        &hash[..8]
    );

    // The lifecycle hooks every slot gets, with defaults a plugin may override.
    item.items.push(syn::parse_quote! {
        /// Whether this plugin version accepts the host described by `facts`.
        ///
        /// Added by `#[muster::slot]`. Checked after the declarative `requires` and
        /// before the version is selected; the default accepts every host.
        fn is_acceptable(&self, facts: &#krate::Facts) -> ::core::result::Result<(), #krate::Rejection> {
            let _ = facts;
            ::core::result::Result::Ok(())
        }
    });
    item.items.push(syn::parse_quote! {
        /// Provisions the plugin; called once, before first use.
        ///
        /// Added by `#[muster::slot]`. An error rejects this version and selection
        /// falls back to the next older acceptable one. The default does nothing.
        fn start(&mut self) -> ::core::result::Result<(), #krate::Rejection> {
            ::core::result::Result::Ok(())
        }
    });
    item.items.push(syn::parse_quote! {
        /// Cleans up; called once on shutdown or when this version is replaced.
        ///
        /// Added by `#[muster::slot]`. The default does nothing.
        fn stop(&mut self) {}
    });

    let dyn_check = quote_spanned!(ident.span()=> dyn #ident);

    quote! {
        #item

        // The slot's own link-time slice of typed registrations. Reachable from the
        // trait's path: the `use` below names it like the trait, in the value and
        // macro namespaces (the trait itself lives in the type namespace).
        #krate::__private::if_linkme! {
            #[doc(hidden)]
            #[#krate::__private::linkme::distributed_slice]
            #[linkme(crate = #krate::__private::linkme)]
            #vis static #slice: [#krate::Registration<dyn #ident>];

            #[doc(hidden)]
            #[allow(unused_imports)]
            #vis use #slice as #ident;

            #[#krate::__private::linkme::distributed_slice(#krate::__private::SLOTS)]
            #[linkme(crate = #krate::__private::linkme)]
            #[doc(hidden)]
            static #info: #krate::SlotInfo = #krate::SlotInfo::of::<dyn #ident>();
        }

        #krate::__private::if_inventory! {
            #[doc(hidden)]
            #vis struct #node(&'static #krate::Registration<dyn #ident>);

            impl #node {
                #[doc(hidden)]
                pub const fn new(registration: &'static #krate::Registration<dyn #ident>) -> Self {
                    Self(registration)
                }
            }

            #krate::__private::inventory::collect!(#node);

            impl #krate::__private::InventorySlot for dyn #ident {
                type Node = #node;
            }

            #krate::__private::inventory::submit! {
                #krate::SlotInfo::of::<dyn #ident>()
            }
        }

        impl #krate::Slot for dyn #ident {
            const NAME: &'static str = #name;
            const DESCRIPTION: &'static str = #description;

            fn index() -> &'static #krate::SlotIndex<Self> {
                static INDEX: #krate::__private::OnceLock<#krate::SlotIndex<dyn #ident>> =
                    #krate::__private::OnceLock::new();
                INDEX.get_or_init(|| {
                    #krate::__private::if_linkme! {
                        let registrations = #slice.iter();
                    }
                    #krate::__private::if_inventory! {
                        let registrations = #krate::__private::inventory::iter::<#node>
                            .into_iter()
                            .map(|node| node.0);
                    }
                    #krate::SlotIndex::new(#name, registrations)
                })
            }

            fn __is_acceptable(
                instance: &Self,
                facts: &#krate::Facts,
            ) -> ::core::result::Result<(), #krate::Rejection> {
                instance.is_acceptable(facts)
            }

            fn __start(instance: &mut Self) -> ::core::result::Result<(), #krate::Rejection> {
                instance.start()
            }

            fn __stop(instance: &mut Self) {
                instance.stop()
            }
        }

        // Dyn-compatibility, checked by the compiler too.
        const _: ::core::option::Option<&#dyn_check> = ::core::option::Option::None;
    }
}

#[cfg(test)]
mod tests {
    use crate::slot::snake_case;

    #[test]
    fn snake_case_names() {
        assert_eq!(snake_case("Showcase"), "showcase");
        assert_eq!(snake_case("UplinkV2"), "uplink_v2");
        assert_eq!(snake_case("HTTPClient"), "http_client");
        assert_eq!(snake_case("Checksum"), "checksum");
        assert_eq!(snake_case("ABC"), "abc");
    }
}
