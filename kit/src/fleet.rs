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
    /// `*.json` files as written by `facts --json`.
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

/// The regular files of `dir` that `keep`, sorted by name; `what` names the directory
/// in the error when it cannot be listed.
pub(crate) fn files_in(
    dir: &Path,
    what: &str,
    keep: impl Fn(&Path) -> bool,
) -> Result<Vec<PathBuf>, BadInput> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| BadInput(format!("cannot read {what} {}: {e}", dir.display())))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .filter(|p| keep(p))
        .collect();
    // One directory: comparing the bytes orders as comparing paths, faster.
    files.sort_unstable_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
    Ok(files)
}

/// Whether the file's name starts with a dot.
pub(crate) fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

/// Reads every host's facts in `dir`; the first unusable file is an error naming it.
pub fn load_hosts(dir: &Path, format: FactsFormat) -> Result<Vec<Host>, BadInput> {
    let files = files_in(dir, "fleet directory", |p| match format {
        FactsFormat::Muster => p.extension().is_some_and(|x| x == "json"),
        FactsFormat::Ansible => !is_hidden(p),
    })?;
    if files.is_empty() {
        return Err(BadInput(match format {
            FactsFormat::Muster => format!(
                "fleet directory {} has no facts files (*.json, as written by `facts --json`)",
                dir.display()
            ),
            FactsFormat::Ansible => format!(
                "fleet directory {} has no Ansible fact cache files (one file per host, as `ansible -m setup --tree DIR` writes)",
                dir.display()
            ),
        }));
    }
    let facts = par_map(&files, |file| match format {
        FactsFormat::Muster => Facts::from_file(file).map_err(|e| e.to_string()),
        FactsFormat::Ansible => crate::ansible::facts_from_cache_file(file),
    });
    // The first bad file in name order, as a sequential read would report it.
    files
        .into_iter()
        .zip(facts)
        .map(|(file, facts)| {
            Ok(Host {
                file,
                facts: facts.map_err(BadInput)?,
            })
        })
        .collect()
}

/// `items.iter().map(f).collect()`, on all available cores for large inputs
/// (scoped threads over contiguous chunks; the order is kept).
pub(crate) fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    if threads == 1 || items.len() < 1024 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<R>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("fleet worker panicked"))
            .collect()
    })
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
    pub slots: BTreeMap<&'static str, Option<&'static str>>,
    /// The full report (kept when asked for, or when a slot failed); in JSON as
    /// `decisions`: slot -> every candidate with its outcome, reason and reason code.
    #[serde(
        rename = "decisions",
        serialize_with = "serialize_decisions",
        skip_serializing_if = "Option::is_none"
    )]
    pub report: Option<Report>,
}

fn serialize_decisions<S: serde::Serializer>(
    report: &Option<Report>,
    s: S,
) -> Result<S::Ok, S::Error> {
    let slots = report.iter().flat_map(|r| &r.slots);
    s.collect_map(slots.map(|slot| (slot.slot, slot.all_candidates())))
}

/// How much of each host's decision a [`Fleet`] keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Every candidate of every host (for JSON).
    Full,
    /// The selected versions; full reports only for hosts where a slot failed.
    Summary,
}

/// How one rollout rule lands on the fleet.
#[derive(Debug, Clone, Serialize)]
pub struct RolloutStat {
    /// The rule as one line (`my_slot@0.10.0 on 10% if ring=canary`).
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
            Detail::Full,
        ))
    }

    /// Decides for every host.
    pub fn decide_hosts(hosts: &[Host], policy: &Policy, detail: Detail) -> Fleet {
        let decisions = par_map(hosts, |Host { file, facts }| {
            let mut report = Selector::new(facts, policy).explain_all();
            // The same for every host: kept once, on the fleet.
            report.policy_warnings = Vec::new();
            let slots = report
                .slots
                .iter()
                .map(|s| (s.slot, s.selected.map(|c| c.version)))
                .collect();
            let keep = detail == Detail::Full || report.failed().next().is_some();
            HostDecision {
                file: file.clone(),
                host: facts.hostname.clone(),
                host_id: facts.host_id.clone(),
                slots,
                report: keep.then_some(report),
            }
        });
        let mut summary: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
        for decision in &decisions {
            for (slot, version) in &decision.slots {
                let versions = match summary.get_mut(*slot) {
                    Some(versions) => versions,
                    None => summary.entry((*slot).to_owned()).or_default(),
                };
                let key = version.unwrap_or("none");
                match versions.get_mut(key) {
                    Some(n) => *n += 1,
                    None => {
                        versions.insert(key.to_owned(), 1);
                    }
                }
            }
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
                    .map(|(s, _)| (h.host.clone(), (*s).to_owned()))
            })
            .collect()
    }

    /// The host x slot table, then per slot how many hosts get each version, then
    /// each rollout's admitted / eligible hosts.
    pub fn to_text(&self) -> String {
        let slots: Vec<&str> = self.summary.keys().map(String::as_str).collect();
        let labels = crate::table::host_labels(
            self.hosts
                .iter()
                .map(|h| (h.host.as_str(), h.host_id.as_str(), h.file.as_path())),
        );
        let cells = |h: &HostDecision| -> Vec<&str> {
            slots
                .iter()
                .map(|s| match h.slots.get(*s) {
                    Some(Some(v)) => *v,
                    _ => "FAILED",
                })
                .collect()
        };
        let header: Vec<&str> = std::iter::once("HOST")
            .chain(slots.iter().copied())
            .collect();
        let mut columns = crate::table::Columns::new(&header);
        for (h, label) in self.hosts.iter().zip(&labels) {
            let mut row = cells(h);
            row.insert(0, label);
            columns.fit(&row);
        }
        let mut out = String::new();
        columns.write(&mut out, &header);
        for (h, label) in self.hosts.iter().zip(&labels) {
            let mut row = cells(h);
            row.insert(0, label);
            columns.write(&mut out, &row);
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
            for slot in h.report.iter().flat_map(Report::failed) {
                let _ = write!(out, "\n{} ({}):\n{slot}", h.host, h.file.display());
            }
        }
        out
    }
}

impl RolloutStat {
    /// `rollout my_slot@0.10.0 on 10% (versions 0.10.0; from flag): 3 of 40 eligible hosts admitted (7.5%)`.
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

pub(crate) fn rollout_stats(hosts: &[Host], policy: &Policy) -> Vec<RolloutStat> {
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

#[cfg(test)]
mod tests {
    use crate::fleet::par_map;

    #[test]
    fn par_map_keeps_the_order_on_large_inputs() {
        let items: Vec<u32> = (0..10_000).collect();
        let doubled = par_map(&items, |i| i * 2);
        assert_eq!(doubled, items.iter().map(|i| i * 2).collect::<Vec<_>>());
        assert_eq!(par_map(&items[..3], |i| *i), [0, 1, 2]);
    }
}
