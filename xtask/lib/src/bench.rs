//! `cargo xtask bench [--quick]`: runs the workspace's benchmark driver, the binary of
//! the `bench` package in `[workspace.metadata.muster]`.

use anyhow::Context;
use clap::Args;

use crate::project::Project;

/// Runs the benchmarks; `--quick` runs the reduced set (under 3 minutes once built).
#[derive(Debug, Args)]
pub(crate) struct Bench {
    /// Reduced sizes and shorter measurements (passed to the driver as `--quick`).
    #[arg(long)]
    pub(crate) quick: bool,
}

impl Bench {
    /// Builds and runs the configured benchmark driver in release.
    pub(crate) fn run(&self) -> anyhow::Result<()> {
        let project = Project::current()?;
        let Some(driver) = &project.settings.bench else {
            anyhow::bail!(
                "Cargo.toml: [workspace.metadata.muster] names no `bench` package (the benchmark \
                 driver `cargo xtask bench` runs)"
            );
        };
        let mut cmd = project.cargo();
        cmd.args(["run", "--package", driver, "--release", "--"]);
        if self.quick {
            cmd.arg("--quick");
        }
        let status = cmd.status().context("cannot run cargo")?;
        anyhow::ensure!(status.success(), "{driver} failed: {status}");
        Ok(())
    }
}
