//! The `edge-agent` commands, run as a real binary: listing, explain, policy,
//! facts replay, fleet, build-info and exit codes.

mod common;

use common::{agent, candidate, fleet_dir, host, json, run, selected};
use edge_agent::exit_status::ExitStatus;

#[test]
fn list_json_shows_every_compiled_in_plugin() {
    let (code, out, err) = run(agent().args(["plugins", "list", "--json"]));
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    let mut rows: Vec<String> = v["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} {} {} {} {}",
                p["slot"].as_str().unwrap(),
                p["name"].as_str().unwrap(),
                p["version"].as_str().unwrap(),
                p["team"].as_str().unwrap(),
                p["crate"].as_str().unwrap()
            )
        })
        .collect();
    rows.sort();
    let mut expected = vec![
        "checksum crc32c 1.0.0 storage checksum_table",
        "checksum crc32c 1.1.0 storage checksum_sse42",
        "checksum crc32c 1.2.0-beta.1 storage checksum_beta",
        "showcase banner 0.1.0 storefront showcase_v0_1",
        "showcase banner 0.10.0 storefront showcase_v0_10",
        "showcase banner 0.2.0 storefront showcase_v0_2",
        "uplink relay 1.0.0 network uplink_spool",
        "uplink relay 1.1.0 network uplink_deliver",
    ];
    if cfg!(feature = "plugin-checksum-chaos") {
        expected.push("checksum crc32c 1.9.0 qa checksum_chaos");
        expected.sort();
    }
    assert_eq!(rows, expected);
    let (code, out, _) = run(agent().args(["plugins", "list"]));
    assert_eq!(code, 0);
    assert!(
        out.contains("cpu=sse4.2") && out.contains("label:network=online"),
        "{out}"
    );
}

