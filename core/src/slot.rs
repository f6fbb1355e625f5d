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
pub struct SlotIndex<T: ?Sized + 'static> {
    slot: &'static str,
    entries: Vec<IndexEntry<T>>,
}

pub(crate) struct IndexEntry<T: ?Sized + 'static> {
    pub(crate) registration: &'static Registration<T>,
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
        let mut entries: Vec<IndexEntry<T>> = registrations
            .into_iter()
            .map(|registration| IndexEntry {
                registration,
                version: registration.meta.version.to_version(),
                ambiguous: false,
            })
            .collect();
        entries.sort_by(|a, b| {
            b.version
                .cmp_precedence(&a.version)
                .then_with(|| {
                    a.registration
                        .meta
                        .crate_name
                        .cmp(b.registration.meta.crate_name)
                })
                .then_with(|| {
                    a.registration
                        .meta
                        .module_path
                        .cmp(b.registration.meta.module_path)
                })
                .then_with(|| a.registration.meta.name.cmp(b.registration.meta.name))
        });
        for i in 1..entries.len() {
            if entries[i - 1].version.cmp_precedence(&entries[i].version) == Ordering::Equal {
                entries[i - 1].ambiguous = true;
                entries[i].ambiguous = true;
            }
        }
        SlotIndex { slot, entries }
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
        self.entries.iter().map(|e| (e.registration, &e.version))
    }

    pub(crate) fn entries(&self) -> &[IndexEntry<T>] {
        &self.entries
    }

    /// Registrations sharing a version with another registration: `(version, crates)`.
    pub fn ambiguities(&self) -> Vec<(Version, Vec<&'static str>)> {
        let mut out: Vec<(Version, Vec<&'static str>)> = Vec::new();
        for e in self.entries.iter().filter(|e| e.ambiguous) {
            match out.last_mut() {
                Some((v, crates)) if v.cmp_precedence(&e.version).is_eq() => {
                    crates.push(e.registration.meta.crate_name);
                }
                _ => out.push((e.version.clone(), vec![e.registration.meta.crate_name])),
            }
        }
        out
    }
}

/// A slot seen without its trait type: what `plugins list` and `explain` iterate.
#[derive(Clone, Copy)]
pub struct SlotInfo {
    /// The slot's name.
    pub name: &'static str,
    /// The slot's description.
    pub description: &'static str,
    explain: fn(&Selector<'_>) -> SlotReport,
    plugins: fn() -> Vec<&'static PluginMeta>,
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
            plugins: slot_plugins::<S>,
        }
    }

    /// The decision for this slot, without starting anything.
    pub fn explain(&self, selector: &Selector<'_>) -> SlotReport {
        (self.explain)(selector)
    }

    /// The registered versions, newest first.
    pub fn plugins(&self) -> Vec<&'static PluginMeta> {
        (self.plugins)()
    }
}

fn explain_slot<S: Slot + ?Sized>(selector: &Selector<'_>) -> SlotReport {
    selector.explain::<S>()
}

fn slot_plugins<S: Slot + ?Sized>() -> Vec<&'static PluginMeta> {
    S::index()
        .entries()
        .iter()
        .map(|e| &e.registration.meta)
        .collect()
}

/// Every slot compiled into this binary, sorted by name.
pub fn slots() -> Vec<&'static SlotInfo> {
    let mut slots: Vec<&'static SlotInfo> = crate::__private::slot_infos().collect();
    slots.sort_by(|a, b| a.name.cmp(b.name));
    slots
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
        let plugins = slot.plugins();
        for pair in plugins.windows(2) {
            let (a, b) = (pair[0].version.to_version(), pair[1].version.to_version());
            if a.cmp_precedence(&b).is_eq() {
                problems.push(format!(
                    "slot `{}` version {} is registered twice: by crate `{}` and by crate `{}`",
                    slot.name, pair[0].version, pair[0].crate_name, pair[1].crate_name
                ));
            }
        }
    }
    problems
}

/// The decision for every slot, without starting anything.
pub(crate) fn explain_all(selector: &Selector<'_>) -> Report {
    Report {
        slots: slots().iter().map(|s| s.explain(selector)).collect(),
        policy_warnings: selector.policy().unknown_rules(),
    }
}
