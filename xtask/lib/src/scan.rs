//! The security team's view of `dist/`, run as a check by `cargo xtask test`: each set's
//! SBOM validates against the CycloneDX schema (PyPI `cyclonedx-python-lib`), and
//! `cargo audit bin` (the real consumer of what `cargo auditable` embeds) finds an
//! advisory in exactly the binaries that link the crate. The advisory database is a
//! directory this check writes (`crates/<crate>/RUSTSEC-….md`), read with `--no-fetch`:
//! no network. The crate is chosen from the SBOMs, not named here: a crates.io crate the
//! first set links and the second does not.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::cargo_meta::target_dir;
use crate::project::Project;
use crate::{sbom, tools};

/// The advisory id the check writes (a year no real advisory has).
pub(crate) const ADVISORY_ID: &str = "RUSTSEC-2099-0001";

/// `dist/<set>/`.
fn dist(project: &Project, set: &str) -> PathBuf {
    project.dist_dir(set)
}

/// The check over two built sets: `with` links a crates.io crate that `without` does not.
pub(crate) fn check(project: &Project, with: &str, without: &str) -> Result<()> {
    for set in [with, without] {
        let path = dist(project, set).join(project.sbom_file());
        match tools::validate_cyclonedx(&path, "1.5")? {
            Ok(()) => eprintln!(
                "scan: {} is valid CycloneDX 1.5 (cyclonedx-python-lib, strict schema)",
                project.display(&path)
            ),
            Err(problems) => bail!(
                "{} does not validate against the CycloneDX 1.5 schema:\n{problems}",
                project.display(&path)
            ),
        }
    }
    let linked = |set: &str| -> Result<BTreeSet<(String, String)>> {
        crates_io_components(&dist(project, set).join(project.sbom_file()))
    };
    let (in_with, in_without) = (linked(with)?, linked(without)?);
    let in_without_names: BTreeSet<&String> = in_without.iter().map(|(n, _)| n).collect();
    let Some((krate, version)) = in_with
        .iter()
        .find(|(name, _)| !in_without_names.contains(name))
    else {
        bail!(
            "set `{with}` links no crates.io crate that set `{without}` lacks: nothing to tell the two apart"
        );
    };
    let db = target_dir(project)?.join("xtask-scan").join("advisory-db");
    write_advisory_db(&db, krate, version)?;
    eprintln!(
        "scan: advisory {ADVISORY_ID} for {krate} {version} (in `{with}`, not in `{without}`) in {}",
        db.display()
    );
    for (set, expected) in [(with, true), (without, false)] {
        let binary = dist(project, set).join(project.host());
        let found = audit(&binary, &db)?;
        let reported = found
            .iter()
            .any(|(id, name)| id == ADVISORY_ID && name == krate);
        if reported != expected {
            bail!(
                "`cargo audit bin {}` {} {ADVISORY_ID} ({krate} {version}); reported: {found:?}",
                project.display(&binary),
                if expected {
                    "does not report"
                } else {
                    "reports"
                }
            );
        }
        eprintln!(
            "scan: cargo audit bin {}: {}",
            project.display(&binary),
            if reported {
                format!("reports {ADVISORY_ID} for {krate} {version}, as it must")
            } else {
                format!("no {krate}, no advisory, as it must")
            }
        );
    }
    Ok(())
}

/// `(name, version)` of every crates.io component of an SBOM.
fn crates_io_components(path: &Path) -> Result<BTreeSet<(String, String)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let bom: serde_json::Value = serde_json::from_str(&text)?;
    Ok(bom["components"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| {
            c["properties"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|p| p["name"] == sbom::SOURCE && p["value"] == "crates.io")
        })
        .filter_map(|c| {
            Some((
                c["name"].as_str()?.to_owned(),
                c["version"].as_str()?.to_owned(),
            ))
        })
        .collect())
}

/// A RustSec advisory database in `dir` with one advisory: `krate` `version` is affected,
/// the next patch release is not.
pub(crate) fn write_advisory_db(dir: &Path, krate: &str, version: &str) -> Result<()> {
    let _ = std::fs::remove_dir_all(dir);
    let crate_dir = dir.join("crates").join(krate);
    std::fs::create_dir_all(&crate_dir)
        .with_context(|| format!("cannot create {}", crate_dir.display()))?;
    let parsed = semver::Version::parse(version)
        .with_context(|| format!("version `{version}` of {krate} is not semver"))?;
    let patched = semver::Version::new(parsed.major, parsed.minor, parsed.patch + 1);
    let text = format!(
        "```toml\n[advisory]\nid = \"{ADVISORY_ID}\"\npackage = \"{krate}\"\ndate = \"2099-01-01\"\n\
         url = \"https://example.invalid/{ADVISORY_ID}\"\ncategories = [\"memory-corruption\"]\n\
         keywords = [\"test\"]\n\n[versions]\npatched = [\">= {patched}\"]\nunaffected = [\"< {version}\"]\n```\n\n\
         # Test advisory for {krate} {version}\n\nWritten by `cargo xtask test` to check that \
         `cargo audit bin` reads the dependency list embedded by `cargo auditable`.\n"
    );
    let file = crate_dir.join(format!("{ADVISORY_ID}.md"));
    std::fs::write(&file, text).with_context(|| format!("cannot write {}", file.display()))
}

#[derive(Deserialize)]
struct Report {
    vulnerabilities: Vulnerabilities,
}

#[derive(Deserialize)]
struct Vulnerabilities {
    list: Vec<Vulnerability>,
}

#[derive(Deserialize)]
struct Vulnerability {
    advisory: Advisory,
}

#[derive(Deserialize)]
struct Advisory {
    id: String,
    package: String,
}

/// `cargo audit --db DB --no-fetch --json bin BINARY`: the `(advisory id, crate)` pairs it
/// reports. Fails if cargo audit cannot read the binary's dependency list.
pub(crate) fn audit(binary: &Path, db: &Path) -> Result<Vec<(String, String)>> {
    let mut cmd = tools::cargo_audit()?;
    cmd.arg("--db")
        .arg(db)
        .args(["--no-fetch", "--json", "bin"])
        .arg(binary);
    let shown = crate::project::describe(&cmd);
    eprintln!("$ {shown}");
    let output = cmd
        .output()
        .with_context(|| format!("cannot start `{shown}`"))?;
    // Exit 1 means "vulnerabilities found"; anything else but 0 is a failure to scan.
    if !matches!(output.status.code(), Some(0 | 1)) {
        bail!(
            "`{shown}` failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut found = Vec::new();
    for line in stdout.lines().filter(|l| l.trim_start().starts_with('{')) {
        let report: Report = serde_json::from_str(line).with_context(|| {
            format!(
                "`{shown}` printed no report: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            )
        })?;
        found.extend(
            report
                .vulnerabilities
                .list
                .into_iter()
                .map(|v| (v.advisory.id, v.advisory.package)),
        );
    }
    if stdout.trim().is_empty() {
        bail!(
            "`{shown}` printed no report: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(found)
}
