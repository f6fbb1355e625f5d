//! `plugins fleet --observed DIR`: the preview against what happened. DIR holds one
//! gathered report per host (what `plugins explain --json` printed there, with the
//! host's state when the host adds it; the file name, less `.json`, is the host).
//! For every host the preview decides again from the facts in its report, under the
//! policy given here, and every slot where the host decided otherwise is listed with
//! the reason codes of both sides: why the host did not take the preview's version
//! (a quarantine, a hook or start failure, a local deny, an older binary) and why
//! the preview did not take the host's.
//!
//! A report that cannot be read (truncated, not a report, from another binary) is a
//! failure of that host only: it is listed, the others are compared.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use muster::{Facts, Policy, Report, Selector, SlotReport};
use serde::{Deserialize, Serialize};

use crate::FleetArgs;
use crate::error::BadInput;
use crate::fleet::{Host, RolloutStat, par_map, rollout_stats};
use crate::{print, print_json};

/// The largest report read: `plugins explain --json` is a few KB per slot.
pub const MAX_REPORT_BYTES: u64 = 16 << 20;

/// The code of a version the other side's binary does not have.
pub const CODE_NOT_COMPILED_IN: &str = "not_compiled_in";
/// The code of a slot the host's report does not have (an older or other binary).
pub const CODE_SLOT_MISSING: &str = "slot_missing";

/// The parts of a gathered report this comparison reads (other keys are ignored).
#[derive(Debug, Deserialize)]
struct GatheredReport {
    facts: serde_json::Value,
    slots: Vec<GatheredSlot>,
    #[serde(default)]
    state: Option<GatheredState>,
}

#[derive(Debug, Deserialize)]
struct GatheredSlot {
    slot: String,
    selected: Option<GatheredChoice>,
    candidates: Vec<GatheredCandidate>,
}

#[derive(Debug, Deserialize)]
struct GatheredChoice {
    version: String,
}

#[derive(Debug, Deserialize)]
struct GatheredCandidate {
    version: String,
    outcome: String,
    code: String,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct GatheredState {
    #[serde(default)]
    quarantined: Vec<GatheredQuarantine>,
}

#[derive(Debug, Deserialize)]
struct GatheredQuarantine {
    slot: String,
    version: String,
    #[serde(default)]
    reason: String,
}

/// One candidate the host tried and did not select.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TriedOnHost {
    /// The version.
    pub version: String,
    /// `excluded` or `rejected`.
    pub outcome: String,
    /// Its reason code on the host.
    pub code: String,
}

/// One slot of one host decided otherwise than the preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// The host (the report's file name, less `.json`).
    pub host: String,
    /// The report file.
    pub file: PathBuf,
    /// The host identity rollouts bucket by.
    pub host_id: String,
    /// The slot.
    pub slot: String,
    /// The preview's version (`null`: none acceptable).
    pub preview: Option<String>,
    /// The host's version (`null`: none acceptable, or the slot is missing).
    pub observed: Option<String>,
    /// Why the host did not select the preview's version: its reason code there,
    /// `not_compiled_in` (the host's binary lacks it) or `slot_missing`; `null` when
    /// the preview has no version.
    pub code: Option<String>,
    /// The host's reason beside `code`.
    pub reason: Option<String>,
    /// Why the preview did not select the host's version (`not_compiled_in`: this
    /// binary lacks it); `null` when the host has no version.
    pub preview_code: Option<String>,
    /// The preview's reason beside `preview_code`.
    pub preview_reason: Option<String>,
    /// Every version the host excluded or rejected in this slot, newest first.
    pub host_tried: Vec<TriedOnHost>,
}

/// A version a host's agent has quarantined (from the report's `state`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuarantinedOn {
    /// The host.
    pub host: String,
    /// The slot.
    pub slot: String,
    /// The version.
    pub version: String,
    /// Why, as the agent recorded it.
    pub reason: String,
    /// Whether the preview selects this version on this host: the policy admits the
    /// host to it (its rollout, pins and denies), so the quarantine keeps the host
    /// from a version it should run. `false`: a quarantine of a version the host
    /// would not run anyway (not admitted by the rollout, or not compiled in here).
    pub admitted: bool,
}

