//! Not public API: the paths `#[slot]` and `#[plugin]` expansions go through.

pub use std::boxed::Box;

pub use linkme;

pub use crate::lifecycle::{Hook, Lifecycle};
pub use crate::registration::{Details, Origin};
pub use crate::slot::entries::Collector;
use crate::{PluginMeta, Registration, Requirement};

/// A registration: the metadata and the constructor.
pub const fn registration<T: ?Sized>(
    meta: PluginMeta,
    construct: fn() -> Box<T>,
) -> Registration<T> {
    Registration::new(meta, construct)
}

/// Where registrations come from: `CARGO_CRATE_NAME`, `CARGO_PKG_NAME` and
/// `module_path!()`, separated by `\u{1f}` (one `concat!`); with the details of
/// the one plugin that declares them, or `None` for every plugin of the module.
pub const fn origin(texts: &'static str, details: Option<&'static Details>) -> Origin {
    Origin::new(texts, details)
}

/// A registration's metadata: `texts` is the version as written, the slot name and
/// the plugin name, separated by `\u{1f}` (see [`join`]); the version's integers
/// come split by the macro.
pub const fn meta(origin: &'static Origin, texts: &'static str, version: [u64; 3]) -> PluginMeta {
    PluginMeta::new(origin, texts, version)
}

/// The length of `parts` joined by `\u{1f}` (the array length for [`join`]).
pub const fn joined_len(parts: &[&str]) -> usize {
    let mut len = parts.len().saturating_sub(1);
    let mut i = 0;
    while i < parts.len() {
        len += parts[i].len();
        i += 1;
    }
    len
}

/// `parts` joined by `\u{1f}`, at compile time: a registration's texts are one
/// string although the slot's name is a constant of another crate (`concat!`
/// takes only literals). `N` is [`joined_len`] of the same parts.
pub const fn join<const N: usize>(parts: &[&str]) -> [u8; N] {
    let mut out = [0u8; N];
    let mut at = 0;
    let mut i = 0;
    while i < parts.len() {
        if i > 0 {
            out[at] = 0x1f;
            at += 1;
        }
        let bytes = parts[i].as_bytes();
        let mut j = 0;
        while j < bytes.len() {
            out[at] = bytes[j];
            at += 1;
            j += 1;
        }
        i += 1;
    }
    assert!(at == N, "joined length differs from `joined_len`");
    out
}

/// The joined bytes as text (they were joined from strings).
pub const fn text(bytes: &'static [u8]) -> &'static str {
    match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => panic!("joined texts are not UTF-8"),
    }
}

/// The elements of a link-time slice. Out of line and the same code for every
/// slice (the stride is read from the slice), so emitted once, not in every
/// slot's `__collect`.
#[cfg(not(feature = "inventory"))]
#[inline(never)]
pub fn slice_of<T>(slice: &linkme::DistributedSlice<[T]>) -> &'static [T] {
    slice.static_slice()
}

/// The optional parts of a registration (only emitted when one is declared).
pub const fn details(
    team: Option<&'static str>,
    description: Option<&'static str>,
    requires: &'static [Requirement],
) -> Details {
    Details::new(team, description, requires)
}

#[cfg(feature = "inventory")]
pub use inventory;

#[cfg(not(feature = "inventory"))]
pub use crate::__muster_if_linkme_on as if_linkme;

#[cfg(feature = "inventory")]
pub use crate::__muster_if_linkme_off as if_linkme;

#[cfg(feature = "inventory")]
pub use crate::__muster_if_inventory_on as if_inventory;

#[cfg(not(feature = "inventory"))]
pub use crate::__muster_if_inventory_off as if_inventory;

pub use crate::backend::InventorySlot;
#[cfg(not(feature = "inventory"))]
pub use crate::backend::SLOTS;

#[doc(hidden)]
#[macro_export]
macro_rules! __muster_if_linkme_on {
    ($($tt:tt)*) => { $($tt)* };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __muster_if_linkme_off {
    ($($tt:tt)*) => {};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __muster_if_inventory_on {
    ($($tt:tt)*) => { $($tt)* };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __muster_if_inventory_off {
    ($($tt:tt)*) => {};
}
