//! `plugins fleet` at fleet scale: the release `edge-agent` over 100,000 hosts'
//! facts files (target: ≤ 2 s), with a staged rollout in force, as a table, as JSON,
//! and as a diff of two policies.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;
use muster_bench::stats;
use serde_json::{Value, json};

use crate::Config;

/// Hosts in the synthetic fleet.
pub(crate) const HOSTS: usize = 100_000;

/// Builds the release `edge-agent`, writes the fleet (once; reused when complete)
/// and times the commands.
pub(crate) fn fleet(config: &Config) -> anyhow::Result<Value> {
    let status = Command::new(&config.cargo)
        .current_dir(&config.root)
        .args(["build", "--release", "-p", "edge-agent"])
        .status()?;
    anyhow::ensure!(
        status.success(),
        "cargo build --release -p edge-agent failed"
    );
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| config.root.join("target"));
    let agent = target.join("release/edge-agent");
    let dir = config.work.join(format!("fleet-{HOSTS}"));
    write_fleet(&config.root, &dir)?;
    let policies = config.work.join("fleet-policies");
    std::fs::create_dir_all(&policies)?;
    let policy = |share: u32| -> anyhow::Result<PathBuf> {
        let path = policies.join(format!("showcase-{share}.toml"));
        std::fs::write(
            &path,
            format!(
                "[[rollout]]\nslot = \"showcase\"\nversion = \"0.10.0\"\nshare = {share}\n\
                 [[rollout]]\nslot = \"uplink\"\nversion = \"1.1.0\"\nshare = 50\nlabels = {{ ring = \"canary\" }}\n"
            ),
        )?;
        Ok(path)
    };
    let (p10, p25) = (policy(10)?, policy(25)?);
    let s = |p: &Path| p.to_str().expect("UTF-8 path").to_owned();
    let (dir_s, p10_s, p25_s) = (s(&dir), s(&p10), s(&p25));
    let cases: Vec<(&str, Vec<&str>)> = vec![
        (
            "table",
            vec!["plugins", "fleet", &dir_s, "--policy", &p10_s],
        ),
        (
            "json",
            vec!["plugins", "fleet", &dir_s, "--policy", &p10_s, "--json"],
        ),
        (
            "diff 10% -> 25%",
            vec![
                "plugins",
                "fleet",
                &dir_s,
                "--policy",
                &p10_s,
                "--diff-policy",
                &p25_s,
            ],
        ),
    ];
    let programs: Vec<(&Path, &[&str])> = cases
        .iter()
        .map(|(_, args)| (agent.as_path(), args.as_slice()))
        .collect();
    let reps = if config.quick { 3 } else { 7 };
    let timed = stats::time_processes(&programs, reps)?;
    Ok(json!({
        "hosts": HOSTS,
        "cases": cases.iter().zip(&timed).map(|((name, args), t)| json!({
            "case": name,
            "args": args.join(" "),
            "process": t,
        })).collect::<Vec<_>>(),
    }))
}

/// 100,000 copies of `examples/fleet/edge-a.json`, each with its own hostname,
/// host id and labels (a tenth in `ring = canary`).
fn write_fleet(root: &Path, dir: &Path) -> anyhow::Result<()> {
    if std::fs::read_dir(dir).map(Iterator::count).unwrap_or(0) == HOSTS {
        return Ok(());
    }
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir)?;
    let base: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("examples/fleet/edge-a.json"))
            .context("examples/fleet/edge-a.json")?,
    )?;
    for i in 0..HOSTS {
        let mut host = base.clone();
        let name = format!("edge-{i:06}");
        host["hostname"] = json!(name);
        host["host_id"] = json!(format!(
            "{:032x}",
            (i as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ));
        host["labels"] = json!({
            "ring": if i % 10 == 0 { "canary" } else { "prod" },
            "site": format!("depot-{}", i % 50),
        });
        std::fs::write(dir.join(format!("{name}.json")), serde_json::to_vec(&host)?)?;
    }
    Ok(())
}
