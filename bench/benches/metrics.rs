//! The metrics file a host writes for node_exporter's textfile collector
//! (`muster_kit::metrics`): `encode` of a realistic snapshot (3 slots, 10 candidates,
//! one quarantined version with strikes, a held slot, counters) and the atomic,
//! fsynced `MetricsFile::write` of it; for context, the same with the decision made
//! again (`explain_all` with fallbacks), as a host that does not keep its report
//! would. Measured in a directory under `target/` (a real filesystem, not tmpfs).
//!
//! The target: the write costs at most 1 % of the time between two writes at the
//! default interval.

// The slots and their plugins share this crate, so linkme's element macro is local.
#![allow(unsafe_code)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use muster::{Facts, Policy, Quarantine, Rejection, Selector};
use muster_kit::crash::Strikes;
use muster_kit::metrics::{self, BuildLabels, Counters, MetricsFile, Snapshot};
use semver::Version;

/// Renders a status line.
#[muster::slot]
pub trait Banner: Send + Sync {
    /// The line.
    fn render(&self) -> String;
}

/// Checksums bytes.
#[muster::slot]
pub trait Digest: Send + Sync {
    /// The checksum.
    fn digest(&self, bytes: &[u8]) -> u32;
}

/// Delivers reports.
#[muster::slot]
pub trait Courier: Send + Sync {
    /// Delivers one.
    fn deliver(&self, report: &str) -> bool;
}

macro_rules! banner {
    ($ty:ident, $version:literal) => {
        #[derive(Default)]
        #[muster::plugin(slot = Banner, version = $version, team = "storefront")]
        struct $ty;
        impl Banner for $ty {
            fn render(&self) -> String {
                String::new()
            }
        }
    };
}

banner!(BannerOne, "0.1.0");
banner!(BannerNine, "0.9.0");
banner!(BannerTen, "0.10.0");

#[derive(Default)]
#[muster::plugin(slot = Banner, version = "0.2.0")]
struct BannerTwo;
impl Banner for BannerTwo {
    fn render(&self) -> String {
        String::new()
    }
    fn is_acceptable(&self, _: &Facts) -> Result<(), Rejection> {
        Err(Rejection::new("always rejects itself"))
    }
}

macro_rules! digest {
    ($ty:ident, $version:literal $(, $req:tt)?) => {
        #[derive(Default)]
        #[muster::plugin(slot = Digest, version = $version, team = "storage" $(, requires = $req)?)]
        struct $ty;
        impl Digest for $ty {
            fn digest(&self, _: &[u8]) -> u32 {
                0
            }
        }
    };
}

digest!(DigestTable, "1.0.0");
digest!(DigestHw, "1.1.0", [cpu = "sse4.2"]);
digest!(DigestBeta, "1.2.0-beta.1");

macro_rules! courier {
    ($ty:ident, $version:literal $(, $req:tt)?) => {
        #[derive(Default)]
        #[muster::plugin(slot = Courier, version = $version, team = "network" $(, requires = $req)?)]
        struct $ty;
        impl Courier for $ty {
            fn deliver(&self, _: &str) -> bool {
                true
            }
        }
    };
}

courier!(CourierSpool, "1.0.0");
courier!(CourierDeliver, "1.1.0");
courier!(CourierNext, "1.2.0", [label(network = "online")]);

fn metrics(c: &mut Criterion) {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary directory");
    let file = MetricsFile::new(dir.path().join("edge-agent.prom")).expect("the path is good");
    let facts = Facts::from_json(
        r#"{"hostname":"bench","os":"linux","arch":"x86_64","cpu_features":["sse4.2"],"logical_cores":2,"memory_mb":4096,"labels":{}}"#,
        "bench",
    )
    .expect("facts");
    let policy = Policy::new();
    let mut quarantine = Quarantine::new();
    let mut strikes = Strikes::new();
    let v = Version::new(1, 1, 0);
    strikes.add("courier", &v, "the process died while it ran");
    strikes.add("courier", &v, "the process died while it ran");
    quarantine.add("courier", v, "2 strikes (limit 2)");
    let selector = Selector::new(&facts, &policy)
        .with_quarantine(&quarantine)
        .with_fallbacks(true);
    let report = selector.explain_all();
    let fallbacks = selector.fallbacks(&report);
    let candidates: usize = report.slots.iter().map(|s| s.len()).sum();
    assert_eq!((report.slots.len(), candidates), (3, 10));
    let held = vec!["courier".to_owned()];
    let counters = Counters {
        failovers: [("courier".to_owned(), 1)].into(),
        inputs_done: 12_345,
        inputs_failed: 3,
        inputs_waiting: 7,
        last_success_unix: Some(1_795_799_990),
    };
    let build = BuildLabels {
        package: "edge-agent",
        version: "0.1.0",
        set: "default",
    };
    let snapshot = Snapshot {
        build,
        report: &report,
        fallbacks: &fallbacks,
        held: &held,
        quarantine: &quarantine,
        strikes: &strikes,
        counters: &counters,
        now_unix: 1_795_800_000,
    };
    let bytes = metrics::encode(&snapshot).len();
    eprintln!("metrics: {bytes} bytes, {candidates} candidates in 3 slots");

    let mut group = c.benchmark_group("metrics");
    group.bench_function("encode", |b| {
        b.iter(|| metrics::encode(black_box(&snapshot)))
    });
    group.bench_function("encode_write", |b| {
        b.iter(|| {
            file.write(&metrics::encode(black_box(&snapshot)))
                .expect("write")
        })
    });
    group.bench_function("decide_encode_write", |b| {
        b.iter(|| {
            let report = selector.explain_all();
            let fallbacks = selector.fallbacks(&report);
            let snapshot = Snapshot {
                report: &report,
                fallbacks: &fallbacks,
                ..snapshot
            };
            file.write(&metrics::encode(black_box(&snapshot)))
                .expect("write")
        })
    });
    group.finish();
}

criterion_group!(benches, metrics);
criterion_main!(benches);