#[test]
fn explain_json_has_the_documented_shape() {
    let facts = host("edge-a");
    let (code, out, err) = run(agent()
        .args(["plugins", "explain", "--json", "--facts"])
        .arg(&facts));
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    let slots = v["slots"].as_array().unwrap();
    assert_eq!(
        slots
            .iter()
            .map(|s| s["slot"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["checksum", "showcase", "uplink"]
    );
    for slot in slots {
        let sel = &slot["selected"];
        assert!(
            sel["name"].is_string() && sel["version"].is_string(),
            "{slot}"
        );
        for c in slot["candidates"].as_array().unwrap() {
            assert!(c["name"].is_string() && c["version"].is_string());
            let outcome = c["outcome"].as_str().unwrap();
            assert!(
                ["selected", "rejected", "excluded", "not_tried"].contains(&outcome),
                "{outcome}"
            );
            assert_eq!(c["reason"].is_null(), outcome == "selected", "{c}");
            let code = c["code"].as_str().unwrap();
            assert_eq!(code == "selected", outcome == "selected", "{c}");
        }
    }
    // Semver, not string order: 0.10.0 is the newest showcase.
    assert_eq!(selected(&v, "showcase").as_deref(), Some("0.10.0"));
}

#[test]
fn denying_the_newest_showcase_falls_back_past_the_rejected_one() {
    let (code, out, err) = run(agent()
        .args([
            "plugins",
            "explain",
            "--json",
            "--slot",
            "showcase",
            "--deny",
            "showcase@0.10.0",
            "--facts",
        ])
        .arg(host("edge-a")));
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    assert_eq!(selected(&v, "showcase").as_deref(), Some("0.1.0"));
    let (outcome, reason) = candidate(&v, "showcase", "0.10.0");
    assert_eq!(outcome, "excluded");
    assert!(
        reason.contains("showcase@0.10.0") && reason.contains("flag"),
        "{reason}"
    );
    let (outcome, reason) = candidate(&v, "showcase", "0.2.0");
    assert_eq!(outcome, "rejected");
    assert!(
        reason.contains("withdrawn"),
        "the hook's own reason: {reason}"
    );
    assert_eq!(v["slots"].as_array().unwrap().len(), 1);
}

#[test]
fn checksum_follows_the_cpu() {
    let (_, out, _) = run(agent()
        .args(["plugins", "explain", "--json", "--facts"])
        .arg(host("edge-a")));
    assert_eq!(selected(&json(&out), "checksum").as_deref(), Some("1.1.0"));
    let (_, out, _) = run(agent()
        .args(["plugins", "explain", "--json", "--facts"])
        .arg(host("edge-b")));
    let v = json(&out);
    assert_eq!(selected(&v, "checksum").as_deref(), Some("1.0.0"));
    let (outcome, reason) = candidate(&v, "checksum", "1.1.0");
    assert_eq!(outcome, "rejected");
    assert!(reason.contains("sse4.2"), "{reason}");
    let (outcome, reason) = candidate(&v, "checksum", "1.2.0-beta.1");
    assert_eq!(outcome, "excluded");
    assert!(reason.contains("pre-release"), "{reason}");
    // The hint naming this host's flag is edge-agent's, not the library's.
    assert!(!reason.contains("--"), "{reason}");
    let (_, text, _) = run(agent()
        .args(["plugins", "explain", "--facts"])
        .arg(host("edge-b")));
    assert!(
        text.contains("hint: pre-releases (checksum 1.2.0-beta.1)")
            && text.contains("--allow-prerelease"),
        "{text}"
    );
    let (_, text, _) = run(agent()
        .args(["plugins", "explain", "--allow-prerelease", "--facts"])
        .arg(host("edge-b")));
    assert!(!text.contains("hint:"), "{text}");
    // Pre-releases only when allowed.
    let (_, out, _) = run(agent()
        .args([
            "plugins",
            "explain",
            "--json",
            "--allow-prerelease",
            "--facts",
        ])
        .arg(host("edge-b")));
    assert_eq!(
        selected(&json(&out), "checksum").as_deref(),
        Some("1.2.0-beta.1")
    );
}

#[test]
fn uplink_switches_with_the_network_label() {
    let (_, out, _) = run(agent().args(["plugins", "explain", "--json", "--slot", "uplink"]));
    let v = json(&out);
    assert_eq!(selected(&v, "uplink").as_deref(), Some("1.0.0"));
    assert!(
        candidate(&v, "uplink", "1.1.0")
            .1
            .contains("network=online")
    );
    let (_, out, _) = run(agent()
        .args(["plugins", "explain", "--json", "--slot", "uplink"])
        .env("MUSTER_LABEL_network", "online"));
    assert_eq!(selected(&json(&out), "uplink").as_deref(), Some("1.1.0"));
}

#[test]
fn policy_precedence_is_flags_over_env_over_file_and_shown() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("policy.toml");
    std::fs::write(
        &file,
        "[pin]\nshowcase = \"^0.10\"\nchecksum = \"=1.0.0\"\n",
    )
    .unwrap();
    let explain = |extra: &[&str], env: Option<&str>| {
        let mut cmd = agent();
        cmd.args(["plugins", "explain", "--facts"])
            .arg(host("edge-a"))
            .arg("--policy")
            .arg(&file)
            .args(extra);
        if let Some(pin) = env {
            cmd.env("MUSTER_PIN", pin);
        }
        run(&mut cmd)
    };
    let (code, out, _) = explain(&["--json"], None);
    assert_eq!(code, 0);
    let v = json(&out);
    assert_eq!(selected(&v, "checksum").as_deref(), Some("1.0.0"));
    let (code, out, _) = explain(&["--json"], Some("showcase=^0.1"));
    assert_eq!(code, 0);
    assert_eq!(selected(&json(&out), "showcase").as_deref(), Some("0.1.0"));
    let (code, out, _) = explain(&[], Some("showcase=^0.1"));
    assert_eq!(code, 0);
    assert!(
        out.contains("pin showcase=^0.1 (from env MUSTER_PIN)"),
        "{out}"
    );
    assert!(out.contains("pin checksum==1.0.0 (from file"), "{out}");
    let (code, out, _) = explain(&["--pin", "showcase=^0.10"], Some("showcase=^0.1"));
    assert_eq!(code, 0);
    assert!(out.contains("pin showcase=^0.10 (from flag)"), "{out}");
    assert!(out.contains("showcase: banner 0.10.0"), "{out}");
}

#[test]
fn facts_round_trip_into_explain() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, _) = run(agent()
        .args(["facts", "--json"])
        .env("MUSTER_LABEL_network", "online"));
    assert_eq!(code, 0);
    let v = json(&out);
    assert_eq!(v["labels"]["network"], "online");
    assert_eq!(v["os"], std::env::consts::OS);
    let file = dir.path().join("me.json");
    std::fs::write(&file, &out).unwrap();
    // Replayed elsewhere (no label in this environment), the decision is the same.
    let (code, replay, _) = run(agent()
        .args(["plugins", "explain", "--json", "--facts"])
        .arg(&file));
    assert_eq!(code, 0);
    assert_eq!(selected(&json(&replay), "uplink").as_deref(), Some("1.1.0"));
}

