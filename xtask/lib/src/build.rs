//! `cargo xtask build`: plan, sync check, check, then a static release build of one set
//! into `dist/<set>/`, verified (exactly the planned plugins, no dynamic loader) before
//! it is kept, with a manifest beside it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use clap::Args;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::auditable::Mode;
use crate::cargo_build::CargoBuild;
use crate::config::Config;
use crate::plan::{PlannedPlugin, Resolved, hex};
use crate::project::{self, Project};
use crate::{check, elf, link, listing, sbom, sync};

/// Build a set into `dist/<set>/<host>`, statically linked, and verify it.
#[derive(Debug, Args)]
pub(crate) struct Build {
    /// The deployment set (`sets/<set>.toml`; default: `default-set` in
    /// `[workspace.metadata.muster]`).
    #[arg(long)]
    set: Option<String>,
    /// Cargo profile (`release`, `dev`, or one from Cargo.toml).
    #[arg(long, default_value = "release")]
    profile: String,
    /// Target triple (default: the host's, from `rustc -vV`).
    #[arg(long)]
    target: Option<String>,
    /// Build with plain `cargo build` instead of `cargo auditable build`: the binary does
    /// not carry its dependency list (scanners see an opaque binary). Recorded as
    /// `"auditable": false` in the manifest; not for binaries that ship.
    #[arg(long)]
    no_auditable: bool,
}

/// What `cargo xtask build` records. Without `binary` and `sbom_sha256` (the hashes of
/// the files written after the binary), what the build passes to the app in
/// `MUSTER_BUILD_MANIFEST`; with them, `dist/<set>/<host>.manifest.json`. Read back
/// strictly (every key, no other) by `cargo xtask rebuild` (`crate::rebuild::Recorded`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub(crate) struct BuildManifest {
    pub(crate) set: String,
    pub(crate) plan_hash: String,
    pub(crate) teams: Vec<String>,
    pub(crate) plugins: Vec<PlannedPlugin>,
    pub(crate) features: Vec<String>,
    pub(crate) target: String,
    pub(crate) profile: String,
    pub(crate) rustc: String,
    pub(crate) git_revision: String,
    pub(crate) git_dirty: bool,
    /// Built with `cargo auditable build`: the binary carries its dependency list.
    pub(crate) auditable: bool,
    /// Linked with its relative relocations packed (RELR; see `crate::link`).
    pub(crate) packed_relocations: bool,
    /// The CycloneDX SBOM's file name, beside the binary.
    pub(crate) sbom: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) binary: Option<Binary>,
    /// SHA-256 of the SBOM file (it names the binary's hash, so it is written after it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sbom_sha256: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, Eq)]
pub(crate) struct Binary {
    pub(crate) path: String,
    pub(crate) size: u64,
    pub(crate) sha256: String,
    pub(crate) statically_linked: bool,
}

/// Everything decided before cargo runs: the plan, the target and what the manifest
/// records. `cargo xtask build` and `cargo xtask repro` compile from the same one.
pub(crate) struct Prepared {
    pub(crate) plan: Resolved,
    pub(crate) profile: String,
    pub(crate) host: String,
    pub(crate) target: String,
    /// A Linux target: linked with `+crt-static` and checked for static linking.
    pub(crate) linux: bool,
    /// Relative relocations packed (RELR): see [`crate::link::packs_relocations`].
    pub(crate) packed_relocations: bool,
    /// `cargo auditable build` or, with `--no-auditable`, `cargo build`.
    pub(crate) mode: Mode,
    pub(crate) rustc: String,
    pub(crate) git_revision: String,
    pub(crate) git_dirty: bool,
    /// The SBOM's file name beside the binary (`<host>.cdx.json`).
    pub(crate) sbom_file: String,
}

impl Build {
    /// A build of `set` in the release profile for the host.
    pub(crate) fn release(set: &str) -> Build {
        Build {
            set: Some(set.to_owned()),
            profile: "release".to_owned(),
            target: None,
            no_auditable: false,
        }
    }

    /// A build of `set` in the dev profile for the host (tests: cheaper than release).
    #[cfg(test)]
    pub(crate) fn dev(set: &str) -> Build {
        Build {
            set: Some(set.to_owned()),
            profile: "dev".to_owned(),
            target: None,
            no_auditable: false,
        }
    }

    pub(crate) fn run(&self) -> Result<()> {
        self.run_at(&project::current_root()?)
    }

    /// The command in the workspace at `root`.
    pub(crate) fn run_at(&self, root: &Path) -> Result<()> {
        let project = Project::at(root)?;
        let prepared = self.prepare(&project)?;
        prepared.build_and_verify(&project)
    }

