//! The benchmark driver: `cargo run -p muster-bench --release -- [--quick]
//! [--no-criterion] [--fleet-only]`.
//!
//! Builds the generated hosts (per size and backend, in their own target directory
//! so that the criterion builds stay cached), times processes, builds and loads the
//! dlopen alternative, runs the criterion benches on both backends (and the per-unit
//! costs of the real agent: the in-flight record against a unit), times a build
//! of 50 generated plugin crates, times `edge-agent plugins fleet` over 100,000
//! hosts (`--fleet-only`: just that, written to `bench/results/fleet.json`), then writes `bench/results/<mode>.json`,
//! `bench/results/<mode>.md` (tables, target against measured) and `bench/plots/*.svg`.

mod builds;
mod fleet;
mod plot;
mod report;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::Context;
use muster_bench::stats;
use serde_json::{Value, json};

/// Options for one run.
pub(crate) struct Config {
    pub(crate) quick: bool,
    pub(crate) root: PathBuf,
    pub(crate) work: PathBuf,
    pub(crate) cargo: String,
    /// Host sizes to build (cached ones of other sizes are used too).
    pub(crate) host_sizes: Vec<usize>,
    pub(crate) dlopen_sizes: Vec<usize>,
    pub(crate) reps: usize,
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let skip_criterion = args.iter().any(|a| a == "--no-criterion");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("bench/ has a parent")?
        .to_path_buf();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let config = Config {
        quick,
        work: target.join("muster-bench"),
        root,
        cargo: std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()),
        host_sizes: if quick {
            vec![0, 10, 100, 1000]
        } else {
            vec![0, 10, 100, 1000, 10_000]
        },
        dlopen_sizes: vec![10, 100],
        reps: if quick { 30 } else { 200 },
    };
    std::fs::create_dir_all(&config.work)?;
    let started = Instant::now();
    if args.iter().any(|a| a == "--fleet-only") {
        let results = json!({"machine": machine(), "fleet": fleet::fleet(&config)?});
        let out = config.root.join("bench/results/fleet.json");
        std::fs::write(&out, serde_json::to_string_pretty(&results)? + "\n")?;
        let mut md = String::new();
        report::fleet(&mut md, &results);
        println!("{md}");
        eprintln!(
            "wrote {} in {:.0} s",
            out.display(),
            started.elapsed().as_secs_f64()
        );
        return Ok(());
    }
    let mut results = json!({
        "mode": if quick { "quick" } else { "full" },
        "machine": machine(),
    });

    eprintln!("== hosts");
    let hosts = builds::hosts(&config)?;
    results["sizes"] = sizes(&hosts)?;
    eprintln!("== process start to decision");
    results["process"] = process(&config, &hosts)?;
    eprintln!("== dlopen");
    results["dlopen"] = builds::dlopen(&config, &hosts)?;
    if !skip_criterion {
        eprintln!("== criterion");
        results["criterion"] = criterion(&config)?;
    }
    eprintln!("== fleet of {} hosts", fleet::HOSTS);
    results["fleet"] = fleet::fleet(&config)?;
    if !quick {
        eprintln!("== build of 50 plugin crates");
        results["build"] = builds::plugin_workspace(&config, 50)?;
    }
    results["elapsed_s"] = json!(started.elapsed().as_secs_f64());

    let mode = if quick { "quick" } else { "full" };
    let out = config.root.join("bench/results");
    std::fs::create_dir_all(&out)?;
    // Keep the last full run's build figures when a quick run skips them.
    if quick && let Ok(old) = std::fs::read_to_string(out.join("full.json")) {
        let old: Value = serde_json::from_str(&old)?;
        results["build"] = old["build"].clone();
    }
    std::fs::write(
        out.join(format!("{mode}.json")),
        serde_json::to_string_pretty(&results)? + "\n",
    )?;
    let md = report::markdown(&results);
    std::fs::write(out.join(format!("{mode}.md")), &md)?;
    // Committed plots come from full runs; quick runs plot beside them, ignored by git.
    let plots = if quick {
        "bench/plots/quick"
    } else {
        "bench/plots"
    };
    plot::all(&results, &config.root.join(plots))?;
    println!("{md}");
    eprintln!("done in {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// `nproc`, CPU model, date, rustc.
fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let output = |cmd: &str, args: &[&str]| {
        Command::new(cmd)
            .args(args)
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    };
    json!({
        "nproc": std::thread::available_parallelism().map_or(1, |n| n.get()),
        "cpu": cpu,
        "date": output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        "rustc": output("rustc", &["--version"]),
        "loadavg": std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim(),
    })
}

