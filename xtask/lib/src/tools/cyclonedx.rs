//! The CycloneDX schema validator (PyPI `cyclonedx-python-lib`, pinned in
//! [`crate::tools::table::CYCLONEDX`]): strict JSON-schema validation of an SBOM with
//! the schemas the package ships (no network).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::tools::cache;
use crate::tools::table::CYCLONEDX;

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

/// A Python interpreter with the validator: `MUSTER_CDX_PYTHON`, else the pinned one
/// (found, or installed into the tools cache on first use).
fn validator_python() -> Result<PathBuf> {
    if let Some(python) = std::env::var_os("MUSTER_CDX_PYTHON") {
        return Ok(python.into());
    }
    cache::ensure(&CYCLONEDX)
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
