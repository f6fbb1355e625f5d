//! Problems found while reading team files and sets, collected so that one run
//! reports all of them.

use anyhow::{Result, bail};

/// Collected problems; reported together so one run shows all of them.
#[derive(Default)]
pub(crate) struct Problems(pub(crate) Vec<String>);

impl Problems {
    pub(crate) fn push(&mut self, problem: impl Into<String>) {
        self.0.push(problem.into());
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok` when empty, else one error listing every problem under `what`.
    pub(crate) fn into_result(self, what: &str) -> Result<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        let count = self.0.len();
        let list: Vec<String> = self.0.into_iter().map(|p| format!("  - {p}")).collect();
        bail!(
            "{what}: {count} problem{}\n{}",
            if count == 1 { "" } else { "s" },
            list.join("\n")
        )
    }
}
