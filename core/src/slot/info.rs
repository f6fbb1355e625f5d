//! A slot seen without its trait type ([`SlotInfo`]): what `plugins list` and
//! `explain` iterate.

use std::any::TypeId;

use crate::slot::entries::Collector;
use crate::{Selector, SlotReport};

/// A slot seen without its trait type: what `plugins list` and `explain` iterate.
#[derive(Clone, Copy)]
pub struct SlotInfo {
    /// The slot's name.
    pub name: &'static str,
    /// The slot's description.
    pub description: &'static str,
    pub(crate) type_id: fn() -> TypeId,
    pub(crate) collect: fn(&mut Collector),
}

impl std::fmt::Debug for SlotInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlotInfo")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl SlotInfo {
    /// The decision for this slot, without starting anything.
    pub fn explain(&self, selector: &Selector<'_>) -> SlotReport {
        self.explain_with(selector, &mut Collector::default())
    }

    /// [`explain`](Self::explain), gathering the registrations into `scratch`.
    pub(crate) fn explain_with(
        &self,
        selector: &Selector<'_>,
        scratch: &mut Collector,
    ) -> SlotReport {
        let entries = scratch.gather(self.collect);
        selector.explain_erased(self.name, self.type_id, entries)
    }
}
