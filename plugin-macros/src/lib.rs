//! Procedural macros behind `#[muster::slot]` and `#[muster::plugin]`.
//!
//! This crate is an implementation detail of `muster`: depend on `muster` and use
//! the macros it re-exports. Each macro parses its arguments, validates them
//! (reporting every mistake as a spanned error), then expands into code that
//! names the runtime by path (`::muster`, or the `crate = path` override): the
//! public items a registration names or implements (`Registration`, `Requirement`,
//! `Slot`, `SlotIndex`, `SlotInfo`, `Facts`, `Rejection`), and `__private` for the
//! rest: the const fns that build a registration (`registration`, `meta`,
//! `details`, and `joined_len`/`join`/`text`, which join its texts at compile time;
//! the layout's fields are private), the registry backends, the
//! `Collector` a slot hands its registrations to, and `Box`, so plugin crates need
//! no other dependency.

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
