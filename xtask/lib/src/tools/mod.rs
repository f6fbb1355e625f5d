//! The tools the commands need besides the Rust toolchain: one table of pinned versions
//! ([`table`]), a cache they are installed into on first use ([`cache`]), and the two
//! the scan runs as real consumers of what the build writes: the CycloneDX schema
//! validator and `cargo audit` ([`cyclonedx`], [`cargo_audit`]). A missing tool is
//! installed or an error naming how to get it, never a skipped check.

pub(crate) mod cache;
pub(crate) mod cyclonedx;
pub(crate) mod debian;
pub(crate) mod table;

use std::process::Command;

use anyhow::Result;

use crate::settings::Settings;

pub(crate) use crate::tools::cache::{ensure, path_env};
pub(crate) use crate::tools::cyclonedx::validate_cyclonedx;

/// `cargo audit` at the pinned version (installed on first use).
pub(crate) fn cargo_audit() -> Result<Command> {
    let exe = ensure(&table::CARGO_AUDIT)?;
    let mut cmd = Command::new(exe);
    cmd.arg("audit");
    Ok(cmd)
}

/// The pinned tools `cargo xtask test` needs (`quick`: its inner loop): the SBOM
/// validator (the xtask's tests use it), the `test-tools` the workspace's tests run,
/// and for the full run the build's, the scan's and, where crates are published, the
/// API listing's. `doctor` lists these, and cargo-fuzz where there are fuzz targets.
pub(crate) fn for_test(settings: &Settings, quick: bool) -> Vec<&'static table::Tool> {
    let mut tools = vec![&table::CYCLONEDX];
    if !quick {
        tools.extend([&table::CARGO_AUDITABLE, &table::CARGO_AUDIT]);
        if !settings.publish.is_empty() {
            tools.push(&table::CARGO_PUBLIC_API);
        }
    }
    tools.extend(settings.test_tools.iter().copied());
    tools
}
