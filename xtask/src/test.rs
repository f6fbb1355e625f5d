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
        let project = Project::current();
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
        step(
            "cargo test -p edge-agent (chaos set: failover drill)",
            &mut || {
                project::run(&mut cargo(&[
                    "test",
                    "-p",
                    "edge-agent",
                    "--features",
                    "plugin-checksum-chaos",
                ]))
            },
        )?;
        step("cargo doc", &mut || {
            let mut cmd = cargo(&["doc", "--workspace", "--no-deps"]);
            cmd.env("RUSTDOCFLAGS", "-Dwarnings");
            project::run(&mut cmd)
        })?;
        step("cargo xtask matrix (CI subset)", &mut || {
            crate::matrix::Matrix {
                set: crate::config::DEFAULT_SET.to_owned(),
                full: false,
            }
            .run()
        })?;
        for set in [crate::config::DEFAULT_SET, crate::repro::DEFAULT_REPRO_SET] {
            step(
                &format!("cargo xtask build --set {set} (static, verified)"),
                &mut || crate::build::Build::release(set).run(),
            )?;
        }
        step(
            "scan dist/: SBOMs against the CycloneDX schema, cargo audit bin on the binaries",
            &mut || {
                crate::scan::check(
                    &project,
                    crate::config::DEFAULT_SET,
                    crate::repro::DEFAULT_REPRO_SET,
                )
            },
        )?;
        step(
            &format!(
                "cargo xtask repro --set {}",
                crate::repro::DEFAULT_REPRO_SET
            ),
            &mut || {
                crate::repro::Repro {
                    set: crate::repro::DEFAULT_REPRO_SET.to_owned(),
                    clean: false,
                }
                .run()
            },
        )?;
        let manifest = project
            .root
            .join("dist")
            .join(crate::repro::DEFAULT_REPRO_SET)
            .join(crate::build::MANIFEST);
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
        step(
            "cargo bench -p muster-bench --no-run (benches build, not run)",
            &mut || project::run(&mut cargo(&["bench", "-p", "muster-bench", "--no-run"])),
        )?;
        eprintln!(
            "\ncargo xtask test: all steps passed in {:.0?}",
            started.elapsed()
        );
        Ok(())
    }
}
