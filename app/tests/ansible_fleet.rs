//! The Ansible collection in `deploy/ansible/` (`muster.fleet`), run by the real
//! `ansible-playbook` against 20 hosts simulated on this machine: local connection,
//! each host its own root directory (`muster_root`), host id and labels. Install
//! (sha256 checked, old binary kept, a running agent exits 75 on the rename), a
//! staged rollout 10 % -> 50 % -> 100 % whose observed shares are the preview's, a
//! local deny making hosts fall back past showcase 0.2.0's hook (seen by `plugins
//! fleet --observed`), a rollout stopped by quarantines with the previous policy
//! restored, a bad policy refused on every host, a binary whose sha256 is not its
//! manifest's refused, and a binary rollback.
//!
//! `ansible-playbook` is found on `PATH` (`cargo xtask test` puts the pinned
//! ansible-core there); a missing one fails the test, it never skips.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{agent, bin, json, run};
use serde_json::Value;

const HOSTS: usize = 20;
/// Hosts whose agent environment denies showcase 0.10.0 locally.
const LOCAL_DENY: [&str; 3] = ["h03", "h07", "h11"];

fn ansible_playbook() -> PathBuf {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("ansible-playbook"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "ansible-playbook (ansible-core) is not on PATH: this test needs it and does \
                 not skip. `cargo xtask test` installs the pinned ansible-core and puts it on \
                 the tests' PATH; for a plain `cargo test`, `cargo xtask doctor --install` \
                 installs it and `cargo xtask doctor` shows the directory to put on PATH"
            )
        })
}

fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    assert!(out.status.success(), "sha256sum {}", path.display());
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// `dist/default/` as `cargo xtask build` writes it: the binary, its SBOM and the
/// manifest naming both hashes.
fn write_dist(dir: &Path, binary: &[u8]) {
    std::fs::create_dir_all(dir).unwrap();
    let exe = dir.join("edge-agent");
    std::fs::write(&exe, binary).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    let sbom = dir.join("edge-agent.cdx.json");
    std::fs::write(
        &sbom,
        "{\"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.5\"}\n",
    )
    .unwrap();
    let manifest = serde_json::json!({
        "set": "default",
        "plan_hash": "test",
        "teams": [],
        "plugins": [],
        "features": [],
        "target": "x86_64-unknown-linux-gnu",
        "profile": "dev",
        "rustc": "test",
        "git_revision": "test",
        "git_dirty": false,
        "auditable": false,
        "packed_relocations": false,
        "sbom": "edge-agent.cdx.json",
        "binary": {
            "path": "dist/default/edge-agent",
            "size": binary.len(),
            "sha256": sha256(&exe),
            "statically_linked": false,
        },
        "sbom_sha256": sha256(&sbom),
    });
    std::fs::write(
        dir.join("edge-agent.manifest.json"),
        serde_json::to_string_pretty(&manifest).unwrap(),
    )
    .unwrap();
}

/// The simulated fleet: a temporary controller with the collection on its
/// collections path, an inventory of `HOSTS` local hosts, each under `hosts/<name>/`.
struct Fleet {
    dir: tempfile::TempDir,
}

