//! The results as Markdown tables, each measurement against its target.

use std::fmt::Write as _;

use serde_json::Value;

use crate::median;

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "**missed**" }
}

fn us(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{ns:.2} ns")
    }
}

fn rows(results: &Value, key: &str) -> Vec<Value> {
    results[key].as_array().cloned().unwrap_or_default()
}

/// A criterion estimate (mean) for `group` / `function` / `n`.
pub(crate) fn estimate(
    results: &Value,
    group: &str,
    function: &str,
    n: Option<u64>,
) -> Option<f64> {
    rows(results, "criterion").iter().find_map(|r| {
        (r["group"] == group && r["function"] == function && (n.is_none() || r["n"].as_u64() == n))
            .then(|| r["mean_ns"].as_f64())
            .flatten()
    })
}

/// Least-squares slope of `(x, y)` points.
pub(crate) fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    let (mx, my) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y / n));
    let cov: f64 = points.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    let var: f64 = points.iter().map(|(x, _)| (x - mx) * (x - mx)).sum();
    cov / var
}

/// All tables.
pub(crate) fn markdown(results: &Value) -> String {
    let mut md = String::new();
    let m = &results["machine"];
    let _ = writeln!(
        md,
        "Mode: {}; {} × {}; {}; {}; load average at start: {}; took {:.0} s.\n",
        results["mode"].as_str().unwrap_or("?"),
        m["nproc"],
        m["cpu"].as_str().unwrap_or("?"),
        m["date"].as_str().unwrap_or("?"),
        m["rustc"].as_str().unwrap_or("?"),
        m["loadavg"].as_str().unwrap_or("?"),
        results["elapsed_s"].as_f64().unwrap_or(0.0),
    );
    selection(&mut md, results);
    process(&mut md, results);
    dlopen(&mut md, results);
    dispatch(&mut md, results);
    size(&mut md, results);
    build(&mut md, results);
    fleet(&mut md, results);
    per_unit(&mut md, results);
    md
}

/// What the agent adds to each unit, against the unit itself (one run, so a ratio).
fn per_unit(md: &mut String, results: &Value) {
    let _ = writeln!(
        md,
        "### 8. Per unit of `edge-agent` (criterion, mean; a unit: an input written, one tick: \
         checksum, fsynced report, move to done/, status line)\n"
    );
    let Some(unit) = estimate(results, "inflight", "unit", None) else {
        let _ = writeln!(md, "(not measured)\n");
        return;
    };
    let _ = writeln!(md, "| cost | per unit | share of the unit | target |");
    let _ = writeln!(md, "|---|---:|---:|---|");
    let _ = writeln!(md, "| the unit | {} | 100 % | |", us(unit));
    if let Some(record) = estimate(results, "inflight", "begin_end", None) {
        // Three plugin calls per unit: checksum, uplink, the showcase's status line.
        let calls = 3.0 * record;
        let _ = writeln!(
            md,
            "| in-flight record, 3 calls × begin + end | {} | {:.2} % | |",
            us(calls),
            100.0 * calls / unit
        );
    }
    if let Some(write) = estimate(results, "metrics", "decide_encode_write", None) {
        // Once per interval (15 s by default), whatever the units: its share of the
        // agent's time, and per unit when units run back to back.
        let interval = 15e9;
        let _ = writeln!(
            md,
            "| metrics file: decide, encode, fsynced write, once per 15 s | {} per write | {:.3} % of the agent's time | ≤ 1 % {} |",
            us(write),
            100.0 * write / interval,
            met(write / interval <= 0.01)
        );
    }
    let _ = writeln!(md);
}

/// `plugins fleet` over 100,000 hosts' facts files.
pub(crate) fn fleet(md: &mut String, results: &Value) {
    let fleet = &results["fleet"];
    let Some(cases) = fleet["cases"].as_array() else {
        return;
    };
    let _ = writeln!(
        md,
        "### 7. `plugins fleet` over {} hosts' facts files (release, median wall time, stdout to /dev/null; target: ≤ 2 s)\n",
        fleet["hosts"]
    );
    let _ = writeln!(md, "| case | median | min | samples | target |");
    let _ = writeln!(md, "|---|---:|---:|---:|---|");
    for c in cases {
        let p = &c["process"];
        let median = p["median_ns"].as_f64().unwrap_or(f64::NAN);
        let _ = writeln!(
            md,
            "| {} | {:.2} s | {:.2} s | {} | {} |",
            c["case"].as_str().unwrap_or("?"),
            median / 1e9,
            p["min_ns"].as_f64().unwrap_or(f64::NAN) / 1e9,
            p["samples"],
            met(median <= 2e9),
        );
    }
    let _ = writeln!(md);
}

