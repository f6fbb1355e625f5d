//! The metrics file checked by the real consumers: `promtool check metrics` (Prometheus
//! 2.42.0's linter) and node_exporter 1.5.0's textfile collector, served over HTTP.
//! A snapshot of real decisions (slots and plugins registered by this test binary, a
//! quarantine, strikes, a held slot, counters) is encoded and written with
//! `MetricsFile`; both tools must take it whole.
//!
//! `promtool` and `prometheus-node-exporter` are found on `PATH`: `cargo xtask test`
//! installs the pinned ones (the workspace's `test-tools`) into the tools cache and
//! puts them there. A missing one fails these tests: they never skip.

// The slots and their plugins share this crate, so linkme's element macro is local.
#![allow(unsafe_code)]

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use muster::{Facts, Policy, Quarantine, Rejection, Report, Selector};

#[path = "support/prometheus.rs"]
mod prometheus;
use muster_kit::crash::Strikes;
use muster_kit::metrics::{self, BuildLabels, Counters, MetricsFile, Snapshot};
use prometheus::{Exporter, find_on_path, on_path, promtool_check};
use semver::Version;

/// Keeps time.
#[muster::slot]
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> u64;
}

/// Stores things.
#[muster::slot]
pub trait Sink: Send + Sync {
    /// Stores `bytes`.
    fn put(&self, bytes: &[u8]);
}

/// Runs only where no host is.
#[muster::slot]
pub trait Nowhere: Send + Sync {
    /// Nothing.
    fn noop(&self);
}

macro_rules! clock {
    ($ty:ident, $version:literal) => {
        #[derive(Default)]
        #[muster::plugin(slot = Clock, version = $version, team = "time")]
        struct $ty;
        impl Clock for $ty {
            fn now(&self) -> u64 {
                0
            }
        }
    };
}

clock!(ClockOne, "1.0.0");
clock!(ClockNine, "1.9.0");
clock!(ClockTen, "1.10.0");

#[derive(Default)]
#[muster::plugin(slot = Sink, version = "0.1.0")]
struct SinkOld;
impl Sink for SinkOld {
    fn put(&self, _: &[u8]) {}
}

#[derive(Default)]
#[muster::plugin(slot = Sink, version = "0.2.0", requires = [label(network = "online")])]
struct SinkOnline;
impl Sink for SinkOnline {
    fn put(&self, _: &[u8]) {}
}

#[derive(Default)]
#[muster::plugin(slot = Sink, version = "0.3.0")]
struct SinkPicky;
impl Sink for SinkPicky {
    fn put(&self, _: &[u8]) {}
    fn is_acceptable(&self, _: &Facts) -> Result<(), Rejection> {
        Err(Rejection::new("not \"today\"\\ever"))
    }
}

#[derive(Default)]
#[muster::plugin(slot = Sink, version = "0.4.0-beta.1")]
struct SinkBeta;
impl Sink for SinkBeta {
    fn put(&self, _: &[u8]) {}
}

#[derive(Default)]
#[muster::plugin(slot = Nowhere, version = "1.0.0", requires = [min_cores = 100000])]
struct NowhereOne;
impl Nowhere for NowhereOne {
    fn noop(&self) {}
}

fn facts() -> Facts {
    Facts::from_json(
        r#"{"hostname":"test","os":"linux","arch":"x86_64","cpu_features":["sse4.2"],"logical_cores":4,"memory_mb":4096,"labels":{}}"#,
        "test",
    )
    .unwrap()
}