/// Binary sizes (stripped), linkme section bytes and `.init_array` entries.
fn sizes(hosts: &builds::Hosts) -> anyhow::Result<Value> {
    let mut rows = Vec::new();
    for (backend, n, path) in hosts.all() {
        let stripped = builds::stripped(path)?;
        rows.push(json!({
            "backend": backend,
            "n": n,
            "bytes_stripped": std::fs::metadata(&stripped)?.len(),
            "init_array_entries": muster_bench::elf::init_array_entries(path)?,
            "linkme_section_bytes": muster_bench::elf::linkme_bytes(path)?,
            "relocations": muster_bench::elf::relocations(path)?,
        }));
    }
    for (kind, n, bound) in &hosts.bounds {
        rows.push(json!({
            "backend": kind,
            "n": n,
            "bytes_stripped": std::fs::metadata(builds::stripped(bound)?)?.len(),
            "init_array_entries": muster_bench::elf::init_array_entries(bound)?,
            "linkme_section_bytes": 0,
            "relocations": muster_bench::elf::relocations(bound)?,
        }));
    }
    let hello = &hosts.hello;
    rows.push(json!({
        "backend": "hello",
        "n": 0,
        "bytes_stripped": std::fs::metadata(builds::stripped(hello)?)?.len(),
        "init_array_entries": muster_bench::elf::init_array_entries(hello)?,
        "linkme_section_bytes": 0,
        "relocations": muster_bench::elf::relocations(hello)?,
    }));
    Ok(Value::Array(rows))
}

/// What the shipped `edge-agent` (default set) is timed running, beside the hello world.
const SHIPPED_COMMANDS: [&[&str]; 3] = [&["plugins", "explain"], &["facts"], &["--version"]];

