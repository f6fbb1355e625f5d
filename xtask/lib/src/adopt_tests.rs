//! The proof that another workspace adopts muster with one config block and a thin
//! xtask: a brand-new workspace sharing nothing with edge-agent (host `ledger`, contract
//! `ledger-api` with slot `fee_rule`, team `pricing` with two versions of one plugin,
//! its own sets in its own directories), whose `xtask` is a thin binary over this
//! repository's `muster-xtask` (path dependency), runs its own `cargo xtask build` and
//! its static binary is checked: list equals plan, explain selects the newest acceptable
//! version, build-info names its set. The line counts the guide states are asserted here.

use std::path::Path;
use std::process::Command;

use crate::project::Project;

/// The fenced code blocks of `docs/adopting.md`, in order.
fn guide_blocks() -> Vec<String> {
    let root = Project::current().unwrap().root;
    let guide = std::fs::read_to_string(root.join("docs/adopting.md")).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in guide.lines() {
        match (&mut current, line.starts_with("```")) {
            (None, true) => current = Some(String::new()),
            (Some(block), true) => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), false) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, false) => {}
        }
    }
    blocks
}

/// The guide's block that starts with `first` (a path comment such as
/// `# xtask/Cargo.toml`, or the block's first line), without a path comment line.
fn guide_block(blocks: &[String], first: &str) -> String {
    let block = blocks
        .iter()
        .find(|b| b.lines().next() == Some(first))
        .unwrap_or_else(|| panic!("docs/adopting.md has no code block starting `{first}`"));
    if first.starts_with("# ") || first.starts_with("// ") {
        block
            .split_once('\n')
            .map_or("", |(_, rest)| rest)
            .to_owned()
    } else {
        block.clone()
    }
}