    /// Plans the set and refuses stale generated files or failing checks. The
    /// configuration is read first: its mistakes are reported before a missing tool.
    pub(crate) fn prepare(&self, project: &Project) -> Result<Prepared> {
        let config = Config::load(project)?;
        let mode = Mode::choose(self.no_auditable)?;
        let plan = Resolved::new(&config, project.set_or_default(self.set.as_deref()))?;
        eprint!("{}", plan.table());
        sync::check(project, &config).context("refusing to build from stale generated files")?;
        check::all(project, &config)?;

        Prepared::new(project, plan, &self.profile, self.target.as_deref(), mode)
    }
}

impl Prepared {
    /// The build of `plan`: `target` (default: the host), this toolchain and checkout.
    fn new(
        project: &Project,
        plan: Resolved,
        profile: &str,
        target: Option<&str>,
        mode: Mode,
    ) -> Result<Prepared> {
        let host = host_triple(project)?;
        let target = target.map_or_else(|| host.clone(), str::to_owned);
        let (git_revision, git_dirty) = git_state(project);
        let linux = target.contains("-linux-");
        Ok(Prepared {
            plan,
            profile: profile.to_owned(),
            linux,
            packed_relocations: linux && link::packs_relocations(&target, &host),
            host,
            target,
            mode,
            rustc: project::stdout(project.command(&rustc()).arg("-V"))?
                .trim()
                .to_string(),
            git_revision,
            git_dirty,
            sbom_file: project.sbom_file(),
        })
    }

    /// A release build of `set` for the host as `build` would prepare it, without the
    /// sync check, the checks or the tool check (tests that need no binary: the SBOM, the
    /// manifest's shape).
    #[cfg(test)]
    pub(crate) fn unbuilt(project: &Project, set: &str) -> Result<Prepared> {
        let plan = Resolved::new(&Config::load(project)?, set)?;
        Prepared::new(project, plan, "release", None, Mode::Auditable)
    }

    pub(crate) fn manifest(&self) -> BuildManifest {
        BuildManifest {
            set: self.plan.set.clone(),
            plan_hash: self.plan.hash(),
            teams: self.plan.teams.clone(),
            plugins: self.plan.plugins.clone(),
            features: self.plan.features.clone(),
            target: self.target.clone(),
            profile: self.profile.clone(),
            rustc: self.rustc.clone(),
            git_revision: self.git_revision.clone(),
            git_dirty: self.git_dirty,
            auditable: self.mode.is_auditable(),
            packed_relocations: self.packed_relocations,
            sbom: self.sbom_file.clone(),
            binary: None,
            sbom_sha256: None,
        }
    }

    /// Compiles into `dist/<set>/`, verifies the binary, writes the manifest and shows
    /// `plugins explain`.
    pub(crate) fn build_and_verify(&self, project: &Project) -> Result<()> {
        let plan = &self.plan;
        let built = self.compile(project, None)?;
        let dist = project.dist_dir(&plan.set);
        let _ = std::fs::remove_dir_all(&dist);
        std::fs::create_dir_all(&dist)
            .with_context(|| format!("cannot create {}", dist.display()))?;
        let binary = dist.join(project.host());
        std::fs::copy(&built, &binary)
            .with_context(|| format!("cannot copy {} to {}", built.display(), binary.display()))?;

        if let Err(err) = verify(project, self, &binary) {
            let _ = std::fs::remove_dir_all(&dist);
            return Err(err.context(format!(
                "removed {}: the build is not what the plan says",
                project.display(&dist)
            )));
        }

        let bytes = std::fs::read(&binary)?;
        let mut manifest = self.manifest();
        let shown = Binary {
            path: project.display(&binary),
            size: bytes.len() as u64,
            sha256: hex(&Sha256::digest(&bytes)),
            statically_linked: self.linux,
        };
        let sbom_path = dist.join(project.sbom_file());
        let sbom_text = match sbom::generate(project, self, &shown.sha256) {
            Ok(text) => text,
            Err(err) => {
                let _ = std::fs::remove_dir_all(&dist);
                return Err(err.context(format!(
                    "removed {}: cannot write its SBOM",
                    project.display(&dist)
                )));
            }
        };
        std::fs::write(&sbom_path, &sbom_text)
            .with_context(|| format!("cannot write {}", sbom_path.display()))?;
        manifest.sbom_sha256 = Some(hex(&Sha256::digest(sbom_text.as_bytes())));
        manifest.binary = Some(shown);
        let manifest_path = dist.join(project.manifest_file());
        std::fs::write(
            &manifest_path,
            serde_json::to_string_pretty(&manifest)? + "\n",
        )?;

        if self.target == self.host {
            sbom_is_where_build_info_says(&binary, &sbom_path)?;
            explain(&binary)?;
        }
        let shown = manifest.binary.as_ref().expect("set above");
        println!(
            "built {} ({} bytes, sha256 {}{}), {} and {}",
            shown.path,
            shown.size,
            shown.sha256,
            if self.mode.is_auditable() {
                ", dependency list embedded by cargo auditable"
            } else {
                ", NOT auditable (--no-auditable)"
            },
            project.display(&sbom_path),
            project.display(&manifest_path)
        );
        Ok(())
    }

