//! Expanding a valid `#[slot]` trait: the lifecycle hooks (and muster's hidden
//! `Lifecycle` supertrait that calls them), the registry (a linkme slice or an
//! inventory collection), the `Slot` impl and a dyn-compatibility check.

use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::{ItemTrait, Path};

use crate::krate;

pub(crate) fn generate(
    mut item: ItemTrait,
    name: &str,
    description: &str,
    krate: &Path,
) -> TokenStream {
    let ident = item.ident.clone();
    let vis = item.vis.clone();
    let crate_name = krate::current_crate();
    let hash = krate::hash(&format!("{crate_name}::{}", item.to_token_stream()));
    let upper = ident.to_string().to_uppercase();
    // Also the name of the slice's linker sections (`linkme_` and `linkm2_` before
    // it), one pair per slot in the binary's section table: kept short, the hash of
    // the crate and the trait keeping it unique (linkme reports a clash).
    let slice = format_ident!("__MUSTER_{}_{}", upper, &hash[..8]);
    let node = format_ident!("__MusterNode{}{}", ident, &hash[..8]);
    let info = format_ident!(
        "__MUSTER_INFO_{}_{}_{}",
        crate_name.to_uppercase(),
        upper,
        &hash[..8]
    );

    // The lifecycle hooks every slot gets, with defaults a plugin may override. They
    // are called on the plugin's own type (`where Self: Sized`), so they take no
    // entry in the slot's vtable each: muster's hidden `Lifecycle` supertrait, which
    // `#[plugin]` implements for the plugin type, reaches all three through one
    // entry. One trait for every slot, so that probing an instance of any slot is
    // compiled once (an instance is upcast to `Box<dyn Lifecycle>`).
    item.items.push(syn::parse_quote! {
        /// Whether this plugin version accepts the host described by `facts`.
        ///
        /// Added by `#[muster::slot]`. Checked after the declarative `requires` and
        /// before the version is selected; the default accepts every host.
        fn is_acceptable(&self, facts: &#krate::Facts) -> ::core::result::Result<(), #krate::Rejection>
        where
            Self: Sized,
        {
            let _ = facts;
            ::core::result::Result::Ok(())
        }
    });
    item.items.push(syn::parse_quote! {
        /// Provisions the plugin; called once, before first use.
        ///
        /// Added by `#[muster::slot]`. An error rejects this version and selection
        /// falls back to the next older acceptable one. The default does nothing.
        fn start(&mut self) -> ::core::result::Result<(), #krate::Rejection>
        where
            Self: Sized,
        {
            ::core::result::Result::Ok(())
        }
    });
    item.items.push(syn::parse_quote! {
        /// Cleans up; called once on shutdown or when this version is replaced.
        ///
        /// Added by `#[muster::slot]`. The default does nothing.
        fn stop(&mut self)
        where
            Self: Sized,
        {
        }
    });
    // Spanned like the trait's name, so the compiler's notes on the trait point at
    // it as written.
    let span = ident.span();
    // First among the bounds: the trait's span ends with its last bound as written.
    item.colon_token.get_or_insert(syn::Token![:](span));
    item.supertraits.insert(
        0,
        syn::parse_quote_spanned!(span=> #krate::__private::Lifecycle),
    );

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

            fn __collect(out: &mut #krate::__private::Collector) {
                #krate::__private::if_linkme! {
                    out.push_all(#krate::__private::slice_of(&#slice));
                }
                #krate::__private::if_inventory! {
                    for node in #krate::__private::inventory::iter::<#node> {
                        out.push(node.0);
                    }
                }
            }

            fn __hook(
                instance: &mut Self,
                hook: #krate::__private::Hook<'_>,
            ) -> ::core::result::Result<(), #krate::Rejection> {
                #krate::__private::Lifecycle::__muster_hook(instance, hook)
            }

            fn __lifecycle(
                instance: #krate::__private::Box<Self>,
            ) -> #krate::__private::Box<dyn #krate::__private::Lifecycle> {
                instance
            }
        }

        // Dyn-compatibility, checked by the compiler too.
        const _: ::core::option::Option<&#dyn_check> = ::core::option::Option::None;
    }
}
