//! Slots: the trait a contract declares with `#[slot]`, and its sorted index of
//! registrations.

use std::cmp::Ordering;

use semver::Version;

use crate::{Facts, PluginMeta, Registration, Rejection, Report, Selector, SlotReport};

/// Implemented by `#[muster::slot]` for `dyn Trait`; names the slot and reaches its
/// registrations. Not implemented by hand.
pub trait Slot: 'static {
    /// The slot's stable name (`showcase`).
    const NAME: &'static str;
    /// A one-line description.
    const DESCRIPTION: &'static str;

    /// The registrations of this slot, sorted newest first (built once).
    fn index() -> &'static SlotIndex<Self>;

    /// Calls the plugin's `is_acceptable` hook.
    #[doc(hidden)]
    fn __is_acceptable(instance: &Self, facts: &Facts) -> Result<(), Rejection>;
    /// Calls the plugin's `start` hook.
    #[doc(hidden)]
    fn __start(instance: &mut Self) -> Result<(), Rejection>;
    /// Calls the plugin's `stop` hook.
    #[doc(hidden)]
    fn __stop(instance: &mut Self);
}

/// The registrations of one slot, sorted once by semver precedence (newest first;
/// equal versions by crate name, so the order never depends on link order).
///
/// Sorting and deciding work on type-erased entries (metadata and parsed
/// version), so that code is compiled once, not once per slot; only the typed
/// registrations (for construction) are kept per slot type.
pub struct SlotIndex<T: ?Sized + 'static> {
    slot: &'static str,
    entries: Vec<IndexEntry>,
    /// Same order as `entries`.
    registrations: Vec<&'static Registration<T>>,
}

/// One registration of a slot, without its type: what sorting and deciding need.
pub(crate) struct IndexEntry {
    pub(crate) meta: &'static PluginMeta,
    /// The texts every report names, read from `meta` once.
    pub(crate) name: &'static str,
    pub(crate) version_text: &'static str,
    pub(crate) crate_name: &'static str,
    pub(crate) version: Version,
    /// Another registration has the same slot and version (from another crate).
    pub(crate) ambiguous: bool,
}

impl<T: ?Sized + 'static> SlotIndex<T> {
    /// Builds the index from the backend's registrations (any order).
    pub fn new(
        slot: &'static str,
        registrations: impl IntoIterator<Item = &'static Registration<T>>,
    ) -> Self {
        let registrations: Vec<&'static Registration<T>> = registrations.into_iter().collect();
        let (order, entries) = sort_entries(registrations.iter().map(|r| r.meta()).collect());
        let registrations = order.into_iter().map(|i| registrations[i]).collect();
        SlotIndex {
            slot,
            entries,
            registrations,
        }
    }

    /// The slot's name.
    pub fn slot(&self) -> &'static str {
        self.slot
    }

    /// Number of registrations.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is registered for the slot.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Registrations with their parsed versions, newest first.
    pub fn iter(&self) -> impl Iterator<Item = (&'static Registration<T>, &Version)> + '_ {
        self.registrations
            .iter()
            .copied()
            .zip(self.entries.iter().map(|e| &e.version))
    }

    pub(crate) fn entries(&self) -> &[IndexEntry] {
        &self.entries
    }

    /// The typed registration at position `i` of [`entries`](Self::entries).
    pub(crate) fn registration(&self, i: usize) -> &'static Registration<T> {
        self.registrations[i]
    }

    /// Registrations sharing a version with another registration: `(version, crates)`.
    pub fn ambiguities(&self) -> Vec<(Version, Vec<&'static str>)> {
        ambiguities(&self.entries)
    }
}

/// Sorts registrations newest first (ties by crate, module, name) and flags equal
/// versions; returns the permutation applied and the sorted entries.
fn sort_entries(metas: Vec<&'static PluginMeta>) -> (Vec<usize>, Vec<IndexEntry>) {
    let mut keyed: Vec<(usize, IndexEntry)> = metas
        .into_iter()
        .enumerate()
        .map(|(i, meta)| {
            let parts = meta.version();
            let entry = IndexEntry {
                meta,
                name: meta.name(),
                version_text: parts.text(),
                crate_name: meta.crate_name(),
                version: parts.to_version(),
                ambiguous: false,
            };
            (i, entry)
        })
        .collect();
    keyed.sort_by(|(_, a), (_, b)| {
        b.version
            .cmp_precedence(&a.version)
            .then_with(|| a.crate_name.cmp(b.crate_name))
            .then_with(|| a.meta.module_path().cmp(b.meta.module_path()))
            .then_with(|| a.name.cmp(b.name))
    });
    let (order, mut entries): (Vec<usize>, Vec<IndexEntry>) = keyed.into_iter().unzip();
    for i in 1..entries.len() {
        if entries[i - 1].version.cmp_precedence(&entries[i].version) == Ordering::Equal {
            entries[i - 1].ambiguous = true;
            entries[i].ambiguous = true;
        }
    }
    (order, entries)
}