    /// Runs cargo, in `target_dir` if given (else cargo's own); returns the built
    /// binary's path. The flags do not depend on `target_dir`, so two target
    /// directories produce the same bytes (`cargo xtask repro`).
    pub(crate) fn compile(&self, project: &Project, target_dir: Option<&Path>) -> Result<PathBuf> {
        let plan = &self.plan;
        let manifest = self.manifest();
        let default_target_dir = self::target_dir(project)?;
        // The manifest the build embeds, also in a file: the echoed command reads it
        // from there instead of showing it (and can be re-run as shown).
        let manifest_json = serde_json::to_string(&manifest)?;
        let manifest_file = embedded_manifest_file(&default_target_dir, &plan.set);
        if let Some(dir) = manifest_file.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        std::fs::write(&manifest_file, &manifest_json)
            .with_context(|| format!("cannot write {}", manifest_file.display()))?;
        let mut build = CargoBuild::new(project.host(), &self.profile)
            .target(&self.target)
            // Static C runtime; with an explicit `--target`, proc macros still build for the host.
            .crt_static(self.linux)
            .pack_relocations(self.packed_relocations)
            .subcommand(self.mode.build_args())
            .features(&plan.features)
            .target_dir(target_dir)
            .env("MUSTER_BUILD_SET", &plan.set)
            .env("MUSTER_BUILD_PLAN", &manifest.plan_hash)
            .env_from_file("MUSTER_BUILD_MANIFEST", &manifest_json, &manifest_file);
        for flag in remap_flags(project, &default_target_dir, plan) {
            build = build.rustflag(&flag);
        }
        if std::env::var_os("SOURCE_DATE_EPOCH").is_none()
            && let Ok(epoch) =
                project::stdout(project.command("git").args(["log", "-1", "--format=%ct"]))
        {
            build = build.env("SOURCE_DATE_EPOCH", epoch.trim());
        }
        build.run(project)?;
        let built = build.binary(&default_target_dir);
        if !built.is_file() {
            bail!(
                "cargo reported success but {} does not exist",
                built.display()
            );
        }
        Ok(built)
    }
}

/// `<target-dir>/muster/<set>.manifest.json`: the manifest a build of `set` embeds
/// (`MUSTER_BUILD_MANIFEST`), written before cargo runs, for the echoed command to read.
pub(crate) fn embedded_manifest_file(target_dir: &Path, set: &str) -> PathBuf {
    target_dir
        .join("muster")
        .join(format!("{set}.manifest.json"))
}

/// The target directory `cargo xtask repro` builds its second copy in.
pub(crate) fn repro_target_dir(target_dir: &Path) -> PathBuf {
    target_dir.join("repro")
}

/// `--remap-path-prefix` flags: no machine-specific path in the binary. The checkout,
/// plugins from outside it (each to `/plugins/<package>`), cargo's home and the target
/// directories (generated code in `OUT_DIR`) are mapped to fixed names. rustc applies the
/// last matching prefix, so the repro directory, inside the target directory, comes after
/// it; both builds get the same flags.
pub(crate) fn remap_flags(project: &Project, target_dir: &Path, plan: &Resolved) -> Vec<String> {
    let mut flags = vec![format!(
        "--remap-path-prefix={}=/muster",
        project.root.display()
    )];
    for (dir, package) in outside_plugins(project, plan) {
        flags.push(format!(
            "--remap-path-prefix={}=/plugins/{package}",
            dir.display()
        ));
    }
    if let Some(home) = project::cargo_home() {
        flags.push(format!("--remap-path-prefix={}=/cargo", home.display()));
    }
    flags.push(format!(
        "--remap-path-prefix={}=/target",
        target_dir.display()
    ));
    flags.push(format!(
        "--remap-path-prefix={}=/target",
        repro_target_dir(target_dir).display()
    ));
    flags
}

