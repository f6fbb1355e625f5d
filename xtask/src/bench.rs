//! `cargo xtask bench [--quick]`: runs the benchmark driver, the `muster-bench`
//! binary in `bench/`, which writes `bench/results/` and `bench/plots/`.

use std::path::Path;
use std::process::Command;

use anyhow::Context;
use clap::Args;

/// Runs the benchmarks; `--quick` runs the reduced set (under 3 minutes once built).
#[derive(Debug, Args)]
pub(crate) struct Bench {
    /// Reduced sizes and shorter measurements.
    #[arg(long)]
    pub(crate) quick: bool,
}

impl Bench {
    /// Builds and runs `muster-bench` in release.
    pub(crate) fn run(&self) -> anyhow::Result<()> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .context("xtask/ has a parent")?;
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(root)
            .args(["run", "--package", "muster-bench", "--release", "--"]);
        if self.quick {
            cmd.arg("--quick");
        }
        let status = cmd.status().context("cannot run cargo")?;
        anyhow::ensure!(status.success(), "muster-bench failed: {status}");
        Ok(())
    }
}
