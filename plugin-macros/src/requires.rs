//! The `requires = [...]` list of `#[plugin]`: parsed and checked at compile time.
//!
//! Entries: `os = "linux"`, `arch = "x86_64"`, `cpu = "sse4.2"`, `min_cores = 2`,
//! `min_memory_mb = 512`, `label(network = "online")`.

use muster_names::{ARCHES, CPU_FEATURES, OSES};
use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{Error, Ident, LitInt, LitStr, Path, Token, bracketed, parenthesized};

use crate::errors::push;

const EXPECTED: &str = "expected `os = \"...\"`, `arch = \"...\"`, `cpu = \"...\"`, `min_cores = N`, `min_memory_mb = N` or `label(key = \"value\")`";

pub(crate) enum Requirement {
    Os(LitStr),
    Arch(LitStr),
    Cpu(LitStr),
    MinCores(LitInt),
    MinMemoryMb(LitInt),
    Label(String, LitStr),
}

/// The bracketed list after `requires =`. Every entry with a bad value is reported
/// (combined), not only the first; a syntax error stops at that entry.
pub(crate) struct Requires(pub(crate) Vec<Requirement>);

impl Parse for Requires {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if !input.peek(syn::token::Bracket) {
            return Err(input.error(
                "`requires` must be a list, for example `requires = [os = \"linux\", min_cores = 2]`",
            ));
        }
        let content;
        bracketed!(content in input);
        let mut entries = Vec::new();
        let mut invalid: Option<Error> = None;
        while !content.is_empty() {
            let parsed = parse_entry(&content).and_then(|entry| {
                if !content.is_empty() {
                    content.parse::<Token![,]>()?;
                }
                Ok(entry)
            });
            match parsed {
                Ok(Ok(entry)) => entries.push(entry),
                Ok(Err(e)) => push(&mut invalid, e),
                Err(e) => {
                    push(&mut invalid, e);
                    break;
                }
            }
        }
        match invalid {
            Some(e) => Err(e),
            None => Ok(Requires(entries)),
        }
    }
}

/// Parses one entry. The outer error is a syntax error (the list cannot be read
/// further); the inner one a well-formed entry with a bad value (keep going).
fn parse_entry(input: ParseStream<'_>) -> syn::Result<syn::Result<Requirement>> {
    let key: Ident = input
        .parse()
        .map_err(|e| Error::new(e.span(), format!("malformed requirement: {EXPECTED}")))?;
    let name = key.to_string();
    if name == "label" {
        if !input.peek(syn::token::Paren) {
            return Err(Error::new(
                key.span(),
                "malformed requirement: expected `label(key = \"value\")`",
            ));
        }
        let content;
        parenthesized!(content in input);
        let label_key: Ident = content.parse().map_err(|e| {
            Error::new(
                e.span(),
                "malformed requirement: expected `label(key = \"value\")`",
            )
        })?;
        content.parse::<Token![=]>()?;
        let value: LitStr = content.parse()?;
        if !content.is_empty() {
            return Err(content.error("malformed requirement: expected `label(key = \"value\")`"));
        }
        return Ok(Ok(Requirement::Label(label_key.to_string(), value)));
    }
    if !input.peek(Token![=]) {
        return Err(Error::new(
            key.span(),
            format!("malformed requirement `{name}`: {EXPECTED}"),
        ));
    }
    input.parse::<Token![=]>()?;
    Ok(match name.as_str() {
        "os" => {
            let lit: LitStr = input.parse()?;
            one_of(&lit, OSES, "operating system").map(|()| Requirement::Os(lit))
        }
        "arch" => {
            let lit: LitStr = input.parse()?;
            one_of(&lit, ARCHES, "architecture").map(|()| Requirement::Arch(lit))
        }
        "cpu" => {
            let lit: LitStr = input.parse()?;
            one_of(&lit, CPU_FEATURES, "cpu feature").map(|()| Requirement::Cpu(lit))
        }
        "min_cores" => {
            let lit: LitInt = input.parse()?;
            match lit.base10_parse::<u32>() {
                Ok(0) => Err(Error::new(lit.span(), "`min_cores` must be at least 1")),
                Ok(_) => Ok(Requirement::MinCores(lit)),
                Err(e) => Err(e),
            }
        }
        "min_memory_mb" => {
            let lit: LitInt = input.parse()?;
            lit.base10_parse::<u64>()
                .map(|_| Requirement::MinMemoryMb(lit))
        }
        _ => {
            // Well-formed (`key = value`): consume the value, report the key, go on.
            input.parse::<syn::Lit>()?;
            Err(Error::new(
                key.span(),
                format!("unknown requirement `{name}`; {EXPECTED}"),
            ))
        }
    })
}

fn one_of(lit: &LitStr, known: &[&str], what: &str) -> syn::Result<()> {
    let value = lit.value();
    if known.contains(&value.as_str()) {
        Ok(())
    } else {
        Err(Error::new(
            lit.span(),
            format!(
                "unknown {what} `{value}`; expected one of: {}",
                known.join(", ")
            ),
        ))
    }
}

impl Requirement {
    pub(crate) fn to_tokens(&self, krate: &Path) -> TokenStream {
        match self {
            Requirement::Os(v) => quote!(#krate::Requirement::Os(#v)),
            Requirement::Arch(v) => quote!(#krate::Requirement::Arch(#v)),
            Requirement::Cpu(v) => quote!(#krate::Requirement::CpuFeature(#v)),
            Requirement::MinCores(n) => {
                let n: u32 = n.base10_parse().unwrap_or(1);
                quote!(#krate::Requirement::MinCores(#n))
            }
            Requirement::MinMemoryMb(n) => {
                let n: u64 = n.base10_parse().unwrap_or(0);
                quote!(#krate::Requirement::MinMemoryMb(#n))
            }
            Requirement::Label(k, v) => quote!(#krate::Requirement::Label { key: #k, value: #v }),
        }
    }
}
