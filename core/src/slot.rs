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

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::marker::PhantomData;
use std::sync::OnceLock;

use semver::Version;

use crate::lifecycle::{Hook, Lifecycle};
use crate::{Choice, PluginMeta, Registration, Rejection, Report, Selector, SlotReport};

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

/// A registration of some slot, its type erased: probed through its vtable, or
/// recovered by downcasting (a typed `select`, a typed index).
pub(crate) type AnyRegistration = &'static dyn Erased;

/// What a decision does with a registration of a slot it does not name.
pub(crate) trait Erased: Any + Send + Sync {
    /// Constructs an instance, seen as its lifecycle alone.
    fn instance(&'static self) -> Box<dyn Lifecycle>;
}

impl<S: Slot + ?Sized> Erased for Registration<S> {
    fn instance(&'static self) -> Box<dyn Lifecycle> {
        S::__lifecycle(self.construct())
    }
}

/// Receives a slot's registrations (see [`Slot::__collect`]).
#[doc(hidden)]
#[derive(Default)]
pub struct Collector(Vec<IndexEntry>);

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

    /// The part of [`push`](Self::push) that does not depend on the slot: compiled
    /// once.
    #[inline(never)]
    fn add(&mut self, registration: AnyRegistration, meta: &'static PluginMeta) {
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

/// The registrations of one slot, sorted once by semver precedence (newest first;
/// equal versions by crate name, so the order never depends on link order).
///
/// A handle: the index of a compiled-in slot is built once and shared; one made
/// with [`SlotIndex::new`] owns its entries.
pub struct SlotIndex<T: ?Sized + 'static> {
    entries: Cow<'static, Entries>,
    slot: PhantomData<fn() -> Box<T>>,
}

/// A slot's sorted entries, without its type: what sorting and deciding need.
#[derive(Clone)]
pub(crate) struct Entries {
    slot: &'static str,
    entries: Vec<IndexEntry>,
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
    fn new(slot: &'static str, mut entries: Vec<IndexEntry>) -> Entries {
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

fn ambiguities(entries: &[IndexEntry]) -> Vec<(Version, Vec<&'static str>)> {
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

/// A slot seen without its trait type: what `plugins list` and `explain` iterate.
#[derive(Clone, Copy)]
pub struct SlotInfo {
    /// The slot's name.
    pub name: &'static str,
    /// The slot's description.
    pub description: &'static str,
    type_id: fn() -> TypeId,
    collect: fn(&mut Collector),
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
            type_id: TypeId::of::<S>,
            collect: S::__collect,
        }
    }

    /// The decision for this slot, without starting anything.
    pub fn explain(&self, selector: &Selector<'_>) -> SlotReport {
        self.explain_with(selector, &mut Collector::default())
    }

    /// [`explain`](Self::explain), gathering the registrations into `scratch`.
    fn explain_with(&self, selector: &Selector<'_>, scratch: &mut Collector) -> SlotReport {
        let entries = scratch.gather(self.collect);
        selector.explain_erased(self.name, self.type_id, entries)
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
        sorted_entries(self.name, self.type_id)
    }
}

/// The sorted entries of the registry's slot `name` whose type is `type_id`
/// (none for a slot missing from the registry).
pub(crate) fn sorted_entries(name: &str, type_id: fn() -> TypeId) -> &'static [IndexEntry] {
    match find(name, type_id()) {
        Some(data) => &data.entries.entries,
        None => &[],
    }
}

/// One slot of the registry: its descriptor and its sorted entries.
struct SlotData {
    info: &'static SlotInfo,
    entries: Entries,
}

/// Every slot compiled into this binary with its index, sorted by slot name; built
/// once (the set is fixed when the program starts and, with `inventory`, complete
/// before `main`).
fn registry() -> &'static [SlotData] {
    static REGISTRY: OnceLock<Vec<SlotData>> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        slot_infos()
            .iter()
            .map(|&info| {
                let mut collector = Collector::default();
                (info.collect)(&mut collector);
                SlotData {
                    info,
                    entries: Entries::new(info.name, collector.0),
                }
            })
            .collect()
    })
}

