//! The registry: every slot compiled into this binary with its sorted entries, built
//! once on first use, sorted by slot name and found by type.

use std::any::TypeId;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::OnceLock;

use semver::Version;

use crate::PluginMeta;
use crate::slot::entries::{Collector, Entries, IndexEntry, ambiguities};
use crate::slot::hasher::TypeIdHasher;
use crate::slot::info::SlotInfo;

impl SlotInfo {
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
pub(crate) struct SlotData {
    info: &'static SlotInfo,
    pub(crate) entries: Entries,
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
pub(crate) fn slot_infos() -> &'static [&'static SlotInfo] {
    static INFOS: OnceLock<Vec<&'static SlotInfo>> = OnceLock::new();
    INFOS.get_or_init(|| {
        let mut infos: Vec<&'static SlotInfo> = crate::backend::slot_infos().collect();
        infos.sort_by(|a, b| a.name.cmp(b.name));
        infos
    })
}

/// The registry's slot whose type is `type_id` (`name` is its name: slots of one
/// name are reported by [`registry_problems`], and told apart here by type).
pub(crate) fn find(name: &str, type_id: TypeId) -> Option<&'static SlotData> {
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
