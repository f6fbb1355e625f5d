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

/// Build facts recorded at compile time: by `cargo xtask build` (its embedded manifest
/// is the source for an xtask-built binary) and by a host's build script if it has one
/// (`MUSTER_HOST_*`, which take precedence); a fact nothing recorded is `null`.
#[derive(Debug, Serialize)]
pub struct BuildInfo {
    /// The host's name.
    pub name: &'static str,
    /// The host's package version.
    pub version: &'static str,
    /// The deployment set (`cargo xtask build --set`), or `None` for plain cargo builds.
    pub set: Option<&'static str>,
    /// Hash of the plan the set resolved to (`cargo xtask build`).
    pub plan: Option<&'static str>,
    /// Cargo features enabled (one `plugin-<package>` per plugin crate).
    pub features: Vec<String>,
    /// Cargo profile (`debug` or `release`).
    pub profile: Option<String>,
    /// Target triple.
    pub target: Option<String>,
    /// Optimisation level.
    pub opt_level: Option<&'static str>,
    /// The compiler.
    pub rustc: Option<String>,
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
        // The host's own record first, else what `cargo xtask build` embedded.
        let recorded = |own: Option<&'static str>, key: &str| -> Option<String> {
            own.map(str::to_owned).or_else(|| {
                manifest.as_ref()?[key]
                    .as_str()
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned)
            })
        };
        let features = match host.features {
            Some(list) => list
                .split(',')
                .filter(|f| !f.is_empty())
                .map(str::to_owned)
                .collect(),
            None => manifest
                .as_ref()
                .and_then(|m| m["features"].as_array())
                .map(|fs| {
                    fs.iter()
                        .filter_map(|f| f.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        };
        BuildInfo {
            name: host.name,
            version: host.version,
            set: host.set,
            plan: host.plan,
            profile: recorded(host.profile, "profile"),
            target: recorded(host.target, "target"),
            rustc: recorded(host.rustc, "rustc"),
            features,
            opt_level: host.opt_level,
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
            self.profile.as_deref().unwrap_or(UNKNOWN),
            self.opt_level.unwrap_or("-"),
            self.target.as_deref().unwrap_or(UNKNOWN),
            self.rustc.as_deref().unwrap_or(UNKNOWN),
            self.backend,
            if self.features.is_empty() && self.manifest.is_none() && self.profile.is_none() {
                UNKNOWN.to_owned()
            } else {
                self.features.join(" ")
            },
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

/// What `build-info` says of a fact nothing recorded: a plain `cargo build` of a host
/// without a build script.
const UNKNOWN: &str =
    "unknown (not recorded: built without `cargo xtask build` and without a host build script)";

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

#[cfg(test)]
mod tests {
    use crate::build_info::{BuildInfo, HostBuild};

    const PLAIN: HostBuild = HostBuild {
        name: "ledger",
        version: "0.1.0",
        features: None,
        profile: None,
        target: None,
        opt_level: None,
        rustc: None,
        set: None,
        plan: None,
        manifest: None,
    };

    #[test]
    fn an_xtask_built_binary_without_a_build_script_reads_its_manifest() {
        let host = HostBuild {
            set: Some("prod"),
            manifest: Some(
                r#"{"set":"prod","profile":"release","target":"x86_64-unknown-linux-musl",
                    "rustc":"rustc 1.95.0","features":["plugin-a","plugin-b"]}"#,
            ),
            ..PLAIN
        };
        let info = BuildInfo::current(&host);
        assert_eq!(info.profile.as_deref(), Some("release"));
        assert_eq!(info.target.as_deref(), Some("x86_64-unknown-linux-musl"));
        assert_eq!(info.rustc.as_deref(), Some("rustc 1.95.0"));
        assert_eq!(info.features, ["plugin-a", "plugin-b"]);
        let text = info.to_text();
        assert!(text.contains("profile: release"), "{text}");
        assert!(text.contains("features: plugin-a plugin-b"), "{text}");
        let json = serde_json::to_value(&info).unwrap();
        assert_eq!(json["name"], "ledger");
        // A build script's own record wins.
        let info = BuildInfo::current(&HostBuild {
            profile: Some("dev"),
            ..host
        });
        assert_eq!(info.profile.as_deref(), Some("dev"));
    }

    #[test]
    fn a_plain_build_says_what_it_does_not_know() {
        let text = BuildInfo::current(&PLAIN).to_text();
        assert!(text.starts_with("ledger 0.1.0\n"), "{text}");
        for line in [
            "profile: unknown (not recorded",
            "target: unknown",
            "rustc: unknown",
            "features: unknown",
        ] {
            assert!(text.contains(line), "{line}: {text}");
        }
    }
}
