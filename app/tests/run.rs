//! `edge-agent run` as a real process: the spool, failover, restart on upgrade,
//! live policy reload, graceful stop, and SIGKILL at random points.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{agent, bin, run};
use edge_contract::conformance::reference_crc32c;

fn spool_with(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("incoming")).unwrap();
    for (name, body) in files {
        std::fs::write(dir.path().join("incoming").join(name), body).unwrap();
    }
    dir
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Finished reports in an uplink directory: `<id>.json`, not the hidden temporary
/// files an atomic write leaves for a moment.
fn reports(dir: &Path) -> Vec<String> {
    names(dir)
        .into_iter()
        .filter(|n| !n.starts_with('.') && n.ends_with(".json"))
        .collect()
}

fn report(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Drops input `name` into the running agent's spool and returns which checksum
/// version reported it.
fn checksum_of(spool: &Path, name: &str) -> String {
    let outbox = spool.join("outbox");
    std::fs::write(spool.join("incoming").join(name), name.as_bytes()).unwrap();
    wait_for(name, Duration::from_secs(20), || {
        reports(&outbox).iter().any(|n| n.starts_with(name))
    });
    let file = reports(&outbox)
        .into_iter()
        .find(|n| n.starts_with(name))
        .unwrap();
    report(&outbox.join(file))["checksum_plugin"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn wait_for(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn wait_exit(child: &mut Child, timeout: Duration) -> i32 {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            panic!("agent did not exit within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(child: &Child, sig: &str) {
    let ok = std::process::Command::new("kill")
        .args(["-s", sig, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

#[test]
fn once_processes_every_input_and_spools_reports_offline() {
    let spool = spool_with(&[("a.txt", b"123456789"), ("b.bin", &[0u8; 32])]);
    let (code, _, err) = run(agent().args(["run", "--once", "--spool"]).arg(spool.path()));
    assert_eq!(code, 0, "{err}");
    assert_eq!(names(&spool.path().join("done")), ["a.txt", "b.bin"]);
    assert!(names(&spool.path().join("incoming")).is_empty());
    let r = report(&spool.path().join("outbox/a.txt-9-e3069283.json"));
    assert_eq!(r["crc32c"], "e3069283", "CRC-32C check value");
    assert_eq!(r["file"], "a.txt");
    let r = report(&spool.path().join("outbox/b.bin-32-8a9136aa.json"));
    assert_eq!(r["crc32c"], "8a9136aa");
    assert!(
        err.contains("event=\"selection\"") || err.contains("selection"),
        "{err}"
    );
    assert!(
        err.contains("status"),
        "the showcase status line is logged: {err}"
    );
}

/// A log that is not a terminal (a pipe, a file) gets no colour: no escape sequence
/// in stderr, in either format, even with `NO_COLOR` unset.
#[test]
fn logs_not_on_a_terminal_are_not_coloured() {
    for format in ["text", "json"] {
        let spool = spool_with(&[("a.txt", b"123456789")]);
        let output = agent()
            .args([
                "run",
                "--once",
                "--no-watch-exe",
                "--log-format",
                format,
                "--spool",
            ])
            .arg(spool.path())
            .env_remove("NO_COLOR")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{format}: {err}");
        assert!(
            err.contains("selection"),
            "{format}: events are logged: {err}"
        );
        assert!(
            !output.stderr.contains(&0x1b),
            "{format}: an escape sequence in a piped log: {err:?}"
        );
    }
}

/// `run --once` over one input with `RUST_LOG` set to `filter` (unset: `None`):
/// exit 0; returns stderr.
fn logged_with(filter: Option<&str>) -> String {
    let spool = spool_with(&[("a.txt", b"123456789")]);
    let mut cmd = agent();
    cmd.args(["run", "--once", "--log-format", "json", "--spool"])
        .arg(spool.path());
    if let Some(filter) = filter {
        cmd.env("RUST_LOG", filter);
    }
    let (code, _, err) = run(&mut cmd);
    assert_eq!(code, 0, "RUST_LOG={filter:?}: {err}");
    assert_eq!(names(&spool.path().join("done")), ["a.txt"], "{err}");
    err
}

/// `RUST_LOG` filters `run`'s events by level and by target; unset, empty or
/// unparsable, the agent logs at `info`, and names the bad value in a warning.
#[test]
fn rust_log_filters_events_by_level_and_target() {
    const SELECTION: &str = r#""event":"selection""#;
    for (filter, shown) in [
        (None, true),
        (Some(""), true),
        (Some("info"), true),
        (Some("warn"), false),
        (Some("edge_agent=warn"), false),
        (Some("warn,edge_agent::agent=info"), true),
        (Some("muster=trace"), false),
    ] {
        let err = logged_with(filter);
        assert_eq!(
            err.contains(SELECTION),
            shown,
            "RUST_LOG={filter:?}:\n{err}"
        );
        assert!(
            !err.contains("warning: RUST_LOG"),
            "RUST_LOG={filter:?}:\n{err}"
        );
    }
    let err = logged_with(Some("edge_agent=loud"));
    assert!(
        err.lines()
            .any(|l| l.starts_with("warning: RUST_LOG=\"edge_agent=loud\" is not a log filter")),
        "{err}"
    );
    assert!(err.contains(SELECTION), "falls back to info:\n{err}");
}

#[test]
fn online_label_delivers_to_the_target() {
    let spool = spool_with(&[("a.txt", b"123456789")]);
    let target = spool.path().join("elsewhere");
    let (code, _, err) = run(agent()
        .args(["run", "--once", "--spool"])
        .arg(spool.path())
        .arg("--uplink-target")
        .arg(&target)
        .env("MUSTER_LABEL_network", "online"));
    assert_eq!(code, 0, "{err}");
    assert_eq!(names(&target), ["a.txt-9-e3069283.json"]);
    assert!(!spool.path().join("outbox").exists());
    assert_eq!(names(&spool.path().join("done")), ["a.txt"]);
}

fn failover(mode: &str) {
    let spool = spool_with(&[("a.txt", b"hello"), ("b.txt", b"world")]);
    let (code, _, err) = run(agent()
        .args(["run", "--once", "--log-format", "json", "--spool"])
        .arg(spool.path())
        .env("MUSTER_LABEL_network", "online")
        .env("EDGE_UPLINK_FAIL", mode));
    assert_eq!(code, 0, "{err}");
    // Same tick, same units: 1.1.0 was quarantined and 1.0.0 spooled both files.
    assert_eq!(names(&spool.path().join("done")), ["a.txt", "b.txt"]);
    assert_eq!(reports(&spool.path().join("outbox")).len(), 2);
    let quarantine_events = err
        .lines()
        .filter(|l| l.contains("\"event\":\"quarantine\""))
        .count();
    assert_eq!(quarantine_events, 1, "{err}");
    // The reselection logs why 1.1.0 is out, with its reason code.
    assert!(
        err.lines().any(|l| l.contains("\"event\":\"rejection\"")
            && l.contains("\"version\":\"1.1.0\"")
            && l.contains("\"code\":\"quarantined\"")),
        "{err}"
    );
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(spool.path().join("state/quarantine.json")).unwrap())
            .unwrap();
    assert_eq!(state["slots"]["uplink"][0]["version"], "1.1.0");
    // explain --state shows it as excluded, with the reason.
    let (code, out, _) = run(agent()
        .args([
            "plugins", "explain", "--json", "--slot", "uplink", "--state",
        ])
        .arg(spool.path())
        .env("MUSTER_LABEL_network", "online"));
    assert_eq!(code, 0);
    let v = common::json(&out);
    assert_eq!(common::selected(&v, "uplink").as_deref(), Some("1.0.0"));
    let (outcome, reason) = common::candidate(&v, "uplink", "1.1.0");
    assert_eq!(outcome, "excluded");
    assert!(reason.contains("quarantined"), "{reason}");
}

#[test]
fn a_panicking_plugin_is_quarantined_and_the_unit_retried_with_the_older_version() {
    failover("panic");
}

#[test]
fn an_unhealthy_plugin_is_quarantined_and_the_unit_retried_with_the_older_version() {
    failover("unhealthy");
}

#[test]
fn no_version_left_keeps_the_input_and_exits_3() {
    let spool = spool_with(&[("a.txt", b"hello")]);
    let (code, _, err) = run(agent()
        .args(["run", "--once", "--spool"])
        .arg(spool.path())
        .args(["--pin", "uplink=^1.1"])
        .env("MUSTER_LABEL_network", "online")
        .env("EDGE_UPLINK_FAIL", "unhealthy"));
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("uplink"), "{err}");
    assert_eq!(
        names(&spool.path().join("incoming")),
        ["a.txt"],
        "input kept"
    );
    assert!(names(&spool.path().join("done")).is_empty());
}

/// A copy of the binary in its own directory, so a test can replace it.
fn private_binary(dir: &Path) -> PathBuf {
    let exe = dir.join("edge-agent");
    std::fs::copy(bin(), &exe).unwrap();
    exe
}

fn spawn(exe: &Path, spool: &Path, extra: &[&str]) -> Child {
    let mut cmd = std::process::Command::new(exe);
    cmd.args([
        "run",
        "--interval",
        "50ms",
        "--log-format",
        "json",
        "--spool",
    ])
    .arg(spool)
    .args(extra)
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    for (key, _) in std::env::vars() {
        if key.starts_with("MUSTER_") || key.starts_with("EDGE_UPLINK") {
            cmd.env_remove(key);
        }
    }
    // A private copy of the binary can be "busy" for a moment: another test
    // thread's fork may still hold the copy's write descriptor until it execs.
    let mut tries = 0;
    loop {
        match cmd.spawn() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && tries < 50 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            result => return result.unwrap(),
        }
    }
}

fn stderr_of(child: Child) -> String {
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn replacing_the_executable_exits_75_after_stopping_plugins() {
    let bindir = tempfile::tempdir().unwrap();
    let exe = private_binary(bindir.path());
    let spool = spool_with(&[("a.txt", b"x")]);
    let mut child = spawn(&exe, spool.path(), &[]);
    wait_for("first unit", Duration::from_secs(20), || {
        spool.path().join("done/a.txt").exists()
    });
    // Deploy: write the new binary beside it and rename over the old one.
    let staged = bindir.path().join(".edge-agent.new");
    std::fs::copy(bin(), &staged).unwrap();
    std::fs::rename(&staged, &exe).unwrap();
    let code = wait_exit(&mut child, Duration::from_secs(20));
    let err = stderr_of(child);
    assert_eq!(code, 75, "{err}");
    assert!(err.contains("\"event\":\"upgrade_exit\""), "{err}");
    assert!(err.contains("\"event\":\"stop\""), "stop hooks ran: {err}");
}

#[test]
fn upgrade_exit_code_is_configurable() {
    let bindir = tempfile::tempdir().unwrap();
    let exe = private_binary(bindir.path());
    let spool = spool_with(&[]);
    let mut child = spawn(&exe, spool.path(), &["--upgrade-exit-code", "42"]);
    wait_for("state file", Duration::from_secs(20), || {
        spool.path().join("state/quarantine.json").exists()
    });
    std::fs::remove_file(&exe).unwrap();
    assert_eq!(wait_exit(&mut child, Duration::from_secs(20)), 42);
}

#[test]
fn sigterm_and_sigint_stop_gracefully_with_status_0() {
    for sig in ["TERM", "INT"] {
        let spool = spool_with(&[("a.txt", b"x")]);
        let mut child = spawn(&bin(), spool.path(), &[]);
        wait_for("first unit", Duration::from_secs(20), || {
            spool.path().join("done/a.txt").exists()
        });
        signal(&child, sig);
        let code = wait_exit(&mut child, Duration::from_secs(20));
        let err = stderr_of(child);
        assert_eq!(code, 0, "SIG{sig}: {err}");
        assert!(err.contains("\"event\":\"signal_exit\""), "{err}");
        assert!(err.contains("\"event\":\"stop\""), "{err}");
    }
}

/// Replaces `path` atomically (write beside, rename over).
fn replace_file(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[test]
fn policy_changes_apply_live_and_a_bad_file_keeps_the_last_good_policy() {
    let spool = spool_with(&[]);
    let policy = spool.path().join("policy.toml");
    std::fs::write(&policy, "[pin]\nchecksum = \"=1.0.0\"\n").unwrap();
    let mut child = spawn(
        &bin(),
        spool.path(),
        &["--policy", policy.to_str().unwrap()],
    );
    let checksum_of = |name: &str| checksum_of(spool.path(), name);
    assert_eq!(checksum_of("1.txt"), "crc32c@1.0.0");

    // A malformed file: reported, last good policy stays in force. (The agent
    // re-reads the policy before each unit, so writing the policy before the input
    // orders the two; the write is a rename, as an operator's editor or deploy does.)
    replace_file(&policy, "[pin\nchecksum = ");
    assert_eq!(checksum_of("2.txt"), "crc32c@1.0.0");
    assert_eq!(
        std::fs::read_to_string(&policy).unwrap(),
        "[pin\nchecksum = ",
        "the operator's file is untouched"
    );

    // A good change takes effect at the next unit, without a restart.
    replace_file(&policy, "allow_prerelease = true\n");
    assert_eq!(checksum_of("3.txt"), "crc32c@1.2.0-beta.1");

    signal(&child, "TERM");
    assert_eq!(wait_exit(&mut child, Duration::from_secs(20)), 0);
    let err = stderr_of(child);
    assert!(err.contains("\"event\":\"policy_rejected\""), "{err}");
    assert!(err.contains("\"event\":\"policy_reloaded\""), "{err}");
}

/// SIGKILL at random points, restart, repeat: every input is processed at least
/// once, no report is corrupt or partial, duplicates share the stable id. A kill
/// during a plugin call counts as a strike (the agent cannot tell it from a crash),
/// so the kills may quarantine versions until a slot is held: then the operator
/// lifts the quarantine and the rest is processed, nothing lost.
#[test]
fn sigkill_at_random_points_loses_nothing() {
    let files: Vec<(String, Vec<u8>)> = (0..300)
        .map(|i| {
            (
                format!("in-{i:03}.dat"),
                format!("payload {i} ").repeat(50 + i).into_bytes(),
            )
        })
        .collect();
    let spool = spool_with(&[]);
    for (name, body) in &files {
        std::fs::write(spool.path().join("incoming").join(name), body).unwrap();
    }
    // A cheap deterministic PRNG (xorshift) for the kill delays.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut kills = 0;
    let held = || {
        std::fs::read(spool.path().join("state/held.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .is_some_and(|v| v["held"].as_array().is_some_and(|h| !h.is_empty()))
    };
    while !names(&spool.path().join("incoming")).is_empty() && Instant::now() < deadline && !held()
    {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut child = spawn(&bin(), spool.path(), &[]);
        std::thread::sleep(Duration::from_millis(2 + seed % 40));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        kills += 1;
    }
    // Finish whatever is left without interference (lifting a hold first).
    if held() {
        let (code, _, err) = run(agent()
            .args(["quarantine", "clear", "--spool"])
            .arg(spool.path()));
        assert_eq!(code, 0, "{err}");
    }
    let (code, _, err) = run(agent().args(["run", "--once", "--spool"]).arg(spool.path()));
    assert_eq!(code, 0, "{err}");
    assert!(kills >= 3, "the loop killed the agent only {kills} times");
    eprintln!("killed the agent {kills} times");
    assert!(
        names(&spool.path().join("incoming"))
            .iter()
            .all(|n| n.starts_with('.'))
    );
    assert_eq!(names(&spool.path().join("done")).len(), files.len());
    let outbox = spool.path().join("outbox");
    let reports: Vec<String> = reports(&outbox)
        .into_iter()
        .filter(|n| n.ends_with(".json"))
        .collect();
    assert_eq!(
        reports.len(),
        files.len(),
        "one report per input (duplicates overwrite the same id)"
    );
    for (name, body) in &files {
        let crc = format!("{:08x}", reference_crc32c(body));
        let id = format!("{name}-{}-{crc}", body.len());
        let r = report(&outbox.join(format!("{id}.json")));
        assert_eq!(r["id"], id.as_str());
        assert_eq!(r["crc32c"], crc.as_str());
    }
}

/// The test-only `checksum-chaos` 1.9.0 (set `chaos`) panics on its N-th call:
/// the unit in flight is retried with the next version, nothing is lost.
#[cfg(feature = "plugin-checksum-chaos")]
#[test]
fn a_plugin_panicking_on_its_nth_call_fails_over_with_the_unit_retried() {
    let files: Vec<(String, Vec<u8>)> = (0..5)
        .map(|i| (format!("f{i}.txt"), format!("file {i}").into_bytes()))
        .collect();
    let spool = spool_with(&[]);
    for (name, body) in &files {
        std::fs::write(spool.path().join("incoming").join(name), body).unwrap();
    }
    let (code, _, err) = run(agent()
        .args(["run", "--once", "--log-format", "json", "--spool"])
        .arg(spool.path())
        .env("MUSTER_LABEL_chaos", "on")
        .env("EDGE_CHAOS_PANIC_AT", "3"));
    assert_eq!(code, 0, "{err}");
    assert_eq!(names(&spool.path().join("done")).len(), 5, "no input lost");
    let outbox = spool.path().join("outbox");
    let mut by_plugin = std::collections::BTreeMap::<String, Vec<String>>::new();
    for (name, body) in &files {
        let crc = format!("{:08x}", reference_crc32c(body));
        let r = report(&outbox.join(format!("{name}-{}-{crc}.json", body.len())));
        assert_eq!(r["crc32c"], crc.as_str());
        by_plugin
            .entry(r["checksum_plugin"].as_str().unwrap().to_owned())
            .or_default()
            .push(name.clone());
    }
    // Calls 1 and 2 succeed on 1.9.0; call 3 (f2) panics and is retried at once with
    // the next acceptable version, which does f2..f4.
    assert_eq!(
        by_plugin["crc32c@1.9.0"],
        ["f0.txt", "f1.txt"],
        "{by_plugin:?}"
    );
    let fallback: Vec<&String> = by_plugin.keys().filter(|k| *k != "crc32c@1.9.0").collect();
    assert_eq!(fallback.len(), 1, "{by_plugin:?}");
    assert_eq!(by_plugin[fallback[0]], ["f2.txt", "f3.txt", "f4.txt"]);
    assert_eq!(
        err.lines()
            .filter(|l| l.contains("\"event\":\"quarantine\""))
            .count(),
        1,
        "{err}"
    );
    assert!(err.contains("panics on purpose"), "{err}");
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(spool.path().join("state/quarantine.json")).unwrap())
            .unwrap();
    assert_eq!(state["slots"]["checksum"][0]["version"], "1.9.0");
}

/// Lifecycle: `start` once before first use, `stop` once at shutdown (SIGTERM) and
/// when a version is replaced; a failing `start` rejects the version.
#[cfg(feature = "plugin-checksum-chaos")]
#[test]
fn start_and_stop_hooks_run_once_and_a_failing_start_falls_back() {
    let spool = spool_with(&[("a.txt", b"x")]);
    let hooks = spool.path().join("hooks.log");
    let mut cmd = std::process::Command::new(bin());
    cmd.args([
        "run",
        "--interval",
        "50ms",
        "--log-format",
        "json",
        "--spool",
    ])
    .arg(spool.path())
    .env("MUSTER_LABEL_chaos", "on")
    .env("EDGE_CHAOS_PANIC_AT", "0")
    .env("EDGE_CHAOS_HOOK_LOG", &hooks)
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    wait_for("first unit", Duration::from_secs(20), || {
        spool.path().join("done/a.txt").exists()
    });
    assert_eq!(std::fs::read_to_string(&hooks).unwrap(), "start\n");
    signal(&child, "TERM");
    assert_eq!(wait_exit(&mut child, Duration::from_secs(20)), 0);
    assert_eq!(std::fs::read_to_string(&hooks).unwrap(), "start\nstop\n");

    // Replaced after a panic: stop runs for the quarantined version.
    let spool = spool_with(&[("a.txt", b"x"), ("b.txt", b"y")]);
    let hooks = spool.path().join("hooks.log");
    let (code, _, err) = run(agent()
        .args(["run", "--once", "--spool"])
        .arg(spool.path())
        .env("MUSTER_LABEL_chaos", "on")
        .env("EDGE_CHAOS_PANIC_AT", "2")
        .env("EDGE_CHAOS_HOOK_LOG", &hooks));
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read_to_string(&hooks).unwrap(), "start\nstop\n");

    // A failing start: 1.9.0 is rejected at selection, an older version does the work.
    let spool = spool_with(&[("a.txt", b"123456789")]);
    let (code, _, err) = run(agent()
        .args(["run", "--once", "--log-format", "json", "--spool"])
        .arg(spool.path())
        .env("MUSTER_LABEL_chaos", "on")
        .env("EDGE_CHAOS_START", "fail"));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("start failed: chaos: start fails on purpose"),
        "{err}"
    );
    let r = report(&spool.path().join("outbox/a.txt-9-e3069283.json"));
    assert_ne!(r["checksum_plugin"], "crc32c@1.9.0");
}

/// With `quarantine_seconds` in the policy, a quarantined version comes back after
/// that long (and here, still broken, is quarantined again); without it, the
/// quarantine lasts until an operator lifts it, across restarts (`tests/crash.rs`).
#[cfg(feature = "plugin-checksum-chaos")]
#[test]
fn quarantine_expires_when_the_policy_says_so() {
    let spool = spool_with(&[("a.txt", b"a")]);
    let policy = spool.path().join("policy.toml");
    std::fs::write(&policy, "quarantine_seconds = 1\n").unwrap();
    let mut child = std::process::Command::new(bin())
        .args([
            "run",
            "--interval",
            "50ms",
            "--log-format",
            "json",
            "--policy",
        ])
        .arg(&policy)
        .arg("--spool")
        .arg(spool.path())
        .env("MUSTER_LABEL_chaos", "on")
        .env("EDGE_CHAOS_PANIC_AT", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let state = spool.path().join("state/quarantine.json");
    let quarantined = |state: &Path| {
        std::fs::read(state)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .is_some_and(|v| v["slots"]["checksum"].is_array())
    };
    wait_for("a.txt done", Duration::from_secs(20), || {
        spool.path().join("done/a.txt").exists()
    });
    assert!(
        quarantined(&state),
        "1.9.0 panicked on its first call and was quarantined"
    );
    wait_for("the quarantine to lift", Duration::from_secs(20), || {
        !quarantined(&state)
    });
    std::fs::write(spool.path().join("incoming/b.txt"), b"b").unwrap();
    wait_for("b.txt done", Duration::from_secs(20), || {
        spool.path().join("done/b.txt").exists()
    });
    signal(&child, "TERM");
    assert_eq!(wait_exit(&mut child, Duration::from_secs(20)), 0);
    let err = stderr_of(child);
    assert!(err.contains("\"event\":\"quarantine_expired\""), "{err}");
    assert_eq!(
        err.lines()
            .filter(|l| l.contains("\"event\":\"quarantine\""))
            .count(),
        2,
        "{err}"
    );
    assert_eq!(reports(&spool.path().join("outbox")).len(), 2);
}

/// `--once` with work left (here: the online uplink cannot write one report, a
/// transient error) keeps the input and exits 5, not 0, so a timer or script
/// notices; the rest is processed.
#[test]
fn once_exits_5_when_an_input_is_left() {
    let spool = spool_with(&[("a.txt", b"123456789"), ("b.bin", &[0u8; 32])]);
    let target = spool.path().join("target");
    // A directory where a.txt's report must go: the rename into place fails.
    std::fs::create_dir_all(target.join("a.txt-9-e3069283.json")).unwrap();
    let (code, _, err) = run(agent()
        .args(["run", "--once", "--no-watch-exe", "--spool"])
        .arg(spool.path())
        .arg("--uplink-target")
        .arg(&target)
        .env("MUSTER_LABEL_network", "online"));
    assert_eq!(code, 5, "{err}");
    assert!(
        err.contains("error: 1 input(s) left unprocessed in incoming/"),
        "{err}"
    );
    assert!(err.contains("unit_kept"), "{err}");
    assert_eq!(names(&spool.path().join("incoming")), ["a.txt"]);
    assert_eq!(names(&spool.path().join("done")), ["b.bin"]);
}

/// Temporary files of the agent's atomic writes that a kill left in `outbox/` and
/// `state/` are removed at start once stale; fresh ones (a write in progress) and
/// files of any other pattern are left alone.
#[test]
fn stale_temporaries_are_removed_at_start_and_nothing_else() {
    let spool = spool_with(&[]);
    let (outbox, state) = (spool.path().join("outbox"), spool.path().join("state"));
    let hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    let mut files = Vec::new();
    for dir in [&outbox, &state] {
        std::fs::create_dir_all(dir).unwrap();
        for (name, old) in [
            (".x.json.4242.tmp", true),  // stale orphan: removed
            (".y.json.4243.tmp", false), // fresh: kept
            ("notes.tmp", true),         // not our pattern: kept
            (".z.json.tmp", true),       // no pid: not our pattern
            ("x.json", true),            // a report: kept
        ] {
            let path = dir.join(name);
            let f = std::fs::File::create(&path).unwrap();
            if old {
                f.set_modified(hour_ago).unwrap();
            }
            files.push((path, name.starts_with(".x.")));
        }
    }
    let (code, _, err) = run(agent()
        .args([
            "run",
            "--once",
            "--no-watch-exe",
            "--log-format",
            "json",
            "--spool",
        ])
        .arg(spool.path()));
    assert_eq!(code, 0, "{err}");
    for (path, removed) in &files {
        assert_eq!(!path.exists(), *removed, "{}: {err}", path.display());
        if *removed {
            assert!(err.contains(&path.display().to_string()), "logged: {err}");
        }
    }
    assert_eq!(
        err.matches("\"event\":\"stale_temporary_removed\"").count(),
        2
    );
}

/// Under systemd (`Type=notify`): READY=1 with the selection as status once the
/// slots are selected, WATCHDOG=1 from the loop, STATUS= with the status line,
/// STOPPING=1 at the end.
#[test]
fn systemd_notifications_ready_watchdog_status_stopping() {
    use std::os::unix::net::UnixDatagram;
    let spool = spool_with(&[("a.txt", b"x")]);
    let socket_path = spool.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut cmd = std::process::Command::new(bin());
    common::clean_env(&mut cmd);
    let mut child = cmd
        .args(["run", "--interval", "50ms", "--no-watch-exe", "--spool"])
        .arg(spool.path())
        .env("NOTIFY_SOCKET", &socket_path)
        .env("WATCHDOG_USEC", "200000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut messages = Vec::new();
    let start = Instant::now();
    let mut buf = [0u8; 4096];
    while start.elapsed() < Duration::from_secs(20) {
        if let Ok(n) = socket.recv(&mut buf) {
            messages.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
        let all = messages.concat();
        if all.contains("WATCHDOG=1") && all.contains("processed 1") {
            break;
        }
    }
    signal(&child, "TERM");
    assert_eq!(wait_exit(&mut child, Duration::from_secs(20)), 0);
    while let Ok(n) = socket.recv(&mut buf) {
        messages.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    let first = &messages[0];
    assert!(
        first.starts_with("READY=1\nSTATUS=selected: checksum "),
        "{messages:?}"
    );
    assert!(messages.iter().any(|m| m == "WATCHDOG=1\n"), "{messages:?}");
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("STATUS=") && m.contains("processed 1")),
        "{messages:?}"
    );
    assert_eq!(messages.last().unwrap(), "STOPPING=1\n", "{messages:?}");
}

/// A panic that selection catches is a rejection in the report, not a crash: nothing
/// on stderr from `explain` (text or JSON), even with `RUST_BACKTRACE=1`; in `run`,
/// one structured event (the rejection) and no raw panic text.
#[cfg(feature = "plugin-checksum-chaos")]
#[test]
fn a_caught_constructor_panic_prints_nothing_beyond_the_report() {
    const WHY: &str = "constructor panicked: chaos: the constructor panics on purpose";
    for json in [false, true] {
        let mut cmd = agent();
        cmd.args(["plugins", "explain", "--slot", "checksum"])
            .env("MUSTER_LABEL_chaos", "on")
            .env("EDGE_CHAOS_CONSTRUCT", "panic")
            .env("RUST_BACKTRACE", "1");
        if json {
            cmd.arg("--json");
        }
        let (code, out, err) = run(&mut cmd);
        assert_eq!(code, 0, "{err}");
        assert_eq!(err, "", "stderr must be empty (json: {json})");
        assert!(out.contains(WHY), "{out}");
    }

    let spool = spool_with(&[("a.txt", b"123456789")]);
    let (code, _, err) = run(agent()
        .args(["run", "--once", "--log-format", "json", "--spool"])
        .arg(spool.path())
        .env("MUSTER_LABEL_chaos", "on")
        .env("EDGE_CHAOS_CONSTRUCT", "panic")
        .env("RUST_BACKTRACE", "1"));
    assert_eq!(code, 0, "{err}");
    for line in err.lines() {
        let event: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}\n{err}"));
        assert!(event["event"].is_string(), "{line}");
    }
    let mentions: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("panics on purpose"))
        .collect();
    assert_eq!(mentions.len(), 1, "{err}");
    assert!(mentions[0].contains("\"event\":\"rejection\""), "{err}");
    assert!(!err.contains("panicked at"), "{err}");
}

/// `explain` and `run` agree about `start`: plain `explain` starts nothing and says
/// which version `run` would use if the selected one's `start` failed; `--start`
/// runs `start` (then `stop`) and decides exactly as `run` does.
#[cfg(feature = "plugin-checksum-chaos")]
#[test]
fn explain_tells_the_truth_about_start() {
    let dir = tempfile::tempdir().unwrap();
    let hooks = dir.path().join("hooks.log");
    let explain = |start: bool, fail: bool| {
        let mut cmd = agent();
        cmd.args(["plugins", "explain", "--json", "--slot", "checksum"])
            .env("MUSTER_LABEL_chaos", "on")
            .env("EDGE_CHAOS_HOOK_LOG", &hooks);
        if start {
            cmd.arg("--start");
        }
        if fail {
            cmd.env("EDGE_CHAOS_START", "fail");
        }
        let (code, out, err) = run(&mut cmd);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str::<serde_json::Value>(&out).unwrap()
    };
    let selected = |v: &serde_json::Value| v["slots"][0]["selected"]["version"].clone();

    // Without --start: 1.9.0 shown as selected, marked "start not run", with the fallback.
    let dry = explain(false, true);
    assert_eq!(selected(&dry), "1.9.0");
    assert_eq!(dry["start"]["run"], false);
    let fallback = dry["start"]["if_start_fails"]["checksum"]["version"]
        .as_str()
        .expect("a fallback version")
        .to_owned();
    assert_ne!(fallback, "1.9.0");
    assert!(!hooks.exists(), "plain explain starts nothing");

    // `run` with the failing start uses exactly that fallback.
    let spool = spool_with(&[("a.txt", b"123456789")]);
    let (code, _, err) = run(agent()
        .args(["run", "--once", "--no-watch-exe", "--spool"])
        .arg(spool.path())
        .env("MUSTER_LABEL_chaos", "on")
        .env("EDGE_CHAOS_START", "fail"));
    assert_eq!(code, 0, "{err}");
    let r = report(&spool.path().join("outbox/a.txt-9-e3069283.json"));
    assert_eq!(r["checksum_plugin"], format!("crc32c@{fallback}").as_str());

    // With --start: the same decision as run, and the reason.
    let started = explain(true, true);
    assert_eq!(started["start"]["run"], true);
    assert_eq!(selected(&started), fallback.as_str());
    let chaos = started["slots"][0]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["version"] == "1.9.0")
        .unwrap()
        .clone();
    assert_eq!(chaos["outcome"], "rejected");
    assert_eq!(
        chaos["reason"],
        "start failed: chaos: start fails on purpose (EDGE_CHAOS_START=fail)"
    );
    assert_eq!(std::fs::read_to_string(&hooks).unwrap(), "start\n");

    // A start that succeeds is stopped again: the dry run leaves nothing running.
    std::fs::remove_file(&hooks).unwrap();
    assert_eq!(selected(&explain(true, false)), "1.9.0");
    assert_eq!(std::fs::read_to_string(&hooks).unwrap(), "start\nstop\n");

    // The text says it too.
    let (_, text, _) = run(agent()
        .args(["plugins", "explain", "--slot", "checksum"])
        .env("MUSTER_LABEL_chaos", "on"));
    assert!(
        text.contains("start: not run")
            && text.contains(&format!("checksum: crc32c 1.9.0 -> crc32c {fallback}")),
        "{text}"
    );
}

/// Strikes and quarantines loaded at start expire with `quarantine_seconds` like
/// live ones; without it they stay (until an operator lifts them).
#[test]
fn state_loaded_at_start_expires_with_quarantine_seconds() {
    let write_state = |root: &Path| {
        let state = root.join("state");
        std::fs::create_dir_all(&state).unwrap();
        std::fs::write(
            state.join("quarantine.json"),
            r#"{"slots":{"showcase":[{"version":"0.10.0","reason":"old","since_unix":1000}]}}"#,
        )
        .unwrap();
        std::fs::write(
            state.join("strikes.json"),
            r#"{"slots":{"showcase":[{"version":"0.10.0","count":2,"reason":"old","last_unix":1000}]}}"#,
        )
        .unwrap();
    };
    let read = |root: &Path, name: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(root.join("state").join(name)).unwrap()).unwrap()
    };
    // No expiry: kept, and showcase 0.10.0 stays out of service.
    let spool = spool_with(&[]);
    write_state(spool.path());
    let (code, _, err) = run(agent()
        .args([
            "run",
            "--once",
            "--no-watch-exe",
            "--log-format",
            "json",
            "--spool",
        ])
        .arg(spool.path()));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("\"event\":\"quarantine_loaded\""), "{err}");
    let showcase: serde_json::Value = err
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|e| e["event"] == "selection" && e["slot"] == "showcase")
        .expect("a showcase selection event");
    assert_ne!(
        showcase["version"], "0.10.0",
        "0.10.0 stays quarantined: {err}"
    );
    assert_eq!(
        read(spool.path(), "quarantine.json")["slots"]["showcase"][0]["version"],
        "0.10.0"
    );
    assert_eq!(
        read(spool.path(), "strikes.json")["slots"]["showcase"][0]["count"],
        2
    );
    // With quarantine_seconds: both expire at start.
    let spool = spool_with(&[]);
    write_state(spool.path());
    let policy = spool.path().join("policy.toml");
    std::fs::write(&policy, "quarantine_seconds = 60\n").unwrap();
    let (code, _, err) = run(agent()
        .args([
            "run",
            "--once",
            "--no-watch-exe",
            "--log-format",
            "json",
            "--policy",
        ])
        .arg(&policy)
        .arg("--spool")
        .arg(spool.path()));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("\"event\":\"quarantine_expired\""), "{err}");
    assert_eq!(
        read(spool.path(), "quarantine.json")["slots"],
        serde_json::json!({})
    );
    // The struck version is on probation: one strike short of the limit (2), so
    // one more death quarantines it again at once.
    let strikes = read(spool.path(), "strikes.json");
    assert_eq!(
        strikes["slots"]["showcase"][0]["version"], "0.10.0",
        "{strikes}"
    );
    assert_eq!(strikes["slots"]["showcase"][0]["count"], 1, "{strikes}");
}

