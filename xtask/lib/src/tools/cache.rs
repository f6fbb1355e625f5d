//! The tools cache: one directory per pinned tool version (`<name>-<version>/`), outside
//! the target directory so that `cargo clean` keeps it, never in `~/.cargo/bin` or the
//! system Python. A tool is installed into `.staging/` and renamed into place when it is
//! complete, so a directory named for a version is always a whole install; what an
//! interrupted install leaves in `.staging/` is never used and is removed by the next.

use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::tools::debian::{self, Origin};
use crate::tools::table::{Installer, Tool};

/// Overrides where the tools live.
pub(crate) const TOOLS_DIR_VAR: &str = "MUSTER_TOOLS_DIR";

/// The tools cache: `$MUSTER_TOOLS_DIR`, else `$XDG_CACHE_HOME/muster/tools`, else
/// `$HOME/.cache/muster/tools`.
pub(crate) fn root() -> Result<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = var(TOOLS_DIR_VAR) {
        return Ok(PathBuf::from(dir));
    }
    if let Some(cache) = var("XDG_CACHE_HOME") {
        return Ok(Path::new(&cache).join("muster/tools"));
    }
    match var("HOME") {
        Some(home) => Ok(Path::new(&home).join(".cache/muster/tools")),
        None => bail!(
            "neither {TOOLS_DIR_VAR}, XDG_CACHE_HOME nor HOME is set: nowhere to keep the tools"
        ),
    }
}

/// Where a tool was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// In the tools cache, at the pinned version by construction.
    Cache,
    /// On `PATH` (or in `$CARGO_HOME/bin`), reporting the pinned version.
    Path,
}

/// A usable tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    /// The executable.
    pub(crate) exe: PathBuf,
    pub(crate) source: Source,
}

/// What looking for a tool saw: the tool if usable, and what a person should know
/// (a wrong version on `PATH`, a half-finished install).
#[derive(Debug, Default)]
pub(crate) struct Lookup {
    pub(crate) found: Option<Found>,
    pub(crate) notes: Vec<String>,
}

/// Looks for `tool`: its directory in the cache at `root`, else an executable on `path`
/// that reports the pinned version.
pub(crate) fn lookup(tool: &Tool, root: &Path, path: Option<&OsString>) -> Lookup {
    let mut lookup = Lookup::default();
    for leftover in staging_leftovers(tool, root) {
        lookup.notes.push(format!(
            "a half-finished install is in {} (interrupted): never used; the next install removes it",
            leftover.display()
        ));
    }
    let dir = root.join(tool.dir_name());
    let exe = dir.join("bin").join(tool.bin());
    if is_executable(&exe) {
        lookup.found = Some(Found {
            exe,
            source: Source::Cache,
        });
        return lookup;
    }
    if dir.exists() {
        lookup.notes.push(format!(
            "{} has no bin/{}: not used; the next install replaces it",
            dir.display(),
            tool.bin()
        ));
    }
    let (program, args) = tool.probe;
    let mut dirs: Vec<PathBuf> = path
        .map(std::env::split_paths)
        .into_iter()
        .flatten()
        .collect();
    if matches!(tool.installer, Installer::Cargo { .. })
        && let Some(home) = crate::project::cargo_home()
    {
        dirs.push(home.join("bin"));
    }
    for candidate in dirs.iter().map(|d| d.join(program)) {
        if !is_executable(&candidate) {
            continue;
        }
        match probe(&candidate, args) {
            Some(out) if reports_version(&out, tool.version) => {
                lookup.found = Some(Found {
                    exe: candidate,
                    source: Source::Path,
                });
                return lookup;
            }
            Some(out) => lookup.notes.push(format!(
                "{} reports `{}`, not the pinned {}: not used",
                candidate.display(),
                out.lines().next().unwrap_or("").trim(),
                tool.version
            )),
            None => lookup.notes.push(format!(
                "{} does not provide {} {} (`{program} {}` failed): not used",
                candidate.display(),
                tool.name,
                tool.version,
                args.first().copied().unwrap_or("")
            )),
        }
        break;
    }
    lookup
}

/// Whether `output` names `version` as a whole word.
fn reports_version(output: &str, version: &str) -> bool {
    output
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
        .any(|word| word == version || word.strip_prefix('v') == Some(version))
}

/// The output (stdout, else stderr) of `exe args`, if it succeeds.
pub(crate) fn probe(exe: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = if output.stdout.is_empty() {
        output.stderr
    } else {
        output.stdout
    };
    Some(String::from_utf8_lossy(&text).into_owned())
}

