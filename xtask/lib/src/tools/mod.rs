//! The tools the commands need besides the Rust toolchain: one table of pinned versions
//! ([`table`]), a cache they are installed into on first use ([`cache`]), and the two
//! the scan runs as real consumers of what the build writes: the CycloneDX schema
//! validator and `cargo audit` ([`cyclonedx`], [`cargo_audit`]). A missing tool is
//! installed or an error naming how to get it, never a skipped check.

pub(crate) mod cache;
pub(crate) mod cyclonedx;
pub(crate) mod table;

use std::process::Command;

use anyhow::Result;

pub(crate) use crate::tools::cache::{ensure, path_env};
pub(crate) use crate::tools::cyclonedx::validate_cyclonedx;

/// `cargo audit` at the pinned version (installed on first use).
pub(crate) fn cargo_audit() -> Result<Command> {
    let exe = ensure(&table::CARGO_AUDIT)?;
    let mut cmd = Command::new(exe);
    cmd.arg("audit");
    Ok(cmd)
}
