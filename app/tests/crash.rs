//! Faults that kill the process (issue: crash memory): a test supervisor restarts
//! the real binary the way systemd's `Restart=on-failure` does, while the test-only
//! `checksum-chaos` 1.9.0 aborts, overflows its stack, allocates past a memory
//! limit or hangs. For each mode: the faulty version is quarantined after the
//! configured strikes, the fallback processes every input, no input is lost, each
//! report is written once and is intact, restarts are bounded, and the quarantine
//! survives one more restart.

#![cfg(feature = "plugin-checksum-chaos")]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{bin, clean_env};
use edge_contract::conformance::reference_crc32c;

/// The address-space limit every supervised run gets (`prlimit --as`): enough for
/// the agent, far too little for the `alloc` fault's 1 TiB.
const MEMORY_LIMIT: &str = "--as=1073741824";

/// How one fault is provoked and supervised.
struct Drill {
    /// `EDGE_CHAOS_FAULT`.
    fault: &'static str,
    /// `EDGE_CHAOS_PANIC_AT`: the call that faults, counted per process.
    at: u32,
    /// `quarantine_strikes` in the policy file (`None`: the default, 2).
    strikes: Option<u32>,
    /// Extra `run` arguments.
    args: &'static [&'static str],
    /// Kill a run that lasts longer (a watchdog, as systemd's `WatchdogSec=`).
    kill_after: Option<Duration>,
    /// The exit code of a faulty run (`None`: killed by a signal).
    fault_code: Option<i32>,
}

/// One supervised run: its exit code (`None`: killed by a signal) and stderr.
struct Run {
    code: Option<i32>,
    stderr: String,
}

fn inputs() -> Vec<(String, Vec<u8>)> {
    (0..5)
        .map(|i| (format!("f{i}.txt"), format!("file {i}").into_bytes()))
        .collect()
}

fn command(spool: &Path, drill: &Drill, policy: &Path) -> Command {
    let mut cmd = Command::new("prlimit");
    cmd.arg(MEMORY_LIMIT).arg("--").arg(bin());
    clean_env(&mut cmd);
    cmd.args(["run", "--once", "--no-watch-exe", "--log-format", "json"])
        .args(drill.args)
        .arg("--policy")
        .arg(policy)
        .arg("--spool")
        .arg(spool)
        .env("MUSTER_LABEL_chaos", "on")
        .env("EDGE_CHAOS_FAULT", drill.fault)
        .env("EDGE_CHAOS_PANIC_AT", drill.at.to_string())
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    cmd
}

/// Runs the agent once, killing it after `kill_after` (or a minute: a bug).
fn run_once(mut cmd: Command, log: &Path, kill_after: Option<Duration>) -> Run {
    let file = std::fs::File::create(log).unwrap();
    let mut child = cmd
        .stderr(file)
        .spawn()
        .expect("prlimit (util-linux) and the agent run");
    let limit = kill_after.unwrap_or(Duration::from_secs(60));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > limit {
            assert!(
                kill_after.is_some(),
                "a run did not finish within {limit:?}"
            );
            child.kill().unwrap();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code(),
        stderr: std::fs::read_to_string(log).unwrap(),
    }
}

/// Restarts the agent while it fails, like `Restart=on-failure`, at most `max`
/// times; returns every run.
fn supervise(spool: &Path, drill: &Drill, policy: &Path, max_restarts: u32) -> Vec<Run> {
    let mut runs = Vec::new();
    loop {
        let log = spool.join(format!("run-{}.log", runs.len()));
        let run = run_once(command(spool, drill, policy), &log, drill.kill_after);
        let ok = run.code == Some(0);
        runs.push(run);
        if ok {
            return runs;
        }
        let restarts = runs.len() as u32;
        assert!(
            restarts <= max_restarts,
            "crash loop: {restarts} restarts; last stderr:\n{}",
            runs.last().unwrap().stderr
        );
    }
}