/// The bin directories of the tools this process found, first on the `PATH` its
/// commands get.
static ON_PATH: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// The tool's executable: found in the cache or on `PATH`, else installed into the
/// cache now (one line while it installs). Its directory goes first on the `PATH` of
/// every command the project runs afterwards ([`path_env`]).
pub(crate) fn ensure(tool: &Tool) -> Result<PathBuf> {
    // One install at a time in this process (the staging directory is per process).
    static INSTALLING: Mutex<()> = Mutex::new(());
    let _one = INSTALLING.lock().unwrap_or_else(|e| e.into_inner());
    let root = root()?;
    let path = std::env::var_os("PATH");
    let found = match lookup(tool, &root, path.as_ref()).found {
        Some(found) => found.exe,
        None => install(tool, &root)?,
    };
    if let Some(dir) = found.parent() {
        let mut dirs = ON_PATH.lock().unwrap_or_else(|e| e.into_inner());
        if !dirs.iter().any(|d| d == dir) {
            dirs.push(dir.to_path_buf());
        }
    }
    Ok(found)
}

/// `PATH` with the found tools' directories first; `None` while there are none.
pub(crate) fn path_env() -> Option<OsString> {
    let dirs = ON_PATH.lock().unwrap_or_else(|e| e.into_inner());
    if dirs.is_empty() {
        return None;
    }
    let rest = std::env::var_os("PATH");
    let all = dirs
        .iter()
        .cloned()
        .chain(rest.iter().flat_map(std::env::split_paths));
    std::env::join_paths(all).ok()
}

/// `.staging/<name>-<version>.<pid>` entries of processes that no longer run.
fn staging_leftovers(tool: &Tool, root: &Path) -> Vec<PathBuf> {
    let prefix = format!("{}.", tool.dir_name());
    let Ok(entries) = std::fs::read_dir(root.join(".staging")) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let pid = name.strip_prefix(&prefix)?.split('.').next()?.to_owned();
            let alive = pid.parse::<u32>().is_ok_and(|pid| {
                pid == std::process::id() || Path::new("/proc").join(pid.to_string()).exists()
            });
            (!alive).then(|| e.path())
        })
        .collect()
}

/// Installs `tool` into `root/<name>-<version>` through `root/.staging/`; prints one
/// line: what, why, how long. On failure nothing is left but the log.
pub(crate) fn install(tool: &Tool, root: &Path) -> Result<PathBuf> {
    install_from(tool, root, &Origin::here())
}

/// [`install`], a Debian package taken from `origin`.
pub(crate) fn install_from(tool: &Tool, root: &Path, origin: &Origin) -> Result<PathBuf> {
    let staging_root = root.join(".staging");
    std::fs::create_dir_all(&staging_root)
        .and_then(|()| std::fs::create_dir_all(root.join(".logs")))
        .with_context(|| {
            format!(
                "cannot create the tools directory {} to install {} {}: set {TOOLS_DIR_VAR} to a \
                 writable directory",
                root.display(),
                tool.name,
                tool.version
            )
        })?;
    for leftover in staging_leftovers(tool, root) {
        let _ = std::fs::remove_dir_all(&leftover);
    }
    let final_dir = root.join(tool.dir_name());
    let staging = staging_root.join(format!("{}.{}", tool.dir_name(), std::process::id()));
    // One build directory for every `cargo install`: the tools share many
    // dependencies (serde, clap, ...), compiled once. Cargo locks it; it is only a
    // cache (`rm -rf` it to reclaim the space).
    let build_dir = root.join(".build");
    let log = root.join(".logs").join(format!("{}.log", tool.dir_name()));
    let _ = std::fs::remove_dir_all(&staging);
    eprint!(
        "tools: installing {} {} for {} ({}) into {} ... ",
        tool.name,
        tool.version,
        tool.needed_by,
        tool.why,
        final_dir.display()
    );
    let _ = std::io::stderr().flush();
    let started = Instant::now();
    let result = install_into(tool, origin, &staging, &build_dir, &final_dir, &log);
    if let Err(err) = result {
        eprintln!("failed");
        let _ = std::fs::remove_dir_all(&staging);
        bail!(
            "installing {} {} failed: {err:#}\n{}\nNothing was installed. Retry with \
             `cargo xtask doctor --install` once the cause is fixed (no network? {} must be \
             reachable); the whole log is {}",
            tool.name,
            tool.version,
            last_lines(&log, 15),
            match tool.installer {
                Installer::Cargo { .. } => "crates.io",
                Installer::Pip { .. } => "PyPI",
                Installer::Debian { .. } => "deb.debian.org",
            },
            log.display()
        );
    }
    if final_dir.exists() {
        // A broken directory (checked by the caller's lookup) or another process that
        // finished first: keep a whole install either way.
        if is_executable(&final_dir.join("bin").join(tool.bin())) {
            let _ = std::fs::remove_dir_all(&staging);
        } else {
            std::fs::remove_dir_all(&final_dir)
                .with_context(|| format!("cannot remove {}", final_dir.display()))?;
        }
    }
    if staging.exists() {
        std::fs::rename(&staging, &final_dir).with_context(|| {
            format!(
                "cannot move {} to {}",
                staging.display(),
                final_dir.display()
            )
        })?;
    }
    eprintln!("done in {:.0?}", started.elapsed());
    Ok(final_dir.join("bin").join(tool.bin()))
}