/// A report that could not be read: that host is not compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unreadable {
    /// The host.
    pub host: String,
    /// The report file.
    pub file: PathBuf,
    /// What is wrong with it.
    pub error: String,
}

/// One slot over the fleet: versions in the preview and on the hosts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SlotObserved {
    /// Version (or `none`) -> hosts, in the preview.
    pub preview: BTreeMap<String, usize>,
    /// Version (or `none`) -> hosts, as the hosts decided.
    pub observed: BTreeMap<String, usize>,
    /// Hosts deciding otherwise than the preview.
    pub differing: usize,
    /// Reason code (`code` of each difference, `none` when the preview has no
    /// version) -> hosts.
    pub codes: BTreeMap<String, usize>,
}

/// The fleet's gathered reports against the preview.
#[derive(Debug, Serialize)]
pub struct Observed {
    /// Reports read and compared.
    pub hosts: usize,
    /// Hosts with at least one slot deciding otherwise than the preview.
    pub hosts_differing: usize,
    /// Per slot of this binary.
    pub slots: BTreeMap<String, SlotObserved>,
    /// Every difference, by host, then slot.
    pub differences: Vec<Difference>,
    /// Versions the hosts' agents have quarantined, by host.
    pub quarantined: Vec<QuarantinedOn>,
    /// Reports not read, by host.
    pub unreadable: Vec<Unreadable>,
    /// Each rollout rule of the policy over the hosts compared: admitted / eligible.
    pub rollouts: Vec<RolloutStat>,
    /// Policy rules naming slots or versions that are not compiled in.
    pub policy_warnings: Vec<String>,
}

/// One report, read.
struct Gathered {
    host: String,
    file: PathBuf,
    facts: Facts,
    report: GatheredReport,
}

/// One host compared: its differences, its quarantines, its facts and its version
/// per slot of this binary (in slot order).
struct HostCompared {
    differences: Vec<Difference>,
    quarantined: Vec<QuarantinedOn>,
    facts: Facts,
    observed: Vec<Option<String>>,
}

impl Observed {
    /// Reads every report in `dir` (regular, non-hidden files) and compares each host
    /// with the preview under `policy`. Only a directory that cannot be listed or
    /// holds no file is an error.
    pub fn compare_dir(dir: &Path, policy: &Policy) -> Result<Observed, BadInput> {
        let files = crate::fleet::files_in(dir, "the reports directory", |p| {
            !crate::fleet::is_hidden(p)
        })?;
        if files.is_empty() {
            return Err(BadInput(format!(
                "reports directory {} holds no report (one file per host, as `plugins explain \
                 --json` printed it there)",
                dir.display()
            )));
        }
        Ok(Observed::compare(&files, policy))
    }

    /// Compares the reports in `files` with the preview under `policy`.
    pub fn compare(files: &[PathBuf], policy: &Policy) -> Observed {
        let compared: Vec<(String, PathBuf, Result<HostCompared, String>)> =
            par_map(files, |file| {
                let host = host_name(file);
                let result = read_report(file, &host).and_then(|g| compare_host(&g, policy));
                (host, file.clone(), result)
            });
        let mut observed = Observed {
            hosts: 0,
            hosts_differing: 0,
            slots: muster::slots()
                .iter()
                .map(|s| (s.name.to_owned(), SlotObserved::default()))
                .collect(),
            differences: Vec::new(),
            quarantined: Vec::new(),
            unreadable: Vec::new(),
            rollouts: Vec::new(),
            policy_warnings: policy.unknown_rules(),
        };
        let mut compared_hosts = Vec::new();
        for (host, file, result) in compared {
            match result {
                Ok(host) => {
                    observed.count(&host.differences, &host.observed);
                    observed.hosts += 1;
                    observed.hosts_differing += usize::from(!host.differences.is_empty());
                    observed.differences.extend(host.differences);
                    observed.quarantined.extend(host.quarantined);
                    compared_hosts.push(Host {
                        file,
                        facts: host.facts,
                    });
                }
                Err(error) => observed.unreadable.push(Unreadable { host, file, error }),
            }
        }
        observed.rollouts = rollout_stats(&compared_hosts, policy);
        observed
    }

