//! A slot's registrations without their type: gathered by a [`Collector`], kept as
//! [`IndexEntry`]s and sorted newest first, once for the whole binary.

use std::any::Any;

use semver::Version;

use crate::{PluginMeta, Registration};

/// A registration of some slot, its type erased: probed through its vtable, or
/// recovered by downcasting (a typed `select`, a typed index).
pub(crate) type AnyRegistration = &'static dyn Erased;

/// What a decision does with a registration of a slot it does not name.
pub(crate) trait Erased: Any + Send + Sync {
    /// Constructs an instance, seen as its lifecycle alone.
    fn instance(&'static self) -> Box<dyn crate::lifecycle::Lifecycle>;
}

/// Receives a slot's registrations (see [`Slot::__collect`]).
#[doc(hidden)]
#[derive(Default)]
pub struct Collector(pub(crate) Vec<IndexEntry>);

impl Collector {
    /// The part of [`push`](Self::push) that does not depend on the slot: compiled
    /// once.
    #[inline(never)]
    pub(crate) fn add(&mut self, registration: AnyRegistration, meta: &'static PluginMeta) {
        self.0.push(IndexEntry {
            meta,
            registration,
            key: meta.key().unwrap_or(NO_KEY),
            ambiguous: false,
        });
    }

    /// The registrations of the slot `collect` hands out, in `self` (emptied
    /// first), unsorted.
    pub(crate) fn gather(&mut self, collect: fn(&mut Collector)) -> &mut [IndexEntry] {
        self.0.clear();
        collect(self);
        &mut self.0
    }
}

/// A slot's sorted entries, without its type: what sorting and deciding need.
#[derive(Clone)]
pub(crate) struct Entries {
    pub(crate) slot: &'static str,
    pub(crate) entries: Vec<IndexEntry>,
}

/// One registration of a slot, without its type.
#[derive(Clone)]
pub(crate) struct IndexEntry {
    pub(crate) meta: &'static PluginMeta,
    /// The registration: probed through its vtable, or recovered by downcasting.
    pub(crate) registration: AnyRegistration,
    /// `major.minor.patch` as one number ordered like them (read once, when the
    /// entry is made: a walk compares it many times), [`NO_KEY`] when a number is too
    /// large for it.
    key: u64,
    /// Another registration has the same slot and version (from another crate).
    pub(crate) ambiguous: bool,
}

/// The key of a version whose numbers do not fit one (the keys that fit are below
/// 2^48: three 16-bit numbers).
const NO_KEY: u64 = u64::MAX;

impl IndexEntry {
    /// The version as a [`semver::Version`] (made when asked: the index keeps only
    /// the compile-time split, which sorting compares in place).
    pub(crate) fn version(&self) -> Version {
        self.meta.version_parts().to_version()
    }

    /// Whether `other` has the same version (semver precedence: build metadata
    /// ignored).
    pub(crate) fn same_version(&self, other: &IndexEntry) -> bool {
        self.cmp_version(other).is_eq()
    }

    /// Orders the two versions by semver precedence: by their keys where both fit
    /// and differ, else in full (pre-releases, numbers too large for a key).
    #[inline]
    pub(crate) fn cmp_version(&self, other: &IndexEntry) -> std::cmp::Ordering {
        if self.key != other.key && self.key != NO_KEY && other.key != NO_KEY {
            return self.key.cmp(&other.key);
        }
        self.meta.cmp_version(other.meta)
    }
}

impl Entries {
    /// Sorts registrations newest first and flags equal versions.
    pub(crate) fn new(slot: &'static str, mut entries: Vec<IndexEntry>) -> Entries {
        sort(&mut entries);
        Entries { slot, entries }
    }
}

/// The order of an index: newest first by semver precedence, ties by crate,
/// module, name and version text (a total order, so the order of registrations
/// never depends on link order, and a decision that walks unsorted entries meets
/// them in the index's order).
pub(crate) fn newest_first(a: &IndexEntry, b: &IndexEntry) -> std::cmp::Ordering {
    b.cmp_version(a).then_with(|| same_version_order(a, b))
}

/// [`newest_first`] among equal versions (rare: kept out of the common path).
#[inline(never)]
fn same_version_order(a: &IndexEntry, b: &IndexEntry) -> std::cmp::Ordering {
    a.meta
        .crate_name()
        .cmp(b.meta.crate_name())
        .then_with(|| a.meta.module_path().cmp(b.meta.module_path()))
        .then_with(|| a.meta.name().cmp(b.meta.name()))
        .then_with(|| a.meta.version_text().cmp(b.meta.version_text()))
}

/// Sorts `entries` newest first and flags the versions registered more than once.
pub(crate) fn sort(entries: &mut [IndexEntry]) {
    // Unstable (no allocation): entries equal in the whole order are ambiguous
    // whatever their order.
    entries.sort_unstable_by(newest_first);
    for e in entries.iter_mut() {
        e.ambiguous = false;
    }
    for i in 1..entries.len() {
        if entries[i - 1].same_version(&entries[i]) {
            entries[i - 1].ambiguous = true;
            entries[i].ambiguous = true;
        }
    }
}

/// The versions of `entries` (sorted) registered more than once, with their crates.
pub(crate) fn ambiguities(entries: &[IndexEntry]) -> Vec<(Version, Vec<&'static str>)> {
    let mut out: Vec<(Version, Vec<&'static str>)> = Vec::new();
    let mut last: Option<&IndexEntry> = None;
    for e in entries.iter().filter(|e| e.ambiguous) {
        match out.last_mut() {
            Some((_, crates)) if last.is_some_and(|l| l.same_version(e)) => {
                crates.push(e.meta.crate_name());
            }
            _ => out.push((e.version(), vec![e.meta.crate_name()])),
        }
        last = Some(e);
    }
    out
}

/// The registration of slot `T` an entry holds.
pub(crate) fn typed<T: ?Sized + 'static>(
    registration: AnyRegistration,
) -> &'static Registration<T> {
    let registration: &'static dyn Any = registration;
    match registration.downcast_ref() {
        Some(typed) => typed,
        // Entries of an index of `T` are built only from registrations of `T`.
        None => unreachable!("a registration of another slot in the index of this slot"),
    }
}
