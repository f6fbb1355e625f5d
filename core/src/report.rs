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
        f.write_str(match self {
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

impl fmt::Display for SlotReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.selected {
            Some(choice) => writeln!(f, "{}: {} {}", self.slot, choice.name, choice.version)?,
            None => writeln!(f, "{}: no acceptable version", self.slot)?,
        }
        for c in &self.candidates {
            write!(
                f,
                "  {:<10} {} {}",
                c.outcome.to_string(),
                c.version,
                c.name
            )?;
            if let Some(reason) = &c.reason {
                write!(f, ": {reason}")?;
            }
            writeln!(f, " [{}]", c.code)?;
        }
        Ok(())
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
