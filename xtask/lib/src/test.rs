//! `cargo xtask test [--quick]`: everything CI checks, in order, stopping at the first
//! failure; each step timed, the total at the end, and a `not run` line naming every
//! check the machine could not provide (never a silent pass). The tools the steps need
//! are found or installed first (`crate::tools`), so a fresh machine needs nothing else.
//! A step that leaves a tracked file modified fails.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use sha2::{Digest, Sha256};

use crate::cargo_meta::Metadata;
use crate::config::Config;
use crate::project::{self, Project};
use crate::tools;
use crate::{check, sync};

/// Run fmt, sync --check, check, clippy, tests on both registry backends, docs, the
/// matrix subset, two verified set builds, the scan, the reproducibility and rebuild
/// checks, packaging and the benchmarks' type check; `--quick`: the inner loop.
#[derive(Debug, Args)]
pub(crate) struct Test {
    /// The inner loop: fmt, sync --check, check, clippy, the workspace's tests on the
    /// default backend (trybuild cases included) and the doc check; no release builds,
    /// no matrix, no scan, no rebuild.
    #[arg(long)]
    pub(crate) quick: bool,
}

/// Whether this process runs as root (the tests that mount a filesystem need it).
pub(crate) fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// The tree's tracked state: `git status` of tracked files and a hash of the diff
/// against HEAD. `None` outside a git checkout.
fn tracked_state(project: &Project) -> Option<(String, String)> {
    let status = project::stdout(project.command("git").args([
        "status",
        "--porcelain",
        "--untracked-files=no",
    ]))
    .ok()?;
    let diff = project::output(project.command("git").args(["diff", "HEAD", "--binary"])).ok()?;
    Some((status, crate::plan::hex(&Sha256::digest(&diff.stdout))))
}

/// The steps' runner: times each, checks the tree after each.
struct Steps<'a> {
    project: &'a Project,
    tracked: Option<(String, String)>,
}

impl Steps<'_> {
    fn step(&self, name: &str, f: &mut dyn FnMut() -> Result<()>) -> Result<()> {
        eprintln!("\n==> {name}");
        let at = Instant::now();
        f().with_context(|| format!("step `{name}` failed"))?;
        if let Some(before) = &self.tracked {
            let after = tracked_state(self.project);
            if after.as_ref() != Some(before) {
                let status = after.map(|(s, _)| s).unwrap_or_default();
                bail!(
                    "step `{name}` left tracked files modified (a build or test must not \
                     change the checkout; commit what is meant to change):\n{}",
                    status.trim_end()
                );
            }
        }
        eprintln!("<== {name}: ok ({:.1?})", at.elapsed());
        Ok(())
    }
}

