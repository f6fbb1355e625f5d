//! `cargo xtask rebuild dist/<set>/<host>.manifest.json`: what an auditor runs to
//! check a shipped binary. It first checks the inputs (the manifest belongs to its
//! directory's set, the binary and SBOM beside it have the recorded hashes, the manifest
//! is the one embedded in the binary, this machine has the recorded toolchain, the
//! revision exists), then clones the repository at the recorded revision into
//! `<target>/rebuild/checkout`, runs *that revision's* `cargo xtask build` with the
//! recorded set, profile, target and auditable mode, and compares the sha256 of the binary
//! (and then of the SBOM). Nothing in `dist/` is written: the rebuilt binary stays in
//! `<target>/rebuild/checkout/dist/`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use sha2::{Digest, Sha256};

use crate::build::{Binary, BuildManifest};
use crate::cargo_meta::target_dir;
use crate::plan::hex;
use crate::project::{self, Project};

/// Rebuild the binary a manifest describes from a clean checkout; compare the sha256.
#[derive(Debug, Args)]
pub(crate) struct Rebuild {
    /// The manifest beside the binary: `dist/<set>/<host>.manifest.json`.
    manifest: PathBuf,
}

/// A manifest file `cargo xtask build` wrote: its [`BuildManifest`] (every key
/// required, no other allowed) and the hashes of the files written after the binary,
/// which must be there too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Recorded {
    /// What the build decided, without the two hashes: what it embedded in the binary.
    pub(crate) build: BuildManifest,
    pub(crate) binary: Binary,
    pub(crate) sbom_sha256: String,
}

impl Recorded {
    /// Splits a manifest file's contents; names the missing key, if any.
    fn from_manifest(mut build: BuildManifest) -> Result<Recorded> {
        let binary = build.binary.take().context("missing field `binary`")?;
        let sbom_sha256 = build
            .sbom_sha256
            .take()
            .context("missing field `sbom_sha256`")?;
        Ok(Recorded {
            build,
            binary,
            sbom_sha256,
        })
    }

    /// The manifest file's contents (tests write stand-in `dist/` directories with it).
    #[cfg(test)]
    pub(crate) fn manifest(&self) -> BuildManifest {
        BuildManifest {
            binary: Some(self.binary.clone()),
            sbom_sha256: Some(self.sbom_sha256.clone()),
            ..self.build.clone()
        }
    }

    /// The JSON the build embedded in the binary (`MUSTER_BUILD_MANIFEST`).
    fn embedded(&self) -> Result<String> {
        Ok(serde_json::to_string(&self.build)?)
    }
}

/// The inputs, checked: what to rebuild and what to compare with.
#[derive(Debug)]
pub(crate) struct Checked {
    pub(crate) recorded: Recorded,
    pub(crate) binary: PathBuf,
}

impl Rebuild {
    /// A rebuild of the binary `manifest` describes.
    pub(crate) fn of(manifest: &Path) -> Rebuild {
        Rebuild {
            manifest: manifest.to_owned(),
        }
    }

