//! Dispatch: calling the selected plugin through the registry handle
//! (`Selected<dyn Slot>`) against a direct call of the same function, and against a
//! plain `&dyn` call (the virtual call alone).

// The slot and its plugin share this crate, so linkme's element macro is local.
#![allow(unsafe_code)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use muster::{Facts, Policy, Selector};

/// Does a little arithmetic.
#[muster::slot]
pub trait Work: Send + Sync {
    /// The work.
    fn run(&self, x: u64) -> u64;
}

/// The one plugin version.
#[derive(Default)]
#[muster::plugin(slot = Work, version = "1.0.0")]
pub struct Mul;

impl Work for Mul {
    fn run(&self, x: u64) -> u64 {
        x.wrapping_mul(31) ^ 7
    }
}

fn dispatch(c: &mut Criterion) {
    let facts = Facts::probe();
    let policy = Policy::new();
    let selected = Selector::new(&facts, &policy)
        .select::<dyn Work>()
        .expect("Mul is acceptable");
    let boxed: Box<dyn Work> = Box::new(Mul);
    let mut group = c.benchmark_group("dispatch");
    group.bench_function("direct", |b| b.iter(|| Mul.run(black_box(42))));
    group.bench_function("dyn", |b| {
        b.iter(|| black_box(boxed.as_ref()).run(black_box(42)))
    });
    group.bench_function("selected", |b| {
        b.iter(|| black_box(&selected).run(black_box(42)))
    });
    group.finish();
}

criterion_group!(benches, dispatch);
criterion_main!(benches);