#[test]
fn fleet_previews_a_rollout() {
    let (code, out, err) = run(agent().args(["plugins", "fleet"]).arg(fleet_dir()));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("checksum: 1.0.0: 2 hosts, 1.1.0: 2 hosts"),
        "{out}"
    );
    assert!(
        out.contains("uplink: 1.0.0: 2 hosts, 1.1.0: 2 hosts"),
        "{out}"
    );
    let (code, out, _) = run(agent()
        .args(["plugins", "fleet", "--json", "--deny", "showcase@0.10.0"])
        .arg(fleet_dir()));
    assert_eq!(code, 0);
    let v = json(&out);
    assert_eq!(v["hosts"].as_array().unwrap().len(), 4);
    assert_eq!(v["summary"]["showcase"]["0.1.0"], 4);
    let edge_c = v["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["host"] == "edge-c")
        .unwrap();
    assert_eq!(edge_c["slots"]["checksum"], "1.0.0");
    assert_eq!(edge_c["slots"]["uplink"], "1.1.0");
    // Every candidate of every host, with its reason code (and the failing fact).
    let checksum = edge_c["decisions"]["checksum"].as_array().unwrap();
    let codes: Vec<(&str, &str)> = checksum
        .iter()
        // The chaos set (a feature) adds 1.9.0, which needs a label edge-c lacks.
        .filter(|c| c["version"] != "1.9.0")
        .map(|c| (c["version"].as_str().unwrap(), c["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        codes,
        [
            ("1.2.0-beta.1", "prerelease"),
            ("1.1.0", "requirement_unmet"),
            ("1.0.0", "selected")
        ]
    );
    let c110 = checksum.iter().find(|c| c["version"] == "1.1.0").unwrap();
    assert_eq!(c110["fact"], "arch");
    assert_eq!(edge_c["decisions"]["showcase"][0]["code"], "denied");
}

#[test]
fn no_acceptable_version_exits_3_and_lists_every_candidate() {
    let (code, out, err) = run(agent()
        .args(["plugins", "explain", "--pin", "showcase=^9", "--facts"])
        .arg(host("edge-a")));
    assert_eq!(code, 3, "{out}{err}");
    assert!(
        err.contains("error: no acceptable version for slot(s): showcase"),
        "{err}"
    );
    assert!(
        err.contains("warning: pin showcase=^9 (flag): slot `showcase` has no version matching ^9 compiled in"),
        "{err}"
    );
    assert!(out.contains("showcase: no acceptable version"), "{out}");
    for v in ["0.10.0", "0.2.0", "0.1.0"] {
        assert!(
            out.contains(&format!(
                "excluded   {v} banner: outside pin showcase=^9 (flag) [pin_mismatch]"
            )),
            "{out}"
        );
    }
}

#[test]
fn bad_inputs_have_documented_exit_codes_and_name_the_culprit() {
    let dir = tempfile::tempdir().unwrap();
    // Usage errors: clap, exit 2, naming the argument and the bad part.
    let (code, _, err) = run(agent().args(["plugins", "explain", "--pin", "showcase=^x"]));
    assert_eq!(code, 2);
    assert!(err.contains("--pin") && err.contains("`^x`"), "{err}");
    let (code, _, err) = run(agent().args(["plugins", "explain", "--deny", "showcase@1"]));
    assert_eq!(code, 2);
    assert!(err.contains("--deny") && err.contains("`1`"), "{err}");
    let (code, _, err) = run(agent().args(["run", "--spool", "x", "--interval", "soon"]));
    assert_eq!(code, 2);
    assert!(err.contains("soon"), "{err}");
    // Bad files: exit 4, naming the file.
    let facts = dir.path().join("facts.json");
    std::fs::write(&facts, "{\"hostname\": 3}").unwrap();
    let (code, _, err) = run(agent().args(["plugins", "explain", "--facts"]).arg(&facts));
    assert_eq!(code, 4);
    assert!(
        err.contains("facts.json") && err.contains("invalid type"),
        "{err}"
    );
    let missing = dir.path().join("missing.json");
    let (code, _, err) = run(agent()
        .args(["plugins", "explain", "--facts"])
        .arg(&missing));
    assert_eq!(code, 4);
    assert!(err.contains("missing.json"), "{err}");
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, "[pin]\nshowcase = \"not a req\"\n").unwrap();
    let (code, _, err) = run(agent()
        .args(["plugins", "explain", "--policy"])
        .arg(&policy));
    assert_eq!(code, 4);
    assert!(
        err.contains("policy.toml") && err.contains("pin.showcase") && err.contains("not a req"),
        "{err}"
    );
    let (code, _, err) = run(agent()
        .args(["plugins", "explain"])
        .env("MUSTER_DENY", "showcase@latest"));
    assert_eq!(code, 4);
    assert!(
        err.contains("MUSTER_DENY") && err.contains("latest"),
        "{err}"
    );
    let (code, _, err) = run(agent().args(["plugins", "explain", "--slot", "nosuch"]));
    assert_eq!(code, 4);
    assert!(err.contains("nosuch") && err.contains("showcase"), "{err}");
}

#[test]
fn help_documents_exit_codes_and_build_info_lists_features() {
    let (code, out, _) = run(agent().arg("--help"));
    assert_eq!(code, 0);
    assert!(out.contains("Exit codes:"), "{out}");
    for status in ExitStatus::ALL {
        let line = format!("  {:<3} {}", status.code(), status.meaning());
        // clap re-wraps long lines: compare with whitespace collapsed.
        let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat(&out).contains(&flat(&line)),
            "{status:?} missing:\n{out}"
        );
    }
    let (code, out, _) = run(agent().args(["build-info", "--json"]));
    assert_eq!(code, 0);
    let v = json(&out);
    // A plain cargo build has no manifest, so no SBOM (`cargo xtask build` checks the
    // path it names for the binaries it ships).
    assert!(v["manifest"].is_null() && v["sbom"].is_null(), "{out}");
    let features: Vec<&str> = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(features.contains(&"plugin-showcase-v0-10"), "{features:?}");
    let expected = if cfg!(feature = "plugin-checksum-chaos") {
        9
    } else {
        8
    };
    assert_eq!(v["plugins"].as_array().unwrap().len(), expected);
    assert_eq!(
        v["backend"],
        muster::BACKEND,
        "the backend this test was built with"
    );
}