impl Fleet {
    fn new() -> Fleet {
        let dir = tempfile::tempdir().unwrap();
        let ns = dir.path().join("collections/ansible_collections/muster");
        std::fs::create_dir_all(&ns).unwrap();
        let collection = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/ansible");
        std::os::unix::fs::symlink(collection.canonicalize().unwrap(), ns.join("fleet")).unwrap();
        write_dist(&dir.path().join("dist"), &std::fs::read(bin()).unwrap());
        let fleet = Fleet { dir };
        fleet.write_inventory(&[]);
        fleet
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn hosts() -> Vec<String> {
        (0..HOSTS).map(|i| format!("h{i:02}")).collect()
    }

    fn root(&self, host: &str) -> PathBuf {
        self.path().join("hosts").join(host)
    }

    fn policy_file(&self, host: &str) -> PathBuf {
        self.root(host).join("etc/edge-agent/policy.toml")
    }

    fn binary(&self, host: &str) -> PathBuf {
        self.root(host).join("usr/local/bin/edge-agent")
    }

    /// The inventory: every host with its id and labels; `local_deny` hosts also get
    /// `MUSTER_DENY=showcase@0.10.0` in their agent environment. The fleet's policy
    /// (group variables): showcase 0.10.0 on 0 % of hosts.
    fn write_inventory(&self, local_deny: &[&str]) {
        let python = ansible_playbook().with_file_name("python3");
        let mut hosts = serde_json::Map::new();
        for (i, host) in Fleet::hosts().iter().enumerate() {
            let ring = if i < 4 { "canary" } else { "main" };
            let mut vars = serde_json::json!({
                "muster_host_id": format!("fleet-host-{i:02}"),
                "muster_labels": {"ring": ring},
            });
            if local_deny.contains(&host.as_str()) {
                vars["muster_environment"] = serde_json::json!({"MUSTER_DENY": "showcase@0.10.0"});
            }
            hosts.insert(host.clone(), vars);
        }
        let inventory = serde_json::json!({
            "all": {
                "vars": {
                    "ansible_connection": "local",
                    "ansible_python_interpreter": if python.is_file() {
                        python.display().to_string()
                    } else {
                        "auto_silent".to_owned()
                    },
                    "muster_binary": "edge-agent",
                    "muster_dist_dir": self.path().join("dist"),
                    "muster_systemd": false,
                    "muster_root": format!("{}/hosts/{{{{ inventory_hostname }}}}", self.path().display()),
                    "muster_policy_rollouts": [{"slot": "showcase", "version": "0.10.0", "share": 0}],
                },
                "hosts": hosts,
            }
        });
        // JSON is YAML.
        std::fs::write(
            self.path().join("inventory.yml"),
            serde_json::to_string_pretty(&inventory).unwrap(),
        )
        .unwrap();
    }

    /// `ansible-playbook -i inventory.yml <playbook> [args]`, confined to the temporary
    /// directory (no writes to ~/.ansible); returns the exit code and the output.
    fn play(&self, playbook: &str, args: &[&str]) -> (i32, String) {
        let home = self.path().join("ansible-home");
        let mut cmd = Command::new(ansible_playbook());
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy().into_owned();
            if key.starts_with("MUSTER_") || key.starts_with("ANSIBLE_") {
                cmd.env_remove(&key);
            }
        }
        cmd.current_dir(self.path())
            .env("ANSIBLE_HOME", &home)
            .env("ANSIBLE_LOCAL_TEMP", home.join("tmp"))
            .env("ANSIBLE_REMOTE_TEMP", home.join("tmp"))
            .env("ANSIBLE_COLLECTIONS_PATH", self.path().join("collections"))
            .env("ANSIBLE_NOCOLOR", "1")
            .env("ANSIBLE_PIPELINING", "1")
            .env("ANSIBLE_FORKS", HOSTS.to_string())
            .env("ANSIBLE_RETRY_FILES_ENABLED", "0")
            .env("ANSIBLE_DEPRECATION_WARNINGS", "0")
            .args(["-i", "inventory.yml", playbook])
            .args(args);
        let Output {
            status,
            stdout,
            stderr,
        } = cmd.output().expect("ansible-playbook runs");
        let out = format!(
            "{}\n{}",
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr)
        );
        (status.code().unwrap_or(-1), out)
    }

    fn play_ok(&self, playbook: &str, args: &[&str]) -> String {
        let (code, out) = self.play(playbook, args);
        assert_eq!(code, 0, "{playbook} {args:?} failed:\n{out}");
        out
    }

    fn reports(&self, name: &str) -> PathBuf {
        self.path().join("reports").join(name)
    }

    /// Every file of every host: path -> bytes.
    fn snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        fn walk(dir: &Path, into: &mut BTreeMap<PathBuf, Vec<u8>>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let entry = entry.unwrap();
                let path = entry.path();
                if entry.file_type().unwrap().is_dir() {
                    walk(&path, into);
                } else {
                    into.insert(path.clone(), std::fs::read(&path).unwrap());
                }
            }
        }
        let mut files = BTreeMap::new();
        walk(&self.path().join("hosts"), &mut files);
        files
    }
}

