//! The Ansible fact cache, written by the real `ansible-core`: gather facts of
//! localhost with a local fact `muster.fact` that runs this `edge-agent facts
//! --json`, then preview the fleet from the cache. The fleet decision must be the
//! decision the host makes itself.
//!
//! `ansible` is found on `PATH`: `cargo xtask test` installs the pinned ansible-core
//! (the workspace's `test-tools`) into the tools cache and puts it there. A missing
//! `ansible` fails this test: it never skips.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{agent, bin, json, run, selected};

/// The `ansible` executable; panics (loudly) when there is none.
fn ansible() -> PathBuf {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("ansible"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "ansible (ansible-core) is not on PATH: this test needs it and does not skip. \
                 `cargo xtask test` installs the pinned ansible-core and puts it on the tests' \
                 PATH; for a plain `cargo test`, `cargo xtask doctor --install` installs it and \
                 `cargo xtask doctor` shows the directory to put on PATH"
            )
        })
}

/// An `ansible` command confined to `home` (no writes to the user's ~/.ansible),
/// with the agent's environment for the local fact.
fn ansible_cmd(home: &Path) -> Command {
    let mut cmd = Command::new(ansible());
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("MUSTER_") || key.starts_with("ANSIBLE_") {
            cmd.env_remove(&key);
        }
    }
    cmd.env("ANSIBLE_HOME", home)
        .env("ANSIBLE_LOCAL_TEMP", home.join("tmp"))
        .env("ANSIBLE_REMOTE_TEMP", home.join("tmp"))
        .env("ANSIBLE_LOCALHOST_WARNING", "false")
        .env("ANSIBLE_NOCOLOR", "1")
        .env("MUSTER_HOST_ID", "ansible-host-7")
        .env("MUSTER_LABEL_ring", "canary");
    cmd
}

/// A fact path holding an executable `muster.fact` that runs this binary.
fn fact_path(dir: &Path) -> PathBuf {
    let facts_d = dir.join("facts.d");
    std::fs::create_dir_all(&facts_d).unwrap();
    let script = facts_d.join("muster.fact");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nexec '{}' facts --json\n", bin().display()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    facts_d
}

fn check(status: std::process::Output, what: &str) {
    assert!(
        status.status.success(),
        "{what} failed ({}):\n{}\n{}",
        status.status,
        String::from_utf8_lossy(&status.stdout),
        String::from_utf8_lossy(&status.stderr)
    );
}

/// The decision `edge-agent plugins explain` makes on "the host" (this process's
/// environment set as the local fact saw it), under `rollout`.
fn host_decision(rollout: &str) -> serde_json::Value {
    let (code, out, err) = run(agent()
        .args(["plugins", "explain", "--json", "--rollout", rollout])
        .env("MUSTER_HOST_ID", "ansible-host-7")
        .env("MUSTER_LABEL_ring", "canary"));
    assert_eq!(code, 0, "{err}");
    json(&out)
}

#[test]
fn fleet_reads_the_fact_cache_ansible_writes() {
    let dir = tempfile::tempdir().unwrap();
    let facts_d = fact_path(dir.path());
    let home = dir.path().join("ansible-home");

    // `setup --tree OUT`: OUT/localhost = {"ansible_facts": {..., "ansible_local": {"muster": ...}}}.
    let tree = dir.path().join("tree");
    let out = ansible_cmd(&home)
        .args(["localhost", "-c", "local", "-m", "setup", "-a"])
        .arg(format!("fact_path={}", facts_d.display()))
        .arg("--tree")
        .arg(&tree)
        .output()
        .unwrap();
    check(out, "ansible -m setup --tree");
    assert!(tree.join("localhost").is_file());

    // The jsonfile fact cache, whichever shape this ansible-core writes.
    let cache = dir.path().join("cache");
    let out = ansible_cmd(&home)
        .env("ANSIBLE_CACHE_PLUGIN", "jsonfile")
        .env("ANSIBLE_CACHE_PLUGIN_CONNECTION", &cache)
        .args(["localhost", "-c", "local", "-m", "setup", "-a"])
        .arg(format!("fact_path={}", facts_d.display()))
        .output()
        .unwrap();
    check(out, "ansible -m setup with the jsonfile cache");

    for rollout in [
        "showcase@0.10.0=0%",
        "showcase@0.10.0=100%",
        "showcase@0.10.0=50%",
    ] {
        let own = host_decision(rollout);
        for source in [&tree, &cache] {
            let (code, out, err) = run(agent()
                .args([
                    "plugins",
                    "fleet",
                    "--ansible",
                    "--json",
                    "--rollout",
                    rollout,
                ])
                .arg(source));
            assert_eq!(code, 0, "{}: {err}", source.display());
            let v = json(&out);
            let hosts = v["hosts"].as_array().unwrap();
            assert_eq!(hosts.len(), 1, "{v}");
            let h = &hosts[0];
            assert_eq!(h["host_id"], "ansible-host-7");
            for slot in ["checksum", "showcase", "uplink"] {
                assert_eq!(
                    h["slots"][slot].as_str(),
                    selected(&own, slot).as_deref(),
                    "{slot} under {rollout} from {}",
                    source.display()
                );
            }
            assert_eq!(v["rollouts"][0]["eligible"], 1);
        }
    }
    // 0 % and 100 % really differ, so the comparison above means something.
    assert_ne!(
        selected(&host_decision("showcase@0.10.0=0%"), "showcase"),
        selected(&host_decision("showcase@0.10.0=100%"), "showcase")
    );
}
