//! Expansion of `#[plugin]`: one `Registration` in the slot's registry.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::Ident;
use syn::spanned::Spanned;

use crate::krate;
use crate::plugin::args::PluginArgs;

pub(crate) fn registration(ident: &Ident, args: &PluginArgs) -> TokenStream {
    let krate = args.krate.clone().unwrap_or_else(krate::default_path);
    let slot = &args.slot;
    let version_text = &args.version_lit;
    let major = args.version.major;
    let minor = args.version.minor;
    let patch = args.version.patch;
    let name = match &args.name {
        Some(lit) => quote!(#lit),
        None => quote!(::core::env!("CARGO_PKG_NAME")),
    };
    let opt = |lit: &Option<syn::LitStr>| match lit {
        Some(lit) => quote!(::core::option::Option::Some(#lit)),
        None => quote!(::core::option::Option::None),
    };
    // Team, description and requirements behind one reference in the origin, which
    // is then the plugin's own; absent (the module's shared origin) when none is
    // declared.
    let (details, details_static) =
        if args.team.is_none() && args.description.is_none() && args.requires.is_empty() {
            (quote!(::core::option::Option::None), quote!())
        } else {
            let team = opt(&args.team);
            let description = opt(&args.description);
            let requires = args.requires.iter().map(|r| r.to_tokens(&krate));
            (
                quote!(::core::option::Option::Some(&__MUSTER_DETAILS)),
                quote! {
                    static __MUSTER_DETAILS: #krate::__private::Details =
                        #krate::__private::details(#team, #description, &[#(#requires),*]);
                },
            )
        };

    // Spanned on the plugin's own tokens: "no `Default`" points at the type, a
    // `new` of the wrong type at the path, and "does not implement the slot trait"
    // at the type (the unsizing coercion is the tail `boxed`, spanned on the type;
    // a coercion spanned on the whole expression would point at the attribute).
    let instance = match &args.new {
        Some(path) => quote_spanned!(path.span()=> {
            let instance: #ident = #path();
            instance
        }),
        None => quote_spanned!(ident.span()=> {
            <#ident as ::core::default::Default>::default()
        }),
    };
    let construct = quote_spanned!(ident.span()=> {
        let boxed: #krate::__private::Box<#ident> = #krate::__private::Box::new(#instance);
        boxed
    });
    let slot_dyn = quote_spanned!(slot.span()=> dyn #slot);

    quote! {
        // Bound (higher-ranked, so that a type missing the slot trait gets no second
        // error here: the registration's own coercion reports it) to the slot trait
        // whose hooks it calls.
        impl #krate::__private::Lifecycle for #ident where for<'__muster> #ident: #slot {
            fn __muster_hook(
                &mut self,
                hook: #krate::__private::Hook<'_>,
            ) -> ::core::result::Result<(), #krate::Rejection> {
                match hook {
                    #krate::__private::Hook::Accept(facts) => <Self as #slot>::is_acceptable(self, facts),
                    #krate::__private::Hook::Start => <Self as #slot>::start(self),
                    #krate::__private::Hook::Stop => {
                        <Self as #slot>::stop(self);
                        ::core::result::Result::Ok(())
                    }
                }
            }
        }

        const _: () = {
            fn __muster_construct() -> #krate::__private::Box<#slot_dyn> #construct

            #krate::__private::if_linkme! {
                #[#krate::__private::linkme::distributed_slice(#slot)]
                #[linkme(crate = #krate::__private::linkme)]
                static __MUSTER_REGISTRATION: #krate::Registration<#slot_dyn> = __muster_registration();
            }
            #krate::__private::if_inventory! {
                static __MUSTER_REGISTRATION: #krate::Registration<#slot_dyn> = __muster_registration();
                #krate::__private::inventory::submit! {
                    <<#slot_dyn as #krate::__private::InventorySlot>::Node>::new(&__MUSTER_REGISTRATION)
                }
            }

            #details_static

            // Without details, the same value in every registration of a module:
            // emitted once per codegen unit, each registration holds one pointer to it.
            const __MUSTER_ORIGIN: &#krate::__private::Origin = &#krate::__private::origin(
                ::core::concat!(
                    ::core::env!("CARGO_CRATE_NAME"), "\u{1f}",
                    ::core::env!("CARGO_PKG_NAME"), "\u{1f}",
                    ::core::module_path!(),
                ),
                #details,
            );

            // Version, slot and name as one string: the slot's name is a constant of
            // the contract crate, so it is joined in a `const`, not by `concat!`.
            const __MUSTER_PARTS: &[&str] =
                &[#version_text, <#slot_dyn as #krate::Slot>::NAME, #name];
            const __MUSTER_JOINED: [u8; #krate::__private::joined_len(__MUSTER_PARTS)] =
                #krate::__private::join(__MUSTER_PARTS);

            const fn __muster_registration() -> #krate::Registration<#slot_dyn> {
                #krate::__private::registration(
                    #krate::__private::meta(
                        __MUSTER_ORIGIN,
                        #krate::__private::text(&__MUSTER_JOINED),
                        [#major, #minor, #patch],
                    ),
                    __muster_construct,
                )
            }
        };
    }
}
