//! What `edge-agent plugins explain` does, over the generated registrations: probe
//! the host, decide every slot (and, for each, what `run` would use if the selected
//! version's `start` failed), and write the kit's report through a buffer as it is
//! formatted. With `--time`, prints to stderr `probe_ns` (facts),
//! `decision_ns` (the first `explain_all`, lazy index construction included) and
//! `main_ns` (entering `main` to the decision); with `--warm K`, also `warm_ns`,
//! the median of K further `explain_all` calls. With `--decide`, stops after the
//! decision (probe and decide every slot, no report rendering: what `run` does
//! before its first unit). With `--load-only`, returns as soon as `main` is
//! entered: what loading the binary costs (mapping, applying its relocations,
//! paging in what the start code touches), the floor under any decision.

// The generated slots and their plugins share this crate, so linkme's element
// macro is local and its `link_section` needs this.
#![allow(unsafe_code)]

use std::time::Instant;

use muster::{Facts, Policy, Selector};
use muster_kit::render;
use muster_kit::start_check::StartCheck;

#[allow(dead_code, missing_docs, unreachable_pub)] // Generated; reached through the registry only.
mod generated {
    include!(concat!(env!("OUT_DIR"), "/spread.rs"));
}

fn main() {
    if std::env::args().any(|a| a == "--load-only") {
        return;
    }
    let start = Instant::now();
    let time = std::env::args().any(|a| a == "--time");
    let facts = Facts::probe();
    let probed = start.elapsed();
    let policy = Policy::new();
    // As `edge-agent plugins explain`, the decision also finds each slot's fallback;
    // not when only the decision is run (`--decide`) or timed (`--time`: the
    // in-process decision that the dlopen comparison uses), which then stays the
    // decision alone (the fallbacks are then found after it, by deciding again).
    let decision_only = time || std::env::args().any(|a| a == "--decide");
    let selector = Selector::new(&facts, &policy).with_fallbacks(!decision_only);
    let report = selector.explain_all();
    let decided = start.elapsed();
    if std::env::args().any(|a| a == "--decide") {
        std::hint::black_box(&report);
        return;
    }
    // The kit's text, formatted as it is written through a buffer, as `edge-agent`
    // prints it: the report, then what `run` would use where a selected version's
    // `start` failed (`edge-agent` does not run `start` unless asked).
    let start_check = StartCheck::NotRun(selector.fallbacks(&report));
    let _ = muster_kit::print(format_args!(
        "{}{start_check}",
        render::explain_text(&facts, &policy, &report)
    ));
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
            "probe_ns={} decision_ns={} main_ns={} slots={} sizes={:?}",
            probed.as_nanos(),
            (decided - probed).as_nanos(),
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