/// What a host has at one moment: its decision and state, owned.
struct Host {
    report: Report,
    fallbacks: Vec<(&'static str, muster::Choice, Option<muster::Choice>)>,
    held: Vec<String>,
    quarantine: Quarantine,
    strikes: Strikes,
    counters: Counters,
}

/// clock 1.10.0 quarantined after two strikes (so clock is held at 1.9.0, with 1.0.0
/// to fall back to); sink picks 0.1.0 (0.2.0 needs a label, 0.3.0's hook says no,
/// 0.4.0-beta.1 is a pre-release); nowhere selects nothing.
fn host() -> Host {
    let (facts, policy) = (facts(), Policy::new());
    let mut strikes = Strikes::new();
    let ten = Version::new(1, 10, 0);
    strikes.add("clock", &ten, "the process died while it ran");
    strikes.add("clock", &ten, "the process died while it ran");
    let mut quarantine = Quarantine::new();
    quarantine.add("clock", ten, "2 strikes (limit 2)");
    let selector = Selector::new(&facts, &policy)
        .with_quarantine(&quarantine)
        .with_fallbacks(true);
    let report = selector.explain_all();
    let fallbacks = selector.fallbacks(&report);
    // Held, as a host computes it: what would run without the quarantine is
    // quarantined.
    let free = Selector::new(&facts, &policy).explain_all();
    let held = free
        .slots
        .iter()
        .filter(|s| {
            s.selected.is_some_and(|c| {
                quarantine
                    .get(s.slot, &Version::parse(c.version).unwrap())
                    .is_some()
            })
        })
        .map(|s| s.slot.to_owned())
        .collect();
    let counters = Counters {
        failovers: [("clock".to_owned(), 1)].into(),
        inputs_done: 41,
        inputs_failed: 2,
        inputs_waiting: 3,
        last_success_unix: Some(1_795_799_990),
    };
    Host {
        report,
        fallbacks,
        held,
        quarantine,
        strikes,
        counters,
    }
}

/// The build labels, one with characters the format must escape.
const BUILD: BuildLabels<'static> = BuildLabels {
    package: "edge-agent",
    version: "0.1.0",
    set: "edge \"canary\"\\west",
};

fn snapshot(h: &Host) -> Snapshot<'_> {
    Snapshot {
        build: BUILD,
        report: &h.report,
        fallbacks: &h.fallbacks,
        held: &h.held,
        quarantine: &h.quarantine,
        strikes: &h.strikes,
        counters: &h.counters,
        now_unix: 1_795_800_000,
    }
}

/// A sample of the text format: name, labels sorted by name, value.
type Sample = (String, BTreeMap<String, String>, f64);

/// The samples of a text-format exposition (comments skipped), label values
/// unescaped.
fn samples(text: &str) -> Vec<Sample> {
    let mut out = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (head, value) = line.rsplit_once(' ').expect("a sample has a value");
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("value of {line}"));
        let (name, mut rest) = match head.split_once('{') {
            Some((name, rest)) => (name, rest),
            None => (head, ""),
        };
        let mut labels = BTreeMap::new();
        while let Some((key, after)) = rest.split_once("=\"") {
            let mut value = String::new();
            let mut chars = after.char_indices();
            let end = loop {
                match chars.next().expect("a closed label value") {
                    (i, '"') => break i,
                    (_, '\\') => match chars.next().expect("an escape").1 {
                        'n' => value.push('\n'),
                        c => value.push(c),
                    },
                    (_, c) => value.push(c),
                }
            };
            labels.insert(key.trim_start_matches(',').to_owned(), value);
            rest = &after[end + 1..];
        }
        out.push((name.to_owned(), labels, value));
    }
    out
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The value of the sample `name{pairs}` in `all`; panics when it is absent.
fn value(all: &[Sample], name: &str, pairs: &[(&str, &str)]) -> f64 {
    let want = labels(pairs);
    all.iter()
        .find(|(n, l, _)| n == name && *l == want)
        .unwrap_or_else(|| panic!("no sample {name}{want:?} in {all:#?}"))
        .2
}