fn selection(md: &mut String, results: &Value) {
    let _ = writeln!(
        md,
        "### 1. Selection (criterion, mean; target: ≤ 1 ms at N = 10,000, linear or better)\n"
    );
    let _ = writeln!(md, "| backend | benchmark | N | time | per registration |");
    let _ = writeln!(md, "|---|---|---:|---:|---:|");
    for backend in ["linkme", "inventory"] {
        for (group, function) in [
            ("single-slot", "explain"),
            ("single-slot", "select"),
            ("single-slot", "index-build"),
            ("spread", "explain-slots"),
        ] {
            for n in [10u64, 100, 1000, 10_000] {
                if let Some(t) = estimate(results, &format!("{group}/{backend}"), function, Some(n))
                {
                    let _ = writeln!(
                        md,
                        "| {backend} | {group} {function} | {n} | {} | {:.1} ns |",
                        us(t),
                        t / n as f64
                    );
                }
            }
        }
        for r in rows(results, "criterion") {
            if r["group"] == format!("spread/{backend}").as_str() && r["function"] == "explain_all"
            {
                let n = r["n"].as_f64().unwrap_or(1.0);
                let t = r["mean_ns"].as_f64().unwrap_or(f64::NAN);
                let _ = writeln!(
                    md,
                    "| {backend} | explain_all (whole bench binary) | {n} | {} | {:.1} ns |",
                    us(t),
                    t / n
                );
            }
        }
    }
    let _ = writeln!(
        md,
        "\nWarm `explain_all` inside the generated hosts (median of 51 calls after the first):\n"
    );
    let _ = writeln!(
        md,
        "| backend | N (N/10 slots) | explain_all | per registration | target ≤ 1 ms at 10,000 |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---|");
    for r in rows(results, "process") {
        if let (Some(n), Some(t)) = (r["n"].as_u64(), r["decision_warm_ns"].as_f64()) {
            if n == 0 {
                continue;
            }
            let verdict = if n == 10_000 { met(t <= 1e6) } else { "" };
            let _ = writeln!(
                md,
                "| {} | {n} | {} | {:.1} ns | {verdict} |",
                r["backend"].as_str().unwrap_or("?"),
                us(t),
                t / n as f64
            );
        }
    }
    let _ = writeln!(md);
}

