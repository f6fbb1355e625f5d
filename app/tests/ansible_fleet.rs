//! The Ansible collection in `deploy/ansible/` (`muster.fleet`), run by the real
//! `ansible-playbook` against hosts simulated on this machine: local connection,
//! each host its own root directory (`muster_root`), host id and labels.
//!
//! What the issue measures at scale runs on 20 hosts: install (sha256 checked, the
//! files in place) and a staged rollout 10 % -> 50 % -> 100 % whose observed shares
//! are the preview's; their gathered reports, truncated or from another binary, are
//! listed by `plugins fleet --observed`. Everything else runs on 3 hosts, one
//! playbook run showing as much as it can: a rollout stopped at 100 % by a local deny
//! and a quarantine on hosts it admitted (the same quarantine did not count at 10 %,
//! where the rollout did not admit that host) with the previous policy restored, a
//! bad policy refused on every host with every old file intact, a binary whose
//! sha256 is not its manifest's refused, an upgrade a running agent exits 75 on, and
//! the rollback.
//!
//! Each playbook run costs a process per host per task (a few seconds a run on 2
//! cores), so both tests are `#[ignore]`d: the full `cargo xtask test` runs them,
//! `--quick` does not. `ansible-playbook` is found on `PATH` (`cargo xtask test` puts
//! the pinned ansible-core there); a missing one fails the test, it never skips.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant, SystemTime};

use common::{agent, bin, json, run};
use serde_json::Value;

/// The large fleet: what the issue measures at scale.
const LARGE: usize = 20;

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

/// The binary the fleet gets: this build's, without debug info (`strip --strip-debug`,
/// as a release ships it; the test binary as it is where `strip` is missing), so each
/// host's copy and checksums cost a fifth of the debug build's.
fn shipped_binary(dir: &Path) -> Vec<u8> {
    let stripped = dir.join("edge-agent.stripped");
    let ok = Command::new("strip")
        .args(["--strip-debug", "-o"])
        .arg(&stripped)
        .arg(bin())
        .status()
        .is_ok_and(|s| s.success());
    let bytes = std::fs::read(if ok { stripped.clone() } else { bin() }).unwrap();
    let _ = std::fs::remove_file(&stripped);
    bytes
}

/// The host id of fleet host number `i`, and its ring label.
fn host_id(i: usize) -> String {
    format!("fleet-host-{i:02}")
}

fn ring(i: usize) -> &'static str {
    if i < 4 { "canary" } else { "main" }
}

/// One simulated host: its inventory name and the number its id and labels come from.
#[derive(Debug, Clone)]
struct SimHost {
    name: String,
    number: usize,
}

/// A file as the snapshot keeps it: small files whole, binaries by size, inode and
/// modification time (every change the roles make renames or rewrites them).
#[derive(Debug, PartialEq, Eq)]
enum Kept {
    Bytes(Vec<u8>),
    Stamp(u64, u64, SystemTime),
}

/// The simulated fleet: a temporary controller with the collection on its
/// collections path, an inventory of local hosts, each under `hosts/<name>/`.
struct Fleet {
    dir: tempfile::TempDir,
    hosts: Vec<SimHost>,
}

impl Fleet {
    fn new(hosts: Vec<SimHost>) -> Fleet {
        let dir = tempfile::tempdir().unwrap();
        let ns = dir.path().join("collections/ansible_collections/muster");
        std::fs::create_dir_all(&ns).unwrap();
        let collection = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/ansible");
        std::os::unix::fs::symlink(collection.canonicalize().unwrap(), ns.join("fleet")).unwrap();
        write_dist(&dir.path().join("dist"), &shipped_binary(dir.path()));
        let fleet = Fleet { dir, hosts };
        fleet.write_inventory(&BTreeMap::new());
        fleet
    }