#[test]
fn the_snapshot_holds_every_slot_and_candidate_of_the_decision() {
    let h = host();
    assert_eq!(h.held, ["clock"]);
    let text = metrics::encode(&snapshot(&h));
    let all = samples(&text);
    let v = |name: &str, pairs: &[(&str, &str)]| value(&all, name, pairs);
    assert_eq!(
        v(
            "muster_build_info",
            &[
                ("package", "edge-agent"),
                ("version", "0.1.0"),
                ("set", "edge \"canary\"\\west")
            ]
        ),
        1.0
    );
    for (slot, selected, held) in [
        ("clock", 1.0, 1.0),
        ("sink", 1.0, 0.0),
        ("nowhere", 0.0, 0.0),
    ] {
        assert_eq!(v("muster_slot_selected", &[("slot", slot)]), selected);
        assert_eq!(v("muster_slot_held", &[("slot", slot)]), held);
    }
    assert_eq!(
        v(
            "muster_slot_selected_info",
            &[("slot", "clock"), ("version", "1.9.0")]
        ),
        1.0
    );
    assert_eq!(
        v(
            "muster_slot_fallback_info",
            &[("slot", "clock"), ("version", "1.0.0")]
        ),
        1.0
    );
    // sink 0.1.0 is its last acceptable version: nothing to fall back to.
    assert!(
        !text.contains("muster_slot_fallback_info{slot=\"sink\""),
        "{text}"
    );
    assert!(!text.contains("muster_slot_selected_info{slot=\"nowhere\""));
    for (slot, version, outcome, reason) in [
        ("clock", "1.0.0", "not_tried", "newer_selected"),
        ("clock", "1.9.0", "selected", "selected"),
        ("clock", "1.10.0", "excluded", "quarantined"),
        ("nowhere", "1.0.0", "rejected", "requirement_unmet"),
        ("sink", "0.1.0", "selected", "selected"),
        ("sink", "0.2.0", "rejected", "requirement_unmet"),
        ("sink", "0.3.0", "rejected", "hook_rejected"),
        ("sink", "0.4.0-beta.1", "excluded", "prerelease"),
    ] {
        let pairs = [
            ("slot", slot),
            ("version", version),
            ("outcome", outcome),
            ("reason", reason),
        ];
        assert_eq!(v("muster_candidate_info", &pairs), 1.0, "{pairs:?}");
    }
    let candidates: Vec<_> = all
        .iter()
        .filter(|(n, _, _)| n == "muster_candidate_info")
        .map(|(_, l, _)| (l["slot"].clone(), l["version"].clone()))
        .collect();
    // Sorted by slot, then version precedence (1.9.0 before 1.10.0).
    let expected: Vec<(String, String)> = [
        ("clock", "1.0.0"),
        ("clock", "1.9.0"),
        ("clock", "1.10.0"),
        ("nowhere", "1.0.0"),
        ("sink", "0.1.0"),
        ("sink", "0.2.0"),
        ("sink", "0.3.0"),
        ("sink", "0.4.0-beta.1"),
    ]
    .iter()
    .map(|(s, v)| ((*s).to_owned(), (*v).to_owned()))
    .collect();
    assert_eq!(candidates, expected);
    assert_eq!(v("muster_failovers_total", &[("slot", "clock")]), 1.0);
    assert_eq!(v("muster_failovers_total", &[("slot", "nowhere")]), 0.0);
    let ten = [("slot", "clock"), ("version", "1.10.0")];
    assert_eq!(v("muster_strikes", &ten), 2.0);
    assert_eq!(v("muster_quarantined", &ten), 1.0);
    let since = h.quarantine.get("clock", &Version::new(1, 10, 0)).unwrap();
    assert_eq!(
        v("muster_quarantine_since_timestamp_seconds", &ten),
        since.since_unix as f64
    );
    assert_eq!(v("muster_inputs_total", &[("result", "done")]), 41.0);
    assert_eq!(v("muster_inputs_total", &[("result", "failed")]), 2.0);
    assert_eq!(v("muster_inputs_waiting", &[]), 3.0);
    assert_eq!(
        v("muster_last_success_timestamp_seconds", &[]),
        1_795_799_990.0
    );
    assert_eq!(
        v("muster_metrics_written_timestamp_seconds", &[]),
        1_795_800_000.0
    );
    // Deterministic.
    assert_eq!(metrics::encode(&snapshot(&h)), text);
}

