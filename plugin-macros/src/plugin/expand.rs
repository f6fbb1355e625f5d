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
    let pre = args.version.pre.as_str();
    let build = args.version.build.as_str();
    let name = match &args.name {
        Some(lit) => quote!(#lit),
        None => quote!(::core::env!("CARGO_PKG_NAME")),
    };
    let opt = |lit: &Option<syn::LitStr>| match lit {
        Some(lit) => quote!(::core::option::Option::Some(#lit)),
        None => quote!(::core::option::Option::None),
    };
    let team = opt(&args.team);
    let description = opt(&args.description);
    let requires = args.requires.iter().map(|r| r.to_tokens(&krate));

    // Spanned on the type (or the `new` path) so that "does not implement the slot
    // trait" and "no `Default`" point at the plugin's own token.
    let construct = match &args.new {
        Some(path) => quote_spanned!(path.span()=> {
            let instance: #ident = #path();
            #krate::__private::Box::new(instance)
        }),
        None => quote_spanned!(ident.span()=> {
            let instance = <#ident as ::core::default::Default>::default();
            #krate::__private::Box::new(instance)
        }),
    };
    let slot_dyn = quote_spanned!(slot.span()=> dyn #slot);

    quote! {
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

            const fn __muster_registration() -> #krate::Registration<#slot_dyn> {
                #krate::Registration {
                    meta: #krate::PluginMeta {
                        slot: <#slot_dyn as #krate::Slot>::NAME,
                        name: #name,
                        version: #krate::VersionParts {
                            text: #version_text,
                            major: #major,
                            minor: #minor,
                            patch: #patch,
                            pre: #pre,
                            build: #build,
                        },
                        team: #team,
                        description: #description,
                        crate_name: ::core::env!("CARGO_CRATE_NAME"),
                        package: ::core::env!("CARGO_PKG_NAME"),
                        module_path: ::core::module_path!(),
                        requires: &[#(#requires),*],
                    },
                    construct: __muster_construct,
                }
            }
        };
    }
}
