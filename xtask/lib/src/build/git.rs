//! What the build records of the checkout: its commit and whether it is dirty.

use crate::project::{self, Project};

/// The commit and whether the tree has uncommitted changes.
pub(crate) fn git_state(project: &Project) -> (String, bool) {
    let revision = project::stdout(project.command("git").args(["rev-parse", "HEAD"]))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into());
    let dirty = project::stdout(project.command("git").args([
        "status",
        "--porcelain",
        "--untracked-files=no",
    ]))
    .map(|s| !s.trim().is_empty())
    .unwrap_or(true);
    (revision, dirty)
}
