//! The encoder: a [`Snapshot`] as metric families, written out by the
//! `prometheus-client` crate in the Prometheus text format (version 0.0.4), which
//! names, types, escapes and formats every sample. This file only decides which
//! samples there are, their labels and their order (by slot, then version).

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::{Registry, Unit};

use crate::metrics::Snapshot;

/// The prefix of every metric name (`muster_`).
const PREFIX: &str = "muster";

/// `snapshot` as metrics in the Prometheus text format, the format node_exporter's
/// textfile collector reads: one family per metric with its `# HELP` and `# TYPE`,
/// samples sorted by slot, then version (semver precedence). The same snapshot
/// always gives the same text.
pub fn encode(snapshot: &Snapshot<'_>) -> String {
    let mut registry = Registry::with_prefix(PREFIX);
    registry.register_collector(Box::new(Families(families(snapshot))));
    let mut text = String::with_capacity(4096);
    // The only writer is a `String`, which never fails; the client's encoders fail
    // only on what is not used here (native histograms).
    prometheus_client::encoding::prometheus_text::encode(&mut text, &registry)
        .expect("encoding metrics into a String cannot fail");
    text
}

/// How a family's samples are typed.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// Labels only, value 1 (`_info` is appended to the name).
    Info,
    /// A value that goes up and down.
    Gauge,
    /// A value that only goes up while the process runs (`_total` is appended).
    Counter,
}

/// One metric family: name without prefix and suffixes, help, unit, samples.
#[derive(Debug)]
struct Family {
    name: &'static str,
    help: &'static str,
    unit: Option<Unit>,
    kind: Kind,
    samples: Vec<Sample>,
}

/// One sample: its labels in order and its value (ignored for [`Kind::Info`]).
#[derive(Debug)]
struct Sample {
    labels: Vec<(&'static str, String)>,
    value: u64,
}

impl Family {
    fn new(name: &'static str, kind: Kind, help: &'static str) -> Family {
        Family {
            name,
            help,
            unit: None,
            kind,
            samples: Vec::new(),
        }
    }

    /// The same, with a unit (appended to the name: `_seconds`).
    fn seconds(mut self) -> Family {
        self.unit = Some(Unit::Seconds);
        self
    }