#[test]
fn promtool_check_metrics_accepts_the_file_without_a_lint() {
    let promtool = on_path("promtool", "promtool");
    let dir = tempfile::tempdir().unwrap();
    let h = host();
    let file = MetricsFile::new(dir.path().join("agent.prom")).unwrap();
    file.write(&metrics::encode(&snapshot(&h))).unwrap();
    let (clean, said) = promtool_check(file.path());
    assert!(clean, "promtool check metrics: {said}");
    // The check is real: a lint promtool reports fails it.
    let bad = "# HELP muster_x_count A counter without _total.\n\
               # TYPE muster_x_count counter\nmuster_x_count 1\n";
    let mut child = Command::new(&promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(bad.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success(), "{out:?}");
}

#[test]
fn node_exporter_serves_every_sample_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let textfiles = dir.path().join("textfile");
    std::fs::create_dir(&textfiles).unwrap();
    let h = host();
    let text = metrics::encode(&snapshot(&h));
    let file = MetricsFile::new(textfiles.join("agent.prom")).unwrap();
    file.write(&text).unwrap();
    let (mut exporter, port) = Exporter::start(&textfiles, dir.path().join("exporter.log"));
    let served = exporter.scrape(port);
    let all = samples(&served);
    assert_eq!(
        value(&all, "node_textfile_scrape_error", &[]),
        0.0,
        "{served}"
    );
    let path = file.path().display().to_string();
    assert!(
        all.iter()
            .any(|(n, l, _)| n == "node_textfile_mtime_seconds" && l.get("file") == Some(&path)),
        "{served}"
    );
    let ours: Vec<Sample> = samples(&text);
    let theirs: Vec<&Sample> = all.iter().filter(|s| s.0.starts_with("muster_")).collect();
    assert_eq!(theirs.len(), ours.len(), "{served}");
    for (name, labels, v) in &ours {
        let pairs: Vec<(&str, &str)> = labels
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(value(&all, name, &pairs), *v, "{name}{labels:?}");
    }
    // As an operator's query would find them, in node_exporter's rendering.
    for line in [
        "muster_slot_held{slot=\"clock\"} 1",
        "muster_slot_selected{slot=\"nowhere\"} 0",
        "muster_build_info{package=\"edge-agent\",set=\"edge \\\"canary\\\"\\\\west\",version=\"0.1.0\"} 1",
    ] {
        assert!(served.lines().any(|l| l == line), "{line}\n{served}");
    }
    // A rewrite is served at the next scrape.
    let mut more = h.counters.clone();
    more.inputs_done += 1;
    let next = Snapshot {
        counters: &more,
        ..snapshot(&h)
    };
    file.write(&metrics::encode(&next)).unwrap();
    let served = exporter.scrape(port);
    assert!(
        served
            .lines()
            .any(|l| l == "muster_inputs_total{result=\"done\"} 42"),
        "{served}"
    );
}

/// The environment variable that makes the next test its own child process.
const CHILD_DIR: &str = "MUSTER_METRICS_TEST_CHILD_DIR";

/// A real write error half-way: the test runs itself again under `prlimit --fsize`
/// (with SIGXFSZ ignored, so the kernel fails the write with EFBIG instead of killing
/// the process); the child writes, sees the error and checks that the previous file
/// and nothing else is in the directory.
#[test]
fn a_write_that_fails_half_way_leaves_the_previous_file() {
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        let dir = PathBuf::from(dir);
        let file = MetricsFile::new(dir.join("agent.prom")).unwrap();
        let err = file
            .write(&metrics::encode(&snapshot(&host())))
            .unwrap_err();
        println!("child: {err}");
        let message = err.to_string();
        assert!(
            message.starts_with(&format!(
                "metrics file {}: cannot write the temporary file .agent.prom.{}.tmp: File too \
                 large",
                file.path().display(),
                std::process::id()
            )) && message.ends_with("(the previous file is left as it was)"),
            "{message}"
        );
        assert_eq!(
            std::fs::read_to_string(file.path()).unwrap(),
            "muster_previous 1\n"
        );
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["agent.prom"]);
        return;
    }
    let prlimit = find_on_path("prlimit").expect(
        "prlimit is not on PATH: this test needs it and does not skip (a system program: \
         apt-get install util-linux; `cargo xtask doctor` lists it)",
    );
    let dir = tempfile::tempdir().unwrap();
    MetricsFile::new(dir.path().join("agent.prom"))
        .unwrap()
        .write("muster_previous 1\n")
        .unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; exec \"$@\"")
        .arg("sh")
        .arg(prlimit)
        .arg("--fsize=64")
        .arg("--")
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_write_that_fails_half_way_leaves_the_previous_file",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIR, dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success()
            && stdout.contains("child: metrics file")
            && stdout.contains("1 passed"),
        "the child failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The operator guide's "Metrics" table lists exactly the metrics and types written.
#[test]
fn the_operator_guide_lists_every_metric_with_its_type() {
    let guide =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/operator.md"))
            .unwrap();
    let section = guide
        .split("\n## Metrics\n")
        .nth(1)
        .expect("docs/operator.md: a `## Metrics` section")
        .split("\n## ")
        .next()
        .unwrap();
    let documented: Vec<(String, String)> = section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (
                cells[0].trim_end_matches('`').to_owned(),
                cells[1].to_owned(),
            )
        })
        .collect();
    let text = metrics::encode(&snapshot(&host()));
    let written: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .map(|l| {
            let (name, kind) = l.split_once(' ').unwrap();
            (name.to_owned(), kind.to_owned())
        })
        .collect();
    assert_eq!(documented, written, "docs/operator.md's metrics table");
}