/// Every slot's descriptor, sorted by slot name; built once, without indexing
/// any registration (a decision needs no index).
fn slot_infos() -> &'static [&'static SlotInfo] {
    static INFOS: OnceLock<Vec<&'static SlotInfo>> = OnceLock::new();
    INFOS.get_or_init(|| {
        let mut infos: Vec<&'static SlotInfo> = crate::backend::slot_infos().collect();
        infos.sort_by(|a, b| a.name.cmp(b.name));
        infos
    })
}

/// The registry's slot whose type is `type_id` (`name` is its name: slots of one
/// name are reported by [`registry_problems`], and told apart here by type).
fn find(name: &str, type_id: TypeId) -> Option<&'static SlotData> {
    static BY_TYPE: OnceLock<HashMap<TypeId, usize, BuildHasherDefault<TypeIdHasher>>> =
        OnceLock::new();
    let registry = registry();
    let by_type = BY_TYPE.get_or_init(|| {
        registry
            .iter()
            .enumerate()
            .map(|(i, d)| ((d.info.type_id)(), i))
            .collect()
    });
    let data = &registry[*by_type.get(&type_id)?];
    (data.info.name == name).then_some(data)
}

/// Hashes a [`TypeId`]: it is already a hash, so its bits are taken as they are
/// (other input, which `TypeId` does not write today, is folded in with FNV-1a).
#[derive(Default)]
struct TypeIdHasher(u64);

impl Hasher for TypeIdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Every slot compiled into this binary, sorted by name.
pub fn slots() -> Vec<&'static SlotInfo> {
    slot_infos().to_vec()
}

/// Every registered plugin version of every slot: by slot name, newest first.
pub fn plugins() -> Vec<&'static PluginMeta> {
    registry()
        .iter()
        .flat_map(|d| d.entries.entries.iter().map(|e| e.meta))
        .collect()
}

/// Problems in what was linked in: two slots with one name, or two registrations
/// of one slot and version (selection refuses to pick those).
pub fn registry_problems() -> Vec<String> {
    let registry = registry();
    let mut problems = Vec::new();
    for pair in registry.windows(2) {
        if pair[0].info.name == pair[1].info.name {
            problems.push(format!("two slots are named `{}`", pair[0].info.name));
        }
    }
    for slot in registry {
        for (version, crates) in ambiguities(&slot.entries.entries) {
            problems.push(format!(
                "slot `{}` version {version} is registered more than once: by crates `{}`",
                slot.info.name,
                crates.join("` and `")
            ));
        }
    }
    problems
}

/// [`Selector::fallbacks`]: each slot's fallback from the report, or from deciding
/// the slot again (found by name in the registry's sorted list, its registrations
/// gathered into one reused buffer).
pub(crate) fn fallbacks(
    selector: &Selector<'_>,
    report: &Report,
) -> Vec<(&'static str, Choice, Option<Choice>)> {
    let infos = slot_infos();
    let finding = selector.with_fallbacks(true);
    let mut scratch = Collector(Vec::with_capacity(16));
    let mut out = Vec::new();
    for slot in &report.slots {
        let Some(selected) = slot.selected else {
            continue;
        };
        let fallback = match slot.fallback {
            Some(fallback) => fallback,
            None => {
                // Decided again, with its fallback: the first slot of that name, as
                // the registry orders them.
                let at = infos.partition_point(|info| info.name < slot.slot);
                let Some(info) = infos.get(at).filter(|info| info.name == slot.slot) else {
                    continue;
                };
                finding
                    .explain_erased(info.name, info.type_id, scratch.gather(info.collect))
                    .fallback
                    .flatten()
            }
        };
        out.push((slot.slot, selected, fallback.map(Choice::of)));
    }
    out
}

/// The decision for every slot, without starting anything: each slot's
/// registrations are gathered into one reused buffer and decided unsorted (no
/// index is built).
pub(crate) fn explain_all(selector: &Selector<'_>) -> Report {
    // Room for a typical slot's versions: one allocation for the whole decision.
    let mut scratch = Collector(Vec::with_capacity(16));
    Report {
        slots: slot_infos()
            .iter()
            .map(|info| info.explain_with(selector, &mut scratch))
            .collect(),
        policy_warnings: selector.policy().unknown_rules(),
    }
}
