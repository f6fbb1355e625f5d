//! What this binary contains and how it was built.

use serde::Serialize;

/// Build facts recorded at compile time (by `build.rs` and `cargo xtask build`).
#[derive(Debug, Serialize)]
pub struct BuildInfo {
    /// edge-agent's package version.
    pub version: &'static str,
    /// The deployment set (`cargo xtask build --set`), or `None` for plain cargo builds.
    pub set: Option<&'static str>,
    /// Hash of the plan the set resolved to (`cargo xtask build`).
    pub plan: Option<&'static str>,
    /// Cargo features enabled (one `plugin-<package>` per plugin crate).
    pub features: Vec<&'static str>,
    /// Cargo profile (`debug` or `release`).
    pub profile: &'static str,
    /// Target triple.
    pub target: &'static str,
    /// Optimisation level.
    pub opt_level: &'static str,
    /// The compiler.
    pub rustc: &'static str,
    /// Registry backend of muster (`linkme` or `inventory`).
    pub backend: &'static str,
    /// Plugin versions compiled in, per slot: `slot name@version`.
    pub plugins: Vec<String>,
    /// The build manifest `cargo xtask build` embedded (set, teams, plugins with
    /// sources, git revision, rustc, profile, target, features, whether the dependency
    /// list is embedded for `cargo audit bin`), if built that way.
    pub manifest: Option<serde_json::Value>,
    /// Where this binary's CycloneDX SBOM is: the file `cargo xtask build` wrote beside
    /// the binary (`dist/<set>/edge-agent.cdx.json`), looked up beside the running
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
    /// This binary's build information.
    pub fn current() -> BuildInfo {
        let features = env!("EDGE_AGENT_FEATURES");
        let manifest: Option<serde_json::Value> =
            option_env!("MUSTER_BUILD_MANIFEST").and_then(|m| serde_json::from_str(m).ok());
        BuildInfo {
            version: env!("CARGO_PKG_VERSION"),
            set: option_env!("MUSTER_BUILD_SET"),
            plan: option_env!("MUSTER_BUILD_PLAN"),
            features: features.split(',').filter(|f| !f.is_empty()).collect(),
            profile: env!("EDGE_AGENT_PROFILE"),
            target: env!("EDGE_AGENT_TARGET"),
            opt_level: env!("EDGE_AGENT_OPT_LEVEL"),
            rustc: env!("EDGE_AGENT_RUSTC"),
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
            "edge-agent {}\nset: {}\nplan: {}\nprofile: {} (opt-level {})\ntarget: {}\nrustc: {}\nregistry backend: {}\nfeatures: {}\nplugins:\n",
            self.version,
            self.set.unwrap_or("(not built by cargo xtask build)"),
            self.plan.unwrap_or("-"),
            self.profile,
            self.opt_level,
            self.target,
            self.rustc,
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
