//! `cargo xtask rebuild dist/<set>/edge-agent.manifest.json`: what an auditor runs to
//! check a shipped binary. It first checks the inputs (the manifest belongs to its
//! directory's set, the binary and SBOM beside it have the recorded hashes, the manifest
//! is the one embedded in the binary, this machine has the recorded toolchain, the
//! revision exists), then clones the repository at the recorded revision into
//! `<target>/rebuild/checkout`, runs *that revision's* `cargo xtask build` with the
//! recorded set, profile, target and auditable mode, and compares the sha256. Nothing in
//! `dist/` is written: the rebuilt binary stays in `<target>/rebuild/checkout/dist/`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::build::{Binary, BuildManifest, MANIFEST, target_dir};
use crate::plan::{PlannedPlugin, hex};
use crate::project::{self, APP_PACKAGE, Project};

/// Rebuild the binary a manifest describes from a clean checkout; compare the sha256.
#[derive(Debug, Args)]
pub(crate) struct Rebuild {
    /// The manifest beside the binary: `dist/<set>/edge-agent.manifest.json`.
    manifest: PathBuf,
}

/// A manifest as `cargo xtask build` wrote it (`crate::build::BuildManifest`): every
/// key required, no other key allowed.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct Recorded {
    pub(crate) set: String,
    pub(crate) plan_hash: String,
    pub(crate) teams: Vec<String>,
    pub(crate) plugins: Vec<PlannedPlugin>,
    pub(crate) features: Vec<String>,
    pub(crate) target: String,
    pub(crate) profile: String,
    pub(crate) rustc: String,
    pub(crate) git_revision: String,
    pub(crate) git_dirty: bool,
    pub(crate) auditable: bool,
    pub(crate) sbom: String,
    pub(crate) binary: Binary,
    pub(crate) sbom_sha256: String,
}

impl Recorded {
    /// The JSON the build embedded in the binary (`MUSTER_BUILD_MANIFEST`): the manifest
    /// without the hashes of the files written after the binary.
    fn embedded(&self) -> Result<String> {
        let manifest = BuildManifest {
            set: &self.set,
            plan_hash: self.plan_hash.clone(),
            teams: &self.teams,
            plugins: &self.plugins,
            features: &self.features,
            target: &self.target,
            profile: &self.profile,
            rustc: self.rustc.clone(),
            git_revision: self.git_revision.clone(),
            git_dirty: self.git_dirty,
            auditable: self.auditable,
            sbom: &self.sbom,
            binary: None,
            sbom_sha256: None,
        };
        Ok(serde_json::to_string(&manifest)?)
    }
}

/// The inputs, checked: what to rebuild and what to compare with.
#[derive(Debug)]
pub(crate) struct Checked {
    pub(crate) recorded: Recorded,
    pub(crate) binary: PathBuf,
}

