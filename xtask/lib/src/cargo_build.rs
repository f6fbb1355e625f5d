//! The one place that turns "build this package, this way" into a `cargo build` command
//! and knows where cargo puts the binary: `cargo xtask build`, `repro` and `matrix` all
//! build through it, so profile directories and the static C runtime are handled once.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Result, bail};

use crate::link::{CRT_STATIC_FLAG, PACK_RELOCS_FLAG};
use crate::project::{self, Project};

/// A cargo build of one package: what to build and how; [`CargoBuild::command`] makes
/// the command and [`CargoBuild::binary`] says where the binary lands.
#[derive(Debug, Clone)]
pub(crate) struct CargoBuild {
    /// The cargo subcommand words (`["build"]`; a wrapper such as `["auditable", "build"]`
    /// takes the same arguments).
    subcommand: Vec<String>,
    package: String,
    profile: String,
    /// `Some`: `--no-default-features --features <these>`; `None`: the package's defaults.
    features: Option<Vec<String>>,
    target: Option<String>,
    crt_static: bool,
    pack_relocations: bool,
    target_dir: Option<PathBuf>,
    config: Vec<String>,
    rustflags: Vec<String>,
    env: Vec<(String, String)>,
    /// Variables whose value is in a file: the echo reads it back from there
    /// (`KEY="$(cat FILE)"`) instead of showing kilobytes of JSON.
    env_files: Vec<(String, PathBuf)>,
}

impl CargoBuild {
    /// `cargo build --package <package> --profile <profile>`.
    pub(crate) fn new(package: &str, profile: &str) -> CargoBuild {
        CargoBuild {
            subcommand: vec!["build".to_owned()],
            package: package.to_owned(),
            profile: profile.to_owned(),
            features: None,
            target: None,
            crt_static: false,
            pack_relocations: false,
            target_dir: None,
            config: Vec::new(),
            rustflags: Vec::new(),
            env: Vec::new(),
            env_files: Vec::new(),
        }
    }

    /// Runs `cargo <words...>` instead of `cargo build` (a build wrapper taking the same
    /// arguments, such as `cargo auditable build`).
    pub(crate) fn subcommand(mut self, words: &[&str]) -> CargoBuild {
        self.subcommand = words.iter().map(|w| (*w).to_owned()).collect();
        self
    }

    /// Exactly these features, without the package's default ones.
    pub(crate) fn features(mut self, features: &[String]) -> CargoBuild {
        self.features = Some(features.to_vec());
        self
    }

    /// An explicit `--target` (the binary then lands under `<target-dir>/<triple>/`).
    pub(crate) fn target(mut self, triple: &str) -> CargoBuild {
        self.target = Some(triple.to_owned());
        self
    }

    /// Links the C runtime statically. Needs an explicit [`CargoBuild::target`], so that
    /// proc macros and build scripts still build for the host.
    pub(crate) fn crt_static(mut self, on: bool) -> CargoBuild {
        self.crt_static = on;
        self
    }

    /// Packs relative relocations (RELR; see [`crate::link`]). Only with
    /// [`CargoBuild::crt_static`]: the shipped static link.
    pub(crate) fn pack_relocations(mut self, on: bool) -> CargoBuild {
        self.pack_relocations = on;
        self
    }

    /// Builds in `dir` instead of cargo's own target directory.
    pub(crate) fn target_dir(mut self, dir: Option<&Path>) -> CargoBuild {
        self.target_dir = dir.map(Path::to_path_buf);
        self
    }

    /// A `--config` override (`profile.release.lto="thin"`).
    pub(crate) fn config(mut self, value: &str) -> CargoBuild {
        self.config.push(value.to_owned());
        self
    }

    /// A rustc flag added to the caller's `RUSTFLAGS`.
    pub(crate) fn rustflag(mut self, flag: &str) -> CargoBuild {
        self.rustflags.push(flag.to_owned());
        self
    }

