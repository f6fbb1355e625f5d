//! The crash-memory record `edge-agent` writes around every plugin call: `begin`
//! (one `pwrite` of the JSON record) plus `end` (one `ftruncate`), against an
//! atomic, fsynced state-file write (what the record would cost if it were fsynced
//! and renamed like the quarantine file), and against a whole **unit** of the real
//! agent (`inflight/unit`: an input written to `incoming/`, then one tick: list, read,
//! checksum, the uplink's fsynced report, the move to `done/`, the status line), so the
//! record's overhead is a ratio of one run. Measured in a directory under `target/`
//! (a real filesystem, not tmpfs).

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use edge_agent::agent::{Agent, Options};
use muster::{Facts, Policy};
use muster_kit::policy::PolicyLayers;

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
    group.bench_function("unit", |b| {
        let spool = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a spool");
        std::fs::create_dir_all(spool.path().join("incoming")).expect("incoming/");
        let options = Options {
            spool: spool.path().to_owned(),
            once: true,
            interval: Duration::from_secs(2),
            uplink_target: None,
            watch_exe: None,
            plugin_timeout: None,
            timeout_exit_code: 6,
        };
        let layers = PolicyLayers::new(None, Policy::new()).expect("no policy environment");
        let stop = Arc::new(AtomicBool::new(false));
        let mut agent = Agent::new(options, Facts::probe(), layers, stop).expect("the agent");
        let body = vec![b'x'; 4096];
        let mut n = 0u64;
        b.iter(|| {
            n += 1;
            let input = spool.path().join(format!("incoming/unit-{n}.dat"));
            std::fs::write(&input, &body).expect("an input");
            agent.tick().expect("a tick");
        });
        assert_eq!(agent.processed(), n, "every unit was processed");
        agent.shutdown();
    });
    group.finish();
}

criterion_group!(benches, inflight);
criterion_main!(benches);
