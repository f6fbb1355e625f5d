//! The dlopen alternative's host: loads every `.so` in a directory, decides each
//! slot, prints the decisions. With `--time`, prints to stderr the nanoseconds from
//! having the host facts to the decision (`decision_ns`).

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use muster_bench::dlopen::{self, HostFacts};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .ok_or_else(|| anyhow::anyhow!("usage: dlopen-host DIR [--time]"))?,
    );
    let time = args.any(|a| a == "--time");
    let facts = HostFacts {
        logical_cores: std::thread::available_parallelism().map_or(1, |n| n.get() as u32),
        never_label: false,
    };
    let start = Instant::now();
    let paths = dlopen::libraries_in(&dir)?;
    let (decisions, _libraries) = dlopen::decide(&paths, &facts)?;
    let decided = start.elapsed();
    let mut out = std::io::stdout().lock();
    for d in &decisions {
        match &d.selected {
            Some((version, path)) => writeln!(out, "{}: {version} ({})", d.slot, path.display())?,
            None => writeln!(out, "{}: no acceptable version", d.slot)?,
        }
    }
    out.flush()?;
    if time {
        eprintln!(
            "decision_ns={} slots={} libraries={}",
            decided.as_nanos(),
            decisions.len(),
            paths.len()
        );
    }
    Ok(())
}
