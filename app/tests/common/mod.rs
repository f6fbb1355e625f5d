//! Helpers shared by the integration tests: run the real `edge-agent` binary.

#![allow(dead_code, unreachable_pub)] // Each test file uses a different subset.

use std::path::{Path, PathBuf};
use std::process::Output;

/// The `edge-agent` binary cargo built for these tests.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_edge-agent"))
}

/// A command for the binary with a clean policy/label environment.
pub fn agent() -> std::process::Command {
    let mut cmd = std::process::Command::new(bin());
    clean_env(&mut cmd);
    cmd
}

/// Removes the policy, label, uplink, chaos, log and systemd variables the test
/// process may have inherited.
pub fn clean_env(cmd: &mut std::process::Command) -> &mut std::process::Command {
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("MUSTER_")
            || key.starts_with("EDGE_UPLINK")
            || key.starts_with("EDGE_CHAOS")
            || key == "RUST_LOG"
            || key == "NOTIFY_SOCKET"
            || key == "WATCHDOG_USEC"
        {
            cmd.env_remove(&key);
        }
    }
    cmd
}

/// Runs and returns (exit code, stdout, stderr).
pub fn run(cmd: &mut std::process::Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("edge-agent runs");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// The example fleet shipped in the repository.
pub fn fleet_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/fleet")
}

/// A facts file for one of the example hosts.
pub fn host(name: &str) -> PathBuf {
    fleet_dir().join(format!("{name}.json"))
}

/// Parses JSON stdout.
pub fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {stdout}"))
}

/// The selected version of `slot` in `plugins explain --json` output.
pub fn selected(report: &serde_json::Value, slot: &str) -> Option<String> {
    let slot = report["slots"]
        .as_array()?
        .iter()
        .find(|s| s["slot"] == slot)?;
    slot["selected"]["version"].as_str().map(str::to_owned)
}

/// The candidate of `slot` at `version`: (outcome, reason).
pub fn candidate(report: &serde_json::Value, slot: &str, version: &str) -> (String, String) {
    let slot = report["slots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["slot"] == slot)
        .unwrap();
    let c = slot["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["version"] == version)
        .unwrap();
    (
        c["outcome"].as_str().unwrap().to_owned(),
        c["reason"].as_str().unwrap_or("").to_owned(),
    )
}

/// A test that cannot run on this machine (it needs `needs`): recorded in the file
/// `cargo xtask test` names in `MUSTER_NOT_RUN` (its summary's `not run` line), else a
/// failure saying what it needs. Never a silent pass.
pub fn not_run(test: &str, needs: &str) {
    use std::io::Write as _;
    match std::env::var_os(muster_names::NOT_RUN_VAR) {
        Some(file) => {
            let mut out = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&file)
                .unwrap_or_else(|e| panic!("cannot record {test} as not run: {e}"));
            writeln!(out, "{test} (needs {needs})").unwrap();
            eprintln!("not run: {test} needs {needs}");
        }
        None => panic!(
            "{test} cannot run here: it needs {needs}. Run it where it can (CI runs as root), \
             or through `cargo xtask test`, which names it in its `not run` line"
        ),
    }
}