fn install_into(
    tool: &Tool,
    origin: &Origin,
    staging: &Path,
    build_dir: &Path,
    final_dir: &Path,
    log: &Path,
) -> Result<()> {
    std::fs::write(log, "").with_context(|| format!("cannot write {}", log.display()))?;
    match tool.installer {
        Installer::Cargo { bin } => {
            let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
            cmd.args(["install", "--locked", "--root"])
                .arg(staging)
                .arg("--target-dir")
                .arg(build_dir)
                .args([tool.name, "--version", tool.version])
                .env_remove("RUSTFLAGS")
                .env_remove("CARGO_BUILD_RUSTFLAGS")
                .env_remove("CARGO_ENCODED_RUSTFLAGS");
            run_logged(&mut cmd, log)?;
            if !is_executable(&staging.join("bin").join(bin)) {
                bail!("`cargo install` succeeded but left no bin/{bin}");
            }
        }
        Installer::Pip { requirement, bin } => {
            let python = which("python3").context(
                "python3 is not on PATH: install it with `apt-get install python3 python3-venv`",
            )?;
            run_logged(Command::new(&python).args(["-m", "venv"]).arg(staging), log)
                .context("`python3 -m venv` failed (Debian: `apt-get install python3-venv`)")?;
            run_logged(
                Command::new(staging.join("bin/python"))
                    .args([
                        "-m",
                        "pip",
                        "install",
                        "--disable-pip-version-check",
                        "--no-input",
                    ])
                    .arg(format!("{requirement}=={}", tool.version)),
                log,
            )?;
            relocate_scripts(staging, final_dir)?;
            if !is_executable(&staging.join("bin").join(bin)) {
                bail!("`pip install` succeeded but left no bin/{bin}");
            }
        }
        Installer::Debian { .. } => debian::install(tool, origin, staging, log)?,
    }
    Ok(())
}

/// Runs `cmd` with its output appended to `log`; fails unless it succeeds.
pub(crate) fn run_logged(cmd: &mut Command, log: &Path) -> Result<()> {
    let file = std::fs::OpenOptions::new()
        .append(true)
        .open(log)
        .with_context(|| format!("cannot open {}", log.display()))?;
    let shown = crate::project::describe(cmd);
    let mut header = file.try_clone()?;
    writeln!(header, "$ {shown}")?;
    let status = cmd
        .stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file)
        .status()
        .with_context(|| format!("cannot start `{shown}`"))?;
    if !status.success() {
        bail!("`{shown}` failed ({status})");
    }
    Ok(())
}