/// The guide's dependency lines on muster's crates (`muster-rt = "0.1"`) as path
/// dependencies on this checkout: the crates are not on crates.io yet. Each version
/// the guide names must be the one this checkout would publish.
fn unpublished(text: &str, real: &Path) -> String {
    let version = env!("CARGO_PKG_VERSION");
    let mut out = String::new();
    for line in text.lines() {
        let crate_dir = [
            ("muster-rt", "core"),
            ("muster-kit", "kit"),
            ("muster-xtask", "xtask/lib"),
        ]
        .into_iter()
        .find(|(name, _)| line.starts_with(&format!("{name} = \"")));
        match crate_dir {
            Some((name, dir)) => {
                let req = line
                    .split('"')
                    .nth(1)
                    .unwrap_or_else(|| panic!("{line}: no version"));
                assert!(
                    semver::VersionReq::parse(req)
                        .unwrap()
                        .matches(&semver::Version::parse(version).unwrap()),
                    "docs/adopting.md: `{line}` does not take this checkout's {version}"
                );
                out.push_str(&format!(
                    "{name} = {{ path = \"{}\" }}\n",
                    real.join(dir).display()
                ));
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Lines of code: not blank, not a comment.
fn code_lines(text: &str) -> usize {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .count()
}

fn fee_plugin(root: &Path, dir: &str, package: &str, version: &str, fee: u64) {
    write(
        root,
        &format!("{dir}/Cargo.toml"),
        &format!(
            "[package]\nname = \"{package}\"\nversion = \"{version}\"\nedition.workspace = true\n\
             publish = false\n\n[dependencies]\nmuster-rt.workspace = true\nledger-api.workspace = true\n"
        ),
    );
    write(
        root,
        &format!("{dir}/src/lib.rs"),
        &format!(
            "//! Flat fee {version}.\nuse ledger_api::FeeRule;\n/// Flat.\n#[derive(Default)]\n\
             #[muster::plugin(slot = FeeRule, version = \"{version}\", name = \"flat\", team = \"pricing\")]\n\
             pub struct Flat;\nimpl FeeRule for Flat {{\n    fn fee(&self, _cents: u64) -> u64 {{\n        {fee}\n    }}\n}}\n"
        ),
    );
}

#[test]
#[ignore = "a release build of a new workspace: the full `cargo xtask test` runs it (`--ignored`)"]
fn a_new_workspace_adopts_muster_with_a_config_block_and_a_thin_xtask() {
    // What the guide shows is what this builds: its code blocks, verbatim, but for
    // muster's own crates by path (not yet on crates.io).
    let real = Project::current().unwrap().root;
    let blocks = guide_blocks();
    let xtask_main = guide_block(&blocks, "// xtask/src/main.rs");
    let host_main = guide_block(&blocks, "mod linked;");
    assert!(
        host_main.contains("muster_kit::main(&Ledger)"),
        "{host_main}"
    );
    assert!(code_lines(&xtask_main) <= 5, "{}", code_lines(&xtask_main));
    assert!(code_lines(&host_main) <= 30, "{}", code_lines(&host_main));

    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    write(
        ws,
        "Cargo.toml",
        &format!(
            "[workspace]\nresolver = \"3\"\nmembers = [\"ledger\", \"ledger-api\", \"xtask\", \"fees/*/*\"]\n\n\
             [workspace.package]\nedition = \"2024\"\n\n{}\n{}",
            unpublished(&guide_block(&blocks, "[workspace.dependencies]"), &real),
            guide_block(&blocks, "[workspace.metadata.muster]"),
        ),
    );
    // Share compiled dependencies with the other fixture builds; the real lock file
    // pins them, so the build runs offline.
    write(
        ws,
        ".cargo/config.toml",
        &format!(
            "{}\n{}",
            guide_block(&blocks, "# .cargo/config.toml"),
            crate::tests::fixture_cargo_config(&real)
        ),
    );
    std::fs::copy(real.join("Cargo.lock"), ws.join("Cargo.lock")).unwrap();
    write(
        ws,
        "xtask/Cargo.toml",
        &unpublished(&guide_block(&blocks, "# xtask/Cargo.toml"), &real),
    );
    write(ws, "xtask/src/main.rs", &xtask_main);
    write(
        ws,
        "ledger-api/Cargo.toml",
        "[package]\nname = \"ledger-api\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\nmuster-rt.workspace = true\n",
    );
    write(
        ws,
        "ledger-api/src/lib.rs",
        &guide_block(&blocks, "//! ledger-api: what fee plugins implement."),
    );
    write(
        ws,
        "ledger/Cargo.toml",
        &format!(
            "[package]\nname = \"ledger\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n{}",
            guide_block(&blocks, "# ledger/Cargo.toml")
        ),
    );
    write(
        ws,
        "ledger/src/main.rs",
        &format!("//! Ledger: a service hosting fee rules.\n{host_main}"),
    );
    fee_plugin(ws, "fees/pricing/flat-v1", "flat-v1", "1.0.0", 25);
    fee_plugin(ws, "fees/pricing/flat-v2", "flat-v2", "2.0.0", 20);
    // The guide's team file, and a second version of the plugin beside it.
    write(
        ws,
        "deploy/teams/pricing.toml",
        &format!(
            "{}\n[[plugin]]\npackage = \"flat-v2\"\nslot = \"fee_rule\"\nname = \"flat\"\nversion = \"2.0.0\"\n\
             enabled = true\npath = \"fees/pricing/flat-v2\"\n",
            guide_block(&blocks, "# deploy/teams/pricing.toml")
        ),
    );
    write(
        ws,
        "deploy/sets/prod.toml",
        &guide_block(&blocks, "# deploy/sets/prod.toml"),
    );

    let cargo = || {
        let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cmd.current_dir(ws)
            .env("CARGO_NET_OFFLINE", "true")
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("CARGO_MANIFEST_DIR");
        cmd
    };
    let run = |args: &[&str]| {
        let output = cargo().args(args).output().unwrap();
        assert!(
            output.status.success(),
            "`cargo {}` failed in the new workspace:\n{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    run(&["xtask", "sync"]);
    // The guide assumes a git checkout with a commit (`build` records it).
    for args in [
        &["init", "--quiet"][..],
        &["add", "-A"],
        &[
            "-c",
            "user.name=ledger",
            "-c",
            "user.email=ledger@example.invalid",
            "commit",
            "--quiet",
            "-m",
            "adopt muster",
        ],
    ] {
        let status = Command::new("git")
            .current_dir(ws)
            .args(args)
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }
    let linked = std::fs::read_to_string(ws.join("ledger/src/linked.rs")).unwrap();
    assert!(linked.contains("use flat_v2 as _;"), "{linked}");
    let plan = run(&["xtask", "plan"]);
    assert!(plan.contains("set `prod`"), "{plan}");
    // Its own `cargo xtask build`: plan, sync --check, check, static build, verify
    // (the binary's list equals the plan, build-info names the SBOM), manifest, SBOM.
    run(&["xtask", "build", "--profile", "dev"]);

    let binary = ws.join("out/prod/ledger");
    let raw = |args: &[&str]| {
        let output = Command::new(&binary).args(args).output().unwrap();
        let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
        (
            output.status.code(),
            text(output.stdout),
            text(output.stderr),
        )
    };
    let host = |args: &[&str]| -> serde_json::Value {
        let (code, out, err) = raw(args);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        serde_json::from_str(&out).unwrap()
    };
    let list = host(&["plugins", "list", "--json"]);
    let mut listed: Vec<String> = list["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| format!("{} {} {}", p["slot"], p["name"], p["version"]).replace('"', ""))
        .collect();
    listed.sort();
    assert_eq!(listed, ["fee_rule flat 1.0.0", "fee_rule flat 2.0.0"]);
    let (code, text, _) = raw(&["plugins", "list"]);
    assert_eq!(code, Some(0));
    assert!(
        text.contains("fee_rule") && text.contains("pricing"),
        "{text}"
    );
    let explain = host(&["plugins", "explain", "--json"]);
    assert_eq!(explain["slots"][0]["slot"], "fee_rule", "{explain}");
    assert_eq!(
        explain["slots"][0]["selected"]["version"], "2.0.0",
        "{explain}"
    );
    // The policy flags and environment layer as in edge-agent.
    let pinned = host(&["plugins", "explain", "--json", "--pin", "fee_rule=^1"]);
    assert_eq!(
        pinned["slots"][0]["selected"]["version"], "1.0.0",
        "{pinned}"
    );
    let denied = host(&["plugins", "explain", "--json", "--deny", "fee_rule@2.0.0"]);
    assert_eq!(
        denied["slots"][0]["selected"]["version"], "1.0.0",
        "{denied}"
    );
    let output = Command::new(&binary)
        .args(["plugins", "explain", "--json"])
        .env("MUSTER_PIN", "fee_rule=^1")
        .output()
        .unwrap();
    let env_pinned: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(env_pinned["slots"][0]["selected"]["version"], "1.0.0");
    // The documented exit codes: 4 for a flag naming no compiled-in slot, 3 when no
    // version is acceptable.
    let (code, _, err) = raw(&["plugins", "explain", "--pin", "nosuch=^1"]);
    assert_eq!(code, Some(4), "{err}");
    assert!(err.contains("nosuch") && err.contains("fee_rule"), "{err}");
    let (code, _, err) = raw(&["plugins", "explain", "--pin", "fee_rule=^3"]);
    assert_eq!(code, Some(3), "{err}");
    let (code, help, _) = raw(&["--help"]);
    assert_eq!(code, Some(0));
    assert!(
        help.contains("Usage: ledger") && help.contains("Exit codes:"),
        "{help}"
    );
    // facts, then the fleet of this one host.
    let facts = host(&["facts", "--json"]);
    assert!(facts["host_id"].is_string(), "{facts}");
    let fleet_dir = ws.join("fleet");
    write(ws, "fleet/this.json", &facts.to_string());
    let fleet = host(&["plugins", "fleet", fleet_dir.to_str().unwrap(), "--json"]);
    assert_eq!(fleet["hosts"][0]["slots"]["fee_rule"], "2.0.0", "{fleet}");
    let info = host(&["build-info", "--json"]);
    assert_eq!(info["set"], "prod", "{info}");
    assert_eq!(info["plugins"].as_array().unwrap().len(), 2, "{info}");
    assert!(ws.join("out/prod/ledger.manifest.json").is_file());
    assert!(ws.join("out/prod/ledger.cdx.json").is_file());
}
