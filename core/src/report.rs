//! Decision reports: for every slot, every candidate and what happened to it.

use std::any::TypeId;
use std::borrow::Cow;
use std::fmt;

use serde::ser::{SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};

use crate::PluginMeta;
use crate::reason::ReasonCode;
use crate::slot::entries::IndexEntry;

/// What happened to one candidate version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// This version was chosen.
    Selected,
    /// Tried and turned down: a requirement, its hook, a panic or an ambiguity.
    Rejected,
    /// Not tried because a policy rule (pin, deny, pre-release, quarantine) excludes it.
    Excluded,
    /// An older version, not tried because a newer one was selected.
    NotTried,
}

impl Outcome {
    /// The outcome as the reports spell it (`selected`, `not_tried`).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Selected => "selected",
            Outcome::Rejected => "rejected",
            Outcome::Excluded => "excluded",
            Outcome::NotTried => "not_tried",
        }
    }

    /// A report row's lead: two spaces, the outcome left-aligned in ten columns (as
    /// `{:<10}` would align it) and a space, in one piece.
    fn lead(self) -> &'static str {
        match self {
            Outcome::Selected => "  selected   ",
            Outcome::Rejected => "  rejected   ",
            Outcome::Excluded => "  excluded   ",
            Outcome::NotTried => "  not_tried  ",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, so that `{:<10}` aligns it without an intermediate `String`.
        f.pad(self.as_str())
    }
}

/// One candidate version in a [`SlotReport`].
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    /// Plugin name.
    pub name: &'static str,
    /// Version as registered.
    pub version: &'static str,
    /// The registering crate.
    #[serde(rename = "crate")]
    pub crate_name: &'static str,
    /// What happened to it.
    pub outcome: Outcome,
    /// Why (always set except for the selected version).
    pub reason: Option<Cow<'static, str>>,
    /// The stable, machine-readable form of the reason (`selected` when selected).
    pub code: ReasonCode,
    /// For `requirement_unmet`: the fact that fails the requirement (`os`, `arch`,
    /// `cpu_features`, `logical_cores`, `memory_mb`, `labels.KEY`); omitted otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fact: Option<Cow<'static, str>>,
}

/// The chosen version of a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Choice {
    /// Plugin name.
    pub name: &'static str,
    /// Version as registered.
    pub version: &'static str,
}

impl Choice {
    /// The choice of the registration `meta`.
    pub(crate) fn of(meta: &'static PluginMeta) -> Choice {
        Choice {
            name: meta.name(),
            version: meta.version_text(),
        }
    }
}

/// The decision for one slot: candidates in the order considered, newest first.
///
/// The versions older than the selected one were not tried; the report keeps only
/// how many there are and lists them when asked ([`candidates`](Self::candidates),
/// the serialized form), so a decision allocates nothing for them.
#[derive(Debug, Clone)]
pub struct SlotReport {
    /// The slot's name.
    pub slot: &'static str,
    /// The chosen version, or `None` when nothing is acceptable.
    pub selected: Option<Choice>,
    tried: Vec<Candidate>,
    not_tried: NotTried,
    /// What the slot would select with `selected` set aside, when the decision
    /// looked (see `Selector::with_fallbacks`).
    pub(crate) fallback: Option<Option<&'static PluginMeta>>,
}

/// The versions of a slot older than the selected one: a position in the slot's
/// sorted index, listed on demand.
#[derive(Clone, Copy)]
pub(crate) struct NotTried {
    /// The slot's type, which finds its index (sorted newest first, built on
    /// first use).
    pub(crate) type_id: fn() -> TypeId,
    /// How many there are (they follow the tried ones in the index).
    pub(crate) count: usize,
}

impl NotTried {
    /// The rows of the untried versions of `slot`, which start at `from` in its
    /// index (after the versions tried).
    fn rows(&self, slot: &'static str, from: usize) -> impl Iterator<Item = Candidate> {
        let entries = match self.count {
            0 => &[],
            _ => crate::slot::registry::sorted_entries(slot, self.type_id),
        };
        let end = entries.len().min(from + self.count);
        entries
            .get(from..end)
            .unwrap_or_default()
            .iter()
            .map(Candidate::not_tried)
    }
}

impl fmt::Debug for NotTried {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotTried")
            .field("count", &self.count)
            .finish_non_exhaustive()
    }
}