/// Every host and the hello world, interleaved, `reps` times; plus the in-process
/// decision time each host reports (cold: first call; warm: median of repeats).
fn process(config: &Config, hosts: &builds::Hosts) -> anyhow::Result<Value> {
    let all: Vec<(&'static str, usize, &Path)> = hosts.all().collect();
    let mut programs: Vec<(&Path, &[&str])> = vec![(hosts.hello.as_path(), &[])];
    programs.extend(all.iter().map(|(_, _, p)| (*p, &[][..])));
    // The same hosts stopping at the decision (no report rendering), interleaved too.
    programs.extend(all.iter().map(|(_, _, p)| (*p, &["--decide"][..])));
    // And stopping on entering `main`: the cost of loading each binary.
    programs.extend(all.iter().map(|(_, _, p)| (*p, &["--load-only"][..])));
    // The bounds under any registry of the largest N: deciding, then loading only.
    for (_, _, bound) in &hosts.bounds {
        programs.push((bound.as_path(), &[]));
        programs.push((bound.as_path(), &["--load-only"]));
    }
    // The shipped default set's edge-agent, the everyday commands.
    programs.extend(
        SHIPPED_COMMANDS
            .iter()
            .map(|args| (hosts.edge_agent.as_path(), *args)),
    );
    let timed = stats::time_processes(&programs, config.reps)?;
    let floor = timed[0];
    let decide_only = &timed[1 + all.len()..1 + 2 * all.len()];
    let load_only = &timed[1 + 2 * all.len()..1 + 3 * all.len()];
    let bounds = &timed[1 + 3 * all.len()..1 + 3 * all.len() + 2 * hosts.bounds.len()];
    let shipped = &timed[1 + 3 * all.len() + 2 * hosts.bounds.len()..];
    let mut rows = vec![json!({"backend": "hello", "n": 0, "process": floor})];
    for ((kind, n, _), timed) in hosts.bounds.iter().zip(bounds.chunks(2)) {
        // A bound's run is its decision.
        if let [decide, load] = timed {
            rows.push(process_row(kind, *n, [decide, decide, load], &floor));
        }
    }
    for (args, process) in SHIPPED_COMMANDS.iter().zip(shipped) {
        rows.push(json!({
            "backend": "edge-agent",
            "command": args.join(" "),
            "process": process,
            "ratio_to_floor": process.median_ns / floor.median_ns,
        }));
    }
    for ((((backend, n, path), process), decide), load) in
        all.iter().zip(&timed[1..]).zip(decide_only).zip(load_only)
    {
        let mut row = process_row(backend, *n, [process, decide, load], &floor);
        row["decision_cold"] = json!(stats::decision_stats(
            path,
            &["--time"],
            config.reps.min(30)
        )?);
        row["decision_warm_ns"] = json!(warm_ns(path)?);
        rows.push(row);
    }
    Ok(Value::Array(rows))
}

/// A row of the process table: a binary's whole run, its run stopping after the
/// decision and its run stopping on entering `main`, each also against the floor.
fn process_row(
    backend: &str,
    n: usize,
    [process, decide, load]: [&stats::Stats; 3],
    floor: &stats::Stats,
) -> Value {
    json!({
        "backend": backend,
        "n": n,
        "process": process,
        "ratio_to_floor": process.median_ns / floor.median_ns,
        "decide_process": decide,
        "decide_ratio_to_floor": decide.median_ns / floor.median_ns,
        "load_process": load,
        "load_ratio_to_floor": load.median_ns / floor.median_ns,
    })
}

/// The host's warm `explain_all` time (median of 51), if it supports `--warm`.
fn warm_ns(path: &Path) -> anyhow::Result<Option<f64>> {
    let out = Command::new(path)
        .args(["--time", "--warm", "51"])
        .stdout(std::process::Stdio::null())
        .output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    Ok(stderr
        .split_whitespace()
        .find_map(|w| w.strip_prefix("warm_ns="))
        .and_then(|v| v.parse().ok()))
}

/// Runs the criterion benches on both backends and collects their estimates.
fn criterion(config: &Config) -> anyhow::Result<Value> {
    let (spread, wide) = if config.quick {
        ("10,100,1000", "10,100,1000,10000")
    } else {
        // The spread at 10,000 (1,000 slots) takes minutes to compile twice; its
        // explain_all is measured warm inside the 10,000 host instead.
        ("10,100,1000", "10,100,1000,10000")
    };
    let mut extra = vec!["--noplot"];
    if config.quick {
        extra.extend(["--warm-up-time", "0.3", "--measurement-time", "0.7"]);
    } else {
        extra.extend(["--warm-up-time", "1", "--measurement-time", "3"]);
    }
    for features in [&[][..], &["--features", "inventory"][..]] {
        let mut cmd = Command::new(&config.cargo);
        cmd.current_dir(&config.root)
            .args(["bench", "-p", "muster-bench", "--bench", "selection"])
            .args(features)
            .arg("--")
            .args(&extra)
            .env("MUSTER_BENCH_SIZES", spread)
            .env("MUSTER_BENCH_WIDE", wide);
        builds::run(&mut cmd)?;
    }
    let mut cmd = Command::new(&config.cargo);
    cmd.current_dir(&config.root)
        .args(["bench", "-p", "muster-bench", "--bench", "dispatch", "--"])
        .args(&extra)
        // The same sizes as above, so the build script does not rerun.
        .env("MUSTER_BENCH_SIZES", spread)
        .env("MUSTER_BENCH_WIDE", wide);
    builds::run(&mut cmd)?;
    // Per unit of the agent: the crash-memory record, the metrics file and the unit.
    for bench in ["inflight", "metrics"] {
        let mut cmd = Command::new(&config.cargo);
        cmd.current_dir(&config.root)
            .args(["bench", "-p", "muster-bench", "--bench", bench, "--"])
            .args(&extra)
            .env("MUSTER_BENCH_SIZES", spread)
            .env("MUSTER_BENCH_WIDE", wide);
        builds::run(&mut cmd)?;
    }
    let dir = config
        .work
        .parent()
        .context("target dir")?
        .join("criterion");
    let mut rows = Vec::new();
    collect_estimates(&dir, &dir, &mut rows)?;
    Ok(Value::Array(rows))
}

/// Every `new/estimates.json` under `dir`: `{ id, mean_ns, median_ns }`.
fn collect_estimates(base: &Path, dir: &Path, rows: &mut Vec<Value>) -> anyhow::Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "new") {
                let estimates = path.join("estimates.json");
                let bench = path.join("benchmark.json");
                if let (Ok(e), Ok(b)) = (
                    std::fs::read_to_string(&estimates),
                    std::fs::read_to_string(&bench),
                ) {
                    let e: Value = serde_json::from_str(&e)?;
                    let b: Value = serde_json::from_str(&b)?;
                    rows.push(json!({
                        "id": b["full_id"],
                        "group": b["group_id"],
                        "function": b["function_id"],
                        "n": b["value_str"].as_str().and_then(|v| v.parse::<u64>().ok()),
                        "mean_ns": e["mean"]["point_estimate"],
                        "median_ns": e["median"]["point_estimate"],
                    }));
                }
            } else if path.strip_prefix(base).is_ok() {
                collect_estimates(base, &path, rows)?;
            }
        }
    }
    Ok(())
}

/// Shorthand used by the report.
pub(crate) fn median(stats: &Value) -> f64 {
    stats["median_ns"].as_f64().unwrap_or(f64::NAN)
}
