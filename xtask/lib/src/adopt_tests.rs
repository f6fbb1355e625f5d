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

/// The host's whole `main.rs`: the operator glue it writes (besides `mod linked;`) to
/// get every operator command from the kit, `muster-kit`.
const HOST_MAIN: &str = r#"//! Ledger: a service hosting fee rules.
mod linked;

struct Ledger;

impl muster_kit::Host for Ledger {
    type Explain = muster_kit::NoExtra;

    fn build(&self) -> muster_kit::HostBuild {
        muster_kit::host_build!()
    }
}

fn main() -> std::process::ExitCode {
    muster_kit::main(&Ledger)
}
"#;

/// The xtask's whole `main.rs`.
const XTASK_MAIN: &str = "fn main() -> std::process::ExitCode {\n    muster_xtask::main()\n}\n";

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
    assert!(code_lines(XTASK_MAIN) <= 5, "{}", code_lines(XTASK_MAIN));
    assert!(code_lines(HOST_MAIN) <= 30, "{}", code_lines(HOST_MAIN));

    let real = Project::current().unwrap().root;
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    write(
        ws,
        "Cargo.toml",
        &format!(
            "[workspace]\nresolver = \"3\"\nmembers = [\"ledger\", \"ledger-api\", \"xtask\", \"fees/*/*\"]\n\n\
             [workspace.package]\nedition = \"2024\"\n\n\
             [workspace.dependencies]\nmuster-rt = {{ path = \"{core}\" }}\nmuster-kit = {{ path = \"{kit}\" }}\nledger-api = {{ path = \"ledger-api\" }}\n\n\
             [workspace.metadata.muster]\nhost = \"ledger\"\ncontracts = [\"ledger-api\"]\n\
             teams = \"deploy/teams\"\nsets = \"deploy/sets\"\nplugins = \"fees\"\ndist = \"out\"\n\
             registry = \"src/linked.rs\"\ndefault-set = \"prod\"\ntest-sets = [\"prod\"]\nrepro-set = \"prod\"\n",
            core = real.join("core").display(),
            kit = real.join("kit").display()
        ),
    );
    // Share compiled dependencies with the other fixture builds; the real lock file
    // pins them, so the build runs offline.
    write(
        ws,
        ".cargo/config.toml",
        &format!(
            "[alias]\nxtask = \"run --package ledger-xtask --\"\n\n[build]\ntarget-dir = \"{}\"\n",
            real.join("target").join("xtask-fixture").display()
        ),
    );
    std::fs::copy(real.join("Cargo.lock"), ws.join("Cargo.lock")).unwrap();
    write(
        ws,
        "xtask/Cargo.toml",
        &format!(
            "[package]\nname = \"ledger-xtask\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\nmuster-xtask = {{ path = \"{}\" }}\n",
            real.join("xtask/lib").display()
        ),
    );
    write(ws, "xtask/src/main.rs", XTASK_MAIN);
    write(
        ws,
        "ledger-api/Cargo.toml",
        "[package]\nname = \"ledger-api\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\nmuster-rt.workspace = true\n",
    );
    write(
        ws,
        "ledger-api/src/lib.rs",
        "//! The ledger's contract.\n/// Computes a transfer's fee.\n#[muster::slot]\n\
         pub trait FeeRule: Send + Sync {\n    /// The fee, in cents, of a transfer of `cents`.\n\
         \x20   fn fee(&self, cents: u64) -> u64;\n}\n",
    );
    write(
        ws,
        "ledger/Cargo.toml",
        "[package]\nname = \"ledger\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n\
         [features]\n\n[dependencies]\nmuster-rt.workspace = true\nmuster-kit.workspace = true\n\
         ledger-api.workspace = true\n",
    );
    write(ws, "ledger/src/main.rs", HOST_MAIN);
    fee_plugin(ws, "fees/pricing/flat-v1", "flat-v1", "1.0.0", 25);
    fee_plugin(ws, "fees/pricing/flat-v2", "flat-v2", "2.0.0", 20);
    write(
        ws,
        "deploy/teams/pricing.toml",
        "description = \"Fees.\"\n\n\
         [[plugin]]\npackage = \"flat-v1\"\nslot = \"fee_rule\"\nname = \"flat\"\nversion = \"1.0.0\"\n\
         enabled = true\npath = \"fees/pricing/flat-v1\"\n\n\
         [[plugin]]\npackage = \"flat-v2\"\nslot = \"fee_rule\"\nname = \"flat\"\nversion = \"2.0.0\"\n\
         enabled = true\npath = \"fees/pricing/flat-v2\"\n",
    );
    write(ws, "deploy/sets/prod.toml", "teams = [\"pricing\"]\n");

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
