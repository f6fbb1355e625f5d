//! `cargo xtask`: turns the teams' plugin choices into one verified static host binary.
//! What it builds and where things live is the `[workspace.metadata.muster]` block of
//! the workspace root `Cargo.toml` (see `docs/adopting.md`).
//!
//! Commands (one module each): `plan`, `sync`, `check`, `build`, `repro`, `rebuild`, `matrix`, `bench`,
//! `fuzz`, `new-plugin`, `test`, `doctor`, `api`. The tools they need besides the Rust toolchain
//! are pinned in one table and installed on first use (`doctor` lists them).
//! See `docs/release-engineer.md` for the team files, sets and what each check guards.
//!
//! A library (with a thin binary) so that the fuzz targets can reach the team-file
//! parser, [`parse_team`], and benchmarks build as the xtask ships
//! ([`shipped_rustflags`]).

#[cfg(test)]
mod adopt_tests;
mod api;
mod auditable;
mod bench;
mod build;
mod cargo_build;
mod cargo_meta;
mod check;
mod config;
mod crates_io;
mod doctor;
mod elf;
mod fuzz;
mod link;
mod listing;
mod matrix;
mod new_plugin;
mod plan;
mod project;
mod rebuild;
mod repro;
mod sbom;
mod scan;
mod settings;
mod sync;
mod test;
#[cfg(test)]
mod tests;
mod tools;

pub use crate::cargo_meta::host_triple;
pub use crate::config::parse_team;
pub use crate::link::shipped_rustflags;

/// The slot names the `#[muster::slot]` traits in one Rust source file declare, read as
/// `cargo xtask` reads a contract (parsed with `syn`, named by the macro's rule); a
/// parse error as text.
pub fn slot_names_in(source: &str) -> Result<Vec<String>, String> {
    config::contract::slot_traits_in(source)
        .map(|found| found.into_iter().map(|t| t.slot).collect())
        .map_err(|err| err.to_string())
}

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Release tooling for a muster host: team files in, verified static binaries out.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the resolved plugin list of a set and the exact cargo features, without building.
    Plan(plan::Plan),
    /// Regenerate the host's plugin features, dependencies and its registry file.
    Sync(sync::Sync),
    /// Check team files, sets, plugin sources, app features and the dependency graph.
    Check(check::Check),
    /// Build a set into `dist/<set>/<host>`, statically linked, and verify it.
    Build(build::Build),
    /// Scaffold a plugin crate, enable it in its team file, sync, and run its test.
    NewPlugin(new_plugin::NewPlugin),
    /// Build a set twice in two target directories; fail unless the binaries are identical.
    Repro(repro::Repro),
    /// Rebuild the binary a `dist/<set>/<host>.manifest.json` describes from a clean
    /// checkout of its revision; fail unless the sha256 matches, naming what differs.
    Rebuild(rebuild::Rebuild),
    /// Build a set in each configuration and backend; check it registers exactly the plan.
    Matrix(matrix::Matrix),
    /// Run the benchmarks (criterion and process timings; writes bench/results and bench/plots).
    Bench(bench::Bench),
    /// Fuzz the parsers with cargo-fuzz (nightly): `--smoke` runs 30 s per target.
    Fuzz(fuzz::Fuzz),
    /// Run everything CI runs: fmt, checks, clippy, tests (both backends), docs, the matrix
    /// subset, two verified set builds and the reproducibility check; `--quick`: the
    /// inner loop.
    Test(test::Test),
    /// List the tools and programs the commands need, what is missing and how to install
    /// it; `--install` installs the pinned tools.
    Doctor(doctor::Doctor),
    /// Compare each published crate's public items with `public-api/<package>.txt`;
    /// `--bless` rewrites the listings after an intended change.
    Api(api::Api),
}

/// Runs the command line; what `cargo xtask` does.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Plan(cmd) => cmd.run(),
        Command::Sync(cmd) => cmd.run(),
        Command::Check(cmd) => cmd.run(),
        Command::Build(cmd) => cmd.run(),
        Command::Repro(cmd) => cmd.run(),
        Command::Rebuild(cmd) => cmd.run(),
        Command::Matrix(cmd) => cmd.run(),
        Command::NewPlugin(cmd) => cmd.run(),
        Command::Bench(cmd) => cmd.run(),
        Command::Fuzz(cmd) => cmd.run(),
        Command::Test(cmd) => cmd.run(),
        Command::Doctor(cmd) => cmd.run(),
        Command::Api(cmd) => cmd.run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod cli_tests {
    use clap::CommandFactory;

    use crate::Cli;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }
}