fn process(md: &mut String, results: &Value) {
    let _ = writeln!(
        md,
        "### 2. Process start to decision (median wall time of spawn → exit, stdout to /dev/null; target: ≤ 1.3× the floor at N = 10,000)\n"
    );
    let _ = writeln!(
        md,
        "| binary | N | explain: median | mean | × floor | decision only (`--decide`): median | × floor | loading only (`--load-only`): median | × floor | first explain_all in-process | `.init_array` entries | target (N = 10,000: decision ≤ 1.3×, explain ≤ 3×) |"
    );
    let _ = writeln!(
        md,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    );
    let sizes = rows(results, "sizes");
    let init = |backend: &str, n: u64| {
        sizes
            .iter()
            .find(|s| s["backend"] == backend && s["n"].as_u64() == Some(n))
            .and_then(|s| s["init_array_entries"].as_u64())
            .map_or("?".to_owned(), |v| v.to_string())
    };
    let all = rows(results, "process");
    let mut floor = f64::NAN;
    for r in &all {
        let backend = r["backend"].as_str().unwrap_or("?");
        if backend == "edge-agent" {
            continue;
        }
        let n = r["n"].as_u64().unwrap_or(0);
        let p = &r["process"];
        if backend == "hello" {
            floor = median(p);
        }
        let ratio = r["ratio_to_floor"].as_f64().unwrap_or(1.0);
        let decide_ratio = r["decide_ratio_to_floor"].as_f64();
        let verdict = if n == 10_000 && backend == "linkme" {
            format!(
                "decision {}, explain {}",
                met(decide_ratio.is_some_and(|d| d <= 1.3)),
                met(ratio <= 3.0)
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            md,
            "| {} | {n} | {} | {} | {ratio:.2} | {} | {} | {} | {} | {} | {} | {verdict} |",
            match backend {
                "hello" => "hello world (floor)",
                "bound" => "bound: N types of one trait, no registry",
                "table" => "table: the N types in a static table (slot, version, constructor)",
                _ => backend,
            },
            us(median(p)),
            us(p["mean_ns"].as_f64().unwrap_or(f64::NAN)),
            r["decide_process"]
                .get("median_ns")
                .and_then(Value::as_f64)
                .map_or("–".to_owned(), us),
            decide_ratio.map_or("–".to_owned(), |d| format!("{d:.2}")),
            r["load_process"]
                .get("median_ns")
                .and_then(Value::as_f64)
                .map_or("–".to_owned(), us),
            r["load_ratio_to_floor"]
                .as_f64()
                .map_or("–".to_owned(), |d| format!("{d:.2}")),
            r["decision_cold"]["median_ns"]
                .as_f64()
                .map_or("–".to_owned(), us),
            init(backend, n),
        );
    }
    shipped(md, &all, floor);
    let find = |backend: &str, n: u64| {
        all.iter()
            .find(|r| r["backend"] == backend && r["n"].as_u64() == Some(n))
            .map(|r| median(&r["process"]))
    };
    let top = [10_000u64, 1000]
        .into_iter()
        .find(|&n| find("inventory", n).is_some() && find("linkme", n).is_some());
    if let Some(n) = top {
        let (inv, lm) = (
            find("inventory", n).unwrap_or(f64::NAN),
            find("linkme", n).unwrap_or(f64::NAN),
        );
        let zero = find("inventory", 0).unwrap_or(floor);
        let _ = writeln!(
            md,
            "\ninventory start-up cost per registration at N = {n}: {:.1} ns against linkme at the same N, {:.1} ns against inventory with N = 0 (whole process, all registrations; includes the decision).",
            (inv - lm) / n as f64,
            (inv - zero) / n as f64
        );
    }
    let _ = writeln!(md);
}

/// The shipped default set's `edge-agent` against the same hello world.
fn shipped(md: &mut String, all: &[Value], floor: f64) {
    let rows: Vec<&Value> = all
        .iter()
        .filter(|r| r["backend"] == "edge-agent")
        .collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "\nThe shipped default set (`edge-agent`, linked as `cargo xtask build` links it), same rounds, against the floor of {}:\n",
        us(floor)
    );
    let _ = writeln!(
        md,
        "| `edge-agent` command | median | × floor | target (`plugins explain` ≤ 1.3×) |"
    );
    let _ = writeln!(md, "|---|---:|---:|---|");
    for r in rows {
        let command = r["command"].as_str().unwrap_or("?");
        let ratio = r["ratio_to_floor"].as_f64().unwrap_or(f64::NAN);
        let verdict = if command == "plugins explain" {
            met(ratio <= 1.3)
        } else {
            ""
        };
        let _ = writeln!(
            md,
            "| `{command}` | {} | {ratio:.2} | {verdict} |",
            us(median(&r["process"]))
        );
    }
}

fn dlopen(md: &mut String, results: &Value) {
    let _ = writeln!(
        md,
        "### 3. The dlopen alternative (targets: decision ≥ 50× faster at N = 100; static binary smaller on disk at N = 10)\n"
    );
    let _ = writeln!(
        md,
        "| N | dlopen decision | static decision | speedup | dlopen process | static process | host + .so bytes | static bytes | targets |"
    );
    let _ = writeln!(md, "|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for r in rows(results, "dlopen") {
        let n = r["n"].as_u64().unwrap_or(0);
        let speedup = r["speedup"].as_f64().unwrap_or(0.0);
        let dl_bytes =
            r["dlopen_host_bytes"].as_u64().unwrap_or(0) + r["so_bytes"].as_u64().unwrap_or(0);
        let st_bytes = r["static_bytes"].as_u64().unwrap_or(0);
        let verdict = match n {
            100 => format!("speed {}", met(speedup >= 50.0)),
            10 => format!("size {}", met(st_bytes < dl_bytes)),
            _ => String::new(),
        };
        let _ = writeln!(
            md,
            "| {n} | {} | {} | {speedup:.0}× | {} | {} | {dl_bytes} | {st_bytes} | {verdict} |",
            us(median(&r["dlopen_decision"])),
            us(median(&r["static_decision"])),
            us(median(&r["dlopen_process"])),
            us(median(&r["static_process"])),
        );
    }
    let _ = writeln!(
        md,
        "\nDecision = in the process, from having the host facts to the decision (median): for dlopen, open every library, look up and call its functions, pick per slot; for the static host, the first `explain_all` (lazy index construction included, full report built).\n"
    );
}

