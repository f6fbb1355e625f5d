//! The checks a built binary must pass before it is kept: statically linked (and its
//! relocations packed when asked), exactly the planned plugins registered, no shared
//! object opened at run time, its SBOM where `build-info` says; then `plugins explain`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::build::manifest::Prepared;
use crate::project::{self, Project};
use crate::{elf, listing};

/// The checks a binary must pass before it is kept.
pub(crate) fn verify(project: &Project, prepared: &Prepared, binary: &Path) -> Result<()> {
    let (plan, host, target, linux) = (
        &prepared.plan,
        &prepared.host,
        &prepared.target,
        prepared.linux,
    );
    if linux {
        let bytes = std::fs::read(binary)?;
        let linkage =
            elf::linkage(&bytes).with_context(|| format!("cannot read {}", binary.display()))?;
        if !linkage.is_static() {
            bail!(
                "{} is not statically linked (interpreter: {:?}, {} needed shared objects)",
                project.display(binary),
                linkage.interpreter,
                linkage.needed
            );
        }
        eprintln!(
            "verify: {} is statically linked (no PT_INTERP, no DT_NEEDED)",
            project.display(binary)
        );
        if prepared.packed_relocations && !linkage.packed_relocations {
            bail!(
                "{} has no packed relocations (DT_RELR) although the build asked the linker \
                 for them (-z pack-relative-relocs): is `cc` using another linker than `ld`?",
                project.display(binary)
            );
        }
        if prepared.packed_relocations {
            eprintln!("verify: its relative relocations are packed (DT_RELR)");
        }
    }
    if target != host {
        eprintln!(
            "warning: {target} is not the host ({host}): cannot run the binary to compare its plugins with the plan"
        );
        return Ok(());
    }
    let mut cmd = Command::new(binary);
    cmd.args(["plugins", "list", "--json"]);
    let json = project::stdout(&mut cmd)?;
    listing::compare(plan, &json)?;
    eprintln!(
        "verify: the binary registers exactly the {} planned plugins",
        plan.plugins.len()
    );
    if linux {
        no_shared_object_opened(binary)?;
    }
    Ok(())
}

/// Runs `<host> plugins explain` under `strace` and fails if it opens (or tries to
/// open) a shared object: a static binary that still `dlopen`s (glibc's NSS, say) needs
/// files the target machine may not have. Skipped, saying so, without strace.
fn no_shared_object_opened(binary: &Path) -> Result<()> {
    if Command::new("strace").arg("-V").output().is_err() {
        eprintln!(
            "verify: SKIPPED the run-time shared-object check: strace is not installed \
             (`apt-get install strace`; .ci/run installs it)"
        );
        return Ok(());
    }
    let log = std::env::temp_dir().join(format!("xtask-strace-{}.log", std::process::id()));
    let output = Command::new("strace")
        .args(["-f", "-e", "trace=openat,open", "-o"])
        .arg(&log)
        .arg(binary)
        .args(["plugins", "explain"])
        .output()
        .context("cannot start strace")?;
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    if text.trim().is_empty() {
        eprintln!(
            "verify: SKIPPED the run-time shared-object check: strace traced nothing ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
        return Ok(());
    }
    // `plugins explain` exits 3 when a slot has no acceptable version: not our concern here.
    if !matches!(output.status.code(), Some(0 | 3)) {
        bail!(
            "`strace ... {} plugins explain` failed ({}): {}",
            binary.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let opened = shared_objects_in(&text);
    if !opened.is_empty() {
        bail!(
            "{} opened shared objects at run time (strace): {}",
            binary.display(),
            opened.join(", ")
        );
    }
    eprintln!("verify: opened no shared object (strace)");
    Ok(())
}

/// The paths in an `strace -e trace=openat,open` log that name a shared object (end in
/// `.so` or contain `.so.`, which includes the loader cache `ld.so.cache`), whether the
/// call succeeded or not.
fn shared_objects_in(log: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in log.lines() {
        if !(line.contains("openat(") || line.contains("open(")) {
            continue;
        }
        let Some(path) = line.split('"').nth(1) else {
            continue;
        };
        if (path.ends_with(".so") || path.contains(".so.")) && !found.iter().any(|p| p == path) {
            found.push(path.to_owned());
        }
    }
    found
}

/// `<host> build-info --json` names `sbom` as the SBOM's path (it looks beside itself).
pub(crate) fn sbom_is_where_build_info_says(binary: &Path, sbom: &Path) -> Result<()> {
    let json = project::stdout(Command::new(binary).args(["build-info", "--json"]))?;
    let info: serde_json::Value = serde_json::from_str(&json)
        .with_context(|| format!("`{} build-info --json` printed no JSON", binary.display()))?;
    let said = info["sbom"]["path"].as_str().map(PathBuf::from);
    let expected = std::fs::canonicalize(sbom)?;
    if said.as_deref().and_then(|p| std::fs::canonicalize(p).ok()) != Some(expected.clone()) {
        bail!(
            "`{} build-info --json` says the SBOM is at {:?}, but it is {}",
            binary.display(),
            info["sbom"],
            expected.display()
        );
    }
    eprintln!(
        "verify: build-info --json names the SBOM {}",
        expected.display()
    );
    Ok(())
}

/// Runs `<host> plugins explain` and shows its output: the outcome on this host.
pub(crate) fn explain(binary: &Path) -> Result<()> {
    eprintln!("$ {} plugins explain", binary.display());
    let output = Command::new(binary).args(["plugins", "explain"]).output()?;
    print!("{}", String::from_utf8_lossy(&output.stdout));
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    match output.status.code() {
        Some(0) => Ok(()),
        // Documented: a slot has no acceptable version on this host. The build is fine.
        Some(3) => {
            eprintln!("note: on this host some slot has no acceptable version (exit 3)");
            Ok(())
        }
        _ => bail!(
            "`{} plugins explain` failed ({})",
            binary.display(),
            output.status
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::build::verify::shared_objects_in;

    #[test]
    fn strace_logs_name_the_shared_objects_opened() {
        let log = "\
4242  openat(AT_FDCWD, \"/proc/self/maps\", O_RDONLY|O_CLOEXEC) = 3
4242  openat(AT_FDCWD, \"/etc/ld.so.cache\", O_RDONLY|O_CLOEXEC) = 3
4242  openat(AT_FDCWD, \"/lib/x86_64-linux-gnu/libnss_files.so.2\", O_RDONLY|O_CLOEXEC) = -1 ENOENT
4243  open(\"/usr/lib/libfoo.so\", O_RDONLY) = 4
4243  openat(AT_FDCWD, \"/srv/spool/report.sock\", O_RDONLY) = 5
4243  +++ exited with 0 +++
";
        assert_eq!(
            shared_objects_in(log),
            [
                "/etc/ld.so.cache",
                "/lib/x86_64-linux-gnu/libnss_files.so.2",
                "/usr/lib/libfoo.so"
            ]
        );
        assert!(shared_objects_in("1 openat(AT_FDCWD, \"/etc/hosts\", O_RDONLY) = 3\n").is_empty());
    }
}
