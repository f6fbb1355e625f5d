//! Where things are in the workspace, and running tools with echoed, checked commands.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anyhow::{Context, Result, bail};

use crate::settings::Settings;

/// A muster workspace: the repository root and what its `[workspace.metadata.muster]`
/// block says.
#[derive(Debug, Clone)]
pub(crate) struct Project {
    /// The workspace root (holds the root `Cargo.toml`).
    pub(crate) root: PathBuf,
    /// The resolved `[workspace.metadata.muster]` block.
    pub(crate) settings: Settings,
}

impl Project {
    /// The workspace `cargo xtask` runs in: the nearest directory holding a `Cargo.toml`
    /// with `[workspace]`, looking up from the xtask package (`CARGO_MANIFEST_DIR`,
    /// set by `cargo run`) or else from the current directory.
    pub(crate) fn current() -> Result<Project> {
        Project::at(&current_root()?)
    }

    /// The workspace rooted at `root`.
    pub(crate) fn at(root: &Path) -> Result<Project> {
        Ok(Project {
            root: root.to_path_buf(),
            settings: Settings::load(root)?,
        })
    }

    /// A project at `root` laid out like this repository, without reading any file
    /// (tests of code that only computes paths and commands).
    #[cfg(test)]
    pub(crate) fn fixture(root: &Path) -> Project {
        Project {
            root: root.to_path_buf(),
            settings: crate::settings::tests::fixture(root),
        }
    }

    /// `set`, else the configured `default-set`.
    pub(crate) fn set_or_default<'a>(&'a self, set: Option<&'a str>) -> &'a str {
        set.unwrap_or(&self.settings.default_set)
    }

    /// The host package's name: also its binary's name.
    pub(crate) fn host(&self) -> &str {
        &self.settings.host.name
    }

    pub(crate) fn teams_dir(&self) -> PathBuf {
        self.settings.teams.clone()
    }

    pub(crate) fn sets_dir(&self) -> PathBuf {
        self.settings.sets.clone()
    }

    /// `dist/<set>/`: where `build` puts a set's binary, manifest and SBOM.
    pub(crate) fn dist_dir(&self, set: &str) -> PathBuf {
        self.settings.dist.join(set)
    }

    /// The build manifest's file name beside the binary: `<host>.manifest.json`.
    pub(crate) fn manifest_file(&self) -> String {
        format!("{}.manifest.json", self.host())
    }

    /// The SBOM's file name beside the binary: `<host>.cdx.json`.
    pub(crate) fn sbom_file(&self) -> String {
        format!("{}.cdx.json", self.host())
    }

    /// The host's directory relative to the root (`app`).
    pub(crate) fn host_dir(&self) -> PathBuf {
        self.settings
            .host
            .dir
            .strip_prefix(&self.root)
            .unwrap_or(&self.settings.host.dir)
            .to_path_buf()
    }

    pub(crate) fn app_manifest(&self) -> PathBuf {
        self.settings.host.dir.join("Cargo.toml")
    }

    /// The generated registry file (`use <plugin> as _;` per plugin).
    pub(crate) fn app_plugins_rs(&self) -> PathBuf {
        self.settings.registry.clone()
    }

    /// `path` relative to the root, for messages.
    pub(crate) fn display(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }

    /// `cargo`, as the one running us (`CARGO`), in the workspace root, with the tools
    /// this process found or installed first on its `PATH`.
    pub(crate) fn cargo(&self) -> Command {
        let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cmd.current_dir(&self.root);
        with_tools(&mut cmd);
        cmd
    }

    /// A command in the workspace root, with the tools on its `PATH` as for
    /// [`Project::cargo`].
    pub(crate) fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(&self.root);
        with_tools(&mut cmd);
        cmd
    }
}

/// The root of the workspace `cargo xtask` runs in (see [`Project::current`]), before
/// its settings are read.
pub(crate) fn current_root() -> Result<PathBuf> {
    let start = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .map_or_else(std::env::current_dir, Ok)
        .context("cannot find the current directory")?;
    workspace_root(&start)
}

/// The nearest ancestor of `start` (itself included) whose `Cargo.toml` has `[workspace]`.
fn workspace_root(start: &Path) -> Result<PathBuf> {
    for dir in start.ancestors() {
        let manifest = dir.join("Cargo.toml");
        if let Ok(text) = std::fs::read_to_string(&manifest)
            && let Ok(table) = text.parse::<toml::Table>()
            && table.contains_key("workspace")
        {
            return Ok(dir.to_path_buf());
        }
    }
    bail!(
        "no Cargo.toml with [workspace] in {} or above it",
        start.display()
    )
}