fn events<'a>(runs: &'a [Run], event: &str) -> Vec<serde_json::Value> {
    let needle = format!("\"event\":\"{event}\"");
    runs.iter()
        .flat_map(|r: &'a Run| r.stderr.lines())
        .filter(|l| l.contains(&needle))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn json_file(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap())
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

fn dir_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A spool whose `incoming/` holds [`inputs`].
fn spool_with_inputs() -> (tempfile::TempDir, Vec<(String, Vec<u8>)>) {
    let spool = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(spool.path().join("incoming")).unwrap();
    let files = inputs();
    for (name, body) in &files {
        std::fs::write(spool.path().join("incoming").join(name), body).unwrap();
    }
    (spool, files)
}

fn drill(drill: &Drill) {
    let (spool, files) = spool_with_inputs();
    let root = spool.path();
    let policy = root.join("policy.toml");
    let limit = drill.strikes.unwrap_or(2);
    let policy_text = drill
        .strikes
        .map(|n| format!("quarantine_strikes = {n}\n"))
        .unwrap_or_default();
    std::fs::write(&policy, policy_text).unwrap();

    let runs = supervise(root, drill, &policy, limit + 1);
    let restarts = runs.len() as u32 - 1;
    let codes: Vec<Option<i32>> = runs.iter().map(|r| r.code).collect();
    let last = &runs.last().unwrap().stderr;
    assert_eq!(restarts, limit, "one restart per strike: {codes:?}\n{last}");
    for run in &runs[..runs.len() - 1] {
        assert_eq!(run.code, drill.fault_code, "{codes:?}: {}", run.stderr);
    }

    // Quarantined after exactly `limit` strikes, one structured event each.
    let strikes = events(&runs, "strike");
    assert_eq!(strikes.len() as u32, limit, "{last}");
    for (i, s) in strikes.iter().enumerate() {
        assert_eq!(s["slot"], "checksum");
        assert_eq!(s["version"], "1.9.0");
        assert_eq!(s["strikes"], i as u64 + 1);
        assert_eq!(s["limit"], u64::from(limit));
    }
    let quarantines = events(&runs, "quarantine");
    assert_eq!(quarantines.len(), 1, "{last}");
    assert_eq!(quarantines[0]["version"], "1.9.0");
    let state = json_file(&root.join("state/quarantine.json"));
    assert_eq!(state["slots"]["checksum"][0]["version"], "1.9.0");
    let strikes_file = json_file(&root.join("state/strikes.json"));
    assert_eq!(strikes_file["slots"]["checksum"][0]["count"], limit);

    // Nothing lost, nothing duplicated, nothing corrupt.
    assert!(dir_names(&root.join("incoming")).is_empty());
    let done: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(dir_names(&root.join("done")), done);
    let mut expected_reports = Vec::new();
    let mut by_plugin = BTreeMap::<String, Vec<String>>::new();
    for (name, body) in &files {
        let crc = format!("{:08x}", reference_crc32c(body));
        let id = format!("{name}-{}-{crc}", body.len());
        let r = json_file(&root.join("outbox").join(format!("{id}.json")));
        assert_eq!(
            (r["id"].as_str(), r["file"].as_str()),
            (Some(id.as_str()), Some(name.as_str()))
        );
        assert_eq!(r["crc32c"], crc.as_str());
        by_plugin
            .entry(r["checksum_plugin"].as_str().unwrap().to_owned())
            .or_default()
            .push(name.clone());
        expected_reports.push(format!("{id}.json"));
    }
    assert_eq!(
        dir_names(&root.join("outbox")),
        expected_reports,
        "one report per input, no temporary left"
    );
    let processed = events(&runs, "processed");
    for (name, _) in &files {
        let n = processed
            .iter()
            .filter(|e| e["file"] == name.as_str())
            .count();
        assert_eq!(
            n, 1,
            "{name}'s report is written exactly once: {processed:?}"
        );
    }
    let fallback: Vec<&String> = by_plugin.keys().filter(|k| *k != "crc32c@1.9.0").collect();
    assert_eq!(fallback.len(), 1, "{by_plugin:?}");
    // The unit in flight at the last fault was retried by the fallback.
    let last_unit = strikes.last().unwrap()["unit"].as_str().unwrap().to_owned();
    assert!(by_plugin[fallback[0]].contains(&last_unit), "{by_plugin:?}");

    // The quarantine survives one more restart.
    std::fs::write(root.join("incoming/g.txt"), b"after").unwrap();
    let again = run_once(command(root, drill, &policy), &root.join("again.log"), None);
    assert_eq!(again.code, Some(0), "{}", again.stderr);
    let again = [again];
    assert!(events(&again, "strike").is_empty(), "{}", again[0].stderr);
    let loaded = events(&again, "quarantine_loaded");
    assert_eq!(loaded.len(), 1, "{}", again[0].stderr);
    assert_eq!(loaded[0]["version"], "1.9.0");
    // `explain --state` shows the quarantine and the strikes, with codes.
    let mut explain = Command::new(bin());
    clean_env(&mut explain);
    let out = explain
        .args([
            "plugins", "explain", "--json", "--slot", "checksum", "--state",
        ])
        .arg(root)
        .env("MUSTER_LABEL_chaos", "on")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let (q, s) = (&v["state"]["quarantined"][0], &v["state"]["strikes"][0]);
    assert_eq!(
        (&q["code"], &q["slot"], &q["version"]),
        (&"quarantined".into(), &"checksum".into(), &"1.9.0".into()),
        "{v}"
    );
    assert_eq!(
        (&s["code"], &s["count"]),
        (&"strikes".into(), &u64::from(limit).into()),
        "{v}"
    );
    let candidate = v["slots"][0]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["version"] == "1.9.0")
        .unwrap();
    assert_eq!(candidate["outcome"], "excluded", "{v}");

    let g_id = format!("g.txt-5-{:08x}", reference_crc32c(b"after"));
    let g = json_file(&root.join("outbox").join(format!("{g_id}.json")));
    assert_eq!(g["checksum_plugin"].as_str(), Some(fallback[0].as_str()));
}

#[test]
fn abort_is_quarantined_after_the_default_two_strikes() {
    drill(&Drill {
        fault: "abort",
        at: 3,
        strikes: None,
        args: &[],
        kill_after: None,
        fault_code: None,
    });
}

#[test]
fn stack_overflow_is_quarantined_after_the_configured_strikes() {
    drill(&Drill {
        fault: "stack-overflow",
        at: 1,
        strikes: Some(3),
        args: &[],
        kill_after: None,
        fault_code: None,
    });
}

#[test]
fn huge_allocation_under_a_memory_limit_is_quarantined() {
    drill(&Drill {
        fault: "alloc",
        at: 3,
        strikes: Some(2),
        args: &[],
        kill_after: None,
        fault_code: None,
    });
}

#[test]
fn hang_past_plugin_timeout_exits_6_and_is_quarantined() {
    drill(&Drill {
        fault: "hang",
        at: 3,
        strikes: None,
        args: &["--plugin-timeout", "300ms"],
        kill_after: None,
        fault_code: Some(6),
    });
}

#[test]
fn hang_killed_by_a_watchdog_is_quarantined() {
    drill(&Drill {
        fault: "hang",
        at: 1,
        strikes: Some(1),
        args: &[],
        kill_after: Some(Duration::from_secs(3)),
        fault_code: None,
    });
}

/// The policy of the hold drills: only the chaos version 1.9.0 is acceptable.
fn last_version_policy(limit: u32, extra: &str) -> String {
    format!("quarantine_strikes = {limit}\n{extra}[deny]\nchecksum = [\"1.0.0\", \"1.1.0\"]\n")
}

/// The messages a run sent to systemd's notify socket (bound at `socket`).
fn notifications(socket: &std::os::unix::net::UnixDatagram) -> Vec<String> {
    socket.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 4096];
    let mut messages = Vec::new();
    while let Ok(n) = socket.recv(&mut buf) {
        messages.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    messages
}

/// A fault in the slot's **last** acceptable version: after `limit` strikes the
/// version is quarantined and the slot is held — the agent stops restarting (at most
/// `limit` + 1 runs), calls no version of the slot, keeps every input where it is,
/// and says so (event `slot_held`, code `held`; `STATUS=`; `held.json`; `quarantine
/// list`). A policy that brings an acceptable version back resumes the slot and every
/// kept input is processed, once.
fn held_drill(drill: &Drill) {
    let (spool, files) = spool_with_inputs();
    let root = spool.path();
    let limit = drill.strikes.unwrap_or(2);
    let policy = root.join("policy.toml");
    std::fs::write(&policy, last_version_policy(limit, "")).unwrap();

    // Supervised like `Restart=on-failure`, until a run ends by itself.
    std::fs::create_dir_all(root.join("textfile")).unwrap();
    let metrics = root.join("textfile/edge-agent.prom");
    let socket_path = root.join("notify.sock");
    let socket = std::os::unix::net::UnixDatagram::bind(&socket_path).unwrap();
    let mut runs = Vec::new();
    loop {
        let log = root.join(format!("run-{}.log", runs.len()));
        let mut cmd = command(root, drill, &policy);
        cmd.env("NOTIFY_SOCKET", &socket_path)
            .arg("--metrics-file")
            .arg(&metrics);
        let run = run_once(cmd, &log, drill.kill_after);
        let faulted = run.code.is_none() || run.code == drill.fault_code;
        runs.push(run);
        if !faulted {
            break;
        }
        assert!(
            runs.len() as u32 <= limit + 1,
            "restart loop: {} runs; last stderr:\n{}",
            runs.len(),
            runs.last().unwrap().stderr
        );
    }
    let last = runs.last().unwrap();
    assert_eq!(
        runs.len() as u32,
        limit + 1,
        "one restart per strike, then held: {}",
        last.stderr
    );
    assert_eq!(
        last.code,
        Some(3),
        "--once with a held slot exits 3: {}",
        last.stderr
    );
    assert_eq!(events(&runs, "strike").len() as u32, limit);
    let quarantines = events(&runs, "quarantine");
    assert_eq!(quarantines.len(), 1, "{}", last.stderr);
    assert_eq!(quarantines[0]["held"], true);
    let held = events(&runs, "slot_held");
    assert_eq!(held.len(), 1, "{}", last.stderr);
    assert_eq!(
        (&held[0]["code"], &held[0]["slot"], &held[0]["version"]),
        (&"held".into(), &"checksum".into(), &"1.9.0".into())
    );
    let kept = events(&runs[runs.len() - 1..], "unit_kept");
    assert!(kept.iter().all(|e| e["code"] == "held"), "{kept:?}");
    // Nothing lost, nothing moved: every input is still in incoming/.
    let names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(dir_names(&root.join("incoming")), names);
    assert!(!root.join("done").exists() || dir_names(&root.join("done")).is_empty());
    // systemd hears it, and so does the operator.
    let messages = notifications(&socket);
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("STATUS=") && m.contains("held: checksum@1.9.0")),
        "{messages:?}"
    );
    assert_eq!(
        json_file(&root.join("state/held.json"))["held"][0]["slot"],
        "checksum"
    );
    let mut list = Command::new(bin());
    clean_env(&mut list);
    let out = list
        .args(["quarantine", "list", "--json", "--spool"])
        .arg(root)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (&v["held"][0]["code"], &v["held"][0]["version"]),
        (&"held".into(), &"1.9.0".into()),
        "{v}"
    );

    // Held across a restart: no call, no strike, no new event, inputs kept.
    let again = run_once(command(root, drill, &policy), &root.join("again.log"), None);
    assert_eq!(again.code, Some(3), "{}", again.stderr);
    let again = [again];
    assert!(events(&again, "strike").is_empty(), "{}", again[0].stderr);
    assert_eq!(dir_names(&root.join("incoming")), names);

    // A policy that brings an acceptable version: the slot resumes, every input is
    // processed once.
    std::fs::write(&policy, format!("quarantine_strikes = {limit}\n")).unwrap();
    let resumed = run_once(
        command(root, drill, &policy),
        &root.join("resumed.log"),
        None,
    );
    assert_eq!(resumed.code, Some(0), "{}", resumed.stderr);
    let resumed = [resumed];
    let events_resumed = events(&resumed, "slot_resumed");
    assert_eq!(events_resumed.len(), 1, "{}", resumed[0].stderr);
    assert_eq!(events_resumed[0]["slot"], "checksum");
    assert!(dir_names(&root.join("incoming")).is_empty());
    assert_eq!(dir_names(&root.join("done")), names);
    assert_eq!(events(&resumed, "processed").len(), files.len());
    assert_eq!(
        json_file(&root.join("state/held.json"))["held"],
        serde_json::json!([])
    );
}

