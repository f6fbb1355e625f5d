//! The agent's metrics file, end to end: the real `edge-agent run` writes it for
//! node_exporter's textfile collector, `promtool check metrics` accepts it, and a real
//! node_exporter started here serves it on a loopback port (both pinned tools found on
//! `PATH`: `cargo xtask test` installs them; the test never skips without them).

mod common;

#[path = "../../kit/tests/support/prometheus.rs"]
mod prometheus;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{agent, bin, clean_env};
use prometheus::{Exporter, promtool_check};

fn wait(what: &str, limit: Duration, cond: &dyn Fn() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < limit, "timed out: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn a_running_agent_publishes_through_node_exporter() {
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("spool");
    let textfiles = dir.path().join("textfile");
    std::fs::create_dir_all(spool.join("incoming")).unwrap();
    std::fs::create_dir_all(&textfiles).unwrap();
    for i in 0..3 {
        std::fs::write(spool.join(format!("incoming/in-{i}.dat")), b"data").unwrap();
    }
    let file = textfiles.join("edge-agent.prom");
    let mut cmd = std::process::Command::new(bin());
    clean_env(&mut cmd);
    let mut child = cmd
        .args([
            "run",
            "--interval",
            "50ms",
            "--no-watch-exe",
            "--metrics-interval",
            "1s",
        ])
        .arg("--metrics-file")
        .arg(&file)
        .arg("--spool")
        .arg(&spool)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let done = "muster_inputs_total{result=\"done\"} 3";
    wait(
        "3 inputs done in the metrics",
        Duration::from_secs(20),
        &|| read(&file).lines().any(|l| l == done),
    );
    // The agent writes the rest as it goes: a new input shows within an interval.
    std::fs::write(spool.join("incoming/in-3.dat"), b"more").unwrap();
    wait(
        "the 4th input in the metrics",
        Duration::from_secs(20),
        &|| {
            read(&file)
                .lines()
                .any(|l| l == "muster_inputs_total{result=\"done\"} 4")
        },
    );
    let text = read(&file);
    for line in [
        "muster_slot_selected{slot=\"checksum\"} 1",
        "muster_slot_held{slot=\"checksum\"} 0",
        "muster_inputs_waiting 0",
        "muster_failovers_total{slot=\"checksum\"} 0",
    ] {
        assert!(text.lines().any(|l| l == line), "{line}\n{text}");
    }
    assert!(
        text.lines()
            .any(|l| l.starts_with("muster_build_info{package=\"edge-agent\"")),
        "{text}"
    );
    let (clean, said) = promtool_check(&file);
    assert!(clean, "promtool check metrics: {said}\n{text}");
    let (mut exporter, port) = Exporter::start(&textfiles, dir.path().join("exporter.log"));
    let served = exporter.scrape(port);
    assert!(
        served.lines().any(|l| l == "node_textfile_scrape_error 0"),
        "{served}"
    );
    assert!(
        served
            .lines()
            .any(|l| l == "muster_inputs_total{result=\"done\"} 4"),
        "{served}"
    );
    assert!(
        served
            .lines()
            .any(|l| l == "muster_slot_selected{slot=\"uplink\"} 1"),
        "{served}"
    );
    std::process::Command::new("kill")
        .args(["-s", "TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
    // Only the file: no temporary left beside it for the collector to trip on.
    let names: Vec<String> = std::fs::read_dir(&textfiles)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["edge-agent.prom"]);
}

/// Run arguments, environment, and what stderr must name.
type Case = (Vec<String>, Vec<(&'static str, String)>, Vec<String>);

/// A bad metrics setting is the operator's input error (exit 4), named with where it
/// came from; nothing is processed and nothing is written.
#[test]
fn a_bad_metrics_setting_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("spool");
    std::fs::create_dir_all(spool.join("incoming")).unwrap();
    std::fs::write(spool.join("incoming/a.txt"), b"a").unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        "metrics_file = \"/tmp/x.prom\"\nmetrics_interval_seconds = 0\n",
    )
    .unwrap();
    let link = dir.path().join("link.prom");
    std::os::unix::fs::symlink(dir.path().join("elsewhere.prom"), &link).unwrap();
    let missing = dir.path().join("no/such/dir/m.prom");
    let cases: Vec<Case> = vec![
        (
            vec!["--metrics-file".into(), missing.display().to_string()],
            vec![],
            vec![missing.display().to_string()],
        ),
        (
            vec![
                "--metrics-file".into(),
                dir.path().join("m.txt").display().to_string(),
            ],
            vec![],
            vec![".prom".into()],
        ),
        (
            vec!["--metrics-file".into(), link.display().to_string()],
            vec![],
            vec![link.display().to_string(), "symbolic link".into()],
        ),
        (
            vec![],
            vec![
                (
                    "MUSTER_METRICS_FILE",
                    dir.path().join("m.prom").display().to_string(),
                ),
                ("MUSTER_METRICS_INTERVAL_SECONDS", "100000".into()),
            ],
            vec!["MUSTER_METRICS_INTERVAL_SECONDS".into(), "86400".into()],
        ),
        (
            vec!["--policy".into(), policy.display().to_string()],
            vec![],
            vec![
                policy.display().to_string(),
                "metrics_interval_seconds".into(),
            ],
        ),
    ];
    for (args, env, needles) in cases {
        let out = agent()
            .args(["run", "--once", "--no-watch-exe", "--spool"])
            .arg(&spool)
            .args(&args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{args:?} {env:?}: {stderr}");
        for needle in &needles {
            assert!(stderr.contains(needle.as_str()), "{needle} in {stderr}");
        }
        assert!(spool.join("incoming/a.txt").exists(), "nothing processed");
    }
    assert!(!dir.path().join("elsewhere.prom").exists());
}
