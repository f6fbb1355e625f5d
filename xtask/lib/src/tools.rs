//! External tools the tests use as real consumers of what the build writes: the CycloneDX
//! schema validator (PyPI `cyclonedx-python-lib`) and `cargo audit` (crates.io
//! `cargo-audit`). `.ci/run` installs both; a missing tool is an error naming how to
//! install it, never a skipped check.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::auditable;

/// The venv `.ci/run` installs the Python tools into.
pub(crate) fn ci_venv() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache/muster-ci/venv"))
}

/// How to get the validator.
const VALIDATOR_INSTALL: &str = "python3 -m venv \"$HOME/.cache/muster-ci/venv\" && \
    \"$HOME/.cache/muster-ci/venv/bin/pip\" install 'cyclonedx-python-lib[json-validation]' \
    (.ci/run does this), or point MUSTER_CDX_PYTHON at a python that has it";

/// The validator's script: strict JSON-schema validation of one file against one
/// CycloneDX version, with the schemas the package ships (no network).
const VALIDATE_PY: &str = r#"
import sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
version = {"1.5": SchemaVersion.V1_5, "1.6": SchemaVersion.V1_6}[sys.argv[2]]
with open(sys.argv[1], encoding="utf-8") as f:
    errors = JsonStrictValidator(version).validate_str(f.read(), all_errors=True)
errors = list(errors or [])
for error in errors:
    print(f"{'/'.join(str(p) for p in error.data.absolute_path) or '(document)'}: {error.data.message}")
sys.exit(1 if errors else 0)
"#;

/// A Python interpreter that can import `cyclonedx.validation.json`: `MUSTER_CDX_PYTHON`,
/// then the CI venv, then `python3` on `PATH`.
fn validator_python() -> Result<PathBuf> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(python) = std::env::var_os("MUSTER_CDX_PYTHON") {
        candidates.push(python.into());
    }
    if let Some(venv) = ci_venv() {
        candidates.push(venv.join("bin/python3"));
    }
    candidates.push("python3".into());
    for python in &candidates {
        let ok = Command::new(python)
            .args(["-c", "import cyclonedx.validation.json, jsonschema"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Ok(python.clone());
        }
    }
    bail!(
        "the CycloneDX validator is not installed (no `cyclonedx-python-lib[json-validation]` \
         in {}): {VALIDATOR_INSTALL}",
        candidates
            .iter()
            .map(|c| c.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Validates `sbom` against the CycloneDX `spec` ("1.5") JSON schema. `Ok(Err(problems))`
/// when the validator ran and rejected it.
pub(crate) fn validate_cyclonedx(
    sbom: &Path,
    spec: &str,
) -> Result<std::result::Result<(), String>> {
    let python = validator_python()?;
    let output = Command::new(&python)
        .arg("-c")
        .arg(VALIDATE_PY)
        .arg(sbom)
        .arg(spec)
        .output()
        .with_context(|| format!("cannot run {}", python.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    match output.status.code() {
        Some(0) => Ok(Ok(())),
        Some(1) if !stdout.trim().is_empty() => Ok(Err(stdout)),
        _ => bail!(
            "the CycloneDX validator failed ({}): {}{}",
            output.status,
            stdout,
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

/// `cargo audit`, or an error saying how to install it.
pub(crate) fn cargo_audit() -> Result<Command> {
    if auditable::find_subcommand(
        "cargo-audit",
        std::env::var_os("PATH"),
        crate::project::cargo_home(),
    )
    .is_none()
    {
        bail!(
            "cargo-audit is not installed: the scan check runs `cargo audit bin` on the built \
             binaries. Install it with `cargo install --locked cargo-audit` (.ci/run does)"
        );
    }
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.arg("audit");
    Ok(cmd)
}
