//! `cargo xtask doctor [--install]`: every tool and system program the commands use,
//! which steps need it, whether it is here (where, which version) and, when it is not,
//! the exact command that installs it. `--install` installs the pinned tools the
//! commands would install on first use. Exit 0 only when everything is there.

use std::path::Path;
use std::process::Command;

use anyhow::{Result, bail};
use clap::Args;

use crate::project::Project;
use crate::tools::cache::{self, Source};
use crate::tools::table::{self, PROGRAMS, Tool};

/// List the tools and programs the commands need, what is missing and how to install it.
#[derive(Debug, Args)]
pub(crate) struct Doctor {
    /// Install the missing pinned tools into the tools cache (what the commands would
    /// install on first use); system programs are named with their package.
    #[arg(long)]
    install: bool,
}

/// The pinned tools this workspace's commands use: the full test run's (which include
/// the build's) and cargo-fuzz where there are fuzz targets.
pub(crate) fn needed(project: &Project) -> Vec<&'static Tool> {
    let mut tools = crate::tools::for_test(&project.settings, false);
    if has_fuzz_targets(&project.root) {
        tools.push(&table::CARGO_FUZZ);
    }
    tools
}

/// Whether `cargo xtask fuzz` has targets to run here (`fuzz/run.sh`).
fn has_fuzz_targets(root: &Path) -> bool {
    root.join("fuzz/run.sh").is_file()
}

impl Doctor {
    pub(crate) fn run(&self) -> Result<()> {
        let project = Project::current()?;
        let root = cache::root()?;
        if self.install {
            for tool in needed(&project) {
                cache::ensure(tool)?;
            }
        }
        let mut missing = 0usize;
        let path = std::env::var_os("PATH");
        println!(
            "tools cache: {} (set {} to move it)",
            root.display(),
            cache::TOOLS_DIR_VAR
        );
        println!("\npinned tools (the commands install them there on first use):");
        let needed = needed(&project);
        let width = table::TOOLS
            .iter()
            .map(|t| t.needed_by.len())
            .max()
            .unwrap_or(0);
        for tool in table::TOOLS {
            let used = needed.contains(tool);
            let lookup = cache::lookup(tool, &root, path.as_ref());
            let status = match (&lookup.found, used) {
                (Some(found), _) => format!(
                    "ok: {}{}",
                    found.exe.display(),
                    if found.source == Source::Path {
                        " (on PATH, the pinned version)"
                    } else {
                        ""
                    }
                ),
                (None, false) => "not used by this workspace".to_owned(),
                (None, true) => {
                    missing += 1;
                    format!(
                        "MISSING: `cargo xtask doctor --install` runs `{}`",
                        tool.install_command(&root.join(tool.dir_name()).display().to_string())
                    )
                }
            };
            println!(
                "  {:<22} {:<9} {:<width$} {status}",
                tool.name, tool.version, tool.needed_by
            );
            for note in &lookup.notes {
                println!("      note: {note}");
            }
        }
        println!("\nsystem programs (the machine's package manager installs them):");
        for program in PROGRAMS {
            let status = match cache::which(program.name) {
                Some(exe) => {
                    let version = cache::probe(&exe, program.version_args)
                        .and_then(|v| v.lines().next().map(|l| l.trim().to_owned()))
                        .unwrap_or_else(|| "version unknown".to_owned());
                    format!("ok: {} ({version})", exe.display())
                }
                None => {
                    missing += 1;
                    format!("MISSING: apt-get install {}", program.apt)
                }
            };
            println!("  {:<22} {:<50} {status}", program.name, program.needed_by);
        }
        println!("\nrust toolchain:");
        for (name, args, needed_by, install) in [
            (
                "rustfmt",
                &["fmt", "--version"][..],
                "test",
                "rustup component add rustfmt",
            ),
            (
                "clippy",
                &["clippy", "--version"][..],
                "test",
                "rustup component add clippy",
            ),
        ] {
            let ok = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
                .args(args)
                .output()
                .is_ok_and(|o| o.status.success());
            if !ok {
                missing += 1;
            }
            println!(
                "  {name:<22} {needed_by:<50} {}",
                if ok {
                    "ok".to_owned()
                } else {
                    format!("MISSING: {install}")
                }
            );
        }
        if has_fuzz_targets(&project.root) || !project.settings.publish.is_empty() {
            let ok = Command::new("cargo")
                .args(["+nightly", "--version"])
                .output()
                .is_ok_and(|o| o.status.success());
            if !ok {
                missing += 1;
            }
            println!(
                "  {:<22} {:<50} {}",
                "nightly toolchain",
                "fuzz, api (rustdoc JSON)",
                if ok {
                    "ok"
                } else {
                    "MISSING: rustup toolchain install nightly"
                }
            );
        }
        println!("\nthis machine:");
        let target = crate::cargo_meta::target_dir(&project)?;
        let writable = writable(&target);
        if !writable {
            missing += 1;
        }
        println!(
            "  {:<22} {:<50} {}",
            "target directory",
            target.display(),
            if writable {
                "writable"
            } else {
                "NOT WRITABLE: every build fails; set CARGO_TARGET_DIR to a writable directory"
            }
        );
        let root_user = crate::test::is_root();
        println!(
            "  {:<22} {:<50} {}",
            "root",
            "tests that mount a filesystem",
            if root_user {
                "yes: they run"
            } else {
                "no: `cargo xtask test` names them in its `not run` line"
            }
        );
        if missing > 0 {
            bail!(
                "{missing} missing; `cargo xtask doctor --install` installs the pinned tools, \
                 the rest is named above"
            );
        }
        println!("\neverything is here");
        Ok(())
    }
}

/// Whether a file can be created in `dir` (created when missing).
fn writable(dir: &Path) -> bool {
    if std::fs::create_dir_all(dir).is_err() {
        return false;
    }
    let probe = dir.join(format!(".muster-doctor-{}", std::process::id()));
    let ok = std::fs::write(&probe, b"").is_ok();
    let _ = std::fs::remove_file(&probe);
    ok
}

#[cfg(test)]
mod tests {
    use crate::doctor::writable;

    #[test]
    fn a_directory_no_file_can_be_created_in_is_not_writable() {
        let dir = tempfile::tempdir().unwrap();
        assert!(writable(&dir.path().join("target")));
        assert!(dir.path().join("target").is_dir());
        // Not even root creates files under /proc.
        assert!(!writable(std::path::Path::new("/proc/muster-target")));
    }
}
