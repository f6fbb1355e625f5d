//! The crash-memory record `edge-agent` writes around every plugin call: `begin`
//! (one `pwrite` of the JSON record) plus `end` (one `ftruncate`), against an
//! atomic, fsynced state-file write (what the record would cost if it were fsynced
//! and renamed like the quarantine file). Measured in a directory under `target/`
//! (a real filesystem, not tmpfs).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use muster_kit::crash::{InFlight, InFlightLog};

fn inflight(c: &mut Criterion) {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary directory");
    let mut log = InFlightLog::open(dir.path()).expect("the in-flight file opens");
    let call = InFlight {
        slot: "checksum".to_owned(),
        version: semver::Version::new(1, 1, 0),
        unit: "sensor-0042-2026-11-28T01:00:00Z.dat".to_owned(),
        pid: std::process::id(),
        since_unix: 1_795_800_000,
    };
    let bytes = serde_json::to_vec(&call).expect("serializes");
    let mut group = c.benchmark_group("inflight");
    group.bench_function("begin_end", |b| {
        b.iter(|| {
            log.begin(black_box(&call)).expect("begin");
            log.end().expect("end");
        })
    });
    group.bench_function("atomic_fsync_write", |b| {
        b.iter(|| {
            edge_contract::write_atomically(dir.path(), "inflight-fsync.json", black_box(&bytes))
                .expect("write")
        })
    });
    group.finish();
}

criterion_group!(benches, inflight);
criterion_main!(benches);
