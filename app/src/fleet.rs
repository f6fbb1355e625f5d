//! The rollout preview: the decision for every host of a fleet directory, and how
//! the fleet's staged rollouts land (hosts admitted / eligible per rule).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use muster::{Facts, Policy, Report, Selector};
use serde::Serialize;

use crate::error::BadInput;

/// How the fleet directory holds each host's facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactsFormat {
    /// `*.json` files as written by `edge-agent facts --json`.
    Muster,
    /// Ansible's fact cache (`setup --tree` output or the `jsonfile` cache): every
    /// regular, non-hidden file, muster facts under `ansible_local.muster`.
    Ansible,
}

/// One host of the fleet: where its facts came from, and the facts.
#[derive(Debug, Clone)]
pub struct Host {
    /// The facts file.
    pub file: PathBuf,
    /// The facts.
    pub facts: Facts,
}

/// Reads every host's facts in `dir`; the first unusable file is an error naming it.
pub fn load_hosts(dir: &Path, format: FactsFormat) -> Result<Vec<Host>, BadInput> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        BadInput(format!(
            "cannot read fleet directory {}: {e}",
            dir.display()
        ))
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .filter(|p| match format {
            FactsFormat::Muster => p.extension().is_some_and(|x| x == "json"),
            FactsFormat::Ansible => p
                .file_name()
                .is_some_and(|n| !n.to_string_lossy().starts_with('.')),
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(BadInput(match format {
            FactsFormat::Muster => format!(
                "fleet directory {} has no facts files (*.json, as written by `edge-agent facts --json`)",
                dir.display()
            ),
            FactsFormat::Ansible => format!(
                "fleet directory {} has no Ansible fact cache files (one file per host, as `ansible -m setup --tree DIR` writes)",
                dir.display()
            ),
        }));
    }
    files
        .into_iter()
        .map(|file| {
            let facts = match format {
                FactsFormat::Muster => Facts::from_file(&file).map_err(|e| e.to_string()),
                FactsFormat::Ansible => crate::ansible::facts_from_cache_file(&file),
            }
            .map_err(BadInput)?;
            Ok(Host { file, facts })
        })
        .collect()
}

/// One host's decision.
#[derive(Debug, Serialize)]
pub struct HostDecision {
    /// The facts file.
    pub file: PathBuf,
    /// The host name from the facts.
    pub host: String,
    /// The host identity rollouts bucket by.
    pub host_id: String,
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

/// How one rollout rule lands on the fleet.
#[derive(Debug, Clone, Serialize)]
pub struct RolloutStat {
    /// The rule as one line (`showcase@0.10.0 on 10% if ring=canary`).
    pub rule: String,
    /// The slot.
    pub slot: String,
    /// The version or requirement.
    pub target: String,
    /// The compiled-in versions it covers.
    pub versions: Vec<String>,
    /// The share, in percent.
    pub share: f64,
    /// Where the rule came from.
    pub source: String,
    /// Hosts matching its label conditions (all hosts when it has none).
    pub eligible: usize,
    /// Eligible hosts inside the share.
    pub admitted: usize,
}

/// The decisions for a fleet.
#[derive(Debug, Serialize)]
pub struct Fleet {
    /// One entry per facts file, sorted by file name.
    pub hosts: Vec<HostDecision>,
    /// Slot -> version (or `none`) -> number of hosts.
    pub summary: BTreeMap<String, BTreeMap<String, usize>>,
    /// Each rollout rule of the policy: hosts admitted / eligible.
    pub rollouts: Vec<RolloutStat>,
    /// Policy rules naming slots or versions that are not compiled in.
    pub policy_warnings: Vec<String>,
}

impl Fleet {
    /// Decides for every `*.json` facts file in `dir`.
    pub fn decide(dir: &Path, policy: &Policy) -> Result<Fleet, BadInput> {
        Ok(Fleet::decide_hosts(
            &load_hosts(dir, FactsFormat::Muster)?,
            policy,
        ))
    }

    /// Decides for every host.
    pub fn decide_hosts(hosts: &[Host], policy: &Policy) -> Fleet {
        let mut decisions = Vec::with_capacity(hosts.len());
        let mut summary: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
        for Host { file, facts } in hosts {
            let mut report = Selector::new(facts, policy).explain_all();
            // The same for every host: kept once, on the fleet.
            report.policy_warnings.clear();
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
            decisions.push(HostDecision {
                file: file.clone(),
                host: facts.hostname.clone(),
                host_id: facts.host_id.clone(),
                slots,
                report,
            });
        }
        Fleet {
            hosts: decisions,
            summary,
            rollouts: rollout_stats(hosts, policy),
            policy_warnings: policy.unknown_rules(),
        }
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

    /// The host x slot table, then per slot how many hosts get each version, then
    /// each rollout's admitted / eligible hosts.
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
        for r in &self.rollouts {
            let _ = writeln!(out, "{}", r.to_text());
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

impl RolloutStat {
    /// `rollout showcase@0.10.0 on 10% (versions 0.10.0; from flag): 3 of 40 eligible hosts admitted (7.5%)`.
    pub fn to_text(&self) -> String {
        let percent = if self.eligible == 0 {
            0.0
        } else {
            self.admitted as f64 * 100.0 / self.eligible as f64
        };
        format!(
            "rollout {} (versions {}; from {}): {} of {} eligible host{} admitted ({percent:.1}%)",
            self.rule,
            if self.versions.is_empty() {
                "none compiled in".to_owned()
            } else {
                self.versions.join(", ")
            },
            self.source,
            self.admitted,
            self.eligible,
            if self.eligible == 1 { "" } else { "s" },
        )
    }
}

fn rollout_stats(hosts: &[Host], policy: &Policy) -> Vec<RolloutStat> {
    let shared = policy.rollout_salt.as_ref().map(|(s, _)| s.as_str());
    policy
        .rollouts
        .iter()
        .map(|r| {
            let versions = r.covered_versions();
            let eligible = hosts.iter().filter(|h| r.eligible(&h.facts)).count();
            let admitted = hosts
                .iter()
                .filter(|h| r.admits(&h.facts, shared).is_ok())
                .count();
            RolloutStat {
                rule: r.describe(),
                slot: r.slot.clone(),
                target: r.target.to_string(),
                versions,
                share: r.share.percent(),
                source: r.source.to_string(),
                eligible,
                admitted,
            }
        })
        .collect()
}