#[test]
fn an_aborting_last_version_is_held_not_looped_on() {
    held_drill(&Drill {
        fault: "abort",
        at: 1,
        strikes: None,
        args: &[],
        kill_after: None,
        fault_code: None,
    });
}

#[test]
fn a_stack_overflow_in_the_last_version_is_held() {
    held_drill(&Drill {
        fault: "stack-overflow",
        at: 1,
        strikes: Some(1),
        args: &[],
        kill_after: None,
        fault_code: None,
    });
}

#[test]
fn a_hanging_last_version_is_held_after_its_timeouts() {
    held_drill(&Drill {
        fault: "hang",
        at: 1,
        strikes: Some(2),
        args: &["--plugin-timeout", "300ms"],
        kill_after: None,
        fault_code: Some(6),
    });
}

/// A hold ends by itself when its quarantine expires (`quarantine_seconds`): the
/// version is probed once, on probation — one more death holds the slot again at
/// once (no second round of strikes); a version that works resumes the slot.
#[test]
fn an_expired_hold_is_probed_once() {
    let spool = tempfile::tempdir().unwrap();
    let root = spool.path();
    std::fs::create_dir_all(root.join("incoming")).unwrap();
    std::fs::write(root.join("incoming/a.txt"), b"a").unwrap();
    let policy = root.join("policy.toml");
    std::fs::write(&policy, last_version_policy(2, "quarantine_seconds = 3\n")).unwrap();
    let drill = Drill {
        fault: "abort",
        at: 1,
        strikes: Some(2),
        args: &[],
        kill_after: None,
        fault_code: None,
    };
    let run = |name: &str, at: &str| {
        let mut cmd = command(root, &drill, &policy);
        cmd.env("EDGE_CHAOS_PANIC_AT", at);
        run_once(cmd, &root.join(name), None)
    };
    assert_eq!(run("1.log", "1").code, None);
    assert_eq!(run("2.log", "1").code, None);
    let held = run("3.log", "1");
    assert_eq!(held.code, Some(3), "{}", held.stderr);
    // Expired: probed, and it still aborts: held again after this one death.
    std::thread::sleep(Duration::from_millis(3200));
    let probe = run("4.log", "1");
    assert_eq!(
        probe.code, None,
        "the probe ran the version: {}",
        probe.stderr
    );
    let after = run("5.log", "1");
    assert_eq!(after.code, Some(3), "held again at once: {}", after.stderr);
    let probed = [probe, after];
    let strikes = events(&probed, "strike");
    assert_eq!(strikes.len(), 1, "{}", probed[1].stderr);
    assert_eq!(
        strikes[0]["strikes"], 2,
        "on probation: one short of the limit"
    );
    assert!(root.join("incoming/a.txt").exists());
    // Expired again, and fixed (it no longer faults): the slot resumes.
    std::thread::sleep(Duration::from_millis(3200));
    let fixed = run("6.log", "0");
    assert_eq!(fixed.code, Some(0), "{}", fixed.stderr);
    assert_eq!(events(&[fixed], "slot_resumed").len(), 1);
    assert!(root.join("done/a.txt").exists());
}