/// Cargo's home: `$CARGO_HOME`, else `~/.cargo` (its `bin` holds `cargo install`ed tools).
pub(crate) fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")))
}

/// Puts the tools of the tools cache this process uses first on `cmd`'s `PATH`.
fn with_tools(cmd: &mut Command) {
    if let Some(path) = crate::tools::path_env() {
        cmd.env(PATH_VAR, path);
    }
}

/// `PATH`: set by [`with_tools`], never echoed.
const PATH_VAR: &str = "PATH";

/// Shows `cmd` as a line a shell runs as it is: environment, program, arguments, each
/// quoted where the shell would split or expand it.
pub(crate) fn describe(cmd: &Command) -> String {
    describe_with(cmd, &[])
}

/// [`describe`], with the value of each environment variable in `shown` written as
/// the shell text given there (such as `"$(cat FILE)"` for a value too long to read),
/// unquoted.
pub(crate) fn describe_with(cmd: &Command, shown: &[(&str, &str)]) -> String {
    let mut text = String::new();
    for (key, value) in cmd.get_envs() {
        let Some(value) = value else { continue };
        if key == PATH_VAR {
            continue;
        }
        let key = key.to_string_lossy();
        match shown.iter().find(|(name, _)| *name == key) {
            Some((_, as_text)) => text.push_str(&format!("{key}={as_text} ")),
            None => text.push_str(&format!("{key}={} ", shell_word(&value.to_string_lossy()))),
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
    text.push_str(&shell_word(&program));
    for arg in cmd.get_args() {
        text.push(' ');
        text.push_str(&shell_word(&arg.to_string_lossy()));
    }
    text
}

/// `word` as one shell word: as it is when the shell would neither split nor expand
/// it, else in single quotes.
pub(crate) fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./=:,+@%".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Runs `cmd` with inherited output, echoing it first; fails unless it succeeds.
pub(crate) fn run(cmd: &mut Command) -> Result<()> {
    let shown = describe(cmd);
    run_shown(cmd, &shown)
}

/// [`run`], echoing `shown` (what [`describe_with`] made of `cmd`).
pub(crate) fn run_shown(cmd: &mut Command, shown: &str) -> Result<()> {
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

#[cfg(test)]
mod tests {
    use std::process::Command;

    use crate::project::{describe, describe_with, shell_word};

    #[test]
    fn words_are_quoted_where_the_shell_would_split_or_expand_them() {
        assert_eq!(shell_word("--features"), "--features");
        assert_eq!(shell_word("a,b"), "a,b");
        assert_eq!(
            shell_word("--remap-path-prefix=/src/x=/muster"),
            "--remap-path-prefix=/src/x=/muster"
        );
        assert_eq!(shell_word(""), "''");
        assert_eq!(
            shell_word("-C target-feature=+crt-static"),
            "'-C target-feature=+crt-static'"
        );
        assert_eq!(shell_word("lto=\"thin\""), "'lto=\"thin\"'");
        assert_eq!(shell_word("it's $HOME"), r"'it'\''s $HOME'");
    }

    /// The echo is a line a shell runs as it is: values with spaces and quotes are
    /// quoted, and a value given as shell text is written as that text.
    #[test]
    fn commands_are_shown_as_a_shell_line() {
        let mut cmd = Command::new("/usr/bin/cargo");
        cmd.args(["build", "--config", "profile.release.lto=\"thin\""])
            .env("RUSTFLAGS", "-C target-feature=+crt-static")
            .env("MUSTER_BUILD_SET", "default");
        assert_eq!(
            describe(&cmd),
            "MUSTER_BUILD_SET=default RUSTFLAGS='-C target-feature=+crt-static' \
             cargo build --config 'profile.release.lto=\"thin\"'"
        );
        let long = format!("{{\"plugins\": [{}]}}", "\"x\",".repeat(1000));
        cmd.env("MUSTER_BUILD_MANIFEST", &long);
        let shown = describe_with(&cmd, &[("MUSTER_BUILD_MANIFEST", "\"$(cat m.json)\"")]);
        assert!(
            shown.starts_with("MUSTER_BUILD_MANIFEST=\"$(cat m.json)\" MUSTER_BUILD_SET=default "),
            "{shown}"
        );
        assert!(!shown.contains("plugins"), "{shown}");
    }
}