/// A running agent applies a changed rollout share at the next unit, without a
/// restart: raising the share past the host's bucket admits the version, lowering
/// it below takes the host out again.
#[test]
fn a_changed_rollout_share_applies_live() {
    const RULE: &str = "checksum@1.2.0-beta.1";
    // A host whose bucket for the rule is between 30 % and 70 %.
    let host_id = (0..)
        .map(|i| format!("rollout-host-{i}"))
        .find(|id| (3000..7000).contains(&muster::bucketing::bucket(RULE, id).0))
        .unwrap();
    let rule = |share: u32| {
        format!("[[rollout]]\nslot = \"checksum\"\nversion = \"1.2.0-beta.1\"\nshare = {share}\n")
    };
    let spool = spool_with(&[]);
    let policy = spool.path().join("policy.toml");
    std::fs::write(&policy, rule(0)).unwrap();
    let mut cmd = std::process::Command::new(bin());
    for (key, _) in std::env::vars() {
        if key.starts_with("MUSTER_") || key.starts_with("EDGE_UPLINK") {
            cmd.env_remove(key);
        }
    }
    let mut child = cmd
        .args([
            "run",
            "--interval",
            "50ms",
            "--log-format",
            "json",
            "--spool",
        ])
        .arg(spool.path())
        .arg("--policy")
        .arg(&policy)
        .env("MUSTER_HOST_ID", &host_id)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let checksum_of = |name: &str| checksum_of(spool.path(), name);
    let before = checksum_of("1.txt");
    assert_ne!(before, "crc32c@1.2.0-beta.1");
    replace_file(&policy, &rule(25));
    assert_eq!(checksum_of("2.txt"), before, "bucket ≥ 30 %: still out");
    replace_file(&policy, &rule(75));
    assert_eq!(checksum_of("3.txt"), "crc32c@1.2.0-beta.1");
    replace_file(&policy, &rule(25));
    assert_eq!(checksum_of("4.txt"), before, "lowered: out again");
    signal(&child, "TERM");
    assert_eq!(wait_exit(&mut child, Duration::from_secs(20)), 0);
    let err = stderr_of(child);
    assert!(
        err.lines().any(|l| l.contains("\"event\":\"rejection\"")
            && l.contains("\"code\":\"rollout\"")
            && l.contains("outside the 25% share")),
        "{err}"
    );
}