    /// Adds one host to the per-slot counts.
    fn count(&mut self, differences: &[Difference], observed_versions: &[Option<String>]) {
        // The preview's version per slot, from the differences: a slot that does
        // not differ has the host's version in both.
        for ((name, slot), observed) in self.slots.iter_mut().zip(observed_versions) {
            let differs = differences.iter().find(|d| &d.slot == name);
            let preview = match differs {
                Some(d) => d.preview.clone(),
                None => observed.clone(),
            };
            *slot
                .preview
                .entry(preview.unwrap_or_else(|| "none".to_owned()))
                .or_default() += 1;
            *slot
                .observed
                .entry(observed.clone().unwrap_or_else(|| "none".to_owned()))
                .or_default() += 1;
            if let Some(d) = differs {
                slot.differing += 1;
                *slot
                    .codes
                    .entry(d.code.clone().unwrap_or_else(|| "none".to_owned()))
                    .or_default() += 1;
            }
        }
    }

    /// Whether every report was read.
    pub fn all_read(&self) -> bool {
        self.unreadable.is_empty()
    }

    /// Per slot the versions in the preview and on the hosts, then every difference
    /// with its codes, the quarantines and the unreadable reports.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "observed: {} host{} compared, {} differ from the preview, {} report{} unreadable\n",
            self.hosts,
            if self.hosts == 1 { "" } else { "s" },
            self.hosts_differing,
            self.unreadable.len(),
            if self.unreadable.len() == 1 { "" } else { "s" },
        );
        let counts = |m: &BTreeMap<String, usize>| {
            m.iter()
                .map(|(v, n)| format!("{v}: {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        for (name, slot) in &self.slots {
            let _ = write!(
                out,
                "{name}: preview {}; observed {}",
                counts(&slot.preview),
                counts(&slot.observed)
            );
            if slot.differing > 0 {
                let _ = write!(out, "; {} differ ({})", slot.differing, counts(&slot.codes));
            }
            out.push('\n');
        }
        for r in &self.rollouts {
            let _ = writeln!(out, "{}", r.to_text());
        }
        for w in &self.policy_warnings {
            let _ = writeln!(out, "warning: {w}");
        }
        if !self.differences.is_empty() {
            out.push_str("\ndiffering from the preview:\n");
        }
        for d in &self.differences {
            let version = |v: &Option<String>| v.as_deref().unwrap_or("none").to_owned();
            let _ = write!(
                out,
                "  {} {}: preview {}, observed {}",
                d.host,
                d.slot,
                version(&d.preview),
                version(&d.observed)
            );
            if let Some(code) = &d.code {
                let _ = write!(out, " [{code}]");
            }
            if let Some(reason) = &d.reason {
                let _ = write!(out, " {reason}");
            }
            if let Some(code) = &d.preview_code {
                let _ = write!(out, "; preview: [{code}]");
            }
            if !d.host_tried.is_empty() {
                let tried: Vec<String> = d
                    .host_tried
                    .iter()
                    .map(|t| format!("{} {}", t.version, t.code))
                    .collect();
                let _ = write!(out, " (host tried: {})", tried.join(", "));
            }
            out.push('\n');
        }
        if !self.quarantined.is_empty() {
            out.push_str("\nquarantined on the hosts:\n");
        }
        for q in &self.quarantined {
            let admitted = if q.admitted {
                ""
            } else {
                " (not admitted here)"
            };
            let _ = writeln!(
                out,
                "  {} {}@{}{admitted}: {}",
                q.host, q.slot, q.version, q.reason
            );
        }
        if !self.unreadable.is_empty() {
            out.push_str("\nunreadable reports (those hosts are not compared):\n");
        }
        for u in &self.unreadable {
            let _ = writeln!(out, "  {} ({}): {}", u.host, u.file.display(), u.error);
        }
        out
    }
}