/// The directories of the plan's path plugins outside the checkout (absolute or `../`
/// paths in the team files), normalized, with their packages.
pub(crate) fn outside_plugins(project: &Project, plan: &Resolved) -> Vec<(PathBuf, String)> {
    plan.plugins
        .iter()
        .filter_map(|p| {
            let path = p.source.strip_prefix("path:")?;
            let dir = normalize(&project.root.join(path));
            (!dir.starts_with(&project.root)).then(|| (dir, p.package.clone()))
        })
        .collect()
}

/// `path` with `.` and `..` resolved lexically (as cargo does for path dependencies).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The checks a binary must pass before it is kept.
fn verify(project: &Project, prepared: &Prepared, binary: &Path) -> Result<()> {
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
fn sbom_is_where_build_info_says(binary: &Path, sbom: &Path) -> Result<()> {
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
fn explain(binary: &Path) -> Result<()> {
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

fn rustc() -> String {
    std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into())
}

/// The host triple, from `rustc -vV`.
pub(crate) fn host_triple(project: &Project) -> Result<String> {
    let text = project::stdout(project.command(&rustc()).arg("-vV"))?;
    text.lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(|host| host.trim().to_string())
        .context("`rustc -vV` printed no `host:` line")
}

/// Cargo's target directory for this workspace.
pub(crate) fn target_dir(project: &Project) -> Result<PathBuf> {
    #[derive(serde::Deserialize)]
    struct Metadata {
        target_directory: PathBuf,
    }
    let json =
        project::stdout(
            project
                .cargo()
                .args(["metadata", "--no-deps", "--format-version", "1"]),
        )?;
    Ok(serde_json::from_str::<Metadata>(&json)?.target_directory)
}

/// The commit and whether the tree has uncommitted changes.
pub(crate) fn git_state(project: &Project) -> (String, bool) {
    let revision = project::stdout(project.command("git").args(["rev-parse", "HEAD"]))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into());
    let dirty = project::stdout(project.command("git").args([
        "status",
        "--porcelain",
        "--untracked-files=no",
    ]))
    .map(|s| !s.trim().is_empty())
    .unwrap_or(true);
    (revision, dirty)
}

#[cfg(test)]
pub(crate) mod tests {
    use std::path::Path;

    use crate::build::{remap_flags, shared_objects_in};
    use crate::plan::{PlannedPlugin, Resolved};
    use crate::project::Project;

    /// A plan whose plugins have these `(package, source)`s.
    pub(crate) fn plan_with_sources(sources: &[(&str, &str)]) -> Resolved {
        Resolved {
            set: "s".into(),
            description: None,
            teams: vec!["t".into()],
            plugins: sources
                .iter()
                .map(|(package, source)| PlannedPlugin {
                    slot: "checksum".into(),
                    name: (*package).into(),
                    version: "1.0.0".into(),
                    team: "t".into(),
                    package: (*package).into(),
                    crate_name: package.replace('-', "_"),
                    feature: format!("plugin-{package}"),
                    source: (*source).into(),
                })
                .collect(),
            features: Vec::new(),
        }
    }

    #[test]
    fn plugins_outside_the_checkout_are_remapped_by_package() {
        let plan = plan_with_sources(&[
            ("inside", "path:plugins/storage/inside"),
            ("up", "path:../net-repo/./up"),
            ("abs", "path:/srv/teams/abs"),
            ("remote", "git:https://example.invalid/r.git?tag=v1"),
        ]);
        let flags = remap_flags(
            &Project::fixture(Path::new("/src/muster")),
            Path::new("/t"),
            &plan,
        );
        assert_eq!(
            flags[1..3],
            [
                "--remap-path-prefix=/src/net-repo/up=/plugins/up",
                "--remap-path-prefix=/srv/teams/abs=/plugins/abs"
            ]
        );
        assert!(
            !flags
                .iter()
                .any(|f| f.contains("inside") || f.contains("remote"))
        );
    }

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

    #[test]
    fn the_repro_target_dir_is_remapped_last() {
        let flags = remap_flags(
            &Project::fixture(Path::new("/src/muster")),
            Path::new("/t"),
            &plan_with_sources(&[]),
        );
        assert_eq!(flags[0], "--remap-path-prefix=/src/muster=/muster");
        assert_eq!(
            &flags[flags.len() - 2..],
            [
                "--remap-path-prefix=/t=/target",
                "--remap-path-prefix=/t/repro=/target"
            ]
        );
    }
}
