//! Procedural macros behind `#[muster::slot]` and `#[muster::plugin]`.
//!
//! This crate is an implementation detail of `muster`: depend on `muster` and use
//! the macros it re-exports. Each macro parses its arguments, validates them
//! (reporting every mistake as a spanned error), then expands into code that
//! reaches the runtime only through `::muster::__private`.

mod errors;
mod krate;
mod plugin;
mod requires;
mod slot;

use proc_macro::TokenStream;

/// Declares a slot: a trait that plugins implement. See `muster::slot`.
#[proc_macro_attribute]
pub fn slot(args: TokenStream, input: TokenStream) -> TokenStream {
    slot::expand(args.into(), input.into()).into()
}

/// Registers a plugin version for a slot. See `muster::plugin`.
#[proc_macro_attribute]
pub fn plugin(args: TokenStream, input: TokenStream) -> TokenStream {
    plugin::expand(args.into(), input.into()).into()
}
