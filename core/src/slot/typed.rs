//! The typed face of a slot: the [`Slot`] trait `#[slot]` implements, and a slot's
//! typed, sorted [`SlotIndex`].

use std::any::TypeId;
use std::borrow::Cow;
use std::marker::PhantomData;

use semver::Version;

use crate::lifecycle::{Hook, Lifecycle};
use crate::slot::entries::{Collector, Entries, Erased, ambiguities, typed};
use crate::slot::info::SlotInfo;
use crate::slot::registry::find;
use crate::{Registration, Rejection};

/// Implemented by `#[muster::slot]` for `dyn Trait`; names the slot and reaches its
/// registrations. Not implemented by hand.
pub trait Slot: 'static {
    /// The slot's stable name (`showcase`).
    const NAME: &'static str;
    /// A one-line description.
    const DESCRIPTION: &'static str;

    /// The registrations of this slot, sorted newest first (sorted once, with
    /// every other slot's, on first use).
    fn index() -> SlotIndex<Self> {
        SlotIndex::registered()
    }

    /// Hands every registration of the slot to `out` (any order).
    #[doc(hidden)]
    fn __collect(out: &mut Collector);
    /// Calls one of the plugin's hooks (`stop` always returns `Ok`).
    #[doc(hidden)]
    fn __hook(instance: &mut Self, hook: Hook<'_>) -> Result<(), Rejection>;
    /// The instance as its lifecycle alone (the slot trait's first supertrait).
    #[doc(hidden)]
    fn __lifecycle(instance: Box<Self>) -> Box<dyn Lifecycle>;
}

impl<S: Slot + ?Sized> Erased for Registration<S> {
    fn instance(&'static self) -> Box<dyn Lifecycle> {
        S::__lifecycle(self.construct())
    }
}

impl Collector {
    /// Adds one registration.
    #[inline]
    pub fn push<T: Slot + ?Sized>(&mut self, registration: &'static Registration<T>) {
        self.add(registration, registration.meta());
    }

    /// Adds every registration of `registrations` (a slot's link-time slice): the
    /// loop of a slot's `__collect`.
    #[inline]
    pub fn push_all<T: Slot + ?Sized>(&mut self, registrations: &'static [Registration<T>]) {
        for registration in registrations {
            self.push(registration);
        }
    }
}

/// The registrations of one slot, sorted once by semver precedence (newest first;
/// equal versions by crate name, so the order never depends on link order).
///
/// A handle: the index of a compiled-in slot is built once and shared; one made
/// with [`SlotIndex::new`] owns its entries.
pub struct SlotIndex<T: ?Sized + 'static> {
    entries: Cow<'static, Entries>,
    slot: PhantomData<fn() -> Box<T>>,
}

impl<T: ?Sized + 'static> SlotIndex<T> {
    /// Builds an index of `registrations` (any order).
    pub fn new(
        slot: &'static str,
        registrations: impl IntoIterator<Item = &'static Registration<T>>,
    ) -> Self
    where
        T: Slot,
    {
        let mut collector = Collector::default();
        for registration in registrations {
            collector.push(registration);
        }
        SlotIndex {
            entries: Cow::Owned(Entries::new(slot, collector.0)),
            slot: PhantomData,
        }
    }

    /// The shared index of the compiled-in slot `T`.
    fn registered() -> Self
    where
        T: Slot,
    {
        let entries = match find(T::NAME, TypeId::of::<T>()) {
            Some(data) => Cow::Borrowed(&data.entries),
            // Not in the registry's list of slots (cannot happen for a slot declared
            // with `#[slot]`): index its registrations now.
            None => {
                let mut collector = Collector::default();
                T::__collect(&mut collector);
                Cow::Owned(Entries::new(T::NAME, collector.0))
            }
        };
        SlotIndex {
            entries,
            slot: PhantomData,
        }
    }

    /// The slot's name.
    pub fn slot(&self) -> &'static str {
        self.entries.slot
    }

    /// Number of registrations.
    pub fn len(&self) -> usize {
        self.entries.entries.len()
    }

    /// Whether nothing is registered for the slot.
    pub fn is_empty(&self) -> bool {
        self.entries.entries.is_empty()
    }

    /// Registrations with their versions, newest first.
    pub fn iter(&self) -> impl Iterator<Item = (&'static Registration<T>, Version)> + '_ {
        self.entries
            .entries
            .iter()
            .map(|e| (typed(e.registration), e.version()))
    }

    /// Registrations sharing a version with another registration: `(version, crates)`.
    pub fn ambiguities(&self) -> Vec<(Version, Vec<&'static str>)> {
        ambiguities(&self.entries.entries)
    }
}

impl<T: ?Sized + 'static> std::fmt::Debug for SlotIndex<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlotIndex")
            .field("slot", &self.slot())
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl SlotInfo {
    /// The descriptor of slot `S` (used by `#[slot]`).
    pub const fn of<S: Slot + ?Sized>() -> SlotInfo {
        SlotInfo {
            name: S::NAME,
            description: S::DESCRIPTION,
            type_id: TypeId::of::<S>,
            collect: S::__collect,
        }
    }
}
