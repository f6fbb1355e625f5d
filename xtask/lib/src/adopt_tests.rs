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

/// The host's whole `main.rs`: the operator glue it writes (besides `mod linked;`).
const HOST_MAIN: &str = r#"//! Ledger: a service hosting fee rules.
mod linked;

use muster::{Facts, Policy, Selector};
use serde_json::json;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (facts, policy) = (Facts::probe(), Policy::new());
    let manifest: serde_json::Value =
        serde_json::from_str(option_env!("MUSTER_BUILD_MANIFEST").unwrap_or("{}")).unwrap();
    let out = match args.join(" ").as_str() {
        "plugins list --json" => json!(muster::PluginListing::registered()),
        "plugins explain" | "plugins explain --json" => {
            json!(Selector::new(&facts, &policy).explain_all())
        }
        "build-info --json" => json!({"set": manifest["set"], "sbom": {"path":
            std::env::current_exe().unwrap().with_file_name(manifest["sbom"].as_str().unwrap_or("-"))}}),
        _ => std::process::exit(2),
    };
    println!("{out}");
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
             publish = false\n\n[dependencies]\nmuster.workspace = true\nledger-api.workspace = true\n"
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
             [workspace.dependencies]\nmuster = {{ path = \"{core}\" }}\nledger-api = {{ path = \"ledger-api\" }}\n\n\
             [workspace.metadata.muster]\nhost = \"ledger\"\ncontracts = [\"ledger-api\"]\n\
             teams = \"deploy/teams\"\nsets = \"deploy/sets\"\nplugins = \"fees\"\ndist = \"out\"\n\
             registry = \"src/linked.rs\"\ndefault-set = \"prod\"\ntest-sets = [\"prod\"]\nrepro-set = \"prod\"\n",
            core = real.join("core").display()
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
         [dependencies]\nmuster.workspace = true\n",
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
         [features]\n\n[dependencies]\nmuster.workspace = true\nledger-api.workspace = true\nserde_json = \"1\"\n",
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
    let linked = std::fs::read_to_string(ws.join("ledger/src/linked.rs")).unwrap();
    assert!(linked.contains("use flat_v2 as _;"), "{linked}");
    let plan = run(&["xtask", "plan"]);
    assert!(plan.contains("set `prod`"), "{plan}");
    // Its own `cargo xtask build`: plan, sync --check, check, static build, verify
    // (the binary's list equals the plan, build-info names the SBOM), manifest, SBOM.
    run(&["xtask", "build", "--profile", "dev"]);

    let binary = ws.join("out/prod/ledger");
    let host = |args: &[&str]| -> serde_json::Value {
        let output = Command::new(&binary).args(args).output().unwrap();
        assert!(output.status.success(), "{args:?}: {}", output.status);
        serde_json::from_slice(&output.stdout).unwrap()
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
    let explain = host(&["plugins", "explain", "--json"]);
    assert_eq!(explain["slots"][0]["slot"], "fee_rule", "{explain}");
    assert_eq!(
        explain["slots"][0]["selected"]["version"], "2.0.0",
        "{explain}"
    );
    let info = host(&["build-info", "--json"]);
    assert_eq!(info["set"], "prod", "{info}");
    assert!(ws.join("out/prod/ledger.manifest.json").is_file());
    assert!(ws.join("out/prod/ledger.cdx.json").is_file());
}
