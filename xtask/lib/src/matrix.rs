//! `cargo xtask matrix`: the registration completeness matrix. For each build
//! configuration and registry backend, build a set and check that the binary's
//! `plugins list --json` is exactly the plan: no plugin dropped by the linker or
//! LTO, none added.

use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;

use crate::cargo_build::CargoBuild;
use crate::cargo_meta::{project_host_triple, target_dir};
use crate::config::Config;
use crate::listing;
use crate::plan::Resolved;
use crate::project::{self, Project};

/// Build a set in every configuration and on both backends; compare with the plan.
#[derive(Debug, Args)]
pub(crate) struct Matrix {
    /// The deployment set to build (default: `default-set` in `[workspace.metadata.muster]`).
    #[arg(long)]
    pub(crate) set: Option<String>,
    /// All 12 cells (6 configurations x 2 backends); without it, the CI subset.
    #[arg(long)]
    pub(crate) full: bool,
}

/// One build configuration.
struct BuildConfig {
    name: &'static str,
    /// Cargo profile to build with.
    profile: &'static str,
    /// `--config` overrides of that profile.
    overrides: &'static [&'static str],
    /// Static C runtime (`+crt-static`, with an explicit `--target`).
    crt_static: bool,
}

const CONFIGS: &[BuildConfig] = &[
    BuildConfig {
        name: "dev",
        profile: "dev",
        overrides: &[],
        crt_static: false,
    },
    BuildConfig {
        name: "release",
        profile: "release",
        overrides: &[],
        crt_static: false,
    },
    BuildConfig {
        name: "release+lto=thin",
        profile: "release",
        overrides: &["profile.release.lto=\"thin\""],
        crt_static: false,
    },
    BuildConfig {
        name: "release+lto=fat,cgu=1",
        profile: "release",
        overrides: &[
            "profile.release.lto=\"fat\"",
            "profile.release.codegen-units=1",
        ],
        crt_static: false,
    },
    BuildConfig {
        name: "release+crt-static",
        profile: "release",
        overrides: &[],
        crt_static: true,
    },
    BuildConfig {
        name: "opt-level=s+strip",
        profile: "release",
        overrides: &[
            "profile.release.opt-level=\"s\"",
            "profile.release.strip=true",
        ],
        crt_static: false,
    },
];

const BACKENDS: &[&str] = &["linkme", "inventory"];

/// The cells `cargo xtask test` (and so CI) runs: the cheapest configuration on both
/// backends, and the one most likely to drop registrations (fat LTO, one codegen unit).
/// `cargo xtask build` covers release+crt-static on linkme.
const CI_CELLS: &[(&str, &str)] = &[
    ("dev", "linkme"),
    ("dev", "inventory"),
    ("release+lto=fat,cgu=1", "linkme"),
];

impl Matrix {
    pub(crate) fn run(&self) -> Result<()> {
        let project = Project::current()?;
        let config = Config::load(&project)?;
        let plan = Resolved::new(&config, project.set_or_default(self.set.as_deref()))?;
        let host = project_host_triple(&project)?;
        let base = target_dir(&project)?.join("matrix");
        let mut rows = Vec::new();
        let mut failed = 0;
        for cfg in CONFIGS {
            for backend in BACKENDS {
                if !self.full && !CI_CELLS.contains(&(cfg.name, backend)) {
                    continue;
                }
                let started = Instant::now();
                let result = build_and_compare(&project, &plan, cfg, backend, &host, &base);
                let secs = started.elapsed().as_secs_f64();
                let verdict = match &result {
                    Ok(()) => format!("ok: exactly the {} planned plugins", plan.plugins.len()),
                    Err(e) => {
                        failed += 1;
                        format!("FAILED: {e:#}")
                    }
                };
                eprintln!("matrix: {} / {backend}: {verdict} ({secs:.0}s)", cfg.name);
                rows.push((cfg.name, *backend, verdict, secs));
            }
        }
        println!("\nregistration completeness, set `{}`:", plan.set);
        println!(
            "{:<24} {:<10} {:>6}  result",
            "configuration", "backend", "secs"
        );
        for (name, backend, verdict, secs) in &rows {
            println!("{name:<24} {backend:<10} {secs:>6.0}  {verdict}");
        }
        if !self.full {
            println!(
                "(CI subset; `cargo xtask matrix --full` runs all {} cells)",
                CONFIGS.len() * BACKENDS.len()
            );
        }
        if failed > 0 {
            bail!("{failed} matrix cell(s) do not register exactly the planned plugins");
        }
        Ok(())
    }
}

fn build_and_compare(
    project: &Project,
    plan: &Resolved,
    cfg: &BuildConfig,
    backend: &str,
    host: &str,
    base: &std::path::Path,
) -> Result<()> {
    // One target directory per configuration, shared by both backends.
    let target_dir = base.join(cfg.name.replace(['+', '=', ','], "-"));
    let mut features = plan.features.clone();
    if backend == "inventory" {
        features.push(format!("{}/inventory", crate::settings::RUNTIME_PACKAGE));
    }
    let mut build = CargoBuild::new(project.host(), cfg.profile)
        .features(&features)
        .target_dir(Some(&target_dir));
    for o in cfg.overrides {
        build = build.config(o);
    }
    if cfg.crt_static {
        build = build.target(host).crt_static(true);
    }
    project::run(&mut build.command(project)?)?;
    let binary = build.binary(&target_dir);
    let json = project::stdout(Command::new(&binary).args(["plugins", "list", "--json"]))
        .with_context(|| format!("cannot list the plugins of {}", binary.display()))?;
    listing::compare(plan, &json)?;
    let info = project::stdout(Command::new(&binary).args(["build-info", "--json"]))?;
    if !info.contains(&format!("\"backend\": \"{backend}\"")) {
        bail!("{} does not report the {backend} backend", binary.display());
    }
    Ok(())
}
