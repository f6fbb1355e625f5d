//! Building what the driver measures: the generated hosts per size and backend,
//! the dlopen alternative's cdylibs, and a workspace of 50 generated plugin crates.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Instant, SystemTime};

use anyhow::Context;
use muster_bench::dlopen::cdylib_source;
use muster_bench::stats;
use serde_json::{Value, json};

use crate::Config;

/// Runs `cmd`, failing with its status.
pub(crate) fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("cannot run {cmd:?}"))?;
    anyhow::ensure!(status.success(), "{cmd:?} failed: {status}");
    Ok(())
}

/// The hosts are built as `cargo xtask build` ships a binary (its flags, from the
/// xtask library): static C runtime (static-PIE, ASLR kept) and, where this machine's
/// toolchain supports it, packed relocations; for an explicit target so proc macros
/// stay dynamic.
fn shipped_rustflags() -> String {
    muster_xtask::shipped_rustflags().join(" ")
}

/// The built hosts: `(backend, n, binary)`, the hello world, the bounds at the
/// largest N (`(kind, n, binary)`: `bound`, N types of one trait and no registry;
/// `table`, the simplest registry of them) and the shipped default set's
/// `edge-agent`.
pub(crate) struct Hosts {
    entries: Vec<(&'static str, usize, PathBuf)>,
    pub(crate) hello: PathBuf,
    pub(crate) bounds: Vec<(&'static str, usize, PathBuf)>,
    pub(crate) edge_agent: PathBuf,
}

impl Hosts {
    pub(crate) fn all(&self) -> impl Iterator<Item = (&'static str, usize, &Path)> {
        self.entries.iter().map(|(b, n, p)| (*b, *n, p.as_path()))
    }

    pub(crate) fn get(&self, backend: &str, n: usize) -> Option<&Path> {
        self.all().find(|e| e.0 == backend && e.1 == n).map(|e| e.2)
    }
}

/// A hash of everything a generated host is built from: reuse a host only if it
/// matches.
fn source_hash(root: &Path) -> anyhow::Result<String> {
    let mut files = Vec::new();
    for dir in ["core/src", "plugin-macros/src", "bench/src/bin"] {
        collect_files(&root.join(dir), &mut files)?;
    }
    files.push(root.join("bench/build.rs"));
    files.push(root.join("Cargo.lock"));
    files.sort();
    let mut hasher = DefaultHasher::new();
    // How the hosts are built (the shipped static-PIE build), so older builds are not reused.
    shipped_rustflags().hash(&mut hasher);
    for file in files {
        file.strip_prefix(root)?.hash(&mut hasher);
        std::fs::read(&file)?.hash(&mut hasher);
    }
    Ok(format!("{:016x}", hasher.finish()))
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_files(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// Builds (or reuses) `bench-host` for each size and backend, and the hello world.
/// Cached hosts of other sizes built from the same sources are included too.
pub(crate) fn hosts(config: &Config) -> anyhow::Result<Hosts> {
    let hash = source_hash(&config.root)?;
    let dir = config.work.join("hosts");
    std::fs::create_dir_all(&dir)?;
    let target = config.work.join("hosts-target");
    let triple = muster_xtask::host_triple(&config.root)?;
    let rustflags = shipped_rustflags();
    let build_package = |package: &str, bin: &str, features: &[&str], sizes: &str, dest: &Path| {
        let started = Instant::now();
        let mut cmd = Command::new(&config.cargo);
        cmd.current_dir(&config.root)
            .args(["build", "--release", "-p", package, "--bin", bin])
            .args(["--target", &triple])
            .args(features)
            .env("CARGO_TARGET_DIR", &target)
            .env("RUSTFLAGS", &rustflags)
            .env("MUSTER_BENCH_SIZES", sizes);
        run(&mut cmd)?;
        std::fs::copy(target.join(&triple).join("release").join(bin), dest)?;
        eprintln!(
            "built {} in {:.1} s",
            dest.display(),
            started.elapsed().as_secs_f64()
        );
        anyhow::Ok(())
    };
    // The shipped default set as `cargo xtask build` links it (without `cargo
    // auditable`'s embedded list, which start-up never reads); cargo decides whether it
    // is fresh.
    let edge_agent = dir.join("edge-agent");
    build_package("edge-agent", "edge-agent", &[], "0", &edge_agent)?;
    let build = |bin: &str, features: &[&str], sizes: &str, dest: &Path| -> anyhow::Result<()> {
        build_package("muster-bench", bin, features, sizes, dest)?;
        std::fs::write(dest.with_extension("stamp"), &hash)?;
        Ok(())
    };
    let fresh = |dest: &Path| {
        dest.exists()
            && std::fs::read_to_string(dest.with_extension("stamp")).is_ok_and(|s| s == hash)
    };
    let hello = dir.join("hello");
    if !fresh(&hello) {
        build("bench-hello", &[], "0", &hello)?;
    }
    let inventory_sizes: Vec<usize> = if config.quick {
        vec![0, 1000]
    } else {
        config.host_sizes.clone()
    };
    let mut entries = Vec::new();
    for (backend, sizes, features) in [
        ("linkme", &config.host_sizes, &[][..]),
        (
            "inventory",
            &inventory_sizes,
            &["--features", "inventory"][..],
        ),
    ] {
        for &n in [0, 10, 100, 1000, 10_000].iter() {
            let dest = dir.join(format!("{backend}-{n}"));
            if !fresh(&dest) {
                if !sizes.contains(&n) {
                    continue;
                }
                build("bench-host", features, &n.to_string(), &dest)?;
            }
            entries.push((backend, n, dest));
        }
    }
    // The bounds at the largest size: N trait-object types and nothing else, and
    // the simplest registry of them.
    let mut bounds = Vec::new();
    if let Some(&n) = config.host_sizes.iter().max().filter(|&&n| n > 0) {
        for (kind, bin) in [("bound", "bench-bound"), ("table", "bench-table")] {
            let dest = dir.join(format!("{kind}-{n}"));
            if !fresh(&dest) {
                build(bin, &[], &n.to_string(), &dest)?;
            }
            bounds.push((kind, n, dest));
        }
    }
    Ok(Hosts {
        entries,
        hello,
        bounds,
        edge_agent,
    })
}

/// A stripped copy of `path` (`path.stripped`), made once.
pub(crate) fn stripped(path: &Path) -> anyhow::Result<PathBuf> {
    let out = PathBuf::from(format!("{}.stripped", path.display()));
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if modified(&out) < modified(path) {
        std::fs::copy(path, &out)?;
        run(Command::new("strip").arg(&out))?;
    }
    Ok(out)
}

/// The dlopen alternative for each size: N cdylibs (one per plugin version, same
/// slots and versions as the static hosts), loaded by `dlopen-host`.
pub(crate) fn dlopen(config: &Config, hosts: &Hosts) -> anyhow::Result<Value> {
    let target = config.work.join("hosts-target");
    let mut cmd = Command::new(&config.cargo);
    cmd.current_dir(&config.root)
        .args([
            "build",
            "--release",
            "-p",
            "muster-bench",
            "--bin",
            "dlopen-host",
        ])
        .env("CARGO_TARGET_DIR", &target)
        .env("MUSTER_BENCH_SIZES", "0");
    run(&mut cmd)?;
    let host = config.work.join("hosts/dlopen-host");
    std::fs::copy(target.join("release/dlopen-host"), &host)?;
    let mut rows = Vec::new();
    for &n in &config.dlopen_sizes {
        let libs = cdylibs(config, n)?;
        let Some(static_host) = hosts.get("linkme", n) else {
            anyhow::bail!("no linkme host for N = {n}");
        };
        let dir = libs.display().to_string();
        let timed = stats::time_processes(
            &[(host.as_path(), &[dir.as_str()]), (static_host, &[])],
            config.reps,
        )?;
        let dl_decision =
            stats::decision_stats(&host, &[dir.as_str(), "--time"], config.reps.min(30))?;
        let st_decision = stats::decision_stats(static_host, &["--time"], config.reps.min(30))?;
        let mut so_bytes = 0;
        for lib in muster_bench::dlopen::libraries_in(&libs)? {
            so_bytes += std::fs::metadata(stripped(&lib)?)?.len();
        }
        let host_bytes = std::fs::metadata(stripped(&host)?)?.len();
        let static_bytes = std::fs::metadata(stripped(static_host)?)?.len();
        rows.push(json!({
            "n": n,
            "dlopen_process": timed[0],
            "static_process": timed[1],
            "dlopen_decision": dl_decision,
            "static_decision": st_decision,
            "speedup": dl_decision.median_ns / st_decision.median_ns,
            "dlopen_host_bytes": host_bytes,
            "so_bytes": so_bytes,
            "static_bytes": static_bytes,
        }));
    }
    Ok(Value::Array(rows))
}

/// Generates and builds the N cdylibs; returns the directory holding the `.so` files.
fn cdylibs(config: &Config, n: usize) -> anyhow::Result<PathBuf> {
    let ws = config.work.join(format!("dylib-{n}"));
    let libs = ws.join("lib");
    if libs.join(".done").exists() {
        return Ok(libs);
    }
    let mut members = Vec::new();
    for i in 0..n {
        let (slot, v) = (i / 10, i % 10);
        let name = format!("n{n}_p{i}");
        let krate = ws.join(&name);
        std::fs::create_dir_all(krate.join("src"))?;
        std::fs::write(
            krate.join("Cargo.toml"),
            format!(
                "[package]\nname = \"{name}\"\nversion = \"0.{v}.0\"\nedition = \"2024\"\n\n[lib]\ncrate-type = [\"cdylib\"]\n"
            ),
        )?;
        std::fs::write(
            krate.join("src/lib.rs"),
            cdylib_source(
                &format!("n{n}_s{slot}"),
                &format!("0.{v}.0"),
                slot % 10 == 0 && v == 9,
                2 * v as u64 + 1,
            ),
        )?;
        members.push(format!("\"{name}\""));
    }
    std::fs::write(
        ws.join("Cargo.toml"),
        format!(
            "[workspace]\nresolver = \"3\"\nmembers = [{}]\n",
            members.join(", ")
        ),
    )?;
    let target = config.work.join("dylib-target");
    let started = Instant::now();
    run(Command::new(&config.cargo)
        .current_dir(&ws)
        .args(["build", "--release"])
        .env("CARGO_TARGET_DIR", &target))?;
    eprintln!(
        "built {n} cdylibs in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    std::fs::create_dir_all(&libs)?;
    for i in 0..n {
        let file = format!("libn{n}_p{i}.so");
        std::fs::copy(target.join("release").join(&file), libs.join(&file))?;
    }
    std::fs::write(libs.join(".done"), "")?;
    Ok(libs)
}

/// A workspace of `count` generated plugin crates (10 versions per slot), a
/// contract and a host: a clean build, then the rebuild after touching one plugin.
pub(crate) fn plugin_workspace(config: &Config, count: usize) -> anyhow::Result<Value> {
    let ws = config.work.join(format!("build{count}"));
    if ws.exists() {
        std::fs::remove_dir_all(&ws)?;
    }
    let core = config.root.join("core");
    let slots = count.div_ceil(10);
    let write = |path: PathBuf, text: String| -> anyhow::Result<()> {
        std::fs::create_dir_all(path.parent().context("parent")?)?;
        Ok(std::fs::write(path, text)?)
    };
    let package = |name: &str, deps: &str| {
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[dependencies]\n{deps}"
        )
    };
    let mut contract = String::from("//! Generated contract.\n");
    for s in 0..slots {
        contract.push_str(&format!(
            "/// Slot {s}.\n#[muster::slot]\npub trait Slot{s}: Send + Sync {{\n    /// Work.\n    fn run(&self, x: u64) -> u64;\n}}\n"
        ));
    }
    let muster = format!(
        "muster-rt = {{ path = {:?} }}\n",
        core.display().to_string()
    );
    write(ws.join("contract/Cargo.toml"), package("contract", &muster))?;
    write(ws.join("contract/src/lib.rs"), contract)?;
    let mut host_deps = format!("{muster}contract = {{ path = \"../contract\" }}\n");
    let mut host_uses = String::new();
    for i in 0..count {
        let (s, v) = (i / 10, i % 10);
        let name = format!("plugin{i}");
        write(
            ws.join(format!("{name}/Cargo.toml")),
            package(
                &name,
                &format!("{muster}contract = {{ path = \"../contract\" }}\n"),
            ),
        )?;
        write(
            ws.join(format!("{name}/src/lib.rs")),
            format!(
                "//! Generated plugin {i}.\n#![forbid(unsafe_code)]\nuse contract::Slot{s};\n\n/// Version 0.{v}.0 of slot {s}.\n#[derive(Default)]\n#[muster::plugin(slot = Slot{s}, version = \"0.{v}.0\")]\npub struct P{i};\n\nimpl Slot{s} for P{i} {{\n    fn run(&self, x: u64) -> u64 {{\n        x.wrapping_mul({})\n    }}\n}}\n",
                2 * v + 1
            ),
        )?;
        host_deps.push_str(&format!("{name} = {{ path = \"../{name}\" }}\n"));
        host_uses.push_str(&format!("use {name} as _;\n"));
    }
    write(ws.join("host/Cargo.toml"), package("host", &host_deps))?;
    write(
        ws.join("host/src/main.rs"),
        format!(
            "//! Generated host.\n{host_uses}\nfn main() {{\n    let facts = muster::Facts::probe();\n    let policy = muster::Policy::new();\n    for slot in muster::Selector::new(&facts, &policy).explain_all().slots {{\n        print!(\"{{slot}}\");\n    }}\n}}\n"
        ),
    )?;
    let members: Vec<String> = std::iter::once("\"contract\"".to_owned())
        .chain(std::iter::once("\"host\"".to_owned()))
        .chain((0..count).map(|i| format!("\"plugin{i}\"")))
        .collect();
    write(
        ws.join("Cargo.toml"),
        format!(
            "[workspace]\nresolver = \"3\"\nmembers = [{}]\n",
            members.join(", ")
        ),
    )?;
    // The lock file pins the same dependency versions as muster's.
    std::fs::copy(config.root.join("Cargo.lock"), ws.join("Cargo.lock"))?;
    let cargo_build = || -> anyhow::Result<f64> {
        let started = Instant::now();
        run(Command::new(&config.cargo)
            .current_dir(&ws)
            .args(["build", "--release", "--offline"])
            .env("CARGO_TARGET_DIR", ws.join("target")))?;
        Ok(started.elapsed().as_secs_f64())
    };
    let full = cargo_build()?;
    let touched = ws.join(format!("plugin{}/src/lib.rs", count / 2));
    std::fs::File::options()
        .append(true)
        .open(&touched)?
        .set_modified(SystemTime::now())?;
    let rebuild = cargo_build()?;
    // Plugins only: rebuild everything of this workspace with dependencies warm.
    let contract = ws.join("contract/src/lib.rs");
    std::fs::File::options()
        .append(true)
        .open(&contract)?
        .set_modified(SystemTime::now())?;
    let workspace_only = cargo_build()?;
    Ok(json!({
        "crates": count,
        "profile": "release",
        "full_s": full,
        "rebuild_one_s": rebuild,
        "ratio": rebuild / full,
        "workspace_only_s": workspace_only,
        "ratio_to_workspace_only": rebuild / workspace_only,
    }))
}
