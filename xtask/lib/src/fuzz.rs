//! `cargo xtask fuzz [--smoke | --seconds N] [TARGET...]`: the cargo-fuzz targets of
//! muster's parsers (policy strings, policy TOML, facts JSON, team files), run one
//! after the other by `fuzz/run.sh` on the nightly toolchain.

use anyhow::Result;
use clap::Args;

use crate::project::{self, Project};

/// Fuzz the parsers (needs the nightly toolchain; installs the pinned cargo-fuzz into the
/// tools cache on first use).
#[derive(Debug, Args)]
pub(crate) struct Fuzz {
    /// 30 seconds per target (what CI runs).
    #[arg(long, conflicts_with = "seconds")]
    smoke: bool,
    /// Seconds per target.
    #[arg(long, default_value_t = 600)]
    seconds: u64,
    /// Targets to run (default: all).
    targets: Vec<String>,
}

impl Fuzz {
    pub(crate) fn run(&self) -> Result<()> {
        let project = Project::current()?;
        crate::tools::ensure(&crate::tools::table::CARGO_FUZZ)?;
        let mut cmd = project.command("bash");
        cmd.arg(project.root.join("fuzz/run.sh"));
        if self.smoke {
            cmd.arg("--smoke");
        } else {
            cmd.args(["--seconds", &self.seconds.to_string()]);
        }
        cmd.args(&self.targets);
        project::run(&mut cmd)
    }
}
