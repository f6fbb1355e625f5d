//! Validating a `#[slot]` trait: it is used as `dyn Trait`, so the checks that need
//! no type information are done here, each spanned on the offending token.

use syn::spanned::Spanned;
use syn::{Error, FnArg, ItemTrait, ReturnType, TraitItem, Type, TypeParamBound, WherePredicate};

/// Methods muster adds to every slot trait; a slot must not declare them itself.
const RESERVED: &[&str] = &["is_acceptable", "start", "stop"];

/// Syntactic dyn-compatibility checks with precise spans; the compiler's own
/// check (a `&dyn Trait` in the expansion) backs them up.
pub(crate) fn validate(item: &ItemTrait) -> Vec<Error> {
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

/// The one slot-name rule (`muster_names::check_slot_name`, the policy parser's too),
/// with the macro's message.
pub(crate) fn check_slot_name(name: &str) -> Result<(), String> {
    muster_names::check_slot_name(name).map_err(|_| {
        format!(
            "invalid slot name `{name}`: use lowercase letters, digits, `_` and `-`, starting with a letter"
        )
    })
}