    pub(crate) fn run(&self) -> Result<()> {
        let project = Project::current()?;
        let checked = check_inputs(&project, &self.manifest, &current_rustc(&project)?)?;
        let recorded = &checked.recorded;
        if recorded.build.git_dirty {
            eprintln!(
                "warning: the binary was built from a dirty tree (uncommitted changes on top of {}): \
                 a clean checkout of that revision may not reproduce it",
                recorded.build.git_revision
            );
        }
        let work = target_dir(&project)?.join("rebuild");
        let checkout = work.join("checkout");
        clone_at(&project, &checkout, &recorded.build.git_revision)?;
        let mut cmd = project.cargo();
        cmd.current_dir(&checkout)
            .args(["xtask", "build", "--set", &recorded.build.set])
            .args(["--profile", &recorded.build.profile])
            .args(["--target", &recorded.build.target])
            // One target directory for every rebuild: a second one recompiles only what changed.
            .env("CARGO_TARGET_DIR", work.join("target"));
        if !recorded.build.auditable {
            cmd.arg(crate::auditable::OPT_OUT);
        }
        project::run(&mut cmd).context("the rebuild at the recorded revision failed")?;
        let rebuilt_dir = checkout
            .join(project.display(&project.settings.dist))
            .join(&recorded.build.set);
        let rebuilt = rebuilt_dir.join(project.host());
        let bytes = std::fs::read(&rebuilt)
            .with_context(|| format!("cannot read the rebuilt {}", rebuilt.display()))?;
        let sha = hex(&Sha256::digest(&bytes));
        let again: Recorded = read_manifest(&rebuilt_dir.join(project.manifest_file()))?;
        println!(
            "recorded: sha256 {}  {}",
            recorded.binary.sha256,
            checked.binary.display()
        );
        println!("rebuilt:  sha256 {sha}  {}", rebuilt.display());
        if sha == recorded.binary.sha256 {
            // The SBOM is deterministic too: the same binary must come with the same SBOM.
            let sbom = std::fs::read(rebuilt_dir.join(&again.build.sbom))?;
            let sbom_sha = hex(&Sha256::digest(&sbom));
            if sbom_sha != recorded.sbom_sha256 {
                bail!(
                    "the rebuilt binary is identical, but its SBOM is not (sha256 {sbom_sha}, \
                     recorded {}): compare {} with {}",
                    recorded.sbom_sha256,
                    checked
                        .binary
                        .with_file_name(&recorded.build.sbom)
                        .display(),
                    rebuilt_dir.join(&again.build.sbom).display()
                );
            }
            println!(
                "rebuild: identical: set `{}` at {} rebuilt from a clean checkout gives the same \
                 bytes and the same SBOM",
                recorded.build.set, recorded.build.git_revision
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
    compared(&recorded.build)
        .into_iter()
        .zip(compared(&rebuilt.build))
        .filter(|((_, a), (_, b))| a != b)
        .map(|((name, a), (_, b))| format!("{name}: recorded {a}, rebuilt {b}"))
        .collect()
}

/// The inputs of a build that decide its bytes, each named and rendered once for
/// both sides of [`differences`].
fn compared(build: &BuildManifest) -> [(&'static str, String); 9] {
    [
        ("toolchain", build.rustc.clone()),
        ("revision", build.git_revision.clone()),
        ("dirty tree", build.git_dirty.to_string()),
        ("features", build.features.join(",")),
        ("plan hash", build.plan_hash.clone()),
        ("target", build.target.clone()),
        ("profile", build.profile.clone()),
        ("auditable", build.auditable.to_string()),
        (
            "packed relocations (glibc >= 2.36 and ld >= 2.38 on the building machine)",
            build.packed_relocations.to_string(),
        ),
    ]
}

fn read_manifest(path: &Path) -> Result<Recorded> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text)
        .map_err(anyhow::Error::from)
        .and_then(Recorded::from_manifest)
        .with_context(|| {
            format!(
                "{}: not a manifest written by `cargo xtask build`",
                path.display()
            )
        })
}

/// `rustc -V` of the toolchain this command runs with.
pub(crate) fn current_rustc(project: &Project) -> Result<String> {
    crate::cargo_meta::rustc_version(project)
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
    if let Some(dir_set) = dir_set
        && dir_set != recorded.build.set
    {
        bail!(
            "{shown} records set `{}` but is in the directory of set `{dir_set}`: \
             a manifest from another set",
            recorded.build.set
        );
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
    let sbom = dir.join(&recorded.build.sbom);
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
    if recorded.build.rustc != rustc {
        let version = recorded
            .build
            .rustc
            .split_whitespace()
            .nth(1)
            .unwrap_or(&recorded.build.rustc);
        bail!(
            "missing toolchain: {shown} was built with `{}`, this machine's rustc is `{rustc}`; \
             install it with `rustup toolchain install {version}` and run \
             `RUSTUP_TOOLCHAIN={version} cargo xtask rebuild {shown}`",
            recorded.build.rustc
        );
    }

    // The revision.
    let object = format!("{}^{{commit}}", recorded.build.git_revision);
    if project::output(project.command("git").args(["cat-file", "-e", &object])).is_err() {
        bail!(
            "revision {} (recorded in {shown}) does not exist in this repository ({}): \
             fetch it, or rebuild from the repository it was built in",
            recorded.build.git_revision,
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

/// A clean checkout of this repository at `revision` in `dir`: the previous one reused
/// when it cleans up to exactly the revision, else a new clone.
fn clone_at(project: &Project, dir: &Path, revision: &str) -> Result<()> {
    // The checkout of the previous rebuild, moved to `revision` and cleaned of every
    // file git does not track: the same clean tree as a new clone, but unchanged files
    // keep their times, so the rebuild's target directory recompiles only what changed.
    if dir.join(".git").exists() {
        let git = |args: &[&str]| {
            let mut cmd = project.command("git");
            cmd.arg("-C").arg(dir).args(args);
            cmd
        };
        let reused = project::output(&mut git(&[
            "checkout", "--quiet", "--force", "--detach", revision,
        ]))
        .and_then(|_| project::output(&mut git(&["clean", "--quiet", "-ffdx"])))
        .and_then(|_| project::stdout(&mut git(&["status", "--porcelain", "--ignored"])));
        match reused {
            Ok(status) if status.trim().is_empty() => return Ok(()),
            Ok(status) => eprintln!(
                "rebuild: {} is not clean after checkout and clean ({}); cloning anew",
                dir.display(),
                status.trim()
            ),
            Err(err) => eprintln!(
                "rebuild: cannot reuse {} ({err:#}); cloning anew",
                dir.display()
            ),
        }
    }
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    use sha2::{Digest, Sha256};

    use crate::build::{Binary, BuildManifest, Prepared};
    use crate::plan::hex;
    use crate::project::Project;
    use crate::rebuild::{Rebuild, Recorded, check_inputs, current_rustc, differences};

    #[test]
    fn the_manifest_build_writes_is_the_one_rebuild_reads() {
        let project = Project::current().unwrap();
        let prepared = Prepared::unbuilt(&project, "edge-minimal").unwrap();
        let mut manifest = prepared.manifest();
        manifest.binary = Some(Binary {
            path: "dist/edge-minimal/edge-agent".into(),
            size: 3,
            sha256: "ab".repeat(32),
            statically_linked: true,
        });
        manifest.sbom_sha256 = Some("cd".repeat(32));
        let written = serde_json::to_value(&manifest).unwrap();
        let read =
            Recorded::from_manifest(serde_json::from_value(written.clone()).unwrap()).unwrap();
        assert_eq!(serde_json::to_value(read.manifest()).unwrap(), written);
        // What the build embeds is what rebuild looks for in the binary.
        manifest.binary = None;
        manifest.sbom_sha256 = None;
        assert_eq!(
            read.embedded().unwrap(),
            serde_json::to_string(&manifest).unwrap()
        );
    }

    /// A `dist/<dir>/` with a stand-in binary that embeds `recorded`'s manifest, its SBOM
    /// and its manifest; returns the manifest's path.
    fn fake_dist(root: &Path, dir: &str, recorded: &mut Recorded) -> PathBuf {
        let dist = root.join("dist").join(dir);
        std::fs::create_dir_all(&dist).unwrap();
        let mut bytes = b"\x7fELF stand-in\0".to_vec();
        bytes.extend(recorded.embedded().unwrap().as_bytes());
        bytes.extend(b"\0rest of the binary");
        std::fs::write(dist.join("edge-agent"), &bytes).unwrap();
        recorded.binary.size = bytes.len() as u64;
        recorded.binary.sha256 = hex(&Sha256::digest(&bytes));
        let sbom = b"{\"bomFormat\": \"CycloneDX\"}\n";
        std::fs::write(dist.join(&recorded.build.sbom), sbom).unwrap();
        recorded.sbom_sha256 = hex(&Sha256::digest(sbom));
        let manifest = dist.join("edge-agent.manifest.json");
        std::fs::write(
            &manifest,
            serde_json::to_string_pretty(&recorded.manifest()).unwrap(),
        )
        .unwrap();
        manifest
    }

    fn recorded(project: &Project) -> Recorded {
        let head = crate::project::stdout(project.command("git").args(["rev-parse", "HEAD"]))
            .unwrap()
            .trim()
            .to_owned();
        Recorded {
            build: BuildManifest {
                set: "edge-minimal".into(),
                plan_hash: "11".repeat(32),
                teams: vec!["storage".into()],
                plugins: Vec::new(),
                features: vec!["plugin-checksum-table".into()],
                target: "x86_64-unknown-linux-gnu".into(),
                profile: "release".into(),
                rustc: current_rustc(project).unwrap(),
                git_revision: head,
                git_dirty: false,
                auditable: true,
                packed_relocations: false,
                sbom: "edge-agent.cdx.json".into(),
                binary: None,
                sbom_sha256: None,
            },
            binary: Binary {
                path: "dist/edge-minimal/edge-agent".into(),
                size: 0,
                sha256: String::new(),
                statically_linked: true,
            },
            sbom_sha256: String::new(),
        }
    }

    /// Every file under `dir` with its content.
    fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut files = BTreeMap::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files.extend(snapshot(&path));
            } else {
                files.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
        files
    }

    /// `cargo xtask rebuild MANIFEST` fails before building, with `expected` in the error,
    /// and leaves `dist/` as it was.
    fn refused(root: &Path, manifest: &Path, expected: &[&str]) {
        let before = snapshot(&root.join("dist"));
        let err = format!("{:#}", Rebuild::of(manifest).run().unwrap_err());
        for e in expected {
            assert!(err.contains(e), "expected {e:?} in: {err}");
        }
        assert_eq!(snapshot(&root.join("dist")), before, "dist/ changed");
    }

    #[test]
    fn good_inputs_pass_the_checks() {
        let project = Project::current().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let manifest = fake_dist(dir.path(), "edge-minimal", &mut recorded(&project));
        let rustc = current_rustc(&project).unwrap();
        let checked = check_inputs(&project, &manifest, &rustc).unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(
            checked.binary,
            dir.path().join("dist/edge-minimal/edge-agent")
        );
    }

    #[test]
    fn a_manifest_from_another_set_is_refused() {
        let project = Project::current().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let manifest = fake_dist(dir.path(), "default", &mut recorded(&project));
        refused(
            dir.path(),
            &manifest,
            &["records set `edge-minimal` but is in the directory of set `default`"],
        );
    }

    #[test]
    fn a_tampered_binary_sbom_or_manifest_is_refused_naming_what_changed() {
        let project = Project::current().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let manifest = fake_dist(dir.path(), "edge-minimal", &mut recorded(&project));
        let binary = dir.path().join("dist/edge-minimal/edge-agent");
        let good = std::fs::read(&binary).unwrap();
        let mut bad = good.clone();
        bad[3] ^= 1;
        std::fs::write(&binary, &bad).unwrap();
        refused(
            dir.path(),
            &manifest,
            &[
                "edge-minimal/edge-agent has sha256",
                "the binary or the manifest was changed",
            ],
        );
        std::fs::write(&binary, &good).unwrap();

        let sbom = dir.path().join("dist/edge-minimal/edge-agent.cdx.json");
        let good_sbom = std::fs::read(&sbom).unwrap();
        std::fs::write(&sbom, b"{}").unwrap();
        refused(
            dir.path(),
            &manifest,
            &["the SBOM or the manifest was changed"],
        );
        std::fs::write(&sbom, good_sbom).unwrap();

        // Edit the manifest's features (keeping the binary's hash): the embedded copy disagrees.
        let text = std::fs::read_to_string(&manifest).unwrap();
        std::fs::write(
            &manifest,
            text.replace("plugin-checksum-table", "plugin-checksum-sse42"),
        )
        .unwrap();
        refused(
            dir.path(),
            &manifest,
            &[
                "does not match the manifest embedded in",
                "differs in `features`",
            ],
        );
        std::fs::write(
            &manifest,
            text.replace("\"teams\"", "\"colour\": 1, \"teams\""),
        )
        .unwrap();
        refused(
            dir.path(),
            &manifest,
            &["not a manifest written by `cargo xtask build`"],
        );
    }

    #[test]
    fn a_missing_toolchain_or_revision_is_refused() {
        let project = Project::current().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut old = recorded(&project);
        old.build.rustc = "rustc 1.2.3 (0123456789 2015-01-01)".into();
        let manifest = fake_dist(dir.path(), "edge-minimal", &mut old);
        refused(
            dir.path(),
            &manifest,
            &[
                "missing toolchain",
                "built with `rustc 1.2.3 (0123456789 2015-01-01)`",
                "rustup toolchain install 1.2.3",
            ],
        );

        let other = tempfile::tempdir().unwrap();
        let mut gone = recorded(&project);
        gone.build.git_revision = "0123456789abcdef0123456789abcdef01234567".into();
        let manifest = fake_dist(other.path(), "edge-minimal", &mut gone);
        refused(
            other.path(),
            &manifest,
            &[
                "revision 0123456789abcdef0123456789abcdef01234567",
                "does not exist in this repository",
            ],
        );
    }

    #[test]
    fn a_mismatch_names_what_differs() {
        let project = Project::current().unwrap();
        let a = recorded(&project);
        let mut b = a.clone();
        assert!(differences(&a, &b).is_empty());
        b.build.rustc = "rustc 9.9.9".into();
        b.build.git_dirty = true;
        b.build.features.push("plugin-x".into());
        b.build.packed_relocations = !a.build.packed_relocations;
        let named = differences(&a, &b).join("; ");
        let packed = format!(
            "packed relocations (glibc >= 2.36 and ld >= 2.38 on the building machine): \
             recorded {}, rebuilt {}",
            a.build.packed_relocations, b.build.packed_relocations
        );
        for what in [
            "toolchain: recorded",
            "dirty tree: recorded false, rebuilt true",
            "features: recorded plugin-checksum-table, rebuilt plugin-checksum-table,plugin-x",
            &packed,
        ] {
            assert!(named.contains(what), "{what} in {named}");
        }
    }
}