fn dispatch(md: &mut String, results: &Value) {
    let _ = writeln!(
        md,
        "### 4. Dispatch (criterion, mean; target: ≤ 2 ns over a direct call)\n"
    );
    let direct = estimate(results, "dispatch", "direct", None);
    let dynamic = estimate(results, "dispatch", "dyn", None);
    let selected = estimate(results, "dispatch", "selected", None);
    let _ = writeln!(md, "| call | ns/call | over direct | target |");
    let _ = writeln!(md, "|---|---:|---:|---|");
    if let (Some(d), Some(y), Some(s)) = (direct, dynamic, selected) {
        let _ = writeln!(md, "| direct (static, inlinable) | {d:.2} | – | |");
        let _ = writeln!(md, "| `&dyn Slot` | {y:.2} | {:.2} | |", y - d);
        let _ = writeln!(
            md,
            "| `Selected<dyn Slot>` | {s:.2} | {:.2} | {} |",
            s - d,
            met(s - d <= 2.0)
        );
    }
    let _ = writeln!(md);
}

fn size(md: &mut String, results: &Value) {
    let _ = writeln!(
        md,
        "### 5. Binary size (stripped release; target: ≤ 256 bytes per registered version)\n"
    );
    let _ = writeln!(
        md,
        "| backend | N | bytes | linkme section bytes | load-time relocations |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|");
    let sizes = rows(results, "sizes");
    for r in &sizes {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            r["backend"].as_str().unwrap_or("?"),
            r["n"],
            r["bytes_stripped"],
            r["linkme_section_bytes"],
            r["relocations"]
        );
    }
    let _ = writeln!(
        md,
        "\n| backend | slope (bytes per registered version, least squares) | relocations per registered version | target (≤ 256 B) |"
    );
    let _ = writeln!(md, "|---|---:|---:|---|");
    for backend in ["linkme", "inventory"] {
        let points: Vec<(f64, f64)> = sizes
            .iter()
            .filter(|r| r["backend"] == backend)
            .filter_map(|r| Some((r["n"].as_f64()?, r["bytes_stripped"].as_f64()?)))
            .collect();
        let relocs: Vec<(f64, f64)> = sizes
            .iter()
            .filter(|r| r["backend"] == backend)
            .filter_map(|r| Some((r["n"].as_f64()?, r["relocations"].as_f64()?)))
            .collect();
        if points.len() >= 2 {
            let s = slope(&points);
            let r = if relocs.len() >= 2 {
                format!("{:.1}", slope(&relocs))
            } else {
                "–".to_owned()
            };
            let _ = writeln!(md, "| {backend} | {s:.0} | {r} | {} |", met(s <= 256.0));
        }
    }
    // The bounds against the hello world: N types of one trait with no registry,
    // and the simplest registry of them.
    let of = |backend: &str| sizes.iter().find(|r| r["backend"] == backend);
    for (kind, what) in [
        ("bound", "types of one trait, no registry"),
        (
            "table",
            "types in a static table of slot, version, constructor",
        ),
    ] {
        let (Some(bound), Some(hello)) = (of(kind), of("hello")) else {
            continue;
        };
        let per = |key: &str| {
            (bound[key].as_f64().unwrap_or(f64::NAN) - hello[key].as_f64().unwrap_or(f64::NAN))
                / bound["n"].as_f64().unwrap_or(f64::NAN)
        };
        let _ = writeln!(
            md,
            "| {kind}: N = {} {what} (against the hello world) | {:.0} | {:.1} | – |",
            bound["n"],
            per("bytes_stripped"),
            per("relocations")
        );
    }
    let _ = writeln!(md);
}

fn build(md: &mut String, results: &Value) {
    let b = &results["build"];
    let _ = writeln!(
        md,
        "### 6. Build of 50 generated plugin crates (target: rebuild after touching one plugin ≤ 20% of the full build)\n"
    );
    if b.is_null() {
        let _ = writeln!(md, "Not measured in this run (full mode only).\n");
        return;
    }
    let _ = writeln!(
        md,
        "| crates | profile | full build (clean, with dependencies) | workspace crates only (deps warm) | rebuild after touching one plugin | ratio to full | ratio to workspace-only | target |"
    );
    let _ = writeln!(md, "|---:|---|---:|---:|---:|---:|---:|---|");
    let ratio = b["ratio"].as_f64().unwrap_or(f64::NAN);
    let _ = writeln!(
        md,
        "| {} | {} | {:.1} s | {:.1} s | {:.1} s | {:.0}% | {:.0}% | {} |\n",
        b["crates"],
        b["profile"].as_str().unwrap_or("?"),
        b["full_s"].as_f64().unwrap_or(f64::NAN),
        b["workspace_only_s"].as_f64().unwrap_or(f64::NAN),
        b["rebuild_one_s"].as_f64().unwrap_or(f64::NAN),
        100.0 * ratio,
        100.0 * b["ratio_to_workspace_only"].as_f64().unwrap_or(f64::NAN),
        met(ratio <= 0.2)
    );
}