/// The subcommands `edge-agent <args> --help` lists.
fn subcommands(args: &[&str]) -> Vec<String> {
    let (code, out, err) = run(agent().args(args).arg("--help"));
    assert_eq!(code, 0, "{err}");
    out.split("Commands:\n")
        .nth(1)
        .expect("a Commands: section")
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

/// Every `edge-agent <command> [<subcommand>]` in the code of the user guides (fenced
/// blocks and inline spans) is a real command of this binary.
#[test]
fn the_docs_name_real_commands() {
    let top = subcommands(&[]);
    let plugins = subcommands(&["plugins"]);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut problems = Vec::new();
    for doc in [
        "README.md",
        "docs/operator.md",
        "docs/release-engineer.md",
        "docs/security.md",
        "docs/plugin-author.md",
    ] {
        let text = std::fs::read_to_string(root.join(doc)).unwrap();
        let mut fenced = false;
        let mut code = Vec::new();
        for line in text.lines() {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
            } else if fenced {
                code.push(line.to_owned());
            } else {
                code.extend(line.split('`').skip(1).step_by(2).map(str::to_owned));
            }
        }
        for code in code {
            for (at, _) in code.match_indices("edge-agent ") {
                let mut words = code[at + "edge-agent ".len()..].split_whitespace();
                let Some(command) = words
                    .next()
                    .filter(|w| w.starts_with(|c: char| c.is_ascii_lowercase()))
                else {
                    continue; // a flag (`cargo build -p edge-agent --profile`) or a path
                };
                if !top.iter().any(|c| c == command) {
                    problems.push(format!("{doc}: `edge-agent {command}`: no such command"));
                } else if command == "plugins" {
                    let sub = words.next().unwrap_or("");
                    if !plugins.iter().any(|c| c == sub) {
                        problems.push(format!(
                            "{doc}: `edge-agent plugins {sub}`: no such command"
                        ));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn facts_carry_a_host_id_that_muster_host_id_overrides() {
    let (code, out, err) = run(agent().args(["facts", "--json"]));
    assert_eq!(code, 0, "{err}");
    let probed = json(&out)["host_id"].as_str().unwrap().to_owned();
    assert!(!probed.is_empty());
    if let Ok(machine_id) = std::fs::read_to_string("/etc/machine-id")
        && !machine_id.trim().is_empty()
    {
        assert_eq!(probed, machine_id.trim());
    }
    let (code, out, _) = run(agent()
        .args(["facts", "--json"])
        .env("MUSTER_HOST_ID", "rack7-slot3"));
    assert_eq!(code, 0);
    assert_eq!(json(&out)["host_id"], "rack7-slot3");
}

#[test]
fn a_rollout_admits_a_share_of_hosts_by_host_id() {
    // The bucket decides: one host id inside a 50 % share and one outside.
    let rule = "showcase@0.10.0";
    let ids: Vec<String> = (0..100).map(|i| format!("h{i}")).collect();
    let inside = ids
        .iter()
        .find(|id| muster::bucketing::bucket(rule, id).0 < 5000)
        .unwrap();
    let outside = ids
        .iter()
        .find(|id| muster::bucketing::bucket(rule, id).0 >= 5000)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        "[[rollout]]\nslot = \"showcase\"\nversion = \"0.10.0\"\nshare = 50\n",
    )
    .unwrap();
    let text = std::fs::read_to_string(host("edge-a")).unwrap();
    for (id, want, code) in [
        (inside, "0.10.0", "selected"),
        (outside, "0.1.0", "rollout"),
    ] {
        // Facts files carry the id: replay an edited copy of edge-a.
        let file = dir.path().join(format!("{id}.json"));
        let with_id = text.replacen('{', &format!("{{\"host_id\":\"{id}\","), 1);
        std::fs::write(&file, with_id).unwrap();
        let explain = || {
            let mut cmd = agent();
            cmd.args([
                "plugins", "explain", "--json", "--slot", "showcase", "--facts",
            ])
            .arg(&file);
            cmd
        };
        let forms = [
            run(explain().args(["--rollout", "showcase@0.10.0=50%"])),
            run(explain().arg("--policy").arg(&policy)),
            run(explain().env("MUSTER_ROLLOUT", "showcase@0.10.0=50%")),
        ];
        for (status, out, err) in forms {
            assert_eq!(status, 0, "{err}");
            let v = json(&out);
            assert_eq!(selected(&v, "showcase").as_deref(), Some(want), "{id}");
            let c = &v["slots"][0]["candidates"][0];
            assert_eq!(c["code"], code, "{id}: {c}");
            if code == "rollout" {
                let why = c["reason"].as_str().unwrap();
                let b = muster::bucketing::bucket(rule, id);
                assert!(
                    why.contains("rollout showcase@0.10.0 on 50%")
                        && why.contains(&format!("host bucket {b} is outside the 50% share")),
                    "{c}"
                );
            }
        }
    }
}

/// A fleet of `n` copies of edge-a with host ids `fleet-<i>`.
fn synthetic_fleet(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(host("edge-a")).unwrap();
    for i in 0..n {
        let id = format!("fleet-{i:04}");
        let facts = text
            .replacen('{', &format!("{{\"host_id\":\"{id}\","), 1)
            .replace("\"edge-a\"", &format!("\"{id}\""));
        std::fs::write(dir.path().join(format!("{id}.json")), facts).unwrap();
    }
    dir
}

fn rollout_policy(dir: &std::path::Path, name: &str, share: u32) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!("[[rollout]]\nslot = \"showcase\"\nversion = \"0.10.0\"\nshare = {share}\n"),
    )
    .unwrap();
    path
}

#[test]
fn fleet_shows_rollouts_admitted_of_eligible() {
    let fleet = synthetic_fleet(200);
    let policies = tempfile::tempdir().unwrap();
    let p = rollout_policy(policies.path(), "p.toml", 10);
    let expected = (0..200)
        .filter(|i| muster::bucketing::bucket("showcase@0.10.0", &format!("fleet-{i:04}")).0 < 1000)
        .count();
    let (code, out, err) = run(agent()
        .args(["plugins", "fleet", "--json", "--policy"])
        .arg(&p)
        .arg(fleet.path()));
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    let r = &v["rollouts"][0];
    assert_eq!(r["rule"], "showcase@0.10.0 on 10%");
    assert_eq!(r["versions"], serde_json::json!(["0.10.0"]));
    assert_eq!(
        (r["eligible"].as_u64(), r["admitted"].as_u64()),
        (Some(200), Some(expected as u64))
    );
    assert_eq!(v["summary"]["showcase"]["0.10.0"], expected);
    let (_, text, _) = run(agent()
        .args(["plugins", "fleet", "--policy"])
        .arg(&p)
        .arg(fleet.path()));
    assert!(
        text.contains(&format!(
            "rollout showcase@0.10.0 on 10% (versions 0.10.0; from file {}): {expected} of 200 eligible hosts admitted",
            p.display()
        )),
        "{text}"
    );
}

#[test]
fn fleet_diff_previews_raising_a_share() {
    let fleet = synthetic_fleet(300);
    let policies = tempfile::tempdir().unwrap();
    let at10 = rollout_policy(policies.path(), "at10.toml", 10);
    let at25 = rollout_policy(policies.path(), "at25.toml", 25);
    let moving: Vec<String> = (0..300)
        .map(|i| format!("fleet-{i:04}"))
        .filter(|id| (1000..2500).contains(&muster::bucketing::bucket("showcase@0.10.0", id).0))
        .collect();
    assert!(!moving.is_empty());
    let (code, out, err) = run(agent()
        .args(["plugins", "fleet", "--json", "--policy"])
        .arg(&at10)
        .arg("--diff-policy")
        .arg(&at25)
        .arg(fleet.path()));
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    assert_eq!(v["hosts"], 300);
    assert_eq!(v["hosts_changed"], moving.len());
    // Raising a share only adds hosts: one transition, old -> new.
    assert_eq!(
        v["transitions"],
        serde_json::json!([{"slot": "showcase", "from": "0.1.0", "to": "0.10.0", "hosts": moving.len()}])
    );
    let changed: Vec<&str> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["host_id"].as_str().unwrap())
        .collect();
    assert_eq!(changed, moving);
    // Lowering it back is the mirror image; text shows counts and hosts.
    let (code, text, err) = run(agent()
        .args(["plugins", "fleet", "--policy"])
        .arg(&at25)
        .arg("--diff-policy")
        .arg(&at10)
        .arg(fleet.path()));
    assert_eq!(code, 0, "{err}");
    assert!(
        text.starts_with(&format!("{} of 300 hosts change\n", moving.len())),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "TRANSITION                HOSTS\nshowcase 0.10.0 -> 0.1.0  {}\n",
            moving.len()
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("{}  showcase  0.10.0 -> 0.1.0", moving[0])),
        "{text}"
    );
    // The same policy on both sides changes nothing.
    let (_, out, _) = run(agent()
        .args(["plugins", "fleet", "--json", "--policy"])
        .arg(&at10)
        .arg("--diff-policy")
        .arg(&at10)
        .arg(fleet.path()));
    assert_eq!(json(&out)["hosts_changed"], 0);
}

/// A reader that has gone away (`edge-agent ... | head` after `head` exits) is not
/// an error: text and JSON, written through a buffer, exit 0 without an `error:`
/// line.
#[test]
fn a_closed_stdout_is_not_an_error() {
    for args in [
        &["plugins", "explain"][..],
        &["plugins", "explain", "--json"],
        &["plugins", "list", "--json"],
        &["facts", "--json"],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = agent()
            .args(args)
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("error:"), "{args:?}: {err}");
    }
}