impl Rebuild {
    pub(crate) fn run(&self) -> Result<()> {
        let project = Project::current();
        let checked = check_inputs(&project, &self.manifest, &current_rustc(&project)?)?;
        let recorded = &checked.recorded;
        if recorded.git_dirty {
            eprintln!(
                "warning: the binary was built from a dirty tree (uncommitted changes on top of {}): \
                 a clean checkout of that revision may not reproduce it",
                recorded.git_revision
            );
        }
        let work = target_dir(&project)?.join("rebuild");
        let checkout = work.join("checkout");
        clone_at(&project, &checkout, &recorded.git_revision)?;
        let mut cmd = project.cargo();
        cmd.current_dir(&checkout)
            .args(["xtask", "build", "--set", &recorded.set])
            .args(["--profile", &recorded.profile])
            .args(["--target", &recorded.target])
            // One target directory for every rebuild: a second one recompiles only what changed.
            .env("CARGO_TARGET_DIR", work.join("target"));
        if !recorded.auditable {
            cmd.arg(crate::auditable::OPT_OUT);
        }
        project::run(&mut cmd).context("the rebuild at the recorded revision failed")?;
        let rebuilt_dir = checkout.join("dist").join(&recorded.set);
        let rebuilt = rebuilt_dir.join(APP_PACKAGE);
        let bytes = std::fs::read(&rebuilt)
            .with_context(|| format!("cannot read the rebuilt {}", rebuilt.display()))?;
        let sha = hex(&Sha256::digest(&bytes));
        let again: Recorded = read_manifest(&rebuilt_dir.join(MANIFEST))?;
        println!(
            "recorded: sha256 {}  {}",
            recorded.binary.sha256,
            checked.binary.display()
        );
        println!("rebuilt:  sha256 {sha}  {}", rebuilt.display());
        if sha == recorded.binary.sha256 {
            println!(
                "rebuild: identical: set `{}` at {} rebuilt from a clean checkout gives the same bytes",
                recorded.set, recorded.git_revision
            );
            return Ok(());
        }
        let differences = differences(recorded, &again);
        if differences.is_empty() {
            bail!(
                "the rebuilt binary differs (sha256 {sha}, recorded {}) although toolchain, revision, \
                 tree, features, target and profile are the same: the build is not reproducible; \
                 compare {} and {} with `cmp -l` or diffoscope",
                recorded.binary.sha256,
                checked.binary.display(),
                rebuilt.display()
            );
        }
        bail!(
            "the rebuilt binary differs (sha256 {sha}, recorded {}): {}",
            recorded.binary.sha256,
            differences.join("; ")
        )
    }
}

/// What differs between the recorded build and the rebuild, each named.
pub(crate) fn differences(recorded: &Recorded, rebuilt: &Recorded) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = |name: &str, a: String, b: String| {
        if a != b {
            out.push(format!("{name}: recorded {a}, rebuilt {b}"));
        }
    };
    field("toolchain", recorded.rustc.clone(), rebuilt.rustc.clone());
    field(
        "revision",
        recorded.git_revision.clone(),
        rebuilt.git_revision.clone(),
    );
    field(
        "dirty tree",
        recorded.git_dirty.to_string(),
        rebuilt.git_dirty.to_string(),
    );
    field(
        "features",
        recorded.features.join(","),
        rebuilt.features.join(","),
    );
    field(
        "plan hash",
        recorded.plan_hash.clone(),
        rebuilt.plan_hash.clone(),
    );
    field("target", recorded.target.clone(), rebuilt.target.clone());
    field("profile", recorded.profile.clone(), rebuilt.profile.clone());
    field(
        "auditable",
        recorded.auditable.to_string(),
        rebuilt.auditable.to_string(),
    );
    out
}

fn read_manifest(path: &Path) -> Result<Recorded> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{}: not a manifest written by `cargo xtask build`",
            path.display()
        )
    })
}

/// `rustc -V` of the toolchain this command runs with.
pub(crate) fn current_rustc(project: &Project) -> Result<String> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    Ok(project::stdout(project.command(&rustc).arg("-V"))?
        .trim()
        .to_owned())
}

