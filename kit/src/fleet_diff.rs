//! A fleet under two policies: which hosts change which slot from which version to
//! which, and how many hosts make each transition. "Raise my_slot 0.10.0 from 10 %
//! to 25 %" is checked here before it is deployed.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::PathBuf;

use serde::Serialize;

use crate::fleet::{Fleet, RolloutStat};
use crate::table::Columns;

/// One host's slot changing version (`None`: no acceptable version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The host name.
    pub host: String,
    /// The host identity.
    pub host_id: String,
    /// Its facts file.
    pub file: PathBuf,
    /// The slot.
    pub slot: String,
    /// The version before (`null`: none acceptable).
    pub from: Option<String>,
    /// The version after (`null`: none acceptable).
    pub to: Option<String>,
}

/// How many hosts move a slot from one version to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// The slot.
    pub slot: String,
    /// The version before (`null`: none acceptable).
    pub from: Option<String>,
    /// The version after (`null`: none acceptable).
    pub to: Option<String>,
    /// Number of hosts.
    pub hosts: usize,
}

/// The difference between two decisions over the same hosts.
#[derive(Debug, Serialize)]
pub struct FleetDiff {
    /// Hosts compared.
    pub hosts: usize,
    /// Hosts with at least one slot changing.
    pub hosts_changed: usize,
    /// Per transition, by slot, then from, then to.
    pub transitions: Vec<Transition>,
    /// Every change, by host file, then slot.
    pub changes: Vec<Change>,
    /// Rollouts under the current policy.
    pub rollouts_before: Vec<RolloutStat>,
    /// Rollouts under the proposed policy.
    pub rollouts_after: Vec<RolloutStat>,
    /// Unknown rules of the current policy.
    pub warnings_before: Vec<String>,
    /// Unknown rules of the proposed policy.
    pub warnings_after: Vec<String>,
}

impl FleetDiff {
    /// Compares `before` and `after`, decided for the same hosts in the same order.
    pub fn between(before: &Fleet, after: &Fleet) -> FleetDiff {
        assert_eq!(before.hosts.len(), after.hosts.len(), "same hosts");
        let mut changes = Vec::new();
        let mut counts: BTreeMap<(String, Option<String>, Option<String>), usize> = BTreeMap::new();
        let mut hosts_changed = 0;
        for (b, a) in before.hosts.iter().zip(&after.hosts) {
            debug_assert_eq!(b.file, a.file);
            let mut changed = false;
            for (slot, from) in &b.slots {
                let to = a.slots.get(slot).copied().flatten();
                if *from != to {
                    changed = true;
                    let (slot, from, to) = (
                        (*slot).to_owned(),
                        from.map(str::to_owned),
                        to.map(str::to_owned),
                    );
                    *counts
                        .entry((slot.clone(), from.clone(), to.clone()))
                        .or_default() += 1;
                    changes.push(Change {
                        host: b.host.clone(),
                        host_id: b.host_id.clone(),
                        file: b.file.clone(),
                        slot,
                        from,
                        to,
                    });
                }
            }
            hosts_changed += usize::from(changed);
        }
        FleetDiff {
            hosts: before.hosts.len(),
            hosts_changed,
            transitions: counts
                .into_iter()
                .map(|((slot, from, to), hosts)| Transition {
                    slot,
                    from,
                    to,
                    hosts,
                })
                .collect(),
            changes,
            rollouts_before: before.rollouts.clone(),
            rollouts_after: after.rollouts.clone(),
            warnings_before: before.policy_warnings.clone(),
            warnings_after: after.policy_warnings.clone(),
        }
    }

    /// Transitions with counts, then every changing host, then the rollouts.
    pub fn to_text(&self) -> String {
        let v = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".to_owned());
        let mut out = format!("{} of {} hosts change\n", self.hosts_changed, self.hosts);
        if !self.transitions.is_empty() {
            let names: Vec<String> = self
                .transitions
                .iter()
                .map(|t| format!("{} {} -> {}", t.slot, v(&t.from), v(&t.to)))
                .collect();
            let counts: Vec<String> = self
                .transitions
                .iter()
                .map(|t| t.hosts.to_string())
                .collect();
            let mut columns = Columns::new(&["TRANSITION", "HOSTS"]);
            for (name, count) in names.iter().zip(&counts) {
                columns.fit(&[name, count]);
            }
            out.push('\n');
            columns.write(&mut out, &["TRANSITION", "HOSTS"]);
            for (name, count) in names.iter().zip(&counts) {
                columns.write(&mut out, &[name, count]);
            }
            let labels = crate::table::host_labels(
                self.changes
                    .iter()
                    .map(|c| (c.host.as_str(), c.host_id.as_str(), c.file.as_path())),
            );
            let rows: Vec<[String; 3]> = self
                .changes
                .iter()
                .zip(labels)
                .map(|(c, label)| {
                    [
                        label,
                        c.slot.clone(),
                        format!("{} -> {}", v(&c.from), v(&c.to)),
                    ]
                })
                .collect();
            let mut columns = Columns::new(&["HOST", "SLOT", "CHANGE"]);
            for row in &rows {
                columns.fit(&row.each_ref().map(String::as_str));
            }
            out.push('\n');
            columns.write(&mut out, &["HOST", "SLOT", "CHANGE"]);
            for row in &rows {
                columns.write(&mut out, &row.each_ref().map(String::as_str));
            }
        }
        for (label, stats) in [
            ("before", &self.rollouts_before),
            ("after", &self.rollouts_after),
        ] {
            for r in stats {
                let _ = writeln!(out, "{label}: {}", r.to_text());
            }
        }
        for w in &self.warnings_before {
            let _ = writeln!(out, "warning (current policy): {w}");
        }
        for w in &self.warnings_after {
            let _ = writeln!(out, "warning (proposed policy): {w}");
        }
        out
    }
}
