//! `cargo xtask build`: plan, sync check, check, then a static release build of one set
//! into `dist/<set>/`, verified (exactly the planned plugins, no dynamic loader) before
//! it is kept, with a manifest beside it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use clap::Args;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::{Config, DEFAULT_SET};
use crate::plan::{PlannedPlugin, Resolved, hex};
use crate::project::{self, APP_PACKAGE, Project};
use crate::{check, elf, listing, sync};

/// Name of the manifest written beside the binary in `dist/<set>/`.
pub(crate) const MANIFEST: &str = "edge-agent.manifest.json";

/// Build a set into `dist/<set>/edge-agent`, statically linked, and verify it.
#[derive(Debug, Args)]
pub(crate) struct Build {
    /// The deployment set (`sets/<set>.toml`).
    #[arg(long, default_value = DEFAULT_SET)]
    set: String,
    /// Cargo profile (`release`, `dev`, or one from Cargo.toml).
    #[arg(long, default_value = "release")]
    profile: String,
    /// Target triple (default: the host's, from `rustc -vV`).
    #[arg(long)]
    target: Option<String>,
}

/// What `dist/<set>/edge-agent.manifest.json` records (and, without `binary`, what the build passes
/// to the app in `MUSTER_BUILD_MANIFEST`).
#[derive(Debug, Serialize)]
struct BuildManifest<'a> {
    set: &'a str,
    plan_hash: String,
    teams: &'a [String],
    plugins: &'a [PlannedPlugin],
    features: &'a [String],
    target: &'a str,
    profile: &'a str,
    rustc: String,
    git_revision: String,
    git_dirty: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    binary: Option<Binary>,
}

#[derive(Debug, Serialize)]
struct Binary {
    path: String,
    size: u64,
    sha256: String,
    statically_linked: bool,
}

impl Build {
    pub(crate) fn run(&self) -> Result<()> {
        let project = Project::current();
        let config = Config::load(&project)?;
        let plan = Resolved::new(&config, &self.set)?;
        eprint!("{}", plan.table());
        sync::check(&project, &config).context("refusing to build from stale generated files")?;
        check::all(&project, &config)?;

        let host = host_triple(&project)?;
        let target = self.target.clone().unwrap_or_else(|| host.clone());
        let linux = target.contains("-linux-");
        let (git_revision, git_dirty) = git_state(&project);
        let mut manifest = BuildManifest {
            set: &plan.set,
            plan_hash: plan.hash(),
            teams: &plan.teams,
            plugins: &plan.plugins,
            features: &plan.features,
            target: &target,
            profile: &self.profile,
            rustc: project::stdout(project.command(&rustc()).arg("-V"))?
                .trim()
                .to_string(),
            git_revision,
            git_dirty,
            binary: None,
        };

        let built = self.cargo_build(&project, &plan, &target, linux, &manifest)?;
        let dist = project.root.join("dist").join(&plan.set);
        let _ = std::fs::remove_dir_all(&dist);
        std::fs::create_dir_all(&dist)
            .with_context(|| format!("cannot create {}", dist.display()))?;
        let binary = dist.join(APP_PACKAGE);
        std::fs::copy(&built, &binary)
            .with_context(|| format!("cannot copy {} to {}", built.display(), binary.display()))?;

        if let Err(err) = verify(&project, &plan, &binary, &host, &target, linux) {
            let _ = std::fs::remove_dir_all(&dist);
            return Err(err.context(format!(
                "removed {}: the build is not what the plan says",
                project.display(&dist)
            )));
        }

        let bytes = std::fs::read(&binary)?;
        manifest.binary = Some(Binary {
            path: project.display(&binary),
            size: bytes.len() as u64,
            sha256: hex(&Sha256::digest(&bytes)),
            statically_linked: linux,
        });
        let manifest_path = dist.join(MANIFEST);
        std::fs::write(
            &manifest_path,
            serde_json::to_string_pretty(&manifest)? + "\n",
        )?;

        if target == host {
            explain(&binary)?;
        }
        let shown = manifest.binary.as_ref().expect("set above");
        println!(
            "built {} ({} bytes, sha256 {}) and {}",
            shown.path,
            shown.size,
            shown.sha256,
            project.display(&manifest_path)
        );
        Ok(())
    }

    /// Runs cargo; returns the built binary's path.
    fn cargo_build(
        &self,
        project: &Project,
        plan: &Resolved,
        target: &str,
        linux: bool,
        manifest: &BuildManifest<'_>,
    ) -> Result<PathBuf> {
        let mut rustflags = std::env::var("RUSTFLAGS").unwrap_or_default();
        if linux {
            // Static C runtime; with an explicit `--target`, proc macros still build for the host.
            rustflags.push_str(" -C target-feature=+crt-static");
        }
        // Reproducible: no machine-specific paths in the binary.
        rustflags.push_str(&format!(
            " --remap-path-prefix={}=/muster",
            project.root.display()
        ));
        if let Some(home) = cargo_home() {
            rustflags.push_str(&format!(" --remap-path-prefix={}=/cargo", home.display()));
        }
        let mut cmd = project.cargo();
        cmd.args([
            "build",
            "--package",
            APP_PACKAGE,
            "--profile",
            &self.profile,
            "--target",
            target,
        ])
        .arg("--no-default-features")
        .args(["--features", &plan.features.join(",")])
        .env("RUSTFLAGS", rustflags.trim())
        .env("MUSTER_BUILD_SET", &plan.set)
        .env("MUSTER_BUILD_PLAN", &manifest.plan_hash)
        .env("MUSTER_BUILD_MANIFEST", serde_json::to_string(manifest)?);
        if std::env::var_os("SOURCE_DATE_EPOCH").is_none() {
            if let Ok(epoch) =
                project::stdout(project.command("git").args(["log", "-1", "--format=%ct"]))
            {
                cmd.env("SOURCE_DATE_EPOCH", epoch.trim());
            }
        }
        project::run(&mut cmd)?;
        let dir = match self.profile.as_str() {
            "dev" | "test" => "debug",
            "bench" => "release",
            other => other,
        };
        let built = target_dir(project)?
            .join(target)
            .join(dir)
            .join(APP_PACKAGE);
        if !built.is_file() {
            bail!(
                "cargo reported success but {} does not exist",
                built.display()
            );
        }
        Ok(built)
    }
}

/// The checks a binary must pass before it is kept.
fn verify(
    project: &Project,
    plan: &Resolved,
    binary: &Path,
    host: &str,
    target: &str,
    linux: bool,
) -> Result<()> {
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
    Ok(())
}

/// Runs `edge-agent plugins explain` and shows its output: the outcome on this host.
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
        _ => bail!("`edge-agent plugins explain` failed ({})", output.status),
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

fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")))
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
fn git_state(project: &Project) -> (String, bool) {
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
