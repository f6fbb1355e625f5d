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
        err.contains("warning: pin showcase=^9 (flag) matches no compiled-in version"),
        "{err}"
    );
    assert!(out.contains("showcase: no acceptable version"), "{out}");
    for v in ["0.10.0", "0.2.0", "0.1.0"] {
        assert!(
            out.contains(&format!("excluded   {v} banner: outside pin showcase=^9")),
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