impl Test {
    pub(crate) fn run(&self) -> Result<()> {
        let project = Project::current()?;
        let started = Instant::now();
        let settings = &project.settings;

        // The tools every step below needs, found or installed before the first step.
        eprintln!("==> tools");
        let at = Instant::now();
        components()?;
        for tool in tools::for_test(settings, self.quick) {
            tools::ensure(tool)?;
        }
        eprintln!("<== tools: ok ({:.1?})", at.elapsed());

        // Tests that cannot run on this machine (not root) record themselves here.
        let not_run_file = crate::cargo_meta::target_dir(&project)?
            .join("xtask-test")
            .join("not-run.txt");
        std::fs::create_dir_all(not_run_file.parent().unwrap_or(Path::new(".")))?;
        std::fs::write(&not_run_file, "")
            .with_context(|| format!("cannot write {}", not_run_file.display()))?;
        let root = is_root();
        let mut not_run: Vec<String> = Vec::new();

        let tracked = tracked_state(&project);
        if tracked.is_none() {
            not_run.push(
                "the check that no step modifies tracked files (not a git checkout)".to_owned(),
            );
        }
        let steps = Steps {
            project: &project,
            tracked,
        };
        let cargo = |args: &[&str]| {
            let mut cmd = project.cargo();
            cmd.args(args);
            if !root {
                cmd.env(muster_names::NOT_RUN_VAR, &not_run_file);
            }
            cmd
        };

        steps.step("cargo fmt --all --check", &mut || {
            project::run(&mut cargo(&["fmt", "--all", "--check"]))
        })?;
        let config = Config::load(&project)?;
        steps.step("cargo xtask sync --check", &mut || {
            sync::check(&project, &config)
        })?;
        steps.step("cargo xtask check", &mut || check::all(&project, &config))?;
        // The fuzz targets are a workspace of their own (`cargo xtask fuzz`, nightly):
        // their committed lock file must be in step with this one's crates, or the
        // fuzz run refuses it (it builds `--locked`).
        let fuzz_manifest = project.root.join("fuzz/Cargo.toml");
        if fuzz_manifest.is_file() {
            steps.step(
                "fuzz/Cargo.lock in step (cargo metadata --locked)",
                &mut || {
                    let mut cmd = cargo(&["metadata", "--locked", "--format-version", "1"]);
                    cmd.arg("--manifest-path").arg(&fuzz_manifest);
                    project::output(&mut cmd).map(drop).context(
                        "fuzz/Cargo.lock is out of date: run `cargo metadata --manifest-path \
                     fuzz/Cargo.toml` and commit it",
                    )
                },
            )?;
        }
        steps.step("cargo clippy", &mut || {
            project::run(&mut cargo(&[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]))
        })?;
        // The full run includes the tests marked `#[ignore]` as too slow for the inner
        // loop (release builds of whole fixture workspaces).
        let mut args = vec!["test", "--workspace"];
        if !self.quick {
            args.extend(["--", "--include-ignored"]);
        }
        steps.step(&format!("cargo {}", args.join(" ")), &mut || {
            project::run(&mut cargo(&args))
        })?;
        steps.step("cargo doc", &mut || {
            let mut cmd = cargo(&["doc", "--workspace", "--no-deps"]);
            cmd.env("RUSTDOCFLAGS", "-Dwarnings");
            project::run(&mut cmd)
        })?;
        if !self.quick {
            full(&project, &steps, &cargo, &mut not_run)?;
        }

        not_run.extend(
            std::fs::read_to_string(&not_run_file)
                .unwrap_or_default()
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned),
        );
        eprintln!(
            "\ncargo xtask test{}: all steps passed in {:.0?}",
            if self.quick { " --quick" } else { "" },
            started.elapsed()
        );
        if !not_run.is_empty() {
            eprintln!(
                "not run ({}; this machine cannot provide what they need): {}",
                not_run.len(),
                not_run.join("; ")
            );
        }
        Ok(())
    }
}

