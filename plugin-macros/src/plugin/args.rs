//! Parsing and validation of `#[plugin(...)]` arguments.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::{Error, LitStr, Path};

use crate::errors::push;
use crate::requires::{Requirement, Requires};

/// The validated arguments of one `#[plugin(...)]`.
pub(crate) struct PluginArgs {
    pub(crate) slot: Path,
    pub(crate) version: semver::Version,
    pub(crate) version_lit: LitStr,
    pub(crate) name: Option<LitStr>,
    pub(crate) team: Option<LitStr>,
    pub(crate) description: Option<LitStr>,
    pub(crate) requires: Vec<Requirement>,
    pub(crate) new: Option<Path>,
    pub(crate) krate: Option<Path>,
}

const KEYS: &str = "`slot`, `version`, `name`, `team`, `description`, `requires`, `new` or `crate`";

#[derive(Default)]
struct Raw {
    slot: Option<Path>,
    version: Option<(LitStr, semver::Version)>,
    name: Option<LitStr>,
    team: Option<LitStr>,
    description: Option<LitStr>,
    requires: Option<Vec<Requirement>>,
    new: Option<Path>,
    krate: Option<Path>,
}

fn set<T>(
    slot: &mut Option<T>,
    value: T,
    meta: &ParseNestedMeta<'_>,
    key: &str,
) -> syn::Result<()> {
    if slot.is_some() {
        // On the key, as `#[slot]` does, not on the whole `key = value`.
        return Err(Error::new_spanned(
            &meta.path,
            format!("duplicate #[plugin] argument `{key}`"),
        ));
    }
    *slot = Some(value);
    Ok(())
}

fn non_empty(lit: LitStr, key: &str) -> syn::Result<LitStr> {
    if lit.value().trim().is_empty() {
        Err(Error::new(
            lit.span(),
            format!("#[plugin] argument `{key}` must not be empty"),
        ))
    } else {
        Ok(lit)
    }
}

impl PluginArgs {
    pub(crate) fn parse(args: TokenStream) -> syn::Result<PluginArgs> {
        let mut raw = Raw::default();
        let mut errors: Option<Error> = None;
        // Mistakes in a value that was fully parsed (an invalid version, an empty
        // name, a duplicate key) do not stop parsing: every one is reported.
        let mut invalid: Option<Error> = None;
        let mut version_given = false;
        let parser = syn::meta::parser(|meta| {
            let mut check = |result: syn::Result<()>| {
                if let Err(e) = result {
                    push(&mut invalid, e);
                }
                Ok(())
            };
            let key = meta.path.to_token_stream().to_string().replace(' ', "");
            match key.as_str() {
                "slot" => {
                    let path: Path = meta.value()?.parse()?;
                    check(set(&mut raw.slot, path, &meta, "slot"))
                }
                "version" => {
                    let lit: LitStr = meta.value()?.parse()?;
                    if std::mem::replace(&mut version_given, true) {
                        return check(set(&mut Some(()), (), &meta, "version"));
                    }
                    match semver::Version::parse(&lit.value()) {
                        Ok(version) => {
                            check(set(&mut raw.version, (lit, version), &meta, "version"))
                        }
                        Err(e) => check(Err(Error::new(
                            lit.span(),
                            format!("invalid version `{}`: {e}", lit.value()),
                        ))),
                    }
                }
                "name" => {
                    let lit = meta.value()?.parse()?;
                    check(
                        non_empty(lit, "name")
                            .and_then(|lit| set(&mut raw.name, lit, &meta, "name")),
                    )
                }
                "team" => {
                    let lit = meta.value()?.parse()?;
                    check(
                        non_empty(lit, "team")
                            .and_then(|lit| set(&mut raw.team, lit, &meta, "team")),
                    )
                }
                "description" => {
                    let lit: LitStr = meta.value()?.parse()?;
                    check(set(&mut raw.description, lit, &meta, "description"))
                }
                "requires" => {
                    let list: Requires = meta.value()?.parse()?;
                    check(set(&mut raw.requires, list.0, &meta, "requires"))
                }
                "new" => {
                    let path: Path = meta.value()?.parse()?;
                    check(set(&mut raw.new, path, &meta, "new"))
                }
                "crate" => {
                    let path: Path = meta.value()?.parse()?;
                    check(set(&mut raw.krate, path, &meta, "crate"))
                }
                _ => Err(meta.error(format!(
                    "unsupported #[plugin] argument `{key}`; expected {KEYS}"
                ))),
            }
        });
        if let Err(e) = syn::parse::Parser::parse2(parser, args) {
            errors = Some(e);
        }
        let parsed = errors.is_none();
        if let Some(e) = invalid {
            push(&mut errors, e);
        }
        let missing = |key: &str, example: &str| {
            Error::new(
                Span::call_site(),
                format!("missing `{key}` argument in #[plugin(...)], for example `{example}`"),
            )
        };
        if parsed {
            if raw.slot.is_none() {
                push(&mut errors, missing("slot", "slot = Showcase"));
            }
            if !version_given {
                push(&mut errors, missing("version", "version = \"0.1.0\""));
            }
        }
        if let Some(e) = errors {
            return Err(e);
        }
        let (Some(slot), Some((version_lit, version))) = (raw.slot, raw.version) else {
            unreachable!("missing arguments are reported above");
        };
        Ok(PluginArgs {
            slot,
            version,
            version_lit,
            name: raw.name,
            team: raw.team,
            description: raw.description,
            requires: raw.requires.unwrap_or_default(),
            new: raw.new,
            krate: raw.krate,
        })
    }
}