/// docs/security.md gives the size of the bad-input catalogue: one `#[test]` per case
/// in app/tests/bad_input.rs.
#[test]
fn the_security_doc_counts_the_bad_input_cases() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let catalogue = std::fs::read_to_string(root.join("app/tests/bad_input.rs")).unwrap();
    let cases = catalogue.lines().filter(|l| l.trim() == "#[test]").count();
    let doc = std::fs::read_to_string(root.join("docs/security.md")).unwrap();
    let claim = "`app/tests/bad_input.rs`: ";
    let at = doc
        .find(claim)
        .expect("docs/security.md names the catalogue")
        + claim.len();
    let stated: String = doc[at..].chars().take_while(char::is_ascii_digit).collect();
    assert_eq!(
        stated,
        cases.to_string(),
        "docs/security.md: \"{claim}N cases\""
    );
}

/// Exit status 4's meaning, in `--help`, docs/operator.md and the README, names every
/// policy flag refused with it (its help says "(exit 4)").
#[test]
fn exit_status_4_names_every_flag_refused_with_it() {
    use clap::Args as _;
    let cmd = muster_kit::PolicyArgs::augment_args(clap::Command::new("edge-agent"));
    let flags: Vec<String> = cmd
        .get_arguments()
        .filter(|a| {
            a.get_help()
                .is_some_and(|h| h.to_string().contains("(exit 4)"))
        })
        .map(|a| format!("--{}", a.get_long().unwrap()))
        .collect();
    assert_eq!(flags, ["--pin", "--deny", "--rollout"]);
    let meaning = ExitStatus::Kit(muster_kit::ExitStatus::BadInput).meaning();
    assert!(meaning.contains(&flags.join("/")), "--help: {meaning}");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let operator = std::fs::read_to_string(root.join("docs/operator.md")).unwrap();
    let row = operator
        .lines()
        .find(|l| l.starts_with("| 4 "))
        .expect("docs/operator.md: the exit status table's row 4");
    let readme = flat(&std::fs::read_to_string(root.join("README.md")).unwrap());
    let paragraph = readme
        .split("Exit codes (also in `edge-agent --help`):")
        .nth(1)
        .and_then(|rest| rest.split("; 5 ").next())
        .expect("README.md: the exit codes paragraph");
    let quoted = flags
        .iter()
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join("/");
    for (doc, text) in [("docs/operator.md", row), ("README.md", paragraph)] {
        assert!(
            text.contains(&quoted),
            "{doc} does not name {quoted}: {text}"
        );
    }
}

