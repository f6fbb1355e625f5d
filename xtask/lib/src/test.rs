//! `cargo xtask test`: everything CI checks, in order, stopping at the first failure.

use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;

use crate::config::Config;
use crate::project::{self, Project};
use crate::{check, sync};

/// Run fmt, sync --check, check, clippy, tests on both registry backends, docs, the
/// matrix subset, two verified set builds and the reproducibility check.
#[derive(Debug, Args)]
pub(crate) struct Test {}

impl Test {
    pub(crate) fn run(&self) -> Result<()> {
        let project = Project::current()?;
        let started = Instant::now();
        let step = |name: &str, f: &mut dyn FnMut() -> Result<()>| -> Result<()> {
            eprintln!("\n==> {name}");
            let at = Instant::now();
            f().with_context(|| format!("step `{name}` failed"))?;
            eprintln!("<== {name}: ok ({:.1?})", at.elapsed());
            Ok(())
        };
        let cargo = |args: &[&str]| {
            let mut cmd = project.cargo();
            cmd.args(args);
            cmd
        };

        step("cargo fmt --all --check", &mut || {
            project::run(&mut cargo(&["fmt", "--all", "--check"]))
        })?;
        let config = Config::load(&project)?;
        step("cargo xtask sync --check", &mut || {
            sync::check(&project, &config)
        })?;
        step("cargo xtask check", &mut || check::all(&project, &config))?;
        step("cargo clippy", &mut || {
            project::run(&mut cargo(&[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]))
        })?;
        step("cargo test (linkme backend)", &mut || {
            project::run(&mut cargo(&["test", "--workspace"]))
        })?;
        step("cargo test (inventory backend)", &mut || {
            project::run(&mut cargo(&[
                "test",
                "--workspace",
                "--features",
                "muster/inventory",
            ]))
        })?;
        let settings = &project.settings;
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
        step("cargo doc", &mut || {
            let mut cmd = cargo(&["doc", "--workspace", "--no-deps"]);
            cmd.env("RUSTDOCFLAGS", "-Dwarnings");
            project::run(&mut cmd)
        })?;
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
        if let [with, without, ..] = settings.test_sets.as_slice() {
            step(
                &format!(
                    "scan {}/: SBOMs against the CycloneDX schema, cargo audit bin on the binaries",
                    project.display(&settings.dist)
                ),
                &mut || crate::scan::check(&project, with, without),
            )?;
        }
        let repro = &settings.repro_set;
        step(&format!("cargo xtask repro --set {repro}"), &mut || {
            crate::repro::Repro {
                set: Some(repro.clone()),
                clean: false,
            }
            .run()
        })?;
        let manifest = project.dist_dir(repro).join(project.manifest_file());
        step(
            &format!(
                "cargo xtask rebuild {} (clean checkout, same sha256)",
                project.display(&manifest)
            ),
            &mut || {
                // A rebuild compares with a clean checkout of HEAD: with uncommitted
                // changes it cannot match. CI always runs on a clean clone.
                if crate::build::git_state(&project).1 {
                    eprintln!(
                        "skipped: the tree has uncommitted changes; commit them to run this step"
                    );
                    return Ok(());
                }
                crate::rebuild::Rebuild::of(&manifest).run()
            },
        )?;
        if !settings.publish.is_empty() {
            // Every feature: an optional module (muster's `cli`) must verify too.
            let mut args = vec!["package", "--allow-dirty", "--all-features"];
            for package in &settings.publish {
                args.extend(["-p", package.as_str()]);
            }
            step(
                &format!(
                    "cargo {} (publishable crates package and verify)",
                    args.join(" ")
                ),
                &mut || project::run(&mut cargo(&args)),
            )?;
        }
        if let Some(package) = &settings.bench {
            step(
                &format!("cargo bench -p {package} --no-run (benches build, not run)"),
                &mut || project::run(&mut cargo(&["bench", "-p", package, "--no-run"])),
            )?;
        }
        eprintln!(
            "\ncargo xtask test: all steps passed in {:.0?}",
            started.elapsed()
        );
        Ok(())
    }
}