    /// An environment variable for the build (read by build scripts).
    pub(crate) fn env(mut self, key: &str, value: &str) -> CargoBuild {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// An environment variable whose value the caller has also written to `file` (as it
    /// is, without a final newline): the echo shows `KEY="$(cat FILE)"`.
    pub(crate) fn env_from_file(mut self, key: &str, value: &str, file: &Path) -> CargoBuild {
        self.env_files.push((key.to_owned(), file.to_path_buf()));
        self.env(key, value)
    }

    /// Echoes and runs the command; fails unless it succeeds.
    pub(crate) fn run(&self, project: &Project) -> Result<()> {
        let mut cmd = self.command(project)?;
        let shown = self.describe(project, &cmd);
        project::run_shown(&mut cmd, &shown)
    }

    /// `cmd` (made by [`CargoBuild::command`]) as a line to read and re-run from the
    /// workspace root: the values kept in files are read back from them.
    pub(crate) fn describe(&self, project: &Project, cmd: &Command) -> String {
        let from_files: Vec<(&str, String)> = self
            .env_files
            .iter()
            .map(|(key, file)| {
                let file = project::shell_word(&project.display(file));
                (key.as_str(), format!("\"$(cat {file})\""))
            })
            .collect();
        let shown: Vec<(&str, &str)> = from_files
            .iter()
            .map(|(key, text)| (*key, text.as_str()))
            .collect();
        project::describe_with(cmd, &shown)
    }

    /// The cargo command, in the workspace root. `RUSTFLAGS` is the caller's plus ours,
    /// and left alone when we add nothing (so cargo's cache stays valid).
    pub(crate) fn command(&self, project: &Project) -> Result<Command> {
        if self.crt_static && self.target.is_none() {
            bail!(
                "a +crt-static build of {} needs an explicit --target (else proc macros \
                 would be linked statically too)",
                self.package
            );
        }
        let mut cmd = project.cargo();
        cmd.args(&self.subcommand)
            .args(["--package", &self.package, "--profile", &self.profile]);
        if let Some(target) = &self.target {
            cmd.args(["--target", target]);
        }
        if let Some(features) = &self.features {
            cmd.arg("--no-default-features")
                .args(["--features", &features.join(",")]);
        }
        if let Some(dir) = &self.target_dir {
            cmd.arg("--target-dir").arg(dir);
        }
        for value in &self.config {
            cmd.args(["--config", value]);
        }
        if self.pack_relocations && !self.crt_static {
            bail!(
                "packed relocations are part of the static link of {}; it needs +crt-static",
                self.package
            );
        }
        let mut added: Vec<&str> = Vec::new();
        if self.crt_static {
            added.push(CRT_STATIC_FLAG);
        }
        if self.pack_relocations {
            added.push(PACK_RELOCS_FLAG);
        }
        added.extend(self.rustflags.iter().map(String::as_str));
        if !added.is_empty() {
            let mut flags = std::env::var("RUSTFLAGS").unwrap_or_default();
            for flag in added {
                flags.push(' ');
                flags.push_str(flag);
            }
            cmd.env("RUSTFLAGS", flags.trim());
        }
        for (key, value) in &self.env {
            cmd.env(key, value);
        }
        Ok(cmd)
    }

    /// Where the binary lands: `<target-dir>[/<triple>]/<profile dir>/<package>`, with
    /// `default_target_dir` (cargo's) unless [`CargoBuild::target_dir`] chose another.
    pub(crate) fn binary(&self, default_target_dir: &Path) -> PathBuf {
        let mut path = self
            .target_dir
            .clone()
            .unwrap_or_else(|| default_target_dir.to_path_buf());
        if let Some(target) = &self.target {
            path.push(target);
        }
        path.push(profile_dir(&self.profile));
        path.push(&self.package);
        path
    }
}

/// The directory cargo writes a profile's output to: `dev` and `test` share `debug`,
/// `bench` shares `release`, a custom profile has its own name.
pub(crate) fn profile_dir(profile: &str) -> &str {
    match profile {
        "dev" | "test" => "debug",
        "bench" => "release",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::cargo_build::{CargoBuild, profile_dir};
    use crate::link::{CRT_STATIC_FLAG, PACK_RELOCS_FLAG};
    use crate::project::Project;

    fn args(build: &CargoBuild) -> Vec<String> {
        let cmd = build
            .command(&Project::fixture(Path::new("/src/muster")))
            .unwrap();
        cmd.get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    fn rustflags(build: &CargoBuild) -> Option<String> {
        let cmd = build
            .command(&Project::fixture(Path::new("/src/muster")))
            .unwrap();
        cmd.get_envs()
            .find(|(k, _)| *k == "RUSTFLAGS")
            .and_then(|(_, v)| v.map(|v| v.to_string_lossy().into_owned()))
    }

    /// `cargo xtask build` echoes a line to read and re-run: the manifest (kilobytes of
    /// JSON) is read back from its file, not shown; run by a shell in the workspace
    /// root, the line gives cargo the same arguments and the same manifest.
    #[cfg(unix)]
    #[test]
    fn the_echo_is_short_and_runs_as_shown() {
        use std::os::unix::fs::PermissionsExt as _;

        let root = tempfile::tempdir().unwrap();
        let project = Project::fixture(root.path());
        let manifest = format!(
            "{{\"set\":\"default\",\"plugins\":[{}]}}",
            vec!["{\"package\":\"it's-a-plugin\"}"; 40].join(",")
        );
        let file = root.path().join("target/muster/default.manifest.json");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, &manifest).unwrap();
        let build = CargoBuild::new("edge-agent", "release")
            .subcommand(&["auditable", "build"])
            .features(&["a".to_owned(), "b".to_owned()])
            .config("profile.release.lto=\"thin\"")
            .env("MUSTER_BUILD_SET", "default")
            .env_from_file("MUSTER_BUILD_MANIFEST", &manifest, &file);
        let cmd = build.command(&project).unwrap();
        let shown = build.describe(&project, &cmd);
        assert!(
            shown.starts_with(
                "MUSTER_BUILD_MANIFEST=\"$(cat target/muster/default.manifest.json)\" \
                 MUSTER_BUILD_SET=default "
            ),
            "{shown}"
        );
        assert!(
            shown.ends_with(
                "cargo auditable build --package edge-agent --profile release \
                 --no-default-features --features a,b --config 'profile.release.lto=\"thin\"'"
            ),
            "{shown}"
        );
        assert!(
            !shown.contains("plugin") && shown.len() < 400,
            "{} bytes: {shown}",
            shown.len()
        );

        // Re-run as shown, with a `cargo` that prints what it was given.
        let bin = root.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let fake = bin.join("cargo");
        std::fs::write(
            &fake,
            "#!/bin/sh\nprintf '%s\\n' \"$MUSTER_BUILD_MANIFEST\" \"$MUSTER_BUILD_SET\" \"$@\"\n",
        )
        .unwrap();
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = std::env::join_paths(
            std::iter::once(bin).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
        )
        .unwrap();
        let out = std::process::Command::new("sh")
            .args(["-c", &shown])
            .current_dir(root.path())
            .env("PATH", path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lines: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        let mut expected = vec![manifest.clone(), "default".to_owned()];
        expected.extend(cmd.get_args().map(|a| a.to_string_lossy().into_owned()));
        assert_eq!(lines, expected);
    }

    #[test]
    fn profiles_land_where_cargo_puts_them() {
        assert_eq!(profile_dir("dev"), "debug");
        assert_eq!(profile_dir("test"), "debug");
        assert_eq!(profile_dir("release"), "release");
        assert_eq!(profile_dir("bench"), "release");
        assert_eq!(profile_dir("dist"), "dist");
        let t = Path::new("/t");
        assert_eq!(
            CargoBuild::new("edge-agent", "bench").binary(t),
            Path::new("/t/release/edge-agent")
        );
        assert_eq!(
            CargoBuild::new("edge-agent", "dev")
                .target("x86_64-unknown-linux-gnu")
                .target_dir(Some(Path::new("/m")))
                .binary(t),
            Path::new("/m/x86_64-unknown-linux-gnu/debug/edge-agent")
        );
    }

    #[test]
    fn crt_static_needs_a_target_and_adds_the_flag_once() {
        let no_target = CargoBuild::new("edge-agent", "release").crt_static(true);
        let err = no_target
            .command(&Project::fixture(Path::new("/src/muster")))
            .unwrap_err();
        assert!(err.to_string().contains("explicit --target"), "{err}");

        let build = no_target.target("x86_64-unknown-linux-gnu");
        let flags = rustflags(&build).expect("RUSTFLAGS set");
        assert_eq!(flags.matches(CRT_STATIC_FLAG).count(), 1, "{flags}");
        assert!(!flags.contains(PACK_RELOCS_FLAG), "{flags}");
        let args = args(&build);
        let at = args.iter().position(|a| a == "--target").unwrap();
        assert_eq!(args[at + 1], "x86_64-unknown-linux-gnu");
    }

    #[test]
    fn packed_relocations_come_with_the_static_link_only() {
        let dynamic = CargoBuild::new("edge-agent", "release")
            .target("x86_64-unknown-linux-gnu")
            .pack_relocations(true);
        let err = dynamic
            .command(&Project::fixture(Path::new("/src/muster")))
            .unwrap_err();
        assert!(err.to_string().contains("+crt-static"), "{err}");

        let flags = rustflags(&dynamic.crt_static(true)).expect("RUSTFLAGS set");
        assert_eq!(flags.matches(CRT_STATIC_FLAG).count(), 1, "{flags}");
        assert_eq!(flags.matches(PACK_RELOCS_FLAG).count(), 1, "{flags}");
    }

    #[test]
    fn features_replace_the_defaults_and_a_wrapper_takes_the_same_arguments() {
        let build = CargoBuild::new("edge-agent", "release")
            .features(&["a".to_owned(), "b".to_owned()])
            .config("profile.release.lto=\"thin\"")
            .subcommand(&["auditable", "build"]);
        assert_eq!(
            args(&build),
            [
                "auditable",
                "build",
                "--package",
                "edge-agent",
                "--profile",
                "release",
                "--no-default-features",
                "--features",
                "a,b",
                "--config",
                "profile.release.lto=\"thin\""
            ]
        );
        if std::env::var_os("RUSTFLAGS").is_none() {
            assert_eq!(
                rustflags(&build),
                None,
                "nothing added: RUSTFLAGS untouched"
            );
        }
    }
}