/// Every check that needs no build; fails naming the file and what does not match.
pub(crate) fn check_inputs(project: &Project, manifest: &Path, rustc: &str) -> Result<Checked> {
    let recorded = read_manifest(manifest)?;
    let shown = manifest.display();
    let dir = manifest.parent().unwrap_or(Path::new("."));

    // The manifest belongs to the set of the directory it is in.
    let dir_set = std::fs::canonicalize(dir)
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()));
    if let Some(dir_set) = dir_set {
        if dir_set != recorded.set {
            bail!(
                "{shown} records set `{}` but is in the directory of set `{dir_set}`: \
                 a manifest from another set",
                recorded.set
            );
        }
    }

    // The binary and the SBOM beside it are the ones the manifest records.
    let name = Path::new(&recorded.binary.path)
        .file_name()
        .with_context(|| format!("{shown}: `binary.path` names no file"))?;
    let binary = dir.join(name);
    let bytes = std::fs::read(&binary)
        .with_context(|| format!("cannot read {} (named by {shown})", binary.display()))?;
    let sha = hex(&Sha256::digest(&bytes));
    if sha != recorded.binary.sha256 || bytes.len() as u64 != recorded.binary.size {
        bail!(
            "{} has sha256 {sha} ({} bytes) but {shown} records {} ({} bytes): \
             the binary or the manifest was changed after the build",
            binary.display(),
            bytes.len(),
            recorded.binary.sha256,
            recorded.binary.size
        );
    }
    let sbom = dir.join(&recorded.sbom);
    let sbom_bytes = std::fs::read(&sbom)
        .with_context(|| format!("cannot read {} (named by {shown})", sbom.display()))?;
    let sbom_sha = hex(&Sha256::digest(&sbom_bytes));
    if sbom_sha != recorded.sbom_sha256 {
        bail!(
            "{} has sha256 {sbom_sha} but {shown} records {}: the SBOM or the manifest was \
             changed after the build",
            sbom.display(),
            recorded.sbom_sha256
        );
    }

    // The manifest is the one the build embedded in the binary.
    let embedded = recorded.embedded()?;
    if !contains(&bytes, embedded.as_bytes()) {
        let differing = match embedded_manifest(&bytes) {
            Some(inside) => {
                let outside: serde_json::Value = serde_json::from_str(&embedded)?;
                let keys: Vec<String> = outside
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(k, v)| inside.get(k.as_str()) != Some(v))
                    .map(|(k, _)| format!("`{k}`"))
                    .collect();
                format!("differs in {}", keys.join(", "))
            }
            None => "is not embedded in the binary at all".to_owned(),
        };
        bail!(
            "{shown} does not match the manifest embedded in {}: it {differing} (the manifest \
             was edited, or belongs to another binary)",
            binary.display()
        );
    }

    // The toolchain.
    if recorded.rustc != rustc {
        let version = recorded
            .rustc
            .split_whitespace()
            .nth(1)
            .unwrap_or(&recorded.rustc);
        bail!(
            "missing toolchain: {shown} was built with `{}`, this machine's rustc is `{rustc}`; \
             install it with `rustup toolchain install {version}` and run \
             `RUSTUP_TOOLCHAIN={version} cargo xtask rebuild {shown}`",
            recorded.rustc
        );
    }

    // The revision.
    let object = format!("{}^{{commit}}", recorded.git_revision);
    if project::output(project.command("git").args(["cat-file", "-e", &object])).is_err() {
        bail!(
            "revision {} (recorded in {shown}) does not exist in this repository ({}): \
             fetch it, or rebuild from the repository it was built in",
            recorded.git_revision,
            project.root.display()
        );
    }
    Ok(Checked { recorded, binary })
}

/// Whether `needle` occurs in `haystack`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// The manifest JSON embedded in a binary: the first `{"set":` that parses as an object.
fn embedded_manifest(bytes: &[u8]) -> Option<serde_json::Map<String, serde_json::Value>> {
    let marker = b"{\"set\":";
    let mut from = 0;
    while let Some(at) = bytes[from..]
        .windows(marker.len())
        .position(|w| w == marker)
    {
        let start = from + at;
        let mut stream =
            serde_json::Deserializer::from_slice(&bytes[start..]).into_iter::<serde_json::Value>();
        if let Some(Ok(serde_json::Value::Object(map))) = stream.next() {
            return Some(map);
        }
        from = start + 1;
    }
    None
}

/// A clean clone of this repository at `revision` in `dir` (replacing what is there).
fn clone_at(project: &Project, dir: &Path, revision: &str) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("cannot remove {}", dir.display()))?;
    }
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent)?;
    }
    project::run(
        project
            .command("git")
            .args(["clone", "--quiet", "--shared", "--no-checkout", "."])
            .arg(dir),
    )?;
    project::run(
        project
            .command("git")
            .arg("-C")
            .arg(dir)
            .args(["checkout", "--quiet", "--detach", revision]),
    )?;
    Ok(())
}