impl Candidate {
    /// The row of the version `meta`.
    pub(crate) fn of(
        meta: &'static PluginMeta,
        outcome: Outcome,
        code: ReasonCode,
        reason: Option<Cow<'static, str>>,
        fact: Option<Cow<'static, str>>,
    ) -> Candidate {
        Candidate {
            name: meta.name(),
            version: meta.version_text(),
            crate_name: meta.crate_name(),
            outcome,
            reason,
            code,
            fact,
        }
    }

    /// The row of a version not tried because a newer one was selected.
    fn not_tried(entry: &IndexEntry) -> Candidate {
        let reason = Some(Cow::Borrowed("a newer version was selected"));
        Candidate::of(
            entry.meta,
            Outcome::NotTried,
            ReasonCode::NewerSelected,
            reason,
            None,
        )
    }
}

impl SlotReport {
    pub(crate) fn new(
        slot: &'static str,
        selected: Option<Choice>,
        tried: Vec<Candidate>,
        not_tried: NotTried,
    ) -> SlotReport {
        SlotReport {
            slot,
            selected,
            tried,
            not_tried,
            fallback: None,
        }
    }

    /// Every registered version of the slot, each exactly once, newest first: the
    /// [`tried`](Self::tried) ones, then those not tried.
    pub fn candidates(&self) -> Vec<Candidate> {
        let mut all = Vec::with_capacity(self.len());
        all.extend_from_slice(&self.tried);
        all.extend(self.not_tried.rows(self.slot, self.tried.len()));
        all
    }

    /// The versions the decision considered, newest first: excluded and rejected
    /// ones, then the selected one (every version when none was selected).
    pub fn tried(&self) -> &[Candidate] {
        &self.tried
    }

    /// How many older versions were not tried because a newer one was selected.
    pub fn not_tried(&self) -> usize {
        self.not_tried.count
    }

    /// Number of registered versions of the slot.
    pub fn len(&self) -> usize {
        self.tried.len() + self.not_tried.count
    }

    /// Whether no version of the slot is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every candidate, tried or not, as the `candidates` of the report's JSON
    /// (serialized as it is written: the untried ones are never collected).
    pub fn all_candidates(&self) -> impl Serialize + '_ {
        AllCandidates(self)
    }
}

/// Every candidate of a report in its serialized form (the `candidates` of the
/// JSON), the untried ones listed as they are written.
pub(crate) struct AllCandidates<'a>(pub(crate) &'a SlotReport);

impl Serialize for AllCandidates<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let report = self.0;
        let mut seq = s.serialize_seq(Some(report.len()))?;
        for candidate in &report.tried {
            seq.serialize_element(candidate)?;
        }
        for candidate in report.not_tried.rows(report.slot, report.tried.len()) {
            seq.serialize_element(&candidate)?;
        }
        seq.end()
    }
}

/// `{"slot", "selected", "candidates"}`, every candidate listed.
impl Serialize for SlotReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_struct("SlotReport", 3)?;
        out.serialize_field("slot", self.slot)?;
        out.serialize_field("selected", &self.selected)?;
        out.serialize_field("candidates", &AllCandidates(self))?;
        out.end()
    }
}

/// The decision for every slot of a binary.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// One entry per slot, sorted by slot name.
    pub slots: Vec<SlotReport>,
    /// Policy rules naming slots or versions that are not compiled in.
    pub policy_warnings: Vec<String>,
}

impl Report {
    /// Slots for which no version is acceptable.
    pub fn failed(&self) -> impl Iterator<Item = &SlotReport> {
        self.slots.iter().filter(|s| s.selected.is_none())
    }
}

/// The text form: the slot's decision, then each candidate up to the selected one
/// (every candidate when none is selected); the older versions after it, none of
/// them tried, in one summary line. Every candidate is in the serialized form.
impl fmt::Display for SlotReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Written piece by piece: a report of every slot is thousands of lines, and
        // `write!` would run the formatting machinery (and `pad`) for each piece.
        f.write_str(self.slot)?;
        match &self.selected {
            Some(choice) => {
                for piece in [": ", choice.name, " ", choice.version, "\n"] {
                    f.write_str(piece)?;
                }
            }
            None => f.write_str(": no acceptable version\n")?,
        }
        for c in &self.tried {
            for piece in [c.outcome.lead(), c.version, " ", c.name] {
                f.write_str(piece)?;
            }
            if let Some(reason) = &c.reason {
                f.write_str(": ")?;
                f.write_str(reason)?;
            }
            for piece in [" [", c.code.as_str(), "]\n"] {
                f.write_str(piece)?;
            }
        }
        match self.not_tried.count {
            0 => Ok(()),
            1 => f.write_str("  \u{2026} and 1 older version not tried\n"),
            n => {
                f.write_str("  \u{2026} and ")?;
                f.write_str(itoa::Buffer::new().format(n))?;
                f.write_str(" older versions not tried\n")
            }
        }
    }
}

