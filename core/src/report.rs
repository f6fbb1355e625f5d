//! Decision reports: for every slot, every candidate and what happened to it.

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;

use crate::reason::ReasonCode;

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

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, so that `{:<10}` aligns it without an intermediate `String`.
        f.pad(match self {
            Outcome::Selected => "selected",
            Outcome::Rejected => "rejected",
            Outcome::Excluded => "excluded",
            Outcome::NotTried => "not_tried",
        })
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

/// The decision for one slot: candidates in the order considered, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct SlotReport {
    /// The slot's name.
    pub slot: &'static str,
    /// The chosen version, or `None` when nothing is acceptable.
    pub selected: Option<Choice>,
    /// Every registered version of the slot, each exactly once.
    pub candidates: Vec<Candidate>,
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
        match &self.selected {
            Some(choice) => writeln!(f, "{}: {} {}", self.slot, choice.name, choice.version)?,
            None => writeln!(f, "{}: no acceptable version", self.slot)?,
        }
        let shown = self
            .candidates
            .iter()
            .rposition(|c| c.outcome != Outcome::NotTried)
            .map_or(0, |last| last + 1);
        for c in &self.candidates[..shown] {
            write!(f, "  {:<10} {} {}", c.outcome, c.version, c.name)?;
            if let Some(reason) = &c.reason {
                write!(f, ": {reason}")?;
            }
            writeln!(f, " [{}]", c.code)?;
        }
        match self.candidates.len() - shown {
            0 => Ok(()),
            1 => writeln!(f, "  \u{2026} and 1 older version not tried"),
            n => writeln!(f, "  \u{2026} and {n} older versions not tried"),
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
        if self.report.candidates.is_empty() {
            return write!(
                f,
                "slot `{}` has no acceptable version: no plugin is registered for it",
                self.report.slot
            );
        }
        write!(f, "slot `{}` has no acceptable version:", self.report.slot)?;
        for c in &self.report.candidates {
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
    use std::borrow::Cow;

    use super::{Candidate, Choice, Outcome, SlotReport};
    use crate::ReasonCode;

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

    #[test]
    fn text_summarises_the_not_tried_tail_and_json_keeps_it() {
        let older = Some("a newer version was selected");
        let report = SlotReport {
            slot: "clock",
            selected: Some(Choice {
                name: "clock",
                version: "2.0.0",
            }),
            candidates: vec![
                candidate(
                    "3.0.0",
                    Outcome::Rejected,
                    ReasonCode::RequirementUnmet,
                    Some("requires os plan9, host runs linux"),
                ),
                candidate("2.0.0", Outcome::Selected, ReasonCode::Selected, None),
                candidate("1.1.0", Outcome::NotTried, ReasonCode::NewerSelected, older),
                candidate("1.0.0", Outcome::NotTried, ReasonCode::NewerSelected, older),
            ],
        };
        let text = report.to_string();
        assert_eq!(
            text,
            format!(
                "clock: clock 2.0.0\n  \
                 rejected   3.0.0 clock: requires os plan9, host runs linux [{}]\n  \
                 selected   2.0.0 clock [{}]\n  \
                 \u{2026} and 2 older versions not tried\n",
                ReasonCode::RequirementUnmet,
                ReasonCode::Selected
            )
        );
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["candidates"].as_array().unwrap().len(), 4);
        assert_eq!(json["candidates"][3]["version"], "1.0.0");
        assert_eq!(json["candidates"][3]["outcome"], "not_tried");

        let mut one = report.clone();
        one.candidates.pop();
        assert!(
            one.to_string()
                .ends_with("  \u{2026} and 1 older version not tried\n")
        );
        one.candidates.pop();
        assert!(one.to_string().ends_with(&format!(
            "  selected   2.0.0 clock [{}]\n",
            ReasonCode::Selected
        )));
    }

    #[test]
    fn text_lists_every_candidate_when_none_is_selected() {
        let report = SlotReport {
            slot: "clock",
            selected: None,
            candidates: vec![
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
            ],
        };
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
