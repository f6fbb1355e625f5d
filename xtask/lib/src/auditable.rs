//! `cargo auditable`: whether the tool is installed, and the one message that says how to
//! get it. `cargo xtask build` (and `repro`, `rebuild`) compile with `cargo auditable build`
//! so that the binary carries its dependency list where scanners (`cargo audit bin`,
//! Trivy, Grype, Syft) read it.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use crate::project;

/// The cargo subcommand's executable: `cargo auditable` runs `cargo-auditable`.
pub(crate) const SUBCOMMAND: &str = "cargo-auditable";

/// How to install it (what `.ci/run` does).
pub(crate) const INSTALL: &str = "cargo install --locked cargo-auditable";

/// The flag that builds without it (never for a binary that ships).
pub(crate) const OPT_OUT: &str = "--no-auditable";

/// Whether binaries embed their dependency list: the choice `cargo xtask build` records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `cargo auditable build`.
    Auditable,
    /// `cargo build`, because `--no-auditable` said so.
    Plain,
}

impl Mode {
    /// `Auditable` unless `opt_out`; fails, saying how to install it, when the tool is
    /// missing and the caller did not opt out.
    pub(crate) fn choose(opt_out: bool) -> Result<Mode> {
        if opt_out {
            eprintln!(
                "warning: {OPT_OUT}: the binary will not carry its dependency list \
                 (`cargo audit bin`, Trivy, Grype and Syft see an opaque binary); not for shipping"
            );
            return Ok(Mode::Plain);
        }
        match find_subcommand(SUBCOMMAND, std::env::var_os("PATH"), project::cargo_home()) {
            Some(_) => Ok(Mode::Auditable),
            None => bail!("{}", missing_message()),
        }
    }

    /// The cargo arguments that start the build: `auditable build` or `build`.
    pub(crate) fn build_args(self) -> &'static [&'static str] {
        match self {
            Mode::Auditable => &["auditable", "build"],
            Mode::Plain => &["build"],
        }
    }

    pub(crate) fn is_auditable(self) -> bool {
        self == Mode::Auditable
    }
}

/// What the build says when `cargo-auditable` is not installed.
pub(crate) fn missing_message() -> String {
    format!(
        "{SUBCOMMAND} is not installed: `cargo xtask build` embeds the binary's dependency list \
         with `cargo auditable build` so that `cargo audit bin` and other scanners can read it. \
         Install it with `{INSTALL}` (.ci/run does), or pass {OPT_OUT} to build a binary \
         without it (recorded as `\"auditable\": false` in the manifest; not for shipping)"
    )
}

/// Where cargo finds an external subcommand: `$CARGO_HOME/bin`, then each directory of
/// `PATH`. `None` when no executable file of that name exists.
pub(crate) fn find_subcommand(
    name: &str,
    path: Option<std::ffi::OsString>,
    cargo_home: Option<PathBuf>,
) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = cargo_home.map(|h| h.join("bin")).into_iter().collect();
    if let Some(path) = path {
        dirs.extend(std::env::split_paths(&path));
    }
    dirs.into_iter()
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.with_extension("exe").is_file() || path.is_file()
}

#[cfg(test)]
mod tests {
    use crate::auditable::{SUBCOMMAND, find_subcommand, missing_message};

    #[test]
    fn the_subcommand_is_found_in_cargo_home_or_path_and_only_if_executable() {
        let home = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let path = std::env::join_paths([elsewhere.path()]).unwrap();
        assert_eq!(
            find_subcommand(SUBCOMMAND, Some(path.clone()), Some(home.path().to_owned())),
            None
        );
        let file = elsewhere.path().join(SUBCOMMAND);
        std::fs::write(&file, "#!/bin/sh\n").unwrap();
        // Not executable: cargo could not run it either.
        assert_eq!(
            find_subcommand(SUBCOMMAND, Some(path.clone()), Some(home.path().to_owned())),
            None
        );
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(
            find_subcommand(SUBCOMMAND, Some(path), Some(home.path().to_owned())),
            Some(file)
        );
        std::fs::create_dir(home.path().join("bin")).unwrap();
        let in_home = home.path().join("bin").join(SUBCOMMAND);
        std::fs::copy(elsewhere.path().join(SUBCOMMAND), &in_home).unwrap();
        assert_eq!(
            find_subcommand(SUBCOMMAND, None, Some(home.path().to_owned())),
            Some(in_home)
        );
    }

    #[test]
    fn the_missing_tool_message_says_how_to_install_it_and_how_to_opt_out() {
        let message = missing_message();
        assert!(
            message.starts_with("cargo-auditable is not installed"),
            "{message}"
        );
        assert!(
            message.contains("cargo install --locked cargo-auditable"),
            "{message}"
        );
        assert!(message.contains("--no-auditable"), "{message}");
    }
}