/// The options `edge-agent <args> --help` lists, long names only.
fn options(args: &[&str]) -> Vec<String> {
    let (code, out, err) = run(agent().args(args).arg("--help"));
    assert_eq!(code, 0, "{args:?}: {err}");
    out.split("Options:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("{args:?}: an Options: section:\n{out}"))
        .lines()
        .filter_map(|l| {
            let l = l.trim_start();
            let l = l
                .strip_prefix("-h, ")
                .or(l.strip_prefix("-V, "))
                .unwrap_or(l);
            l.starts_with("--")
                .then(|| l.split_whitespace().next().unwrap().to_owned())
        })
        .collect()
}

/// Each command's help lists the options that act there and no other: `--log-format`
/// is `run`'s (the one command that logs), not a global option every command shows.
#[test]
fn each_command_lists_only_the_options_that_act_there() {
    const POLICY: [&str; 5] = [
        "--pin",
        "--deny",
        "--allow-prerelease",
        "--rollout",
        "--policy",
    ];
    let with_policy =
        |before: &[&'static str], after: &[&'static str]| [before, &POLICY[..], after].concat();
    let cases: [(&[&str], Vec<&str>); 12] = [
        (&[], vec!["--help", "--version"]),
        (&["plugins"], vec!["--help"]),
        (&["plugins", "list"], vec!["--json", "--help"]),
        (
            &["plugins", "explain"],
            with_policy(
                &["--slot", "--facts", "--start", "--state"],
                &["--json", "--help"],
            ),
        ),
        (
            &["plugins", "fleet"],
            with_policy(
                &["--observed", "--ansible", "--diff-policy"],
                &["--json", "--help"],
            ),
        ),
        (&["plugins", "policy-check"], vec!["--json", "--help"]),
        (&["facts"], vec!["--json", "--help"]),
        (&["build-info"], vec!["--json", "--help"]),
        (
            &["run"],
            with_policy(
                &[
                    "--spool",
                    "--once",
                    "--interval",
                    "--uplink-target",
                    "--upgrade-exit-code",
                    "--no-watch-exe",
                    "--plugin-timeout",
                    "--log-format",
                    "--metrics-file",
                    "--metrics-interval",
                ],
                &["--help"],
            ),
        ),
        (&["quarantine"], vec!["--help"]),
        (&["quarantine", "list"], vec!["--state", "--json", "--help"]),
        (
            &["quarantine", "clear"],
            vec!["--state", "--json", "--slot", "--version", "--help"],
        ),
    ];
    // Every command is in the table.
    let mut commands = vec![String::new()];
    for top in subcommands(&[]).into_iter().filter(|c| c != "help") {
        let (_, help, _) = run(agent().args([&top, "--help"]));
        let below = if help.contains("Commands:\n") {
            subcommands(&[&top])
        } else {
            Vec::new()
        };
        commands.extend(
            below
                .into_iter()
                .filter(|c| c != "help")
                .map(|c| format!("{top} {c}")),
        );
        commands.push(top);
    }
    commands.sort();
    let mut listed: Vec<String> = cases.iter().map(|(args, _)| args.join(" ")).collect();
    listed.sort();
    assert_eq!(listed, commands, "a command missing from the table");
    for (args, expected) in cases {
        assert_eq!(options(args), expected, "edge-agent {args:?} --help");
    }
    let (code, _, err) = run(agent()
        .args(["plugins", "fleet", "--log-format", "json"])
        .arg(fleet_dir()));
    assert_eq!(code, 2, "not an option of fleet: {err}");
    assert!(err.contains("--log-format"), "{err}");
}

/// Subcommands whose arguments are built only when named (clap's `defer`) keep
/// their own help: each variant's summary, not that of a struct flattened into it.
#[test]
fn deferred_subcommands_keep_their_own_help() {
    for (args, first_line) in [
        (&["run", "--help"][..], "Process the spool"),
        (&["facts", "--help"], "Print this host's facts"),
        (&["build-info", "--help"], "What this binary contains"),
        (
            &["quarantine", "list", "--help"],
            "Held slots, quarantined versions and strikes",
        ),
        (&["quarantine", "clear", "--help"], "Lift quarantines"),
        (
            &["plugins", "explain", "--help"],
            "The decision for this host",
        ),
        (
            &["plugins", "fleet", "--help"],
            "The decision for every host",
        ),
    ] {
        let (code, out, err) = run(agent().args(args));
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(
            out.starts_with(first_line),
            "{args:?} starts with {first_line:?}:\n{out}"
        );
    }
}

/// Every command's `--help`, as committed in `tests/help/` (one file per command
/// line: `edge-agent-plugins-explain.txt` is `edge-agent plugins explain --help`), so
/// that a change to what operators read is a reviewed diff. After an intended change,
/// `UPDATE_HELP=1 cargo test -p edge-agent --test cli help_text` rewrites the files.
#[test]
fn help_text_of_every_command_is_the_committed_one() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/help");
    let update = std::env::var_os("UPDATE_HELP").is_some();
    let mut stale = Vec::new();
    for args in [
        &[][..],
        &["plugins"],
        &["plugins", "list"],
        &["plugins", "explain"],
        &["plugins", "fleet"],
        &["plugins", "policy-check"],
        &["facts"],
        &["build-info"],
        &["run"],
        &["quarantine"],
        &["quarantine", "list"],
        &["quarantine", "clear"],
    ] {
        let (code, out, err) = run(agent().args(args).arg("--help"));
        assert_eq!(code, 0, "{args:?}: {err}");
        let name = std::iter::once("edge-agent")
            .chain(args.iter().copied())
            .collect::<Vec<_>>()
            .join("-");
        let file = dir.join(format!("{name}.txt"));
        if update {
            std::fs::write(&file, &out).unwrap();
        } else if std::fs::read_to_string(&file).ok().as_deref() != Some(out.as_str()) {
            stale.push(format!(
                "{} --help differs from {}:\n{out}",
                args.join(" "),
                file.display()
            ));
        }
    }
    assert!(
        stale.is_empty(),
        "{}\n(if intended: UPDATE_HELP=1 cargo test -p edge-agent --test cli help_text)",
        stale.join("\n")
    );
}

