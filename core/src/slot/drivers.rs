//! The drivers: deciding every slot of the registry (`explain_all`) and each slot's
//! fallback (`fallbacks`), its registrations gathered into one reused buffer and
//! decided unsorted (no index is built).

use crate::slot::entries::Collector;
use crate::slot::registry::slot_infos;
use crate::{Choice, Report, Selector};

impl Selector<'_> {
    /// The decision for every slot in the binary.
    pub fn explain_all(&self) -> Report {
        // Room for a typical slot's versions: one allocation for the whole decision.
        let mut scratch = Collector(Vec::with_capacity(16));
        Report {
            slots: slot_infos()
                .iter()
                .map(|info| info.explain_with(self, &mut scratch))
                .collect(),
            policy_warnings: self.policy().unknown_rules(),
        }
    }

    /// For each slot of `report` (a decision of this selector) that has a selected
    /// version: what the slot would select with that version set aside, as `run`
    /// sets aside a version whose `start` fails (`None`: nothing; the slot would
    /// fail). In the report's order: `(slot, selected, fallback)`. A report made
    /// [`with_fallbacks`](Self::with_fallbacks) already holds them; otherwise each
    /// slot is decided again, with its fallback.
    pub fn fallbacks(&self, report: &Report) -> Vec<(&'static str, Choice, Option<Choice>)> {
        let infos = slot_infos();
        let finding = self.with_fallbacks(true);
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
}
