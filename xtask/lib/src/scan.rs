//! The security team's view of `dist/`, run as a check by `cargo xtask test` on each
//! built set on its own (nothing assumes how two sets differ): the set's SBOM validates
//! against the CycloneDX schema (PyPI `cyclonedx-python-lib`) and agrees with
//! `Cargo.lock` (every component locked at its version, every crates.io checksum the
//! lock's), and `cargo audit bin` (the real consumer of what `cargo auditable` embeds)
//! reports a test advisory planted for a crates.io crate the binary links and not one
//! planted for a locked crates.io crate nothing of the set's build uses, when the lock
//! has one. The advisory database is a directory this check writes
//! (`crates/<crate>/RUSTSEC-….md`), read with `--no-fetch`: no network. The crates are
//! chosen from the SBOM and the lock, not named here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::build::BuildManifest;
use crate::cargo_meta::target_dir;
use crate::project::Project;
use crate::{sbom, tools};

/// The advisory id planted for a crate the binary links (a year no real advisory has).
pub(crate) const ADVISORY_ID: &str = "RUSTSEC-2099-0001";
/// The advisory id planted for a locked crate the binary does not link.
pub(crate) const ABSENT_ID: &str = "RUSTSEC-2099-0002";

/// The crates.io registry, as `Cargo.lock` and `cargo metadata` name it.
const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

/// `dist/<set>/`.
fn dist(project: &Project, set: &str) -> PathBuf {
    project.dist_dir(set)
}

/// The check of one built set, on its own.
pub(crate) fn check(project: &Project, set: &str) -> Result<()> {
    let sbom_path = dist(project, set).join(project.sbom_file());
    match tools::validate_cyclonedx(&sbom_path, "1.5")? {
        Ok(()) => eprintln!(
            "scan: {} is valid CycloneDX 1.5 (cyclonedx-python-lib, strict schema)",
            project.display(&sbom_path)
        ),
        Err(problems) => bail!(
            "{} does not validate against the CycloneDX 1.5 schema:\n{problems}",
            project.display(&sbom_path)
        ),
    }
    let lock = locked(project)?;
    let linked = sbom_against_lock(project, &sbom_path, &lock)?;
    let binary = dist(project, set).join(project.host());
    let db = target_dir(project)?
        .join("xtask-scan")
        .join(set)
        .join("advisory-db");
    let Some((krate, version)) = linked.iter().next() else {
        // Nothing to plant: cargo audit must still read the binary's list.
        write_advisory_db(&db, &[])?;
        audit(&binary, &db)?;
        eprintln!(
            "scan: `{set}` links no crates.io crate; cargo audit bin reads {}",
            project.display(&binary)
        );
        return Ok(());
    };
    let used = used_by_build(project, set)?;
    let absent = lock
        .keys()
        .find(|(name, _, source)| source == CRATES_IO && !used.contains(name))
        .map(|(name, version, _)| (name.as_str(), version.as_str()));
    let mut planted = vec![(ADVISORY_ID, krate.as_str(), version.as_str())];
    planted.extend(absent.map(|(name, version)| (ABSENT_ID, name, version)));
    write_advisory_db(&db, &planted)?;
    eprintln!(
        "scan: advisory {ADVISORY_ID} for {krate} {version} (linked by `{set}`){} in {}",
        absent.map_or_else(
            || ", no locked crate outside the set's build to plant another for".to_owned(),
            |(name, version)| format!(", {ABSENT_ID} for {name} {version} (not linked)")
        ),
        db.display()
    );
    let found = audit(&binary, &db)?;
    let shown = project.display(&binary);
    if !found
        .iter()
        .any(|(id, name)| id == ADVISORY_ID && name == krate)
    {
        bail!(
            "`cargo audit bin {shown}` does not report {ADVISORY_ID} ({krate} {version}, which `{set}` links); reported: {found:?}"
        );
    }
    if let Some((name, version)) = absent
        && found.iter().any(|(id, _)| id == ABSENT_ID)
    {
        bail!(
            "`cargo audit bin {shown}` reports {ABSENT_ID} ({name} {version}, which `{set}` does not link); reported: {found:?}"
        );
    }
    eprintln!(
        "scan: cargo audit bin {shown}: reports {ADVISORY_ID} for {krate} {version}{}, as it must",
        absent.map_or_else(String::new, |(name, _)| format!(", nothing for {name}"))
    );
    Ok(())
}

/// `Cargo.lock`: `(name, version, source)` (source `""` for a path package) to checksum.
pub(crate) fn locked(
    project: &Project,
) -> Result<BTreeMap<(String, String, String), Option<String>>> {
    Ok(crate::cargo_meta::read_lock(project)?
        .package
        .into_iter()
        .map(|p| {
            (
                (p.name, p.version, p.source.unwrap_or_default()),
                p.checksum,
            )
        })
        .collect())
}