    fn push(&mut self, labels: Vec<(&'static str, String)>, value: u64) {
        self.samples.push(Sample { labels, value });
    }
}

/// The families, handed to the client's registry as one collector (so their order
/// and their samples' order are this file's, not a hash map's).
#[derive(Debug)]
struct Families(Vec<Family>);

impl Collector for Families {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        for family in self.0.iter().filter(|f| !f.samples.is_empty()) {
            let metric_type = match family.kind {
                Kind::Info => MetricType::Info,
                Kind::Gauge => MetricType::Gauge,
                Kind::Counter => MetricType::Counter,
            };
            let mut metric = encoder.encode_descriptor(
                family.name,
                family.help,
                family.unit.as_ref(),
                metric_type,
            )?;
            for sample in &family.samples {
                match family.kind {
                    Kind::Info => metric.encode_info(&sample.labels)?,
                    Kind::Gauge => metric
                        .encode_family(&sample.labels)?
                        .encode_gauge(&sample.value)?,
                    Kind::Counter => metric
                        .encode_family(&sample.labels)?
                        .encode_counter::<NoLabelSet, u64, u64>(&sample.value, None)?,
                }
            }
        }
        Ok(())
    }
}

/// Orders version texts by semver precedence (a text that is not a version after
/// those that are, by text); equal precedence (build metadata) by text.
fn by_version(a: &str, b: &str) -> Ordering {
    match (semver::Version::parse(a), semver::Version::parse(b)) {
        (Ok(x), Ok(y)) => x.cmp(&y).then_with(|| a.cmp(b)),
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        (Err(_), Err(_)) => a.cmp(b),
    }
}

/// The entries of per-slot state (quarantine, strikes) sorted by slot and version,
/// the first of each (slot, version) only: a state file edited by hand may name a
/// version twice, and a repeated series would make node_exporter refuse the file.
fn per_version<E>(
    slots: &BTreeMap<String, Vec<E>>,
    version: impl Fn(&E) -> &semver::Version,
) -> Vec<(&str, &E)> {
    let mut seen: BTreeMap<(&str, &semver::Version), &E> = BTreeMap::new();
    for (slot, entries) in slots {
        for e in entries {
            seen.entry((slot.as_str(), version(e))).or_insert(e);
        }
    }
    seen.into_iter().map(|((slot, _), e)| (slot, e)).collect()
}

fn label(name: &'static str, value: impl Into<String>) -> (&'static str, String) {
    (name, value.into())
}

/// Every family of `s`, samples in order.
fn families(s: &Snapshot<'_>) -> Vec<Family> {
    // Every slot compiled in, and any slot the host names (held, failovers), once.
    let slots: BTreeSet<&str> = s
        .report
        .slots
        .iter()
        .map(|r| r.slot)
        .chain(s.held.iter().map(String::as_str))
        .chain(s.counters.failovers.keys().map(String::as_str))
        .collect();
    let selected: BTreeMap<&str, &str> = s
        .report
        .slots
        .iter()
        .filter_map(|r| Some((r.slot, r.selected?.version)))
        .collect();
    let held: BTreeSet<&str> = s.held.iter().map(String::as_str).collect();

    let mut build = Family::new(
        "build",
        Kind::Info,
        "The agent's build: its package, version and deployment set (value 1).",
    );
    build.push(
        vec![
            label("package", s.build.package),
            label("version", s.build.version),
            label("set", s.build.set),
        ],
        1,
    );

    let mut selected_info = Family::new(
        "slot_selected",
        Kind::Info,
        "The version each slot selected, for slots that selected one (value 1).",
    );
    let mut selected_flag = Family::new(
        "slot_selected",
        Kind::Gauge,
        "Whether the slot selected a version: 1 yes, 0 no acceptable version.",
    );
    let mut held_flag = Family::new(
        "slot_held",
        Kind::Gauge,
        "Whether the slot is held: 1 when a version would run but for the quarantine, else 0.",
    );
    let mut failovers = Family::new(
        "failovers",
        Kind::Counter,
        "In-process failovers of the slot to an older version since the agent started.",
    );
    for &slot in &slots {
        if let Some(version) = selected.get(slot) {
            selected_info.push(vec![label("slot", slot), label("version", *version)], 1);
        }
        selected_flag.push(
            vec![label("slot", slot)],
            selected.contains_key(slot).into(),
        );
        held_flag.push(vec![label("slot", slot)], held.contains(slot).into());
        let count = s.counters.failovers.get(slot).copied().unwrap_or(0);
        failovers.push(vec![label("slot", slot)], count);
    }

    let mut fallback = Family::new(
        "slot_fallback",
        Kind::Info,
        "The version each slot would fall back to with its selected version set aside (value 1).",
    );
    let fallbacks: BTreeSet<(&str, &str)> = s
        .fallbacks
        .iter()
        .filter_map(|(slot, _, fallback)| Some((*slot, fallback.as_ref()?.version)))
        .collect();
    let mut fallbacks: Vec<(&str, &str)> = fallbacks.into_iter().collect();
    fallbacks.sort_by(|a, b| a.0.cmp(b.0).then_with(|| by_version(a.1, b.1)));
    for (slot, version) in fallbacks {
        fallback.push(vec![label("slot", slot), label("version", version)], 1);
    }

    let mut candidates = Family::new(
        "candidate",
        Kind::Info,
        "Every version compiled in, with what the decision did with it and the reason code \
         (as in `plugins explain --json`) (value 1).",
    );
    // A version registered twice (ambiguous) is one sample.
    let mut rows: Vec<(&str, &str, &str, &str)> = s
        .report
        .slots
        .iter()
        .flat_map(|r| {
            r.candidates()
                .into_iter()
                .map(move |c| (r.slot, c.version, c.outcome.as_str(), c.code.as_str()))
        })
        .collect();
    rows.sort_by(|a, b| {
        (a.0.cmp(b.0))
            .then_with(|| by_version(a.1, b.1))
            .then_with(|| (a.2, a.3).cmp(&(b.2, b.3)))
    });
    rows.dedup();
    for (slot, version, outcome, reason) in rows {
        candidates.push(
            vec![
                label("slot", slot),
                label("version", version),
                label("outcome", outcome),
                label("reason", reason),
            ],
            1,
        );
    }

    let mut strikes = Family::new(
        "strikes",
        Kind::Gauge,
        "Strikes against the version: deaths of the process while it ran (crash memory).",
    );
    for (slot, e) in per_version(&s.strikes.slots, |e| &e.version) {
        let labels = vec![label("slot", slot), label("version", e.version.to_string())];
        strikes.push(labels, e.count.into());
    }

    let mut quarantined = Family::new(
        "quarantined",
        Kind::Gauge,
        "The version is quarantined: excluded from selection after misbehaving (value 1).",
    );
    let mut since = Family::new(
        "quarantine_since_timestamp",
        Kind::Gauge,
        "When the version was quarantined, in seconds since the Unix epoch.",
    )
    .seconds();
    for (slot, e) in per_version(&s.quarantine.slots, |e| &e.version) {
        let labels = vec![label("slot", slot), label("version", e.version.to_string())];
        quarantined.push(labels.clone(), 1);
        since.push(labels, e.since_unix);
    }

    let c = s.counters;
    let mut inputs = Family::new(
        "inputs",
        Kind::Counter,
        "Inputs processed since the agent started, by result: done or failed.",
    );
    inputs.push(vec![label("result", "done")], c.inputs_done);
    inputs.push(vec![label("result", "failed")], c.inputs_failed);
    let mut waiting = Family::new(
        "inputs_waiting",
        Kind::Gauge,
        "Inputs waiting to be processed.",
    );
    waiting.push(Vec::new(), c.inputs_waiting);
    let mut last_success = Family::new(
        "last_success_timestamp",
        Kind::Gauge,
        "When the last input was processed successfully, in seconds since the Unix epoch.",
    )
    .seconds();
    if let Some(at) = c.last_success_unix {
        last_success.push(Vec::new(), at);
    }
    let mut written = Family::new(
        "metrics_written_timestamp",
        Kind::Gauge,
        "When the agent wrote these metrics, in seconds since the Unix epoch.",
    )
    .seconds();
    written.push(Vec::new(), s.now_unix);

    vec![
        build,
        selected_info,
        selected_flag,
        held_flag,
        fallback,
        candidates,
        failovers,
        strikes,
        quarantined,
        since,
        inputs,
        waiting,
        last_success,
        written,
    ]
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering;

    use muster::{Quarantine, Report};
    use semver::Version;

    use crate::crash::Strikes;
    use crate::metrics::encode::by_version;
    use crate::metrics::{BuildLabels, Counters, Snapshot, encode};

    /// A report of a binary without slots (the kit registers none; the integration
    /// tests in `kit/tests/metrics.rs` have real ones).
    fn no_slots() -> Report {
        Report {
            slots: Vec::new(),
            policy_warnings: Vec::new(),
        }
    }

    fn snapshot<'a>(
        report: &'a Report,
        held: &'a [String],
        quarantine: &'a Quarantine,
        strikes: &'a Strikes,
        counters: &'a Counters,
    ) -> Snapshot<'a> {
        Snapshot {
            build: BuildLabels {
                package: "edge-agent",
                version: "0.1.0",
                set: "default",
            },
            report,
            fallbacks: &[],
            held,
            quarantine,
            strikes,
            counters,
            now_unix: 1_795_800_000,
        }
    }

    #[test]
    fn versions_sort_by_precedence_not_text() {
        assert_eq!(by_version("1.9.0", "1.10.0"), Ordering::Less);
        assert_eq!(by_version("1.0.0-beta.2", "1.0.0"), Ordering::Less);
        assert_eq!(by_version("1.0.0", "not-a-version"), Ordering::Less);
        assert_eq!(by_version("b", "a"), Ordering::Greater);
    }

    #[test]
    fn the_whole_text_of_a_host_with_state_but_no_slots() {
        let report = no_slots();
        let mut quarantine = Quarantine::new();
        quarantine.add("uplink", Version::new(1, 10, 0), "panicked");
        quarantine.add("uplink", Version::new(1, 9, 0), "unhealthy");
        for e in quarantine.slots.get_mut("uplink").unwrap() {
            e.since_unix = 1_795_000_000 + e.version.minor;
        }
        let mut strikes = Strikes::new();
        strikes.add("checksum", &Version::new(1, 1, 0), "died");
        strikes.add("checksum", &Version::new(1, 1, 0), "died");
        let counters = Counters {
            failovers: [("uplink".to_owned(), 2)].into(),
            inputs_done: 7,
            inputs_failed: 1,
            inputs_waiting: 3,
            last_success_unix: Some(1_795_799_990),
        };
        let held = ["showcase".to_owned()];
        let text = encode(&snapshot(&report, &held, &quarantine, &strikes, &counters));
        let expected = "\
# HELP muster_build_info The agent's build: its package, version and deployment set (value 1).
# TYPE muster_build_info gauge
muster_build_info{package=\"edge-agent\",version=\"0.1.0\",set=\"default\"} 1
# HELP muster_slot_selected Whether the slot selected a version: 1 yes, 0 no acceptable version.
# TYPE muster_slot_selected gauge
muster_slot_selected{slot=\"showcase\"} 0
muster_slot_selected{slot=\"uplink\"} 0
# HELP muster_slot_held Whether the slot is held: 1 when a version would run but for the quarantine, else 0.
# TYPE muster_slot_held gauge
muster_slot_held{slot=\"showcase\"} 1
muster_slot_held{slot=\"uplink\"} 0
# HELP muster_failovers_total In-process failovers of the slot to an older version since the agent started.
# TYPE muster_failovers_total counter
muster_failovers_total{slot=\"showcase\"} 0
muster_failovers_total{slot=\"uplink\"} 2
# HELP muster_strikes Strikes against the version: deaths of the process while it ran (crash memory).
# TYPE muster_strikes gauge
muster_strikes{slot=\"checksum\",version=\"1.1.0\"} 2
# HELP muster_quarantined The version is quarantined: excluded from selection after misbehaving (value 1).
# TYPE muster_quarantined gauge
muster_quarantined{slot=\"uplink\",version=\"1.9.0\"} 1
muster_quarantined{slot=\"uplink\",version=\"1.10.0\"} 1
# HELP muster_quarantine_since_timestamp_seconds When the version was quarantined, in seconds since the Unix epoch.
# TYPE muster_quarantine_since_timestamp_seconds gauge
muster_quarantine_since_timestamp_seconds{slot=\"uplink\",version=\"1.9.0\"} 1795000009
muster_quarantine_since_timestamp_seconds{slot=\"uplink\",version=\"1.10.0\"} 1795000010
# HELP muster_inputs_total Inputs processed since the agent started, by result: done or failed.
# TYPE muster_inputs_total counter
muster_inputs_total{result=\"done\"} 7
muster_inputs_total{result=\"failed\"} 1
# HELP muster_inputs_waiting Inputs waiting to be processed.
# TYPE muster_inputs_waiting gauge
muster_inputs_waiting 3
# HELP muster_last_success_timestamp_seconds When the last input was processed successfully, in seconds since the Unix epoch.
# TYPE muster_last_success_timestamp_seconds gauge
muster_last_success_timestamp_seconds 1795799990
# HELP muster_metrics_written_timestamp_seconds When the agent wrote these metrics, in seconds since the Unix epoch.
# TYPE muster_metrics_written_timestamp_seconds gauge
muster_metrics_written_timestamp_seconds 1795800000
";
        assert_eq!(text, expected);
    }

    #[test]
    fn a_version_named_twice_in_the_state_is_one_sample() {
        let report = no_slots();
        let mut quarantine = Quarantine::new();
        quarantine.add("uplink", Version::new(1, 1, 0), "first");
        let twice = quarantine.slots["uplink"][0].clone();
        quarantine.slots.get_mut("uplink").unwrap().push(twice);
        let mut strikes = Strikes::new();
        strikes.add("uplink", &Version::new(1, 1, 0), "died");
        let mut again = strikes.slots["uplink"][0].clone();
        again.count = 5;
        strikes.slots.get_mut("uplink").unwrap().push(again);
        let counters = Counters::default();
        let text = encode(&snapshot(&report, &[], &quarantine, &strikes, &counters));
        assert_eq!(text.matches("muster_quarantined{").count(), 1, "{text}");
        assert_eq!(
            text.matches("muster_quarantine_since_timestamp_seconds{")
                .count(),
            1
        );
        assert_eq!(text.matches("muster_strikes{").count(), 1, "{text}");
        assert!(text.contains("muster_strikes{slot=\"uplink\",version=\"1.1.0\"} 1\n"));
    }

    #[test]
    fn without_a_success_yet_its_timestamp_is_absent_not_zero() {
        let (report, q, s, c) = (
            no_slots(),
            Quarantine::new(),
            Strikes::new(),
            Counters::default(),
        );
        let text = encode(&snapshot(&report, &[], &q, &s, &c));
        assert!(!text.contains("muster_last_success"), "{text}");
        assert!(!text.contains("muster_quarantined"), "{text}");
        assert!(
            text.contains("muster_inputs_total{result=\"failed\"} 0\n"),
            "{text}"
        );
        assert!(text.contains("muster_inputs_waiting 0\n"), "{text}");
    }

    #[test]
    fn label_values_are_escaped_by_the_client() {
        let (report, q, s, c) = (
            no_slots(),
            Quarantine::new(),
            Strikes::new(),
            Counters::default(),
        );
        let mut snap = snapshot(&report, &[], &q, &s, &c);
        snap.build.set = "a \"quoted\"\\set\nnext";
        let text = encode(&snap);
        assert!(
            text.contains(r#"set="a \"quoted\"\\set\nnext"} 1"#),
            "{text}"
        );
        assert_eq!(text.lines().count(), text.matches('\n').count());
    }
}
