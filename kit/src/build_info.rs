//! What this binary contains and how it was built (`build-info`).
//!
//! What only the host crate knows (its name, version, features, profile) is captured
//! where the host is compiled, by [`host_build!`](crate::host_build): the
//! `MUSTER_BUILD_*` variables `cargo xtask build` sets, and the `MUSTER_HOST_*`
//! variables a host's build script may set (`cargo:rustc-env=MUSTER_HOST_PROFILE=...`).

use serde::Serialize;

/// The host's build, captured in the host crate by [`host_build!`](crate::host_build).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostBuild {
    /// The host package's name (`CARGO_PKG_NAME`).
    pub name: &'static str,
    /// The host package's version (`CARGO_PKG_VERSION`).
    pub version: &'static str,
    /// `MUSTER_HOST_FEATURES`: its Cargo features, comma-separated.
    pub features: Option<&'static str>,
    /// `MUSTER_HOST_PROFILE`: the Cargo profile.
    pub profile: Option<&'static str>,
    /// `MUSTER_HOST_TARGET`: the target triple.
    pub target: Option<&'static str>,
    /// `MUSTER_HOST_OPT_LEVEL`: the optimisation level.
    pub opt_level: Option<&'static str>,
    /// `MUSTER_HOST_RUSTC`: the compiler's version line.
    pub rustc: Option<&'static str>,
    /// `MUSTER_BUILD_SET`: the deployment set (`cargo xtask build --set`).
    pub set: Option<&'static str>,
    /// `MUSTER_BUILD_PLAN`: the hash of the plan the set resolved to.
    pub plan: Option<&'static str>,
    /// `MUSTER_BUILD_MANIFEST`: the build manifest `cargo xtask build` embeds (JSON).
    pub manifest: Option<&'static str>,
}

/// The [`HostBuild`] of the crate this is expanded in.
#[doc(hidden)]
#[macro_export]
macro_rules! __host_build {
    () => {
        $crate::build_info::HostBuild {
            name: ::core::env!("CARGO_PKG_NAME"),
            version: ::core::env!("CARGO_PKG_VERSION"),
            features: ::core::option_env!("MUSTER_HOST_FEATURES"),
            profile: ::core::option_env!("MUSTER_HOST_PROFILE"),
            target: ::core::option_env!("MUSTER_HOST_TARGET"),
            opt_level: ::core::option_env!("MUSTER_HOST_OPT_LEVEL"),
            rustc: ::core::option_env!("MUSTER_HOST_RUSTC"),
            set: ::core::option_env!($crate::__private::build_var!(set)),
            plan: ::core::option_env!($crate::__private::build_var!(plan)),
            manifest: ::core::option_env!($crate::__private::build_var!(manifest)),
        }
    };
}

/// Build facts recorded at compile time (by the host's build script and `cargo xtask
/// build`); a fact the host did not record is `null`.
#[derive(Debug, Serialize)]
pub struct BuildInfo {
    /// The host's name.
    #[serde(skip)]
    pub name: &'static str,
    /// The host's package version.
    pub version: &'static str,
    /// The deployment set (`cargo xtask build --set`), or `None` for plain cargo builds.
    pub set: Option<&'static str>,
    /// Hash of the plan the set resolved to (`cargo xtask build`).
    pub plan: Option<&'static str>,
    /// Cargo features enabled (one `plugin-<package>` per plugin crate).
    pub features: Vec<&'static str>,
    /// Cargo profile (`debug` or `release`).
    pub profile: Option<&'static str>,
    /// Target triple.
    pub target: Option<&'static str>,
    /// Optimisation level.
    pub opt_level: Option<&'static str>,
    /// The compiler.
    pub rustc: Option<&'static str>,
    /// Registry backend of muster (`linkme` or `inventory`).
    pub backend: &'static str,
    /// Plugin versions compiled in, per slot: `slot name@version`.
    pub plugins: Vec<String>,
    /// The build manifest `cargo xtask build` embedded (set, teams, plugins with
    /// sources, git revision, rustc, profile, target, features, whether the dependency
    /// list is embedded for `cargo audit bin`), if built that way.
    pub manifest: Option<serde_json::Value>,
    /// Where this binary's CycloneDX SBOM is: the file `cargo xtask build` wrote beside
    /// the binary (`dist/<set>/<host>.cdx.json`), looked up beside the running
    /// executable. `None` for builds without one.
    pub sbom: Option<Sbom>,
}

/// The SBOM that `cargo xtask build` wrote beside the binary.
#[derive(Debug, Serialize)]
pub struct Sbom {
    /// Its path: beside the running executable.
    pub path: String,
    /// Whether the file is there (deployments may ship the binary alone).
    pub present: bool,
    /// Its format.
    pub format: &'static str,
}

impl BuildInfo {
    /// This binary's build information: `host` (from
    /// [`host_build!`](crate::host_build)) and the plugins linked in.
    pub fn current(host: &HostBuild) -> BuildInfo {
        let manifest: Option<serde_json::Value> =
            host.manifest.and_then(|m| serde_json::from_str(m).ok());
        BuildInfo {
            name: host.name,
            version: host.version,
            set: host.set,
            plan: host.plan,
            features: host
                .features
                .unwrap_or_default()
                .split(',')
                .filter(|f| !f.is_empty())
                .collect(),
            profile: host.profile,
            target: host.target,
            opt_level: host.opt_level,
            rustc: host.rustc,
            backend: muster::BACKEND,
            plugins: muster::plugins()
                .iter()
                .map(|p| format!("{} {}@{}", p.slot(), p.name(), p.version()))
                .collect(),
            manifest: manifest.clone(),
            sbom: manifest
                .as_ref()
                .and_then(|m| m["sbom"].as_str())
                .map(sbom_beside_executable),
        }
    }

    /// Multi-line text.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{} {}\nset: {}\nplan: {}\nprofile: {} (opt-level {})\ntarget: {}\nrustc: {}\nregistry backend: {}\nfeatures: {}\nplugins:\n",
            self.name,
            self.version,
            self.set.unwrap_or("(not built by cargo xtask build)"),
            self.plan.unwrap_or("-"),
            self.profile.unwrap_or("-"),
            self.opt_level.unwrap_or("-"),
            self.target.unwrap_or("-"),
            self.rustc.unwrap_or("-"),
            self.backend,
            self.features.join(" "),
        );
        for p in &self.plugins {
            out.push_str("  ");
            out.push_str(p);
            out.push('\n');
        }
        if let Some(sbom) = &self.sbom {
            out.push_str(&format!(
                "sbom: {} ({}{})\n",
                sbom.path,
                sbom.format,
                if sbom.present { "" } else { ", not found" }
            ));
        }
        out
    }
}

/// `file_name` in the directory of the running executable.
fn sbom_beside_executable(file_name: &str) -> Sbom {
    let path = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(file_name)))
        .unwrap_or_else(|| std::path::PathBuf::from(file_name));
    Sbom {
        present: path.is_file(),
        path: path.display().to_string(),
        format: "CycloneDX 1.5 JSON",
    }
}