/// A venv's scripts name its interpreter by absolute path: rewrite the staging path
/// to the final one before the rename, so the moved venv runs.
fn relocate_scripts(staging: &Path, final_dir: &Path) -> Result<()> {
    let from = staging.as_os_str().as_encoded_bytes();
    let to = final_dir.as_os_str().as_encoded_bytes();
    let bin = staging.join("bin");
    for entry in
        std::fs::read_dir(&bin).with_context(|| format!("cannot read {}", bin.display()))?
    {
        let path = entry?.path();
        if path.is_symlink() || !path.is_file() {
            continue;
        }
        let bytes = std::fs::read(&path)?;
        if bytes.windows(from.len()).any(|w| w == from) {
            let mut out = Vec::with_capacity(bytes.len());
            let mut rest = &bytes[..];
            while let Some(at) = rest.windows(from.len()).position(|w| w == from) {
                out.extend_from_slice(&rest[..at]);
                out.extend_from_slice(to);
                rest = &rest[at + from.len()..];
            }
            out.extend_from_slice(rest);
            std::fs::write(&path, out)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
    }
    Ok(())
}

/// The last `n` lines of `log`, indented.
fn last_lines(log: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `name` on `PATH`.
pub(crate) fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

#[cfg(unix)]
pub(crate) fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
pub(crate) fn is_executable(path: &Path) -> bool {
    path.with_extension("exe").is_file() || path.is_file()
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;

    use crate::tools::cache::{Source, install, lookup, relocate_scripts, reports_version};
    use crate::tools::table::{Installer, Tool};

    const FAKE: Tool = Tool {
        name: "muster-no-such-tool",
        version: "0.0.1",
        needed_by: "nothing (a test)",
        why: "a tool that does not exist",
        installer: Installer::Cargo {
            bin: "muster-no-such-tool",
        },
        probe: ("muster-no-such-tool", &["--version"]),
    };

    fn script(path: &Path, body: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    fn path_of(dir: &Path) -> OsString {
        std::env::join_paths([dir]).unwrap()
    }

    #[test]
    fn the_version_must_be_a_whole_word() {
        assert!(reports_version("cargo-audit 0.22.2\n", "0.22.2"));
        assert!(reports_version(
            "ansible [core 2.19.14]\n  config file",
            "2.19.14"
        ));
        assert!(reports_version("tool v1.2.3", "1.2.3"));
        assert!(!reports_version("cargo-audit 0.22.21", "0.22.2"));
        assert!(!reports_version("cargo-audit 10.22.2", "0.22.2"));
    }

    #[test]
    fn a_whole_install_in_the_cache_is_used_and_a_half_finished_one_never() {
        let root = tempfile::tempdir().unwrap();
        let empty = tempfile::tempdir().unwrap();
        // Killed mid-way: a staging directory of a process that is gone, even with the
        // executable already in it.
        let leftover = root
            .path()
            .join(".staging/muster-no-such-tool-0.0.1.4000000000");
        script(&leftover.join("bin/muster-no-such-tool"), "echo 0.0.1");
        let seen = lookup(&FAKE, root.path(), Some(&path_of(empty.path())));
        assert_eq!(seen.found, None);
        assert!(
            seen.notes.iter().any(|n| n.contains("half-finished")),
            "{:?}",
            seen.notes
        );
        // A directory named for the version without its executable is not used either.
        std::fs::create_dir_all(root.path().join("muster-no-such-tool-0.0.1/lib")).unwrap();
        let seen = lookup(&FAKE, root.path(), Some(&path_of(empty.path())));
        assert_eq!(seen.found, None);
        assert!(
            seen.notes.iter().any(|n| n.contains("has no bin/")),
            "{:?}",
            seen.notes
        );
        // The whole install is.
        let exe = root
            .path()
            .join("muster-no-such-tool-0.0.1/bin/muster-no-such-tool");
        script(&exe, "echo 0.0.1");
        let seen = lookup(&FAKE, root.path(), Some(&path_of(empty.path())));
        assert_eq!(seen.found.unwrap().exe, exe);
    }

    #[test]
    fn a_tool_on_path_is_used_only_at_the_pinned_version() {
        let root = tempfile::tempdir().unwrap();
        let bin = tempfile::tempdir().unwrap();
        let exe = bin.path().join("muster-no-such-tool");
        script(&exe, "echo muster-no-such-tool 0.0.2");
        let seen = lookup(&FAKE, root.path(), Some(&path_of(bin.path())));
        assert_eq!(seen.found, None);
        assert!(
            seen.notes
                .iter()
                .any(|n| n.contains("muster-no-such-tool 0.0.2")
                    && n.contains("not the pinned 0.0.1")),
            "{:?}",
            seen.notes
        );
        script(&exe, "echo muster-no-such-tool 0.0.1");
        let found = lookup(&FAKE, root.path(), Some(&path_of(bin.path())))
            .found
            .unwrap();
        assert_eq!((found.exe, found.source), (exe, Source::Path));
    }

    #[test]
    fn a_failed_install_names_the_tool_and_the_cause_and_leaves_nothing() {
        let root = tempfile::tempdir().unwrap();
        let leftover = root
            .path()
            .join(".staging/muster-no-such-tool-0.0.1.4000000000");
        std::fs::create_dir_all(&leftover).unwrap();
        let err = format!("{:#}", install(&FAKE, root.path()).unwrap_err());
        assert!(
            err.contains("installing muster-no-such-tool 0.0.1 failed")
                && err.contains("cargo install --locked")
                && err.contains("Nothing was installed")
                && err.contains("cargo xtask doctor --install")
                && err.contains(".logs/muster-no-such-tool-0.0.1.log"),
            "{err}"
        );
        // The installer's own last lines are quoted (here: no such crate, or no network).
        let log = std::fs::read_to_string(root.path().join(".logs/muster-no-such-tool-0.0.1.log"))
            .unwrap();
        let last = log.lines().rfind(|l| !l.trim().is_empty()).unwrap();
        assert!(err.contains(last.trim()), "{err}\n---\n{log}");
        assert!(!root.path().join("muster-no-such-tool-0.0.1").exists());
        let staged: Vec<_> = std::fs::read_dir(root.path().join(".staging"))
            .unwrap()
            .collect();
        assert!(staged.is_empty(), "{staged:?}");
    }

    #[test]
    fn a_debian_tool_is_installed_whole_or_not_at_all() {
        use crate::tools::cache::install_from;
        use crate::tools::debian::tests::{fake_deb, origin, tool};

        let dir = tempfile::tempdir().unwrap();
        let (archive, sha) = fake_deb(dir.path());
        let root = dir.path().join("tools");
        let here = origin(&archive, "x86_64", true);
        // A changed file (here: pinned to another sha256) installs nothing.
        let err = format!(
            "{:#}",
            install_from(&tool(&"f".repeat(64), "usr/bin/fake-tool"), &root, &here).unwrap_err()
        );
        assert!(
            err.contains("installing fake-tool 0.0.1 failed")
                && err.contains(&format!("sha256 mismatch for file://{}", archive.display()))
                && err.contains(&format!("pinned {}, downloaded {sha}", "f".repeat(64)))
                && err.contains("Nothing was installed")
                && err.contains("deb.debian.org must be reachable"),
            "{err}"
        );
        assert!(!root.join("fake-tool-0.0.1").exists());
        assert_eq!(std::fs::read_dir(root.join(".staging")).unwrap().count(), 0);
        // The pinned file installs its executable alone, found by the next lookup.
        let t = tool(&sha, "usr/bin/fake-tool");
        let exe = install_from(&t, &root, &here).unwrap();
        assert_eq!(exe, root.join("fake-tool-0.0.1/bin/fake-tool"));
        let installed: Vec<_> = std::fs::read_dir(root.join("fake-tool-0.0.1"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(installed, ["bin"]);
        let found = lookup(&t, &root, None).found.unwrap();
        assert_eq!((found.exe, found.source), (exe, Source::Cache));
        assert_eq!(std::fs::read_dir(root.join(".staging")).unwrap().count(), 0);
    }

    #[test]
    fn a_read_only_tools_directory_is_an_error_naming_it_and_the_way_out() {
        if crate::test::is_root() {
            // Root writes anywhere: the read-only case is a permission a root process
            // does not have; the case is the same error path as any failed create.
            let err = format!(
                "{:#}",
                install(&FAKE, Path::new("/proc/muster-tools")).unwrap_err()
            );
            assert!(
                err.contains("/proc/muster-tools") && err.contains("MUSTER_TOOLS_DIR"),
                "{err}"
            );
            return;
        }
        let root = tempfile::tempdir().unwrap();
        std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
        let tools = root.path().join("tools");
        let err = format!("{:#}", install(&FAKE, &tools).unwrap_err());
        assert!(
            err.contains(&tools.display().to_string()) && err.contains("MUSTER_TOOLS_DIR"),
            "{err}"
        );
    }

    #[test]
    fn a_venv_moved_into_place_names_its_final_directory() {
        let dir = tempfile::tempdir().unwrap();
        let staging = dir.path().join(".staging/x-1.0.0.7");
        let final_dir = dir.path().join("x-1.0.0");
        script(
            &staging.join("bin/tool"),
            &format!("exec {}/bin/python -m tool", staging.display()),
        );
        std::fs::write(
            staging.join("bin/activate"),
            format!("VIRTUAL_ENV={}\n", staging.display()),
        )
        .unwrap();
        relocate_scripts(&staging, &final_dir).unwrap();
        let tool = std::fs::read_to_string(staging.join("bin/tool")).unwrap();
        assert!(
            tool.contains(&format!("exec {}/bin/python", final_dir.display())),
            "{tool}"
        );
        assert!(!tool.contains(".staging"), "{tool}");
        let activate = std::fs::read_to_string(staging.join("bin/activate")).unwrap();
        assert_eq!(activate, format!("VIRTUAL_ENV={}\n", final_dir.display()));
        let mode = std::fs::metadata(staging.join("bin/tool"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "still executable");
    }
}