/// What the full run adds to the quick one.
fn full(
    project: &Project,
    steps: &Steps<'_>,
    cargo: &dyn Fn(&[&str]) -> Command,
    not_run: &mut Vec<String>,
) -> Result<()> {
    let step = |name: &str, f: &mut dyn FnMut() -> Result<()>| steps.step(name, f);
    {
        let settings = &project.settings;
        // The backend changes what links the registry: the runtime and the members that
        // depend on it. The others (an xtask, the macros) would run their tests twice
        // for nothing; the benchmark driver's tests are not about the backend.
        let members = registry_members(project)?;
        let inventory = format!("{}/inventory", crate::settings::RUNTIME_PACKAGE);
        let mut args = vec!["test", "--features", inventory.as_str()];
        for member in &members {
            if settings.bench.as_ref() != Some(member) {
                args.extend(["-p", member.as_str()]);
            }
        }
        step(
            &format!(
                "cargo test --features {inventory} ({} packages that link the registry)",
                members.len()
            ),
            &mut || project::run(&mut cargo(&args)),
        )?;
        for features in &settings.test_features {
            let joined = features.join(",");
            step(
                &format!("cargo test -p {} --features {joined}", project.host()),
                &mut || {
                    project::run(&mut cargo(&[
                        "test",
                        "-p",
                        project.host(),
                        "--features",
                        &joined,
                    ]))
                },
            )?;
        }
        step("cargo xtask matrix (CI subset)", &mut || {
            crate::matrix::Matrix {
                set: None,
                full: false,
            }
            .run()
        })?;
        for set in &settings.test_sets {
            step(
                &format!("cargo xtask build --set {set} (static, verified)"),
                &mut || crate::build::Build::release(set).run(),
            )?;
        }
        for set in &settings.test_sets {
            step(
                &format!(
                    "scan {}/: its SBOM against the CycloneDX schema and Cargo.lock, cargo audit bin on its binary",
                    project.display(&project.dist_dir(set))
                ),
                &mut || crate::scan::check(project, set),
            )?;
        }
        // The rebuild (a clean checkout of HEAD elsewhere, its own target directory, the
        // same sha256) proves what `repro` proves (two target directories) and more: with
        // a committed tree it runs instead. Uncommitted changes cannot be rebuilt from
        // HEAD: then `repro` runs and the rebuild is named as not run.
        let repro = &settings.repro_set;
        let manifest = project.dist_dir(repro).join(project.manifest_file());
        if crate::build::git_state(project).1 {
            step(&format!("cargo xtask repro --set {repro}"), &mut || {
                crate::repro::Repro {
                    set: Some(repro.clone()),
                    clean: false,
                }
                .run()
            })?;
            not_run.push(format!(
                "cargo xtask rebuild {} (needs a committed tree: commit, or run in CI)",
                project.display(&manifest)
            ));
        } else {
            step(
                &format!(
                    "cargo xtask rebuild {} (clean checkout elsewhere, own target directory, same sha256)",
                    project.display(&manifest)
                ),
                &mut || crate::rebuild::Rebuild::of(&manifest).run(),
            )?;
        }
        if !settings.publish.is_empty() {
            // Every feature: an optional module (the inventory backend) must verify too.
            let mut args = vec!["package", "--allow-dirty", "--all-features"];
            for package in &settings.publish {
                args.extend(["-p", package.as_str()]);
            }
            // Verification builds each crate from a local registry of the tarballs just
            // made, at the version they had before: cargo takes a registry crate's
            // sources and build for immutable, so those left by an earlier run of this
            // step would pass for the new sources. They are removed first; every other
            // build in the target directory stays.
            let target = crate::cargo_meta::target_dir(project)?;
            forget_registry_builds(&target, &settings.publish)?;
            forget_local_registry_sources(&cargo_home(), &settings.publish)?;
            if let Some(unchecked) = crate::crates_io::check_names(project, &settings.publish)? {
                not_run.push(unchecked);
            }
            step(
                &format!(
                    "cargo {} (publishable crates package and verify)",
                    args.join(" ")
                ),
                &mut || project::run(&mut cargo(&args)),
            )?;
        }
        step("cargo xtask api (public API listings)", &mut || {
            crate::api::check(project, false)
        })?;
        Ok(())
    }
}

/// The workspace members that are the runtime crate or link it (normal dependencies).
fn registry_members(project: &Project) -> Result<Vec<String>> {
    let metadata = Metadata::read(project.cargo().args(["metadata", "--format-version", "1"]))?;
    Ok(metadata.members_linking(crate::settings::RUNTIME_PACKAGE))
}

