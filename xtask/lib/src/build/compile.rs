//! Compiling a prepared build: cargo's command line (features, static link, the
//! embedded manifest, `--remap-path-prefix`), the same for every target directory so
//! two builds produce the same bytes (`cargo xtask repro`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use muster_names::{BUILD_MANIFEST, BUILD_PLAN, BUILD_SET};

use crate::build::manifest::Prepared;
use crate::cargo_build::CargoBuild;
use crate::plan::Resolved;
use crate::project::{self, Project};

impl Prepared {
    /// Runs cargo, in `target_dir` if given (else cargo's own); returns the built
    /// binary's path. The flags do not depend on `target_dir`, so two target
    /// directories produce the same bytes (`cargo xtask repro`).
    pub(crate) fn compile(&self, project: &Project, target_dir: Option<&Path>) -> Result<PathBuf> {
        let plan = &self.plan;
        let manifest = self.manifest();
        let default_target_dir = crate::cargo_meta::target_dir(project)?;
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
            .env(BUILD_SET, &plan.set)
            .env(BUILD_PLAN, &manifest.plan_hash)
            .env_from_file(BUILD_MANIFEST, &manifest_json, &manifest_file);
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

#[cfg(test)]
pub(crate) mod tests {
    use std::path::Path;

    use crate::build::compile::remap_flags;
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
