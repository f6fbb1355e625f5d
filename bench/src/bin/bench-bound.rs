//! The bound under any registry: a static-PIE binary with N types of one trait and
//! nothing else (no registry, no facts, no policy, no report). With `--load-only`,
//! returns on entering `main` (what loading costs: above the hello world, mostly
//! relocating the N vtables); otherwise constructs one type per ten (a slot's
//! chosen version, as the benchmark's slots hold ten) and calls it: the least a
//! decision can do.

#[allow(dead_code, missing_docs, unreachable_pub)] // Generated; reached through `BOUNDS` only.
mod generated {
    include!(concat!(env!("OUT_DIR"), "/bound.rs"));
}

fn main() {
    let Some((n, construct)) = generated::largest(generated::BOUNDS) else {
        return;
    };
    let mut sum = 0u64;
    for plugin in (0..n / 10).filter_map(|slot| construct(slot * 10 + 9)) {
        sum = sum.wrapping_add(plugin.run(sum));
    }
    println!("{n} types, {} constructed: {sum}", n / 10);
}