/// The comparison the rollout playbook kept for one step.
fn step_observed(fleet: &Fleet, run: &str, share: u32) -> Value {
    let file = fleet
        .reports(run)
        .join(format!("step-{share}.observed.json"));
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    json(&text)
}

/// What `plugins explain` decides for showcase on fleet host `i` under a rollout of
/// 0.10.0 on `share` %, run here with that host's id and labels.
fn own_showcase(i: usize, share: u32) -> String {
    let (code, out, err) = run(agent()
        .args([
            "plugins",
            "explain",
            "--json",
            "--slot",
            "showcase",
            "--rollout",
        ])
        .arg(format!("showcase@0.10.0={share}%"))
        .env("MUSTER_HOST_ID", format!("fleet-host-{i:02}"))
        .env("MUSTER_LABEL_ring", if i < 4 { "canary" } else { "main" }));
    assert_eq!(code, 0, "{err}");
    common::selected(&json(&out), "showcase").unwrap()
}

/// The reason code of showcase `version` in a gathered report.
fn code_of(report: &Value, version: &str) -> String {
    report["slots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["slot"] == "showcase")
        .and_then(|s| {
            s["candidates"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["version"] == version)
        })
        .map(|c| c["code"].as_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[test]
fn the_collection_ships_rolls_out_observes_and_rolls_back_on_20_hosts() {
    let fleet = Fleet::new();
    let playbooks = [
        "muster.fleet.install",
        "muster.fleet.policy",
        "muster.fleet.gather",
        "muster.fleet.rollout",
        "muster.fleet.rollback",
    ];
    for playbook in playbooks {
        fleet.play_ok(playbook, &["--syntax-check"]);
    }

    // Install, the fleet's policy, one rollout step with its gather: timed.
    let started = Instant::now();
    fleet.play_ok("muster.fleet.install", &[]);
    let install = started.elapsed();
    for (i, host) in Fleet::hosts().iter().enumerate() {
        assert_eq!(sha256(&fleet.binary(host)), sha256(&bin()), "{host}");
        let share = fleet.root(host).join("usr/local/share/edge-agent");
        assert!(share.join("edge-agent.manifest.json").is_file(), "{host}");
        assert!(share.join("edge-agent.cdx.json").is_file(), "{host}");
        let unit = std::fs::read_to_string(
            fleet
                .root(host)
                .join("etc/systemd/system/edge-agent.service"),
        )
        .unwrap();
        assert!(unit.contains("RestartForceExitStatus=75"), "{unit}");
        assert!(unit.contains(&format!("ExecStart={}", fleet.binary(host).display())));
        let env =
            std::fs::read_to_string(fleet.root(host).join("etc/edge-agent/environment")).unwrap();
        assert!(
            env.contains(&format!("MUSTER_HOST_ID=fleet-host-{i:02}\n")),
            "{env}"
        );
        assert!(
            fleet
                .root(host)
                .join("etc/ansible/facts.d/muster.fact")
                .is_file()
        );
        assert!(
            !fleet
                .root(host)
                .join("usr/local/bin/edge-agent.previous")
                .exists()
        );
    }
    let again = fleet.play_ok("muster.fleet.install", &[]);
    assert!(
        again
            .lines()
            .filter(|l| l.contains("changed="))
            .all(|l| l.contains("changed=0")),
        "a second install changes nothing:\n{again}"
    );
    let started = Instant::now();
    fleet.play_ok("muster.fleet.policy", &[]);
    let policy = started.elapsed();
    let baseline = std::fs::read(fleet.policy_file("h00")).unwrap();
    let started = Instant::now();
    let one_step = fleet.reports("one-step");
    fleet.play_ok(
        "muster.fleet.rollout",
        &[
            "-e",
            "muster_rollout_slot=showcase muster_rollout_version=0.10.0",
            "-e",
            &format!("muster_rollout_report_dir={}", one_step.display()),
            "-e",
            r#"{"muster_rollout_steps": [10]}"#,
        ],
    );
    let step = started.elapsed();
    eprintln!(
        "{HOSTS} hosts: install {install:.1?}, policy {policy:.1?}, one rollout step with gather \
         {step:.1?}; install + one step + gather {:.1?}",
        install + step
    );

    // The staged rollout: each step's observed decisions are the preview's, and each
    // host's is what `plugins explain` decides for it here.
    let staged = fleet.reports("staged");
    let started = Instant::now();
    fleet.play_ok(
        "muster.fleet.rollout",
        &[
            "-e",
            "muster_rollout_slot=showcase muster_rollout_version=0.10.0",
            "-e",
            &format!("muster_rollout_report_dir={}", staged.display()),
        ],
    );
    eprintln!(
        "staged rollout 10 % -> 50 % -> 100 % with gathers: {:.1?}",
        started.elapsed()
    );
    let mut admitted_before: BTreeSet<String> = BTreeSet::new();
    let mut admitted_at: BTreeMap<u32, BTreeSet<String>> = BTreeMap::new();
    for share in [10, 50, 100] {
        let observed = step_observed(&fleet, "staged", share);
        assert_eq!(observed["hosts"], HOSTS, "{observed}");
        assert_eq!(observed["hosts_differing"], 0, "{observed}");
        assert_eq!(observed["unreadable"], serde_json::json!([]));
        let showcase = &observed["slots"]["showcase"];
        assert_eq!(
            showcase["preview"], showcase["observed"],
            "{share} %: {showcase}"
        );
        let on_new = showcase["observed"]["0.10.0"].as_u64().unwrap_or(0);
        assert_eq!(observed["rollouts"][0]["admitted"], on_new, "{observed}");
        let mut admitted = BTreeSet::new();
        for (i, host) in Fleet::hosts().iter().enumerate() {
            let report = json(
                &std::fs::read_to_string(staged.join(format!("step-{share}/{host}.json"))).unwrap(),
            );
            let on_host = common::selected(&report, "showcase").unwrap();
            assert_eq!(on_host, own_showcase(i, share), "{host} at {share} %");
            if on_host == "0.10.0" {
                admitted.insert(host.clone());
            } else {
                // Not admitted: 0.10.0 is out by the rollout, 0.2.0 by its own hook.
                assert_eq!(code_of(&report, "0.10.0"), "rollout", "{host}");
                assert_eq!(code_of(&report, "0.2.0"), "hook_rejected", "{host}");
            }
        }
        assert_eq!(admitted.len() as u64, on_new);
        assert!(
            admitted_before.is_subset(&admitted),
            "widening only adds hosts"
        );
        admitted_before.clone_from(&admitted);
        admitted_at.insert(share, admitted);
    }
    assert_eq!(admitted_at[&100].len(), HOSTS);

    // A local deny on three hosts (their agent environment): they fall back past
    // 0.2.0, which its hook rejects, to 0.1.0; `--observed` names them and why.
    fleet.write_inventory(&LOCAL_DENY);
    fleet.play_ok("muster.fleet.install", &[]);
    let gathered = fleet.reports("local-deny");
    fleet.play_ok(
        "muster.fleet.gather",
        &["-e", &format!("muster_report_dir={}", gathered.display())],
    );
    let step_policy = staged.join("step-100.policy.toml");
    let observe = |dir: &Path| {
        run(agent()
            .args(["plugins", "fleet", "--observed", "--json", "--policy"])
            .arg(&step_policy)
            .arg(dir))
    };
    let (code, out, err) = observe(&gathered);
    assert_eq!(code, 0, "{err}");
    let observed = json(&out);
    assert_eq!(observed["hosts"], HOSTS);
    assert_eq!(observed["hosts_differing"], LOCAL_DENY.len(), "{observed}");
    for d in observed["differences"].as_array().unwrap() {
        assert!(LOCAL_DENY.contains(&d["host"].as_str().unwrap()), "{d}");
        assert_eq!(d["slot"], "showcase");
        assert_eq!(
            (d["preview"].as_str(), d["observed"].as_str()),
            (Some("0.10.0"), Some("0.1.0"))
        );
        assert_eq!(d["code"], "denied", "{d}");
        assert!(d["reason"].as_str().unwrap().contains("MUSTER_DENY"), "{d}");
        let tried: Vec<(&str, &str)> = d["host_tried"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["version"].as_str().unwrap(), t["code"].as_str().unwrap()))
            .collect();
        assert_eq!(
            tried,
            [("0.10.0", "denied"), ("0.2.0", "hook_rejected")],
            "{d}"
        );
    }
    assert_eq!(
        observed["slots"]["showcase"]["codes"]["denied"],
        LOCAL_DENY.len()
    );
    let (code, text, _) = run(agent()
        .args(["plugins", "fleet", "--observed", "--policy"])
        .arg(&step_policy)
        .arg(&gathered));
    assert_eq!(code, 0);
    assert!(
        text.contains("h03 showcase: preview 0.10.0, observed 0.1.0 [denied]"),
        "{text}"
    );
    assert!(text.contains("0.2.0 hook_rejected"), "{text}");

    // A truncated report, and one from another binary: those hosts fail (exit 4,
    // listed), the rest are still compared.
    let bad = fleet.reports("bad-reports");
    std::fs::create_dir_all(&bad).unwrap();
    for host in Fleet::hosts() {
        std::fs::copy(
            gathered.join(format!("{host}.json")),
            bad.join(format!("{host}.json")),
        )
        .unwrap();
    }
    let whole = std::fs::read(bad.join("h01.json")).unwrap();
    std::fs::write(bad.join("h01.json"), &whole[..whole.len() / 2]).unwrap();
    let mut other: Value = json(&String::from_utf8(whole).unwrap());
    for slot in other["slots"].as_array_mut().unwrap() {
        slot["slot"] = format!("ledger_{}", slot["slot"].as_str().unwrap()).into();
    }
    std::fs::write(bad.join("h02.json"), other.to_string()).unwrap();
    let (code, out, err) = observe(&bad);
    assert_eq!(code, 4, "{err}");
    let observed = json(&out);
    assert_eq!(observed["hosts"], HOSTS - 2);
    let unreadable: Vec<&str> = observed["unreadable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["host"].as_str().unwrap())
        .collect();
    assert_eq!(unreadable, ["h01", "h02"]);
    assert!(
        out.contains("truncated") && out.contains("another binary"),
        "{out}"
    );
    assert!(err.contains("h01, h02"), "{err}");

    // A rollout stopped by quarantines: the hosts admitted at 50 % but not at 10 %
    // have quarantined 0.10.0 (as an agent does after it panicked). Step 10 passes,
    // step 50 finds too many hosts off the preview, and the policy from before the
    // rollout (0 %) is restored everywhere.
    fleet.write_inventory(&[]);
    fleet.play_ok("muster.fleet.install", &[]);
    fleet.play_ok("muster.fleet.policy", &[]);
    assert_eq!(std::fs::read(fleet.policy_file("h00")).unwrap(), baseline);
    let quarantined: Vec<String> = admitted_at[&50]
        .difference(&admitted_at[&10])
        .cloned()
        .collect();
    assert!(
        quarantined.len() * 100 > HOSTS * 20,
        "the host ids put too few hosts between 10 % and 50 %: {quarantined:?}"
    );
    for host in &quarantined {
        let state = fleet.root(host).join("var/lib/edge-agent/spool/state");
        std::fs::write(
            state.join("quarantine.json"),
            r#"{"slots": {"showcase": [{"version": "0.10.0", "reason": "panicked: test", "since_unix": 1}]}}"#,
        )
        .unwrap();
    }
    let before = fleet.snapshot();
    let stopped = fleet.reports("stopped");
    let (code, out) = fleet.play(
        "muster.fleet.rollout",
        &[
            "-e",
            "muster_rollout_slot=showcase muster_rollout_version=0.10.0",
            "-e",
            &format!("muster_rollout_report_dir={}", stopped.display()),
            "-e",
            "muster_rollout_max_failed_percent=20",
        ],
    );
    assert_ne!(code, 0, "the rollout must stop:\n{out}");
    // A host that quarantined the version counts at once, admitted or not: with
    // this many, the first step stops.
    assert!(out.contains("rollout stopped at 10 %"), "{out}");
    assert!(out.contains("stopping and restoring the policy"), "{out}");
    let at_10 = step_observed(&fleet, "stopped", 10);
    let mut on_hosts: Vec<String> = at_10["quarantined"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["host"].as_str().unwrap().to_owned())
        .collect();
    on_hosts.sort();
    assert_eq!(on_hosts, quarantined);
    assert!(!stopped.join("step-50.observed.json").exists());
    let after = fleet.snapshot();
    for host in Fleet::hosts() {
        let file = fleet.policy_file(&host);
        assert_eq!(
            after[&file], baseline,
            "{host}: the previous policy is restored"
        );
        assert_eq!(after[&file], before[&file]);
    }

    // A bad policy (a version not compiled in; a share outside 0–100) is refused by
    // every host and changes no file anywhere; check mode shows a good change and
    // makes none.
    let before = fleet.snapshot();
    for bad in [
        r#"{"muster_policy_rollouts": [{"slot": "showcase", "version": "9.9.9", "share": 50}]}"#,
        r#"{"muster_policy_rollouts": [{"slot": "showcase", "version": "0.10.0", "share": 150}]}"#,
    ] {
        let (code, out) = fleet.play("muster.fleet.policy", &["-e", bad]);
        assert_ne!(code, 0, "{bad}:\n{out}");
        for host in Fleet::hosts() {
            assert!(out.contains(&format!("fatal: [{host}]")), "{host}: {out}");
        }
        assert!(out.contains("no host's policy file was changed"), "{out}");
        assert_eq!(fleet.snapshot(), before, "{bad}: a file changed");
    }
    let out = fleet.play_ok(
        "muster.fleet.policy",
        &[
            "--check",
            "--diff",
            "-e",
            r#"{"muster_policy_rollouts": [{"slot": "showcase", "version": "0.10.0", "share": 25}]}"#,
        ],
    );
    assert!(
        out.contains("-share = 0") && out.contains("+share = 25"),
        "{out}"
    );
    assert_eq!(fleet.snapshot(), before, "check mode changed a file");

    // A binary whose sha256 is not its manifest's is refused before any host is
    // touched.
    let tampered = fleet.path().join("dist-tampered");
    write_dist(&tampered, &std::fs::read(bin()).unwrap());
    let mut exe = std::fs::read(tampered.join("edge-agent")).unwrap();
    exe.extend_from_slice(b"tampered");
    std::fs::write(tampered.join("edge-agent"), exe).unwrap();
    let (code, out) = fleet.play(
        "muster.fleet.install",
        &["-e", &format!("muster_dist_dir={}", tampered.display())],
    );
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("refused"), "{out}");
    assert_eq!(fleet.snapshot(), before, "a refused binary changed a file");

    // A new build: the old binary is kept, a running agent exits 75 on the rename
    // (its own upgrade path; nothing restarts it by hand), and the rollback puts the
    // old binary back.
    let h00 = fleet.root("h00");
    let old = sha256(&bin());
    let next = fleet.path().join("dist-next");
    let mut exe = std::fs::read(bin()).unwrap();
    exe.extend_from_slice(b"\0next build");
    write_dist(&next, &exe);
    let new = sha256(&next.join("edge-agent"));
    // The running agent watches its own executable: h00's.
    let mut running = Command::new(fleet.binary("h00"));
    common::clean_env(&mut running);
    let mut running = running
        .args(["run", "--interval", "100ms", "--spool"])
        .arg(h00.join("var/lib/edge-agent/spool"))
        .arg("--policy")
        .arg(fleet.policy_file("h00"))
        .env("MUSTER_HOST_ID", "fleet-host-00")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(running.try_wait().unwrap().is_none(), "the agent runs");
    fleet.play_ok(
        "muster.fleet.install",
        &["-e", &format!("muster_dist_dir={}", next.display())],
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = running.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the agent did not exit on the upgrade"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(status.code(), Some(75), "exit-on-upgrade");
    for host in Fleet::hosts() {
        assert_eq!(sha256(&fleet.binary(&host)), new, "{host}");
        let previous = fleet.root(&host).join("usr/local/bin/edge-agent.previous");
        assert_eq!(sha256(&previous), old, "{host}");
    }
    fleet.play_ok("muster.fleet.rollback", &[]);
    for host in Fleet::hosts() {
        assert_eq!(sha256(&fleet.binary(&host)), old, "{host}");
        assert!(
            !fleet
                .root(&host)
                .join("usr/local/bin/.edge-agent.new")
                .exists()
        );
    }
}