/// An operator lifts a quarantine with `edge-agent quarantine clear` while the
/// agent runs: the agent adopts it before its next unit (here 1.9.0 comes back,
/// panics on its first call again and is quarantined again).
#[test]
fn clearing_the_quarantine_of_a_running_agent_takes_effect() {
    let spool = tempfile::tempdir().unwrap();
    let root = spool.path();
    std::fs::create_dir_all(root.join("incoming")).unwrap();
    std::fs::write(root.join("incoming/a.txt"), b"a").unwrap();
    let mut cmd = Command::new(bin());
    clean_env(&mut cmd);
    let mut child = cmd
        .args([
            "run",
            "--interval",
            "50ms",
            "--no-watch-exe",
            "--log-format",
            "json",
            "--spool",
        ])
        .arg(root)
        .env("MUSTER_LABEL_chaos", "on")
        .env("EDGE_CHAOS_PANIC_AT", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let wait = |what: &str, cond: &dyn Fn() -> bool| {
        let start = Instant::now();
        while !cond() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "timed out: {what}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    wait("a.txt", &|| root.join("done/a.txt").exists());
    let list = |json: bool| {
        let mut cmd = Command::new(bin());
        clean_env(&mut cmd);
        cmd.args(["quarantine", "list", "--spool"]).arg(root);
        if json {
            cmd.arg("--json");
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let before: serde_json::Value = serde_json::from_str(&list(true)).unwrap();
    assert_eq!(before["quarantined"][0]["code"], "quarantined");
    assert_eq!(before["quarantined"][0]["version"], "1.9.0");
    let mut clear = Command::new(bin());
    clean_env(&mut clear);
    let out = clear
        .args([
            "quarantine",
            "clear",
            "--slot",
            "checksum",
            "--version",
            "1.9.0",
            "--state",
        ])
        .arg(root.join("state"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("lifted quarantine of checksum@1.9.0"),
        "{stderr}"
    );
    assert_eq!(list(false), "nothing quarantined, no strikes\n");
    std::fs::write(root.join("incoming/b.txt"), b"b").unwrap();
    wait("b.txt", &|| root.join("done/b.txt").exists());
    Command::new("kill")
        .args(["-s", "TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(start.elapsed() < Duration::from_secs(20));
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("\"event\":\"state_reloaded\""), "{err}");
    assert_eq!(err.matches("\"event\":\"quarantine\"").count(), 2, "{err}");
}

/// A `start` hook that aborts the process (selection, not a call) is a strike too:
/// with `quarantine_strikes = 1` one restart quarantines 1.9.0 and the fallback
/// processes the input.
#[test]
fn a_start_hook_that_aborts_is_a_strike() {
    let spool = tempfile::tempdir().unwrap();
    let root = spool.path();
    std::fs::create_dir_all(root.join("incoming")).unwrap();
    std::fs::write(root.join("incoming/a.txt"), b"a").unwrap();
    let policy = root.join("policy.toml");
    std::fs::write(&policy, "quarantine_strikes = 1\n").unwrap();
    let drill = Drill {
        fault: "panic",
        at: 0,
        strikes: Some(1),
        args: &[],
        kill_after: None,
        fault_code: None,
    };
    let mut first = command(root, &drill, &policy);
    first.env("EDGE_CHAOS_START", "abort");
    let first = run_once(first, &root.join("1.log"), None);
    assert_eq!(first.code, None, "aborted in start: {}", first.stderr);
    let mut second = command(root, &drill, &policy);
    second.env("EDGE_CHAOS_START", "abort");
    let second = run_once(second, &root.join("2.log"), None);
    assert_eq!(second.code, Some(0), "{}", second.stderr);
    let runs = [first, second];
    let strikes = events(&runs, "strike");
    assert_eq!(strikes.len(), 1, "{}", runs[1].stderr);
    assert_eq!(strikes[0]["unit"], "start");
    assert_eq!(strikes[0]["version"], "1.9.0");
    assert_eq!(events(&runs, "quarantine").len(), 1);
    let r = json_file(&root.join(format!(
        "outbox/a.txt-1-{:08x}.json",
        reference_crc32c(b"a")
    )));
    assert_ne!(r["checksum_plugin"], "crc32c@1.9.0");
}