#[test]
fn fleet_rows_tell_hosts_with_one_hostname_apart_and_columns_stay_under_headers() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(host("edge-a")).unwrap();
    // Two facts files, one hostname, two host ids; a hostname longer than any column.
    for (file, id, name) in [
        ("one.json", "rack-1-slot-07", "edge-a"),
        ("two.json", "rack-2-slot-11", "edge-a"),
        ("three.json", "x", "a-very-long-hostname-of-the-edge-fleet"),
    ] {
        let facts = text
            .replacen('{', &format!("{{\"host_id\":\"{id}\","), 1)
            .replace("\"edge-a\"", &format!("\"{name}\""));
        std::fs::write(dir.path().join(file), facts).unwrap();
    }
    let (code, out, err) = run(agent().args(["plugins", "fleet"]).arg(dir.path()));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("edge-a (rack-1-slot-07)"), "{out}");
    assert!(out.contains("edge-a (rack-2-slot-11)"), "{out}");
    let table: Vec<&str> = out.lines().take_while(|l| !l.is_empty()).collect();
    let header = table[0];
    for slot in ["checksum", "showcase", "uplink"] {
        let at = header.find(slot).unwrap();
        for row in &table[1..] {
            assert_eq!(row.as_bytes()[at - 1], b' ', "{slot} in {row:?}\n{out}");
            assert_ne!(row.as_bytes()[at], b' ', "{slot} in {row:?}\n{out}");
        }
    }
}