fn ambiguities(entries: &[IndexEntry]) -> Vec<(Version, Vec<&'static str>)> {
    let mut out: Vec<(Version, Vec<&'static str>)> = Vec::new();
    for e in entries.iter().filter(|e| e.ambiguous) {
        match out.last_mut() {
            Some((v, crates)) if v.cmp_precedence(&e.version).is_eq() => {
                crates.push(e.crate_name);
            }
            _ => out.push((e.version.clone(), vec![e.crate_name])),
        }
    }
    out
}

/// A slot seen without its trait type: what `plugins list` and `explain` iterate.
#[derive(Clone, Copy)]
pub struct SlotInfo {
    /// The slot's name.
    pub name: &'static str,
    /// The slot's description.
    pub description: &'static str,
    explain: fn(&Selector<'_>) -> SlotReport,
    entries: fn() -> &'static [IndexEntry],
}

impl std::fmt::Debug for SlotInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlotInfo")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl SlotInfo {
    /// The descriptor of slot `S` (used by `#[slot]`).
    pub const fn of<S: Slot + ?Sized>() -> SlotInfo {
        SlotInfo {
            name: S::NAME,
            description: S::DESCRIPTION,
            explain: explain_slot::<S>,
            entries: slot_entries::<S>,
        }
    }

    /// The decision for this slot, without starting anything.
    pub fn explain(&self, selector: &Selector<'_>) -> SlotReport {
        (self.explain)(selector)
    }

    /// The registered versions, newest first.
    pub fn plugins(&self) -> Vec<&'static PluginMeta> {
        self.entries().iter().map(|e| e.meta).collect()
    }

    /// Versions registered more than once: `(version, crates)`.
    pub fn ambiguities(&self) -> Vec<(Version, Vec<&'static str>)> {
        ambiguities(self.entries())
    }

    /// The slot's sorted entries, versions parsed once (the slot's index).
    pub(crate) fn entries(&self) -> &'static [IndexEntry] {
        (self.entries)()
    }
}

fn explain_slot<S: Slot + ?Sized>(selector: &Selector<'_>) -> SlotReport {
    selector.explain::<S>()
}

fn slot_entries<S: Slot + ?Sized>() -> &'static [IndexEntry] {
    S::index().entries()
}

/// Every slot compiled into this binary, sorted by name.
pub fn slots() -> Vec<&'static SlotInfo> {
    sorted_slots().to_vec()
}

/// The slots, sorted once: the set is fixed when the program starts (and, with
/// `inventory`, complete before `main`), so every later call reuses the order.
fn sorted_slots() -> &'static [&'static SlotInfo] {
    static SORTED: std::sync::OnceLock<Vec<&'static SlotInfo>> = std::sync::OnceLock::new();
    SORTED.get_or_init(|| {
        let mut slots: Vec<&'static SlotInfo> = crate::__private::slot_infos().collect();
        slots.sort_by(|a, b| a.name.cmp(b.name));
        slots
    })
}

/// Every registered plugin version of every slot: by slot name, newest first.
pub fn plugins() -> Vec<&'static PluginMeta> {
    slots().into_iter().flat_map(|s| s.plugins()).collect()
}

/// Problems in what was linked in: two slots with one name, or two registrations
/// of one slot and version (selection refuses to pick those).
pub fn registry_problems() -> Vec<String> {
    let slots = slots();
    let mut problems = Vec::new();
    for pair in slots.windows(2) {
        if pair[0].name == pair[1].name {
            problems.push(format!("two slots are named `{}`", pair[0].name));
        }
    }
    for slot in &slots {
        for (version, crates) in slot.ambiguities() {
            problems.push(format!(
                "slot `{}` version {version} is registered more than once: by crates `{}`",
                slot.name,
                crates.join("` and `")
            ));
        }
    }
    problems
}

/// The decision for every slot, without starting anything.
pub(crate) fn explain_all(selector: &Selector<'_>) -> Report {
    Report {
        slots: sorted_slots().iter().map(|s| s.explain(selector)).collect(),
        policy_warnings: selector.policy().unknown_rules(),
    }
}