/// Runs `plugins fleet --observed DIR`: prints the comparison (JSON with `--json`);
/// an unreadable report is [`BadInput`] (exit 4) after everything is printed.
pub fn run(args: &FleetArgs) -> anyhow::Result<()> {
    let policy = args.policy.layers()?.load()?;
    let observed = Observed::compare_dir(&args.dir, &policy)?;
    if args.json {
        print_json(&observed)?;
    } else {
        print(observed.to_text())?;
    }
    if observed.all_read() {
        return Ok(());
    }
    let hosts: Vec<&str> = observed
        .unreadable
        .iter()
        .map(|u| u.host.as_str())
        .collect();
    Err(BadInput(format!(
        "{} report(s) unreadable, those hosts not compared: {}",
        hosts.len(),
        hosts.join(", ")
    ))
    .into())
}

/// The host a report file is for: its name less `.json`.
fn host_name(file: &Path) -> String {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match name.strip_suffix(".json") {
        Some(host) if !host.is_empty() => host.to_owned(),
        _ => name,
    }
}

fn read_report(file: &Path, host: &str) -> Result<Gathered, String> {
    let origin = file.display();
    let bytes = muster::input::read_input_file(file, MAX_REPORT_BYTES)
        .map_err(|e| format!("cannot read report {origin}: {e}"))?;
    let report: GatheredReport = serde_json::from_slice(&bytes).map_err(|e| {
        format!("report {origin} is not a `plugins explain --json` report (truncated?): {e}")
    })?;
    let facts = Facts::from_json_value(report.facts.clone(), &format!("{origin} (facts)"))
        .map_err(|e| e.to_string())?;
    let slots = muster::slots();
    if !slots.is_empty()
        && !report
            .slots
            .iter()
            .any(|s| slots.iter().any(|k| k.name == s.slot))
    {
        let theirs: Vec<&str> = report.slots.iter().map(|s| s.slot.as_str()).collect();
        return Err(format!(
            "report {origin} names none of this binary's slots (it has: {}; a report from \
             another binary?)",
            if theirs.is_empty() {
                "none".to_owned()
            } else {
                theirs.join(", ")
            }
        ));
    }
    Ok(Gathered {
        host: host.to_owned(),
        file: file.to_owned(),
        facts,
        report,
    })
}

fn compare_host(g: &Gathered, policy: &Policy) -> Result<HostCompared, String> {
    let preview: Report = Selector::new(&g.facts, policy).explain_all();
    let mut differences = Vec::new();
    let mut observed_versions = Vec::with_capacity(preview.slots.len());
    // `muster::slots()` and the report are both sorted by slot name.
    for slot in &preview.slots {
        let theirs = g.report.slots.iter().find(|s| s.slot == slot.slot);
        let observed = theirs.and_then(|s| s.selected.as_ref().map(|c| c.version.clone()));
        let previewed = slot.selected.map(|c| c.version.to_owned());
        observed_versions.push(observed.clone());
        let differs = match theirs {
            None => true,
            Some(_) => observed != previewed,
        };
        if !differs {
            continue;
        }
        differences.push(difference(g, slot, theirs, previewed, observed));
    }
    let quarantined =
        g.report
            .state
            .iter()
            .flat_map(|s| &s.quarantined)
            .map(|q| QuarantinedOn {
                host: g.host.clone(),
                slot: q.slot.clone(),
                version: q.version.clone(),
                reason: q.reason.clone(),
                admitted: preview.slots.iter().any(|s| {
                    s.slot == q.slot && s.selected.is_some_and(|c| c.version == q.version)
                }),
            })
            .collect();
    Ok(HostCompared {
        differences,
        quarantined,
        facts: g.facts.clone(),
        observed: observed_versions,
    })
}

