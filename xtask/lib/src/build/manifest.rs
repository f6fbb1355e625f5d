//! What a build decides before cargo runs ([`Prepared`]) and what it records: the
//! build manifest's schema ([`BuildManifest`], [`Binary`]).

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::auditable::Mode;
use crate::build::git::git_state;
use crate::cargo_meta::{project_host_triple, rustc_version};
#[cfg(test)]
use crate::config::Config;
use crate::link;
use crate::plan::{PlannedPlugin, Resolved};
use crate::project::Project;

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

impl Prepared {
    /// The build of `plan`: `target` (default: the host), this toolchain and checkout.
    pub(crate) fn new(
        project: &Project,
        plan: Resolved,
        profile: &str,
        target: Option<&str>,
        mode: Mode,
    ) -> Result<Prepared> {
        let host = project_host_triple(project)?;
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
            rustc: rustc_version(project)?,
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
}
