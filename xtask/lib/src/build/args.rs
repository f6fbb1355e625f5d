//! `cargo xtask build`'s arguments, and the command: read the configuration, plan the
//! set, refuse stale generated files or failing checks, then build into `dist/`.

use std::path::Path;

use anyhow::{Context, Result};
use clap::Args;

use crate::auditable::Mode;
use crate::build::git;
use crate::build::manifest::Prepared;
use crate::config::Config;
use crate::plan::Resolved;
use crate::project::{self, Project};
use crate::{check, sync};

/// Build a set into `dist/<set>/<host>`, statically linked, and verify it.
#[derive(Debug, Args)]
pub(crate) struct Build {
    /// The deployment set (`sets/<set>.toml`; default: `default-set` in
    /// `[workspace.metadata.muster]`).
    #[arg(long)]
    set: Option<String>,
    /// Cargo profile (`release`, `dev`, or one from Cargo.toml).
    #[arg(long, default_value = "release")]
    profile: String,
    /// Target triple (default: the host's, from `rustc -vV`).
    #[arg(long)]
    target: Option<String>,
    /// Build with plain `cargo build` instead of `cargo auditable build`: the binary does
    /// not carry its dependency list (scanners see an opaque binary). Recorded as
    /// `"auditable": false` in the manifest; not for binaries that ship.
    #[arg(long)]
    no_auditable: bool,
    /// Build outside a git checkout (or one without a commit): the manifest records
    /// `git_revision: "none: not a git checkout"`, the build has no `SOURCE_DATE_EPOCH`
    /// unless set, and `cargo xtask rebuild` cannot rebuild it. Refused without this flag.
    #[arg(long)]
    allow_no_git: bool,
}

impl Build {
    /// A build of `set` in the release profile for the host.
    pub(crate) fn release(set: &str) -> Build {
        Build {
            set: Some(set.to_owned()),
            profile: "release".to_owned(),
            target: None,
            no_auditable: false,
            allow_no_git: false,
        }
    }

    /// A build of `set` in the dev profile for the host (tests: cheaper than release),
    /// `--allow-no-git` (fixture workspaces are not git checkouts).
    #[cfg(test)]
    pub(crate) fn dev(set: &str) -> Build {
        Build {
            set: Some(set.to_owned()),
            profile: "dev".to_owned(),
            target: None,
            no_auditable: false,
            allow_no_git: true,
        }
    }

    /// A release build of `set` with no tool check (`--no-auditable`), outside a git
    /// checkout if `allow_no_git` (tests of what is refused before cargo runs).
    #[cfg(test)]
    pub(crate) fn unchecked(set: &str, allow_no_git: bool) -> Build {
        Build {
            no_auditable: true,
            allow_no_git,
            ..Build::release(set)
        }
    }

    pub(crate) fn run(&self) -> Result<()> {
        self.run_at(&project::current_root()?)
    }

    /// The command in the workspace at `root`.
    pub(crate) fn run_at(&self, root: &Path) -> Result<()> {
        let project = Project::at(root)?;
        let prepared = self.prepare(&project)?;
        prepared.build_and_verify(&project)
    }

    /// Plans the set and refuses stale generated files or failing checks. The
    /// configuration is read first: its mistakes are reported before a missing tool.
    pub(crate) fn prepare(&self, project: &Project) -> Result<Prepared> {
        let config = Config::load(project)?;
        let mode = Mode::choose(self.no_auditable)?;
        let plan = Resolved::new(&config, project.set_or_default(self.set.as_deref()))?;
        eprint!("{}", plan.table());
        sync::check(project, &config).context("refusing to build from stale generated files")?;
        check::all(project, &config)?;
        git::require_checkout(project, self.allow_no_git)?;

        Prepared::new(project, plan, &self.profile, self.target.as_deref(), mode)
    }
}