/// Removes the builds of `packages` that `target` made from registry sources (the
/// local registry `cargo package` verifies from), and those extracted sources: each
/// build's dep-info file (`deps/<crate>-<hash>.d`) names its sources. Builds from the
/// workspace's own directories stay.
fn forget_registry_builds(target: &Path, packages: &[String]) -> Result<()> {
    let profile = target.join("debug");
    let deps = profile.join("deps");
    let Ok(entries) = std::fs::read_dir(&deps) else {
        return Ok(());
    };
    let mut stale: Vec<(String, String)> = Vec::new();
    let mut sources: std::collections::BTreeSet<std::path::PathBuf> = Default::default();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(package) = packages.iter().find(|p| is_build_of(&name, p)) else {
            continue;
        };
        let Some(stem) = name.strip_suffix(".d") else {
            continue;
        };
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        let first = text.lines().next().unwrap_or("");
        let registry: Vec<&str> = first
            .split_whitespace()
            .skip(1)
            .filter(|src| src.contains("/registry/src/"))
            .collect();
        if registry.is_empty() {
            continue;
        }
        for src in registry {
            // `<cargo home>/registry/src/<index>/<name>-<version>/...`
            let path = Path::new(src);
            if let Some(dir) = path.ancestors().find(|a| {
                a.parent()
                    .and_then(Path::parent)
                    .is_some_and(|p| p.ends_with("registry/src"))
            }) {
                sources.insert(dir.to_path_buf());
            }
        }
        if let Some((_, hash)) = stem.rsplit_once('-') {
            stale.push((package.clone(), hash.to_owned()));
        }
    }
    for dir in [profile.join(".fingerprint"), deps] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let ours = stale
                .iter()
                .any(|(package, hash)| is_build_of(&name, package) && name.contains(hash.as_str()));
            if ours {
                remove(&entry.path())?;
            }
        }
    }
    for dir in sources {
        remove(&dir)?;
    }
    Ok(())
}

/// `$CARGO_HOME`, else `~/.cargo`.
fn cargo_home() -> std::path::PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .unwrap_or_else(|| ".cargo".into())
}

/// Removes the sources of `packages` that cargo extracted from the local registries
/// `cargo package` verifies with (`<cargo home>/registry/src/-<hash>/<package>-<version>`;
/// crates.io's index directories are named `index.crates.io-…`, never with a leading
/// `-`). Cargo reuses an extracted directory of the same name and version, so without
/// this a second run verifies the sources of the first (a stale `muster-rt-0.1.0`).
fn forget_local_registry_sources(cargo_home: &Path, packages: &[String]) -> Result<()> {
    let Ok(indexes) = std::fs::read_dir(cargo_home.join("registry/src")) else {
        return Ok(());
    };
    for index in indexes.flatten() {
        if !index.file_name().to_string_lossy().starts_with('-') {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(index.path()) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let ours = packages.iter().any(|p| {
                name.strip_prefix(p.as_str())
                    .and_then(|rest| rest.strip_prefix('-'))
                    .is_some_and(|version| version.starts_with(|c: char| c.is_ascii_digit()))
            });
            if ours {
                remove(&entry.path())?;
            }
        }
    }
    Ok(())
}

fn remove(path: &Path) -> Result<()> {
    let removed = if path.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    };
    removed.with_context(|| format!("cannot remove {}", path.display()))
}

/// Whether `file` (in `.fingerprint/` or `deps/`) is a build of `package`: `<package>-<hash>`,
/// `lib<crate>-<hash>.<ext>` or `<crate>-<hash>.d`, the crate name with `_` for `-`.
fn is_build_of(file: &str, package: &str) -> bool {
    let krate = package.replace('-', "_");
    let stems = [package.to_owned(), format!("lib{krate}"), krate.clone()];
    stems.iter().any(|stem| {
        file.strip_prefix(stem.as_str())
            .and_then(|rest| rest.strip_prefix('-'))
            .map(|rest| rest.split('.').next().unwrap_or(""))
            .is_some_and(|hash| !hash.is_empty() && hash.chars().all(|c| c.is_ascii_hexdigit()))
    })
}

