//! Timing processes and summarising samples.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;

/// Summary of repeated measurements, in nanoseconds.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Stats {
    /// Number of samples.
    pub samples: usize,
    /// Median.
    pub median_ns: f64,
    /// Mean.
    pub mean_ns: f64,
    /// Fastest sample.
    pub min_ns: f64,
}

impl Stats {
    /// Summarises `samples` (must not be empty).
    pub fn of(samples: &mut [f64]) -> Stats {
        assert!(!samples.is_empty(), "no samples");
        samples.sort_by(f64::total_cmp);
        let n = samples.len();
        let median = if n % 2 == 1 {
            samples[n / 2]
        } else {
            (samples[n / 2 - 1] + samples[n / 2]) / 2.0
        };
        Stats {
            samples: n,
            median_ns: median,
            mean_ns: samples.iter().sum::<f64>() / n as f64,
            min_ns: samples[0],
        }
    }
}

/// Runs `program args` once with stdout discarded; the wall time from spawn to exit.
pub fn run_once(program: &Path, args: &[&str]) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let status = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()?;
    let elapsed = start.elapsed();
    anyhow::ensure!(status.success(), "{} failed: {status}", program.display());
    Ok(elapsed)
}

/// Times several programs `reps` times each, interleaved (one round runs each once)
/// so that drift in machine load hits them all alike. Returns one [`Stats`] each.
pub fn time_processes(programs: &[(&Path, &[&str])], reps: usize) -> anyhow::Result<Vec<Stats>> {
    let mut samples = vec![Vec::with_capacity(reps); programs.len()];
    for (program, args) in programs {
        // Warm the page cache.
        run_once(program, args)?;
    }
    for _ in 0..reps {
        for (i, (program, args)) in programs.iter().enumerate() {
            samples[i].push(run_once(program, args)?.as_nanos() as f64);
        }
    }
    Ok(samples.iter_mut().map(|s| Stats::of(s)).collect())
}

/// Runs `program args` and returns the `decision_ns=` figure it prints on stderr.
pub fn decision_ns(program: &Path, args: &[&str]) -> anyhow::Result<f64> {
    let out = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "{} failed: {}",
        program.display(),
        out.status
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let value = stderr
        .split_whitespace()
        .find_map(|w| w.strip_prefix("decision_ns="))
        .ok_or_else(|| anyhow::anyhow!("{} printed no decision_ns: {stderr}", program.display()))?;
    Ok(value.parse()?)
}

/// The median of `reps` runs of [`decision_ns`].
pub fn decision_stats(program: &Path, args: &[&str], reps: usize) -> anyhow::Result<Stats> {
    let mut samples = (0..reps)
        .map(|_| decision_ns(program, args))
        .collect::<anyhow::Result<Vec<f64>>>()?;
    Ok(Stats::of(&mut samples))
}