    /// Hosts `h00`, `h01`, ... with ids `fleet-host-00`, ...
    fn numbered(count: usize) -> Vec<SimHost> {
        (0..count)
            .map(|number| SimHost {
                name: format!("h{number:02}"),
                number,
            })
            .collect()
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn names(&self) -> Vec<String> {
        self.hosts.iter().map(|h| h.name.clone()).collect()
    }

    fn root(&self, host: &str) -> PathBuf {
        self.path().join("hosts").join(host)
    }

    /// The binary `write_dist` put in `dist/`: what the fleet installs first.
    fn dist_binary(&self) -> PathBuf {
        self.path().join("dist/edge-agent")
    }

    fn policy_file(&self, host: &str) -> PathBuf {
        self.root(host).join("etc/edge-agent/policy.toml")
    }

    fn binary(&self, host: &str) -> PathBuf {
        self.root(host).join("usr/local/bin/edge-agent")
    }

    /// The inventory: every host with its id and labels, plus `vars[host]`. The
    /// fleet's policy (group variables): showcase 0.10.0 on 0 % of hosts.
    fn write_inventory(&self, vars: &BTreeMap<&str, Value>) {
        let python = ansible_playbook().with_file_name("python3");
        let mut hosts = serde_json::Map::new();
        for host in &self.hosts {
            let mut entry = serde_json::json!({
                "muster_host_id": host_id(host.number),
                "muster_labels": {"ring": ring(host.number)},
            });
            if let Some(Value::Object(more)) = vars.get(host.name.as_str()) {
                entry.as_object_mut().unwrap().extend(more.clone());
            }
            hosts.insert(host.name.clone(), entry);
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

    /// `ansible-playbook -i inventory.yml [args]` (args name the playbooks), confined
    /// to the temporary directory (no writes to ~/.ansible), one fork per host;
    /// returns the exit code and the output.
    fn play(&self, args: &[&str]) -> (i32, String) {
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
            .env("ANSIBLE_FORKS", self.hosts.len().to_string())
            .env("ANSIBLE_RETRY_FILES_ENABLED", "0")
            .env("ANSIBLE_DEPRECATION_WARNINGS", "0")
            .args(["-i", "inventory.yml"])
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

    fn play_ok(&self, args: &[&str]) -> String {
        let (code, out) = self.play(args);
        assert_eq!(code, 0, "{args:?} failed:\n{out}");
        out
    }

    fn reports(&self, name: &str) -> PathBuf {
        self.path().join("reports").join(name)
    }

    /// Every file of every host.
    fn snapshot(&self) -> BTreeMap<PathBuf, Kept> {
        fn walk(dir: &Path, into: &mut BTreeMap<PathBuf, Kept>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let entry = entry.unwrap();
                let path = entry.path();
                let meta = entry.metadata().unwrap();
                if meta.is_dir() {
                    walk(&path, into);
                } else if meta.len() > 1 << 20 {
                    use std::os::unix::fs::MetadataExt;
                    let kept = Kept::Stamp(meta.len(), meta.ino(), meta.modified().unwrap());
                    into.insert(path, kept);
                } else {
                    into.insert(path.clone(), Kept::Bytes(std::fs::read(&path).unwrap()));
                }
            }
        }
        let mut files = BTreeMap::new();
        walk(&self.path().join("hosts"), &mut files);
        files
    }

    /// The files `install` puts on every host are there, the binary is `sha`.
    fn assert_installed(&self, sha: &str) {
        for host in &self.hosts {
            let root = self.root(&host.name);
            assert_eq!(sha256(&self.binary(&host.name)), sha, "{}", host.name);
            let share = root.join("usr/local/share/edge-agent");
            assert!(share.join("edge-agent.manifest.json").is_file());
            assert!(share.join("edge-agent.cdx.json").is_file());
            let unit = std::fs::read_to_string(root.join("etc/systemd/system/edge-agent.service"))
                .unwrap();
            assert!(unit.contains("RestartForceExitStatus=75"), "{unit}");
            let exec = format!("ExecStart={}", self.binary(&host.name).display());
            assert!(unit.contains(&exec), "{unit}");
            let env = std::fs::read_to_string(root.join("etc/edge-agent/environment")).unwrap();
            let id = format!("MUSTER_HOST_ID={}\n", host_id(host.number));
            assert!(env.contains(&id), "{env}");
            assert!(root.join("etc/ansible/facts.d/muster.fact").is_file());
        }
    }
}

/// The comparison the rollout playbook kept for one step.
fn step_observed(reports: &Path, share: u32) -> Value {
    let file = reports.join(format!("step-{share}.observed.json"));
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    json(&text)
}

/// What `plugins explain` decides for showcase on fleet host number `i` under a
/// rollout of 0.10.0 on `share` %, run here with that host's id and labels.
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
        .env("MUSTER_HOST_ID", host_id(i))
        .env("MUSTER_LABEL_ring", ring(i)));
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

/// `plugins fleet --observed DIR --policy POLICY [--json]`.
fn observe(dir: &Path, policy: &Path, json: bool) -> (i32, String, String) {
    let mut cmd = agent();
    cmd.args(["plugins", "fleet", "--observed", "--policy"])
        .arg(policy)
        .arg(dir);
    if json {
        cmd.arg("--json");
    }
    run(&mut cmd)
}

#[test]
#[ignore = "the real ansible-core on 20 simulated hosts (about a minute): the full `cargo xtask test` runs it (`--include-ignored`)"]
fn twenty_hosts_install_and_a_staged_rollout_lands_as_previewed() {
    let fleet = Fleet::new(Fleet::numbered(LARGE));
    let hosts = fleet.names();

    let started = Instant::now();
    fleet.play_ok(&["muster.fleet.install"]);
    let install = started.elapsed();
    fleet.assert_installed(&sha256(&fleet.dist_binary()));

    // The staged rollout: each step's observed decisions are the preview's, and each
    // host's is what `plugins explain` decides for it here. The first step (policy,
    // gather, comparison) ends when its comparison is written.
    let staged = fleet.reports("staged");
    let started = Instant::now();
    let began = SystemTime::now();
    fleet.play_ok(&[
        "muster.fleet.rollout",
        "-e",
        "muster_rollout_slot=showcase muster_rollout_version=0.10.0",
        "-e",
        &format!("muster_rollout_report_dir={}", staged.display()),
    ]);
    let rollout = started.elapsed();
    let first_step = std::fs::metadata(staged.join("step-10.observed.json"))
        .unwrap()
        .modified()
        .unwrap()
        .duration_since(began)
        .unwrap();
    eprintln!(
        "{LARGE} hosts: install {install:.1?}; staged rollout 10 -> 50 -> 100 % with gathers \
         {rollout:.1?}, its first step with gather {first_step:.1?}; install + one step + \
         gather {:.1?}",
        install + first_step
    );
    let mut admitted_before: BTreeSet<String> = BTreeSet::new();
    for share in [10, 50, 100] {
        let observed = step_observed(&staged, share);
        assert_eq!(observed["hosts"], LARGE, "{observed}");
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
        for (i, host) in hosts.iter().enumerate() {
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
        admitted_before = admitted;
    }
    assert_eq!(admitted_before.len(), LARGE);

    // A truncated report, and one from another binary: those hosts fail (exit 4,
    // listed), the rest are still compared.
    let gathered = staged.join("step-100");
    let bad = fleet.reports("bad-reports");
    std::fs::create_dir_all(&bad).unwrap();
    for host in &hosts {
        let file = format!("{host}.json");
        std::fs::copy(gathered.join(&file), bad.join(&file)).unwrap();
    }
    let whole = std::fs::read(bad.join("h01.json")).unwrap();
    std::fs::write(bad.join("h01.json"), &whole[..whole.len() / 2]).unwrap();
    let mut other: Value = json(&String::from_utf8(whole).unwrap());
    for slot in other["slots"].as_array_mut().unwrap() {
        slot["slot"] = format!("ledger_{}", slot["slot"].as_str().unwrap()).into();
    }
    std::fs::write(bad.join("h02.json"), other.to_string()).unwrap();
    let (code, out, err) = observe(&bad, &staged.join("step-100.policy.toml"), true);
    assert_eq!(code, 4, "{err}");
    let observed = json(&out);
    assert_eq!(observed["hosts"], LARGE - 2);
    assert_eq!(observed["hosts_differing"], 0, "{observed}");
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
}

#[test]
#[ignore = "the real ansible-core, ten playbook runs on 3 simulated hosts: the full `cargo xtask test` runs it (`--include-ignored`)"]
fn three_hosts_bad_inputs_a_stopped_rollout_an_upgrade_and_a_rollback() {
    // Three hosts: `ok` admitted at 10 %, `deny` (MUSTER_DENY=showcase@0.10.0 in its
    // agent environment) and `quar` (its agent has quarantined 0.10.0) not.
    let mut admitted = Vec::new();
    let mut not_admitted = Vec::new();
    for i in 0..100 {
        if own_showcase(i, 10) == "0.10.0" {
            admitted.push(i);
        } else {
            not_admitted.push(i);
        }
    }
    let hosts = vec![
        SimHost {
            name: "ok".to_owned(),
            number: admitted[0],
        },
        SimHost {
            name: "deny".to_owned(),
            number: not_admitted[0],
        },
        SimHost {
            name: "quar".to_owned(),
            number: not_admitted[1],
        },
    ];
    let fleet = Fleet::new(hosts);
    let local_deny = BTreeMap::from([(
        "deny",
        serde_json::json!({"muster_environment": {"MUSTER_DENY": "showcase@0.10.0"}}),
    )]);
    fleet.write_inventory(&local_deny);
    fleet.play_ok(&[
        "--syntax-check",
        "muster.fleet.install",
        "muster.fleet.policy",
        "muster.fleet.gather",
        "muster.fleet.rollout",
        "muster.fleet.rollback",
    ]);

    // Install; a second install changes nothing; the fleet's policy (0 %).
    fleet.play_ok(&["muster.fleet.install"]);
    let old = sha256(&fleet.dist_binary());
    fleet.assert_installed(&old);
    for host in fleet.names() {
        let previous = fleet.root(&host).join("usr/local/bin/edge-agent.previous");
        assert!(!previous.exists(), "{host}");
    }
    let env = fleet.root("deny").join("etc/edge-agent/environment");
    let env = std::fs::read_to_string(env).unwrap();
    assert!(env.contains("MUSTER_DENY=showcase@0.10.0\n"), "{env}");
    let again = fleet.play_ok(&["muster.fleet.install"]);
    assert!(
        again
            .lines()
            .filter(|l| l.contains("changed="))
            .all(|l| l.contains("changed=0")),
        "a second install changes nothing:\n{again}"
    );
    fleet.play_ok(&["muster.fleet.policy"]);
    let baseline = std::fs::read(fleet.policy_file("ok")).unwrap();

    // A rollout through 10 % and 100 %, stopped at 100 %. At 10 % only `ok` is
    // admitted: `quar`'s quarantine of 0.10.0 is listed but does not count (the
    // rollout did not admit it there), `deny` decides as the preview does. At 100 %
    // both decide otherwise than the preview (2 of 3 hosts, more than 20 %): the
    // policy from before the rollout is restored everywhere.
    let state = fleet.root("quar").join("var/lib/edge-agent/spool/state");
    std::fs::write(
        state.join("quarantine.json"),
        r#"{"slots": {"showcase": [{"version": "0.10.0", "reason": "panicked: test", "since_unix": 1}]}}"#,
    )
    .unwrap();
    let before = fleet.snapshot();
    let stopped = fleet.reports("stopped");
    let (code, out) = fleet.play(&[
        "muster.fleet.rollout",
        "-e",
        "muster_rollout_slot=showcase muster_rollout_version=0.10.0",
        "-e",
        &format!("muster_rollout_report_dir={}", stopped.display()),
        "-e",
        r#"{"muster_rollout_steps": [10, 100], "muster_rollout_max_failed_percent": 20}"#,
    ]);
    assert_ne!(code, 0, "the rollout must stop:\n{out}");
    assert!(out.contains("10 %: 0 of 3 hosts did not converge"), "{out}");
    assert!(out.contains("rollout stopped at 100 %"), "{out}");
    assert!(out.contains("2 of 3 hosts (66.7 %)"), "{out}");
    assert!(out.contains("stopping and restoring the policy"), "{out}");
    let at_10 = step_observed(&stopped, 10);
    assert_eq!(at_10["hosts_differing"], 0, "{at_10}");
    assert_eq!(at_10["slots"]["showcase"]["observed"]["0.10.0"], 1);
    let quarantined = &at_10["quarantined"];
    assert_eq!(quarantined.as_array().unwrap().len(), 1, "{quarantined}");
    assert_eq!(quarantined[0]["host"], "quar");
    assert_eq!(quarantined[0]["admitted"], false);
    let at_100 = step_observed(&stopped, 100);
    assert_eq!(at_100["hosts_differing"], 2, "{at_100}");
    assert_eq!(at_100["quarantined"][0]["admitted"], true, "{at_100}");
    let codes: BTreeMap<&str, &str> = at_100["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["host"].as_str().unwrap(), d["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        codes,
        BTreeMap::from([("deny", "denied"), ("quar", "quarantined")])
    );
    for d in at_100["differences"].as_array().unwrap() {
        assert_eq!(
            (d["preview"].as_str(), d["observed"].as_str()),
            (Some("0.10.0"), Some("0.1.0")),
            "{d}"
        );
        let tried: Vec<(&str, &str)> = d["host_tried"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["version"].as_str().unwrap(), t["code"].as_str().unwrap()))
            .collect();
        let first = d["code"].as_str().unwrap();
        assert_eq!(
            tried,
            [("0.10.0", first), ("0.2.0", "hook_rejected")],
            "{d}"
        );
    }
    let deny = at_100["differences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["host"] == "deny")
        .unwrap();
    assert!(deny["reason"].as_str().unwrap().contains("MUSTER_DENY"));
    let (code, text, err) = observe(
        &stopped.join("step-100"),
        &stopped.join("step-100.policy.toml"),
        false,
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        text.contains("deny showcase: preview 0.10.0, observed 0.1.0 [denied]"),
        "{text}"
    );
    assert!(text.contains("0.2.0 hook_rejected"), "{text}");
    assert!(
        text.contains("quar showcase@0.10.0: panicked: test"),
        "{text}"
    );
    let (_, text, _) = observe(
        &stopped.join("step-10"),
        &stopped.join("step-10.policy.toml"),
        false,
    );
    assert!(
        text.contains("quar showcase@0.10.0 (not admitted here)"),
        "{text}"
    );
    let after = fleet.snapshot();
    for host in fleet.names() {
        let file = fleet.policy_file(&host);
        assert_eq!(
            after[&file],
            Kept::Bytes(baseline.clone()),
            "{host}: the previous policy is restored"
        );
        assert_eq!(after[&file], before[&file]);
    }

    // A bad policy, one run: `ok` is given a version not compiled in, `deny` a share
    // outside 0–100, `quar` a good one. Each bad host says why, every host refuses
    // (the policy lands everywhere or nowhere; hosts in inventory order: deny, ok, quar), and no file changes anywhere.
    let before = fleet.snapshot();
    let rollouts = |version: &str, share: u32| {
        serde_json::json!({
            "muster_policy_rollouts": [{"slot": "showcase", "version": version, "share": share}],
        })
    };
    fleet.write_inventory(&BTreeMap::from([
        ("ok", rollouts("9.9.9", 50)),
        ("deny", rollouts("0.10.0", 150)),
        ("quar", rollouts("0.10.0", 25)),
    ]));
    let (code, out) = fleet.play(&["muster.fleet.policy"]);
    assert_ne!(code, 0, "{out}");
    for host in fleet.names() {
        assert!(out.contains(&format!("fatal: [{host}]")), "{host}: {out}");
    }
    assert!(out.contains("the policy is refused by deny, ok"), "{out}");
    assert!(out.contains("9.9.9") && out.contains("150"), "{out}");
    assert!(out.contains("no host's policy file was changed"), "{out}");
    assert_eq!(fleet.snapshot(), before, "a refused policy changed a file");
    fleet.write_inventory(&local_deny);
    // Check mode shows a good change and makes none.
    let out = fleet.play_ok(&[
        "muster.fleet.policy",
        "--check",
        "--diff",
        "-e",
        r#"{"muster_policy_rollouts": [{"slot": "showcase", "version": "0.10.0", "share": 25}]}"#,
    ]);
    assert!(
        out.contains("-share = 0") && out.contains("+share = 25"),
        "{out}"
    );
    assert_eq!(fleet.snapshot(), before, "check mode changed a file");

    // A binary whose sha256 is not its manifest's is refused before any host is
    // touched.
    let tampered = fleet.path().join("dist-tampered");
    let mut exe = std::fs::read(fleet.dist_binary()).unwrap();
    write_dist(&tampered, &exe);
    exe.extend_from_slice(b"tampered");
    std::fs::write(tampered.join("edge-agent"), exe).unwrap();
    let (code, out) = fleet.play(&[
        "muster.fleet.install",
        "-e",
        &format!("muster_dist_dir={}", tampered.display()),
    ]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("refused"), "{out}");
    assert_eq!(fleet.snapshot(), before, "a refused binary changed a file");

    // A new build: the old binary is kept, a running agent exits 75 on the rename
    // (its own upgrade path; nothing restarts it by hand), and the rollback puts the
    // old binary back.
    let next = fleet.path().join("dist-next");
    let mut exe = std::fs::read(fleet.dist_binary()).unwrap();
    exe.extend_from_slice(b"\0next build");
    write_dist(&next, &exe);
    let new = sha256(&next.join("edge-agent"));
    // The running agent watches its own executable: `ok`'s.
    let root = fleet.root("ok");
    let mut running = Command::new(fleet.binary("ok"));
    common::clean_env(&mut running);
    let mut running = running
        .args(["run", "--interval", "100ms", "--spool"])
        .arg(root.join("var/lib/edge-agent/spool"))
        .arg("--policy")
        .arg(fleet.policy_file("ok"))
        .env("MUSTER_HOST_ID", host_id(admitted[0]))
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(running.try_wait().unwrap().is_none(), "the agent runs");
    fleet.play_ok(&[
        "muster.fleet.install",
        "-e",
        &format!("muster_dist_dir={}", next.display()),
    ]);
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
    fleet.assert_installed(&new);
    for host in fleet.names() {
        let previous = fleet.root(&host).join("usr/local/bin/edge-agent.previous");
        assert_eq!(sha256(&previous), old, "{host}");
    }
    fleet.play_ok(&["muster.fleet.rollback"]);
    for host in fleet.names() {
        assert_eq!(sha256(&fleet.binary(&host)), old, "{host}");
        let staged = fleet.root(&host).join("usr/local/bin/.edge-agent.new");
        assert!(!staged.exists(), "{host}");
    }
}