/// rustfmt and clippy: added with rustup when missing (one line each).
fn components() -> Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    for (component, subcommand) in [("rustfmt", "fmt"), ("clippy", "clippy")] {
        let present = Command::new(&cargo)
            .args([subcommand, "--version"])
            .output()
            .is_ok_and(|o| o.status.success());
        if present {
            continue;
        }
        let at = Instant::now();
        eprint!("tools: adding the rustup component {component} (cargo {subcommand}) ... ");
        let out = Command::new("rustup")
            .args(["component", "add", component])
            .output()
            .with_context(|| {
                format!("`cargo {subcommand}` is missing and rustup cannot be started to add {component}")
            })?;
        if !out.status.success() {
            eprintln!("failed");
            bail!(
                "`rustup component add {component}` failed: {}",
                String::from_utf8_lossy(&out.stderr).trim_end()
            );
        }
        eprintln!("done in {:.0?}", at.elapsed());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::test::{forget_local_registry_sources, forget_registry_builds, is_build_of};

    #[test]
    fn only_the_builds_from_registry_sources_are_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        let deps = target.join("debug/deps");
        let prints = target.join("debug/.fingerprint");
        std::fs::create_dir_all(&deps).unwrap();
        std::fs::create_dir_all(&prints).unwrap();
        let extracted = dir
            .path()
            .join("home/registry/src/-c56d/muster-names-0.1.0");
        std::fs::create_dir_all(extracted.join("src")).unwrap();
        let write = |path: std::path::PathBuf, text: String| std::fs::write(path, text).unwrap();
        // From the local registry `cargo package` verifies from.
        write(
            deps.join("muster_names-00aa.d"),
            format!(
                "{}: {}\n",
                deps.join("muster_names-00aa.d").display(),
                extracted.join("src/lib.rs").display()
            ),
        );
        write(deps.join("libmuster_names-00aa.rlib"), String::new());
        std::fs::create_dir(prints.join("muster-names-00aa")).unwrap();
        // From the workspace's own directory.
        write(
            deps.join("muster_names-11bb.d"),
            format!(
                "{}: /work/names/src/lib.rs\n",
                deps.join("muster_names-11bb.d").display()
            ),
        );
        write(deps.join("libmuster_names-11bb.rlib"), String::new());
        std::fs::create_dir(prints.join("muster-names-11bb")).unwrap();
        forget_registry_builds(&target, &["muster-names".to_owned()]).unwrap();
        assert!(!deps.join("muster_names-00aa.d").exists());
        assert!(!deps.join("libmuster_names-00aa.rlib").exists());
        assert!(!prints.join("muster-names-00aa").exists());
        assert!(!extracted.exists(), "the extracted sources are removed too");
        assert!(deps.join("muster_names-11bb.d").exists());
        assert!(deps.join("libmuster_names-11bb.rlib").exists());
        assert!(prints.join("muster-names-11bb").exists());
    }

    #[test]
    fn stale_local_registry_sources_of_the_packaged_crates_are_removed() {
        let home = tempfile::tempdir().unwrap();
        let src = home.path().join("registry/src");
        let dirs = [
            "-14cd/muster-rt-0.1.0",
            "-14cd/muster-rt-extra-0.1.0",
            "-2f18/muster-names-0.2.0",
            "index.crates.io-1949/muster-rt-0.1.0",
            "-14cd/serde-1.0.0",
        ];
        for dir in dirs {
            std::fs::create_dir_all(src.join(dir).join("src")).unwrap();
        }
        let packages = ["muster-rt".to_owned(), "muster-names".to_owned()];
        forget_local_registry_sources(home.path(), &packages).unwrap();
        assert!(!src.join("-14cd/muster-rt-0.1.0").exists());
        assert!(!src.join("-2f18/muster-names-0.2.0").exists());
        // Another package, crates.io's index, and a name that only starts alike stay.
        assert!(src.join("-14cd/muster-rt-extra-0.1.0").exists());
        assert!(src.join("index.crates.io-1949/muster-rt-0.1.0").exists());
        assert!(src.join("-14cd/serde-1.0.0").exists());
        // No registry at all is nothing to do.
        forget_local_registry_sources(&home.path().join("none"), &packages).unwrap();
    }

    #[test]
    fn the_builds_of_a_package_are_told_by_name_and_hash() {
        for file in [
            "muster-names-0123abcd0123abcd",
            "libmuster_names-0123abcd0123abcd.rlib",
            "libmuster_names-0123abcd0123abcd.rmeta",
            "muster_names-0123abcd0123abcd.d",
        ] {
            assert!(is_build_of(file, "muster-names"), "{file}");
            assert!(!is_build_of(file, "muster"), "{file}");
        }
        assert!(is_build_of("libmuster-00ff.rlib", "muster"));
        assert!(!is_build_of("muster-bench-00ff", "muster"));
        assert!(!is_build_of("libmuster_kit-00ff.rlib", "muster"));
    }
}
