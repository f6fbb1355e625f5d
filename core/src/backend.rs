//! The registry backend's list of slots: a linkme distributed slice (default) or an
//! inventory collection, read by the slot index. `#[slot]` expansions register into
//! it through `__private`.

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