fn difference(
    g: &Gathered,
    slot: &SlotReport,
    theirs: Option<&GatheredSlot>,
    preview: Option<String>,
    observed: Option<String>,
) -> Difference {
    let (code, reason) = match (&preview, theirs) {
        (None, _) => (None, None),
        (Some(v), None) => (
            Some(CODE_SLOT_MISSING.to_owned()),
            Some(format!(
                "the host's report has no slot {} (an older or another binary?); preview {v}",
                slot.slot
            )),
        ),
        (Some(v), Some(theirs)) => match theirs.candidates.iter().find(|c| &c.version == v) {
            Some(c) => (Some(c.code.clone()), c.reason.clone()),
            None => (
                Some(CODE_NOT_COMPILED_IN.to_owned()),
                Some(format!(
                    "the host's binary has no {} {v} (an older binary?)",
                    slot.slot
                )),
            ),
        },
    };
    let (preview_code, preview_reason) = match &observed {
        None => (None, None),
        Some(v) => match slot.candidates().into_iter().find(|c| c.version == v) {
            Some(c) => (
                Some(c.code.as_str().to_owned()),
                c.reason.map(|r| r.into_owned()),
            ),
            None => (
                Some(CODE_NOT_COMPILED_IN.to_owned()),
                Some(format!("this binary has no {} {v}", slot.slot)),
            ),
        },
    };
    let host_tried = theirs
        .iter()
        .flat_map(|s| &s.candidates)
        .filter(|c| c.outcome == "excluded" || c.outcome == "rejected")
        .map(|c| TriedOnHost {
            version: c.version.clone(),
            outcome: c.outcome.clone(),
            code: c.code.clone(),
        })
        .collect();
    Difference {
        host: g.host.clone(),
        file: g.file.clone(),
        host_id: g.facts.host_id.clone(),
        slot: slot.slot.to_owned(),
        preview,
        observed,
        code,
        reason,
        preview_code,
        preview_reason,
        host_tried,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use muster::Policy;

    use crate::observed::{Observed, host_name};

    #[test]
    fn the_host_is_the_file_name_less_json() {
        assert_eq!(host_name(Path::new("r/edge-01.json")), "edge-01");
        assert_eq!(host_name(Path::new("r/edge-01")), "edge-01");
        assert_eq!(host_name(Path::new("r/.json")), ".json");
    }

    #[test]
    fn unreadable_reports_are_listed_and_the_others_compared() {
        let dir = std::env::temp_dir().join(format!("muster-observed-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let facts = r#"{"hostname":"h","host_id":"a","os":"linux","arch":"x86_64",
            "cpu_features":[],"logical_cores":1,"memory_mb":64,"labels":{}}"#;
        std::fs::write(
            dir.join("good.json"),
            format!(r#"{{"facts":{facts},"slots":[]}}"#),
        )
        .unwrap();
        std::fs::write(dir.join("cut.json"), r#"{"facts":{"hostname""#).unwrap();
        std::fs::write(dir.join(".hidden"), "ignored").unwrap();
        let observed = Observed::compare_dir(&dir, &Policy::new()).unwrap();
        assert_eq!(observed.hosts, 1);
        assert_eq!(observed.unreadable.len(), 1);
        assert_eq!(observed.unreadable[0].host, "cut");
        assert!(
            observed.unreadable[0].error.contains("truncated"),
            "{:?}",
            observed.unreadable
        );
        assert!(!observed.all_read());
        assert!(observed.to_text().contains("1 report unreadable"));
        std::fs::remove_dir_all(&dir).unwrap();
        let empty = std::env::temp_dir().join(format!("muster-observed-e-{}", std::process::id()));
        std::fs::create_dir_all(&empty).unwrap();
        assert!(Observed::compare_dir(&empty, &Policy::new()).is_err());
        std::fs::remove_dir_all(&empty).unwrap();
    }
}
