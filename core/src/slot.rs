//! Slots: the trait a contract declares with `#[slot]`, and the sorted index of
//! its registrations.
//!
//! Everything that sorts, decides and reports works on type-erased entries and is
//! compiled once for the whole binary: per slot there are only three small
//! functions (collect the registrations, the type's id, and construct one instance
//! as its `Lifecycle`, reached through the erased registration's vtable; probing
//! it is compiled once). A decision
//! needs no index: it gathers a slot's registrations into a reused buffer and
//! walks them newest first (see `Selector`). The sorted indexes, for listings,
//! typed [`Slot::index`] and the untried tail of a report, are built together,
//! once, on first use, into one registry sorted by slot name.
//!
//! One file a job: the [`Slot`] trait and typed index ([`typed`]), the erased entries
//! and their order ([`entries`]), the slot descriptor ([`info`]), the registry
//! ([`registry`]) and its by-type [`hasher`], the one "is it compiled in?" check
//! ([`compiled`]), and the drivers that decide every slot ([`drivers`]).

mod compiled;
mod drivers;
pub(crate) mod entries;
mod hasher;
mod info;
pub(crate) mod registry;
mod typed;

pub use crate::slot::compiled::{NotCompiledIn, check_compiled, compiled_slot};
pub use crate::slot::info::SlotInfo;
pub use crate::slot::registry::{plugins, registry_problems, slots};
pub use crate::slot::typed::{Slot, SlotIndex};
