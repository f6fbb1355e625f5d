//! What the build records of the checkout: its commit and whether it is dirty. Without
//! a git checkout there is neither, nor the commit time the build uses as
//! `SOURCE_DATE_EPOCH`: `build` refuses unless told `--allow-no-git`.

use anyhow::{Result, bail};

use crate::project::{self, Project};

/// The flag that builds outside a git checkout.
pub(crate) const ALLOW_NO_GIT: &str = "--allow-no-git";

/// The revision recorded for a build outside a git checkout (with [`ALLOW_NO_GIT`]).
pub(crate) const NO_GIT: &str = "none: not a git checkout";

/// The commit and whether the tree has uncommitted changes; [`NO_GIT`] and dirty
/// outside a git checkout (or one without a commit).
pub(crate) fn git_state(project: &Project) -> (String, bool) {
    let Some(revision) = head(project) else {
        return (NO_GIT.to_owned(), true);
    };
    let dirty = project::stdout(project.command("git").args([
        "status",
        "--porcelain",
        "--untracked-files=no",
    ]))
    .map(|s| !s.trim().is_empty())
    .unwrap_or(true);
    (revision, dirty)
}

/// `git rev-parse HEAD`, if the workspace is a git checkout with a commit.
fn head(project: &Project) -> Option<String> {
    project::stdout(
        project
            .command("git")
            .args(["rev-parse", "--verify", "HEAD"]),
    )
    .ok()
    .map(|s| s.trim().to_owned())
    .filter(|s| !s.is_empty())
}

/// Refuses a build outside a git checkout unless `allowed`; when allowed, warns naming
/// what the build does not record.
pub(crate) fn require_checkout(project: &Project, allowed: bool) -> Result<()> {
    if head(project).is_some() {
        return Ok(());
    }
    let epoch = if std::env::var_os("SOURCE_DATE_EPOCH").is_some() {
        "`SOURCE_DATE_EPOCH` comes from the environment"
    } else {
        "no `SOURCE_DATE_EPOCH` (the last commit's time; set it yourself for identical bytes)"
    };
    let what = format!(
        "{} is not a git checkout with a commit: the build records no revision \
         (`git_revision: \"{NO_GIT}\"`, `git_dirty: true`; `cargo xtask rebuild` cannot \
         find its source) and {epoch}",
        project.root.display()
    );
    if !allowed {
        bail!("{what}; commit it (`git init && git add -A && git commit`) or pass {ALLOW_NO_GIT}");
    }
    eprintln!("warning: {ALLOW_NO_GIT}: {what}");
    Ok(())
}
