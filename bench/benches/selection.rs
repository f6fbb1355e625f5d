//! Selection in-process: one slot holding N versions (`explain`, `select`, index
//! rebuild), and N versions spread over N/10 slots (every slot's decision, as
//! `explain_all` makes it). Run once per backend (`--features inventory`).
//!
//! Sizes come from the build script: `MUSTER_BENCH_SIZES` (spread) and
//! `MUSTER_BENCH_WIDE` (single slot).

// The generated slots and their plugins share this crate, so linkme's element
// macro is local and its `link_section` needs this.
#![allow(unsafe_code)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use muster::{Facts, Policy, Selector};

#[allow(dead_code, missing_docs, unreachable_pub)] // Generated; reached through the registry only.
mod generated {
    include!(concat!(env!("OUT_DIR"), "/spread.rs"));
    include!(concat!(env!("OUT_DIR"), "/wide.rs"));
}

fn facts() -> Facts {
    Facts::from_json(
        r#"{"hostname":"bench","os":"linux","arch":"x86_64","cpu_features":["sse4.2"],"logical_cores":4,"memory_mb":4096,"labels":{}}"#,
        "bench",
    )
    .expect("valid facts")
}

fn single_slot(c: &mut Criterion) {
    let facts = facts();
    let policy = Policy::new();
    let selector = Selector::new(&facts, &policy);
    let mut group = c.benchmark_group(format!("single-slot/{}", muster::BACKEND));
    for &(n, explain, select, rebuild) in generated::WIDE {
        group.throughput(Throughput::Elements(n as u64));
        // Builds the index once, outside the measurement.
        assert_eq!(explain(&selector).candidates().len(), n);
        group.bench_with_input(BenchmarkId::new("explain", n), &n, |b, _| {
            b.iter(|| explain(black_box(&selector)));
        });
        group.bench_with_input(BenchmarkId::new("select", n), &n, |b, _| {
            b.iter(|| select(black_box(&selector)));
        });
        group.bench_with_input(BenchmarkId::new("index-build", n), &n, |b, _| {
            b.iter(rebuild);
        });
    }
    group.finish();
}

fn spread(c: &mut Criterion) {
    let facts = facts();
    let policy = Policy::new();
    let selector = Selector::new(&facts, &policy);
    let mut group = c.benchmark_group(format!("spread/{}", muster::BACKEND));
    for &n in generated::SIZES {
        let prefix = format!("n{n}_");
        let slots: Vec<_> = muster::slots()
            .into_iter()
            .filter(|s| s.name.starts_with(&prefix))
            .collect();
        assert_eq!(slots.len(), n / 10);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("explain-slots", n), &n, |b, _| {
            b.iter(|| {
                slots
                    .iter()
                    .map(|s| s.explain(black_box(&selector)))
                    .collect::<Vec<_>>()
            });
        });
    }
    let total: usize = muster::plugins().len();
    group.throughput(Throughput::Elements(total as u64));
    group.bench_with_input(BenchmarkId::new("explain_all", total), &total, |b, _| {
        b.iter(|| black_box(&selector).explain_all());
    });
    group.finish();
}

criterion_group!(benches, single_slot, spread);
criterion_main!(benches);
