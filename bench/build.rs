//! Generates the benchmark registrations into `OUT_DIR` (nothing generated is committed).
//!
//! `MUSTER_BENCH_SIZES` (comma-separated, default `10,100`) lists the registry sizes
//! N; for each, N plugin versions spread over N/10 slots (10 versions per slot) go
//! into `spread.rs`, in a module `n{N}`. `MUSTER_BENCH_WIDE` (comma-separated,
//! default `10,100`) lists sizes N for which `wide.rs` gets one slot holding all N
//! versions, and a table `WIDE` of functions deciding it (single-slot benchmark).
//! For each size N, `bound.rs` gets N types of one trait and a static table of
//! them: the least any registry of N trait-object types costs (`bench-bound`), and
//! the simplest registry of them (`bench-table`).

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=MUSTER_BENCH_SIZES");
    println!("cargo:rerun-if-env-changed=MUSTER_BENCH_WIDE");
    let sizes = sizes_from("MUSTER_BENCH_SIZES", "10,100");
    let wide = sizes_from("MUSTER_BENCH_WIDE", "10,100");
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
    std::fs::write(out.join("bound.rs"), bound(&sizes)).expect("write bound.rs");

    let mut wide_src = String::new();
    let mut table = String::new();
    for &n in &wide {
        let _ = writeln!(wide_src, "/// One slot with {n} plugin versions.");
        let _ = writeln!(wide_src, "pub mod w{n} {{");
        slot(&mut wide_src, "Wide", &format!("w{n}"), n, 1);
        let _ = writeln!(wide_src, "}}");
        let _ = writeln!(
            table,
            "    (\n        {n},\n        |s| s.explain::<dyn w{n}::Wide>(),\n        |s| s.select::<dyn w{n}::Wide>().map(|p| p.run(1)).unwrap_or(0),\n        || rebuild_index::<dyn w{n}::Wide>(),\n    ),"
        );
    }
    let _ = writeln!(
        wide_src,
        "/// Per wide size: explain, select (and call), rebuild the sorted index.\n\
         pub type WideFns = (\n    usize,\n    fn(&::muster::Selector<'_>) -> ::muster::SlotReport,\n    fn(&::muster::Selector<'_>) -> u64,\n    fn() -> usize,\n);\n\
         /// The wide slots generated.\npub const WIDE: &[WideFns] = &[\n{table}];\n\
         fn rebuild_index<S: ::muster::Slot + ?Sized>() -> usize {{\n    \
         ::muster::SlotIndex::<S>::new(\"rebuilt\", S::index().iter().map(|(r, _)| r)).len()\n}}"
    );
    std::fs::write(out.join("wide.rs"), wide_src).expect("write wide.rs");
}

fn sizes_from(var: &str, default: &str) -> Vec<usize> {
    std::env::var(var)
        .unwrap_or_else(|_| default.to_owned())
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse()
                .unwrap_or_else(|_| panic!("{var}: comma-separated integers"))
        })
        .collect()
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
        let requires = if index.is_multiple_of(10) && v + 1 == versions {
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
            "    impl {ty} for {ty}V{v} {{ fn run(&self, x: u64) -> u64 {{ x.wrapping_mul({}) ^ {} }} }}",
            2 * v + 3,
            v + 1
        );
    }
}

/// For each size N, a module `b{N}` of N types implementing the one trait `Run`
/// (their vtables are what a static-PIE binary must relocate for any registry of N
/// trait-object types), `construct(i)`, which boxes the `i`-th (a `match`, so no
/// table of pointers), and `TABLE`, the simplest registry of them (slot, version
/// and constructor per type); `BOUNDS` lists the constructors, `TABLES` the tables
/// (apart, so that `bench-bound`, which reads no table, links none).
fn bound(sizes: &[usize]) -> String {
    let mut out = String::from(
        "/// What every bound type implements.\npub trait Run {\n    /// Does a little arithmetic.\n    fn run(&self, x: u64) -> u64;\n}\n",
    );
    let (mut bounds, mut tables) = (String::new(), String::new());
    for &n in sizes {
        let _ = writeln!(out, "/// {n} types of `Run`.\npub mod b{n} {{");
        for i in 0..n {
            let _ = writeln!(
                out,
                "    pub struct T{i}(u64);\n    impl super::Run for T{i} {{ fn run(&self, x: u64) -> u64 {{ x.wrapping_mul({}) ^ self.0 }} }}",
                2 * i + 3
            );
        }
        let _ = writeln!(
            out,
            "    /// The `i`-th type, boxed.\n    pub fn construct(i: usize) -> Option<Box<dyn super::Run>> {{\n        Some(match i {{"
        );
        for i in 0..n {
            let _ = writeln!(out, "            {i} => Box::new(T{i}({i})),");
        }
        let _ = writeln!(out, "            _ => return None,\n        }})\n    }}");
        // The simplest registry: a static table of slot, version and constructor
        // per version (three pointers), which only `bench-table` reads.
        let _ = writeln!(
            out,
            "    /// `(slot, version, constructor)` per type, ten versions per slot.\n    pub static TABLE: super::Table = &["
        );
        for i in 0..n {
            let _ = writeln!(
                out,
                "        (\"b{n}_s{}\", \"0.{}.0\", || Box::new(T{i}({i}))),",
                i / 10,
                i % 10
            );
        }
        let _ = writeln!(out, "    ];\n}}");
        let _ = writeln!(bounds, "    ({n}, b{n}::construct),");
        let _ = writeln!(tables, "    ({n}, b{n}::TABLE),");
    }
    let _ = writeln!(
        out,
        "/// Boxes the `i`-th type of a size, if there is one.\npub type Construct = fn(usize) -> Option<Box<dyn Run>>;\n/// A size's table: `(slot, version, constructor)` per type.\npub type Table = &'static [(&'static str, &'static str, fn() -> Box<dyn Run>)];\n/// Per size: N and the constructor of its types (no table: what `bench-bound` reads).\npub const BOUNDS: &[(usize, Construct)] = &[\n{bounds}];\n/// Per size: N and its table (what `bench-table` reads).\npub const TABLES: &[(usize, Table)] = &[\n{tables}];\n/// The largest size of `sizes` (one is built when the benchmark builds a bound),\n/// unless the binary is to stop on entering `main` (`--load-only`: what loading it\n/// costs).\npub fn largest<T: Copy>(sizes: &[(usize, T)]) -> Option<(usize, T)> {{\n    if std::env::args().any(|a| a == \"--load-only\") {{\n        return None;\n    }}\n    sizes.iter().copied().max_by_key(|(n, _)| *n)\n}}"
    );
    out
}
