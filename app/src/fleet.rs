//! The rollout preview: the decision for every host of a fleet directory.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use muster::{Facts, Policy, Report, Selector};
use serde::Serialize;

use crate::error::BadInput;

/// One host's decision.
#[derive(Debug, Serialize)]
pub struct HostDecision {
    /// The facts file.
    pub file: PathBuf,
    /// The host name from the facts.
    pub host: String,
    /// Slot -> selected version, or `null` when nothing is acceptable.
    pub slots: BTreeMap<String, Option<String>>,
    /// The full report; in JSON as `decisions`: slot -> every candidate with its
    /// outcome, reason and reason code.
    #[serde(rename = "decisions", serialize_with = "serialize_decisions")]
    pub report: Report,
}

fn serialize_decisions<S: serde::Serializer>(report: &Report, s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(
        report
            .slots
            .iter()
            .map(|slot| (slot.slot, &slot.candidates)),
    )
}

/// The decisions for a fleet.
#[derive(Debug, Serialize)]
pub struct Fleet {
    /// One entry per facts file, sorted by file name.
    pub hosts: Vec<HostDecision>,
    /// Slot -> version (or `none`) -> number of hosts.
    pub summary: BTreeMap<String, BTreeMap<String, usize>>,
    /// Policy rules naming slots or versions that are not compiled in.
    pub policy_warnings: Vec<String>,
}

impl Fleet {
    /// Decides for every `*.json` facts file in `dir`.
    pub fn decide(dir: &Path, policy: &Policy) -> Result<Fleet, BadInput> {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            BadInput(format!(
                "cannot read fleet directory {}: {e}",
                dir.display()
            ))
        })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file())
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(BadInput(format!(
                "fleet directory {} has no facts files (*.json, as written by `edge-agent facts --json`)",
                dir.display()
            )));
        }
        let mut hosts = Vec::new();
        let mut summary: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
        let mut policy_warnings = Vec::new();
        for file in files {
            let facts = Facts::from_file(&file).map_err(|e| BadInput(e.to_string()))?;
            let report = Selector::new(&facts, policy).explain_all();
            let mut slots = BTreeMap::new();
            for slot in &report.slots {
                let version = slot.selected.map(|c| c.version.to_owned());
                *summary
                    .entry(slot.slot.to_owned())
                    .or_default()
                    .entry(version.clone().unwrap_or_else(|| "none".to_owned()))
                    .or_default() += 1;
                slots.insert(slot.slot.to_owned(), version);
            }
            policy_warnings.clone_from(&report.policy_warnings);
            hosts.push(HostDecision {
                file,
                host: facts.hostname.clone(),
                slots,
                report,
            });
        }
        Ok(Fleet {
            hosts,
            summary,
            policy_warnings,
        })
    }

    /// (host, slot) pairs with no acceptable version.
    pub fn failures(&self) -> Vec<(String, String)> {
        self.hosts
            .iter()
            .flat_map(|h| {
                h.slots
                    .iter()
                    .filter(|(_, v)| v.is_none())
                    .map(|(s, _)| (h.host.clone(), s.clone()))
            })
            .collect()
    }

    /// The host x slot table, then per slot how many hosts get each version.
    pub fn to_text(&self) -> String {
        let slots: Vec<&String> = self.summary.keys().collect();
        let mut out = format!("{:<20}", "HOST");
        for s in &slots {
            let _ = write!(out, " {s:<14}");
        }
        out.push('\n');
        for h in &self.hosts {
            let _ = write!(out, "{:<20}", h.host);
            for s in &slots {
                let cell = match h.slots.get(*s) {
                    Some(Some(v)) => v.clone(),
                    _ => "FAILED".to_owned(),
                };
                let _ = write!(out, " {cell:<14}");
            }
            out.push('\n');
        }
        out.push('\n');
        for (slot, versions) in &self.summary {
            let parts: Vec<String> = versions
                .iter()
                .map(|(v, n)| format!("{v}: {n} host{}", if *n == 1 { "" } else { "s" }))
                .collect();
            let _ = writeln!(out, "{slot}: {}", parts.join(", "));
        }
        for w in &self.policy_warnings {
            let _ = writeln!(out, "warning: {w}");
        }
        for h in &self.hosts {
            for slot in h.report.failed() {
                let _ = write!(out, "\n{} ({}):\n{slot}", h.host, h.file.display());
            }
        }
        out
    }
}