/// The SBOM's components against the lock: each is locked at its version, and a
/// crates.io one with the lock's checksum. Returns the crates.io `(name, version)`s.
pub(crate) fn sbom_against_lock(
    project: &Project,
    sbom_path: &Path,
    lock: &BTreeMap<(String, String, String), Option<String>>,
) -> Result<BTreeSet<(String, String)>> {
    let text = std::fs::read_to_string(sbom_path)
        .with_context(|| format!("cannot read {}", sbom_path.display()))?;
    let bom: serde_json::Value = serde_json::from_str(&text)?;
    let mut crates_io = BTreeSet::new();
    let mut problems = Vec::new();
    for c in bom["components"].as_array().into_iter().flatten() {
        let (Some(name), Some(version)) = (c["name"].as_str(), c["version"].as_str()) else {
            problems.push(format!("a component without name or version: {c}"));
            continue;
        };
        let source = c["properties"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["name"] == sbom::SOURCE)
            .and_then(|p| p["value"].as_str())
            .unwrap_or_default();
        let locked_here = lock.keys().any(|(n, v, _)| n == name && v == version);
        if !locked_here {
            problems.push(format!("{name} {version} is not in Cargo.lock"));
        }
        if source == "crates.io" {
            let key = (name.to_owned(), version.to_owned(), CRATES_IO.to_owned());
            let recorded = c["hashes"][0]["content"].as_str();
            match lock.get(&key) {
                Some(sum) if sum.as_deref() == recorded => {}
                Some(sum) => problems.push(format!(
                    "{name} {version}: the SBOM records checksum {recorded:?}, Cargo.lock {sum:?}"
                )),
                None => problems.push(format!(
                    "{name} {version} is from crates.io in the SBOM, not in Cargo.lock"
                )),
            }
            crates_io.insert((name.to_owned(), version.to_owned()));
        }
    }
    if !problems.is_empty() {
        bail!(
            "{} disagrees with Cargo.lock:\n  - {}",
            project.display(sbom_path),
            problems.join("\n  - ")
        );
    }
    eprintln!(
        "scan: {} agrees with Cargo.lock ({} crates.io crates, versions and checksums)",
        project.display(sbom_path),
        crates_io.len()
    );
    Ok(crates_io)
}

/// The names of every package the set's build uses, whatever the kind (normal, build,
/// proc macro: `cargo auditable` lists build-time crates too), for the features and
/// target its manifest records.
fn used_by_build(project: &Project, set: &str) -> Result<BTreeSet<String>> {
    let path = dist(project, set).join(project.manifest_file());
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let manifest: BuildManifest =
        serde_json::from_str(&text).with_context(|| format!("cannot parse {}", path.display()))?;
    let metadata = crate::cargo_meta::set_metadata(project, &manifest.target, &manifest.features)?;
    let nodes = metadata.nodes_by_id()?;
    let names: BTreeMap<&str, &str> = metadata
        .packages
        .iter()
        .map(|p| (p.id.as_str(), p.name.as_str()))
        .collect();
    let host = metadata
        .packages
        .iter()
        .find(|p| p.name == project.host() && p.source.is_none())
        .with_context(|| format!("`cargo metadata` lists no package `{}`", project.host()))?;
    let mut seen = BTreeSet::new();
    let mut todo = vec![host.id.as_str()];
    while let Some(id) = todo.pop() {
        if !seen.insert(id) {
            continue;
        }
        if let Some(node) = nodes.get(id) {
            todo.extend(
                node.deps
                    .iter()
                    .filter(|d| d.dep_kinds.iter().any(|k| k.kind.as_deref() != Some("dev")))
                    .map(|d| d.pkg.as_str()),
            );
        }
    }
    Ok(seen
        .into_iter()
        .filter_map(|id| names.get(id).map(|n| (*n).to_owned()))
        .collect())
}

/// A RustSec advisory database in `dir` with one advisory per `(id, crate, version)`:
/// that version is affected, the next patch release is not.
pub(crate) fn write_advisory_db(dir: &Path, advisories: &[(&str, &str, &str)]) -> Result<()> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("crates"))
        .with_context(|| format!("cannot create {}", dir.display()))?;
    for (id, krate, version) in advisories {
        let crate_dir = dir.join("crates").join(krate);
        std::fs::create_dir_all(&crate_dir)
            .with_context(|| format!("cannot create {}", crate_dir.display()))?;
        let parsed = semver::Version::parse(version)
            .with_context(|| format!("version `{version}` of {krate} is not semver"))?;
        let patched = semver::Version::new(parsed.major, parsed.minor, parsed.patch + 1);
        let text = format!(
            "```toml\n[advisory]\nid = \"{id}\"\npackage = \"{krate}\"\ndate = \"2099-01-01\"\n\
             url = \"https://example.invalid/{id}\"\ncategories = [\"memory-corruption\"]\n\
             keywords = [\"test\"]\n\n[versions]\npatched = [\">= {patched}\"]\nunaffected = [\"< {version}\"]\n```\n\n\
             # Test advisory for {krate} {version}\n\nWritten by `cargo xtask test` to check that \
             `cargo audit bin` reads the dependency list embedded by `cargo auditable`.\n"
        );
        let file = crate_dir.join(format!("{id}.md"));
        std::fs::write(&file, text).with_context(|| format!("cannot write {}", file.display()))?;
    }
    Ok(())
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