/// No version of a slot is acceptable; the report lists every candidate and why.
#[derive(Debug, Clone)]
pub struct SelectionError {
    /// The decision, with `selected` empty.
    pub report: SlotReport,
}

impl fmt::Display for SelectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.report.is_empty() {
            return write!(
                f,
                "slot `{}` has no acceptable version: no plugin is registered for it",
                self.report.slot
            );
        }
        write!(f, "slot `{}` has no acceptable version:", self.report.slot)?;
        for c in self.report.tried() {
            write!(
                f,
                "\n  {} {} ({}, {}): {}",
                c.name,
                c.version,
                c.outcome,
                c.code,
                c.reason.as_deref().unwrap_or("-")
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for SelectionError {}

#[cfg(test)]
mod tests {
    use std::any::TypeId;
    use std::borrow::Cow;

    use super::{Candidate, Choice, NotTried, Outcome, SlotReport};
    use crate::ReasonCode;

    #[test]
    fn a_rows_lead_is_its_outcome_padded_to_ten_columns() {
        for outcome in [
            Outcome::Selected,
            Outcome::Rejected,
            Outcome::Excluded,
            Outcome::NotTried,
        ] {
            assert_eq!(outcome.lead(), format!("  {outcome:<10} "));
        }
    }

    fn candidate(
        version: &'static str,
        outcome: Outcome,
        code: ReasonCode,
        reason: Option<&'static str>,
    ) -> Candidate {
        Candidate {
            name: "clock",
            version,
            crate_name: "clock_crate",
            outcome,
            reason: reason.map(Cow::Borrowed),
            code,
            fact: None,
        }
    }

    /// The untried tail of a slot this binary does not register: counted, with no
    /// index to list it from.
    fn unlisted(count: usize) -> NotTried {
        NotTried {
            type_id: TypeId::of::<()>,
            count,
        }
    }

    #[test]
    fn text_summarises_the_not_tried_tail() {
        let tried = vec![
            candidate(
                "3.0.0",
                Outcome::Rejected,
                ReasonCode::RequirementUnmet,
                Some("requires os plan9, host runs linux"),
            ),
            candidate("2.0.0", Outcome::Selected, ReasonCode::Selected, None),
        ];
        let selected = Some(Choice {
            name: "clock",
            version: "2.0.0",
        });
        let report = SlotReport::new("clock", selected, tried.clone(), unlisted(2));
        assert_eq!(
            report.to_string(),
            format!(
                "clock: clock 2.0.0\n  \
                 rejected   3.0.0 clock: requires os plan9, host runs linux [{}]\n  \
                 selected   2.0.0 clock [{}]\n  \
                 \u{2026} and 2 older versions not tried\n",
                ReasonCode::RequirementUnmet,
                ReasonCode::Selected
            )
        );
        assert_eq!((report.len(), report.not_tried()), (4, 2));
        assert_eq!(report.tried().len(), 2);

        let one = SlotReport::new("clock", selected, tried.clone(), unlisted(1));
        assert!(
            one.to_string()
                .ends_with("  \u{2026} and 1 older version not tried\n")
        );
        let none = SlotReport::new("clock", selected, tried, unlisted(0));
        assert!(none.to_string().ends_with(&format!(
            "  selected   2.0.0 clock [{}]\n",
            ReasonCode::Selected
        )));
    }

    #[test]
    fn text_lists_every_candidate_when_none_is_selected() {
        let tried = vec![
            candidate(
                "2.0.0",
                Outcome::Excluded,
                ReasonCode::Denied,
                Some("denied by clock@2.0.0 (flag)"),
            ),
            candidate(
                "1.0.0",
                Outcome::Rejected,
                ReasonCode::StartFailed,
                Some("start failed: no"),
            ),
        ];
        let report = SlotReport::new("clock", None, tried, unlisted(0));
        assert_eq!(
            report.to_string(),
            format!(
                "clock: no acceptable version\n  \
                 excluded   2.0.0 clock: denied by clock@2.0.0 (flag) [{}]\n  \
                 rejected   1.0.0 clock: start failed: no [{}]\n",
                ReasonCode::Denied,
                ReasonCode::StartFailed
            )
        );
        assert_eq!(format!("[{:<10}]", Outcome::NotTried), "[not_tried ]");
    }
}
