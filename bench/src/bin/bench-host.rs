//! What `edge-agent plugins explain` does, over the generated registrations: probe
//! the host, decide every slot, print the report. With `--time`, prints to stderr
//! the nanoseconds from entering `main` to the decision; with `--warm K`, also the
//! median of K further `explain_all` calls (indexes built, facts probed).

// The generated slots and their plugins share this crate, so linkme's element
// macro is local and its `link_section` needs this.
#![allow(unsafe_code)]

use std::io::Write;
use std::time::Instant;

use muster::{Facts, Policy, Selector};

#[allow(dead_code, missing_docs, unreachable_pub)] // Generated; reached through the registry only.
mod generated {
    include!(concat!(env!("OUT_DIR"), "/spread.rs"));
}

fn main() {
    let start = Instant::now();
    let time = std::env::args().any(|a| a == "--time");
    let facts = Facts::probe();
    let policy = Policy::new();
    let report = Selector::new(&facts, &policy).explain_all();
    let decided = start.elapsed();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "host: {} ({})", facts.hostname, muster::BACKEND);
    for slot in &report.slots {
        let _ = write!(out, "\n{slot}");
    }
    let _ = out.flush();
    if let Some(k) = warm_repeats() {
        let mut samples: Vec<u128> = (0..k)
            .map(|_| {
                let t = Instant::now();
                let report = Selector::new(&facts, &policy).explain_all();
                let elapsed = t.elapsed().as_nanos();
                std::hint::black_box(report);
                elapsed
            })
            .collect();
        samples.sort_unstable();
        eprintln!("warm_ns={}", samples[samples.len() / 2]);
    }
    if time {
        eprintln!(
            "decision_ns={} slots={} sizes={:?}",
            decided.as_nanos(),
            report.slots.len(),
            generated::SIZES
        );
    }
}

fn warm_repeats() -> Option<usize> {
    let args: Vec<String> = std::env::args().collect();
    let at = args.iter().position(|a| a == "--warm")?;
    args.get(at + 1)?.parse().ok().filter(|&k: &usize| k > 0)
}
