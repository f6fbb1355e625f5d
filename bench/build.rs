//! Generates the benchmark registrations into `OUT_DIR` (nothing generated is committed).
//!
//! `MUSTER_BENCH_SIZES` (comma-separated, default `10,100`) lists the registry sizes
//! N; for each, N plugin versions spread over N/10 slots (10 versions per slot) go
//! into `spread.rs`, in a module `n{N}`. With `MUSTER_BENCH_WIDE=1`, `wide.rs` also
//! gets one slot per N holding all N versions (for the single-slot benchmark).

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=MUSTER_BENCH_SIZES");
    println!("cargo:rerun-if-env-changed=MUSTER_BENCH_WIDE");
    let sizes: Vec<usize> = std::env::var("MUSTER_BENCH_SIZES")
        .unwrap_or_else(|_| "10,100".to_owned())
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().expect("MUSTER_BENCH_SIZES: comma-separated integers"))
        .collect();
    let wide = std::env::var("MUSTER_BENCH_WIDE").is_ok_and(|v| v == "1");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));

    let mut spread = String::new();
    let mut sizes_list = String::new();
    for &n in &sizes {
        let _ = write!(sizes_list, "{n}, ");
        let _ = writeln!(spread, "/// {n} plugin versions over {} slots.", n / 10);
        let _ = writeln!(spread, "pub mod n{n} {{");
        for s in 0..n / 10 {
            slot(&mut spread, &format!("S{s}"), &format!("n{n}_s{s}"), 10, s);
        }
        let _ = writeln!(spread, "}}");
    }
    let _ = writeln!(spread, "/// The sizes generated.");
    let _ = writeln!(spread, "pub const SIZES: &[usize] = &[{sizes_list}];");
    std::fs::write(out.join("spread.rs"), spread).expect("write spread.rs");

    let mut wide_src = String::new();
    if wide {
        for &n in &sizes {
            let _ = writeln!(wide_src, "/// One slot with {n} plugin versions.");
            let _ = writeln!(wide_src, "pub mod w{n} {{");
            slot(&mut wide_src, "Wide", &format!("w{n}"), n, 1);
            let _ = writeln!(wide_src, "}}");
        }
    }
    std::fs::write(out.join("wide.rs"), wide_src).expect("write wide.rs");
}

/// One slot trait `ty` named `name` with `versions` plugin versions. In every tenth
/// slot (by `index`) the newest version requires a label no host has, so selection
/// also exercises the rejection path.
fn slot(out: &mut String, ty: &str, name: &str, versions: usize, index: usize) {
    let _ = writeln!(out, "    /// Bench slot `{name}`.");
    let _ = writeln!(out, "    #[::muster::slot(name = \"{name}\")]");
    let _ = writeln!(out, "    pub trait {ty}: Send + Sync {{");
    let _ = writeln!(out, "        /// Does a little arithmetic.");
    let _ = writeln!(out, "        fn run(&self, x: u64) -> u64;");
    let _ = writeln!(out, "    }}");
    for v in 0..versions {
        let requires = if index % 10 == 0 && v + 1 == versions {
            ", requires = [label(bench = \"never\")]"
        } else {
            ""
        };
        let (major, minor) = (v / 100, v % 100);
        let _ = writeln!(out, "    /// Version {major}.{minor}.0 of `{name}`.");
        let _ = writeln!(out, "    #[derive(Default)]");
        let _ = writeln!(
            out,
            "    #[::muster::plugin(slot = {ty}, version = \"{major}.{minor}.0\", name = \"{name}\"{requires})]"
        );
        let _ = writeln!(out, "    pub struct {ty}V{v};");
        let _ = writeln!(
            out,
            "    impl {ty} for {ty}V{v} {{ fn run(&self, x: u64) -> u64 {{ x.wrapping_mul({}) ^ {v} }} }}",
            2 * v + 1
        );
    }
}
