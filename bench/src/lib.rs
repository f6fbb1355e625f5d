//! Support for muster's benchmarks: timing processes, reading ELF sections, and the
//! dlopen alternative's loader. The driver is `src/main.rs`
//! (`cargo run -p muster-bench --release -- [--quick]`).

pub mod dlopen;
pub mod elf;
pub mod stats;
