//! Not public API: the paths `#[slot]` and `#[plugin]` expansions go through.

pub use std::boxed::Box;

pub use linkme;

pub use crate::registration::{Details, Origin};
pub use crate::slot::Collector;
use crate::{PluginMeta, Registration, Requirement};

/// A registration: the metadata and the constructor.
pub const fn registration<T: ?Sized>(
    meta: PluginMeta,
    construct: fn() -> Box<T>,
) -> Registration<T> {
    Registration::new(meta, construct)
}

/// Where registrations come from: `CARGO_CRATE_NAME`, `CARGO_PKG_NAME` and
/// `module_path!()`, separated by `\u{1f}` (one `concat!`).
pub const fn origin(texts: &'static str) -> Origin {
    Origin::new(texts)
}

/// A registration's metadata: `texts` is the version as written, `\u{1f}`, and
/// the plugin name; the version's integers come split by the macro.
pub const fn meta(
    slot: &'static str,
    origin: &'static Origin,
    texts: &'static str,
    version: [u64; 3],
    details: Option<&'static Details>,
) -> PluginMeta {
    PluginMeta::new(slot, origin, texts, version, details)
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

/// Every slot compiled into the binary (linkme backend).
#[cfg(not(feature = "inventory"))]
#[linkme::distributed_slice]
pub static SLOTS: [crate::SlotInfo];

#[cfg(feature = "inventory")]
inventory::collect!(crate::SlotInfo);

/// Ties a slot (`dyn Trait`) to the inventory node type `#[slot]` generated for it
/// (inventory's `collect!` needs a type local to the contract crate).
pub trait InventorySlot {
    /// The generated node type.
    type Node;
}

/// All slot descriptors, from whichever backend is compiled in.
pub(crate) fn slot_infos() -> impl Iterator<Item = &'static crate::SlotInfo> {
    #[cfg(not(feature = "inventory"))]
    let slots = SLOTS.iter();
    #[cfg(feature = "inventory")]
    let slots = inventory::iter::<crate::SlotInfo>.into_iter();
    slots
}

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
