//! Where things are in the workspace, and running tools with echoed, checked commands.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anyhow::{Context, Result, bail};

/// The app package the xtask builds.
pub(crate) const APP_PACKAGE: &str = "edge-agent";
/// The app's directory, relative to the workspace root.
pub(crate) const APP_DIR: &str = "app";
/// The contract crate's directory (its `#[muster::slot]`s are the known slots).
pub(crate) const CONTRACT_DIR: &str = "app/contract";
/// Packages of which the graph must hold exactly one copy.
pub(crate) const SINGLETON_PACKAGES: [&str; 2] = ["muster", "edge-contract"];

/// A muster workspace: the repository root and the paths in it.
#[derive(Debug, Clone)]
pub(crate) struct Project {
    /// The workspace root (holds `teams/`, `sets/`, `app/`).
    pub(crate) root: PathBuf,
}

impl Project {
    /// The workspace this xtask was built in.
    pub(crate) fn current() -> Project {
        let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let root = manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf();
        Project { root }
    }

    /// A project rooted elsewhere (tests).
    #[cfg(test)]
    pub(crate) fn at(root: &Path) -> Project {
        Project {
            root: root.to_path_buf(),
        }
    }

    pub(crate) fn teams_dir(&self) -> PathBuf {
        self.root.join("teams")
    }

    pub(crate) fn sets_dir(&self) -> PathBuf {
        self.root.join("sets")
    }

    pub(crate) fn app_manifest(&self) -> PathBuf {
        self.root.join(APP_DIR).join("Cargo.toml")
    }

    pub(crate) fn app_plugins_rs(&self) -> PathBuf {
        self.root.join(APP_DIR).join("src").join("plugins.rs")
    }

    pub(crate) fn contract_src(&self) -> PathBuf {
        self.root.join(CONTRACT_DIR).join("src")
    }

    /// `path` relative to the root, for messages.
    pub(crate) fn display(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }

    /// `cargo`, as the one running us (`CARGO`), in the workspace root.
    pub(crate) fn cargo(&self) -> Command {
        let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cmd.current_dir(&self.root);
        cmd
    }

    /// A command in the workspace root.
    pub(crate) fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(&self.root);
        cmd
    }
}

/// Cargo's home: `$CARGO_HOME`, else `~/.cargo` (its `bin` holds `cargo install`ed tools).
pub(crate) fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")))
}

/// Shows `cmd` as a shell would (program, then arguments).
pub(crate) fn describe(cmd: &Command) -> String {
    let mut text = String::new();
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value {
            text.push_str(&format!(
                "{}={} ",
                key.to_string_lossy(),
                value.to_string_lossy()
            ));
        }
    }
    let program = Path::new(cmd.get_program());
    let program = if program.is_absolute() {
        program
            .file_stem()
            .unwrap_or(program.as_os_str())
            .to_string_lossy()
    } else {
        program.as_os_str().to_string_lossy()
    };
    text.push_str(&program);
    for arg in cmd.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// Runs `cmd` with inherited output, echoing it first; fails unless it succeeds.
pub(crate) fn run(cmd: &mut Command) -> Result<()> {
    let shown = describe(cmd);
    eprintln!("$ {shown}");
    let status = cmd
        .status()
        .with_context(|| format!("cannot start `{shown}`"))?;
    if !status.success() {
        bail!("`{shown}` failed ({status})");
    }
    Ok(())
}

/// Runs `cmd` capturing its output; fails (with its stderr) unless it succeeds.
pub(crate) fn output(cmd: &mut Command) -> Result<Output> {
    let shown = describe(cmd);
    let output = cmd
        .output()
        .with_context(|| format!("cannot start `{shown}`"))?;
    if !output.status.success() {
        bail!(
            "`{shown}` failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim_end()
        );
    }
    Ok(output)
}

/// Runs `cmd` and returns its standard output as text.
pub(crate) fn stdout(cmd: &mut Command) -> Result<String> {
    let output = output(cmd)?;
    String::from_utf8(output.stdout)
        .with_context(|| format!("`{}` printed non-UTF-8 output", describe(cmd)))
}

/// `1-based line:column` of byte `offset` in `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(before.chars().count(), |nl| {
        before[nl + 1..].chars().count()
    }) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use crate::project::line_col;

    #[test]
    fn line_col_is_one_based() {
        let text = "a = 1\nbb = 2\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        assert_eq!(line_col(text, 8), (2, 3));
    }
}
