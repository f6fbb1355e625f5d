//! What `#[plugin]` stores for each plugin version: metadata and a constructor.

use serde::Serialize;

use crate::Requirement;

/// One registered plugin version of the slot `T` (a `dyn Trait`).
///
/// Created by `#[muster::plugin]` in a static; never built by hand.
pub struct Registration<T: ?Sized + 'static> {
    /// Everything known about the registration without constructing it.
    pub meta: PluginMeta,
    /// Builds an instance (from `Default` or the plugin's `new = path`).
    pub construct: fn() -> Box<T>,
}

impl<T: ?Sized> std::fmt::Debug for Registration<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("meta", &self.meta)
            .finish_non_exhaustive()
    }
}

/// Metadata of a registered plugin version.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct PluginMeta {
    /// Name of the slot the plugin fills.
    pub slot: &'static str,
    /// Plugin name (the `name` argument, by default the package name).
    pub name: &'static str,
    /// The version, validated with `semver` at compile time.
    pub version: VersionParts,
    /// The team that owns the plugin, if declared.
    pub team: Option<&'static str>,
    /// A one-line description, if declared.
    pub description: Option<&'static str>,
    /// The crate that registered the plugin (`CARGO_CRATE_NAME`).
    #[serde(rename = "crate")]
    pub crate_name: &'static str,
    /// The package that registered the plugin (`CARGO_PKG_NAME`).
    pub package: &'static str,
    /// The module of the registration.
    pub module_path: &'static str,
    /// Declarative requirements on the host.
    pub requires: &'static [Requirement],
}

/// A semantic version, split at compile time so that nothing is re-parsed at run time.
#[derive(Debug, Clone, Copy)]
pub struct VersionParts {
    /// The version as written in `#[plugin(version = "...")]`.
    pub text: &'static str,
    /// Major version.
    pub major: u64,
    /// Minor version.
    pub minor: u64,
    /// Patch version.
    pub patch: u64,
    /// Pre-release identifiers (empty for a release).
    pub pre: &'static str,
    /// Build metadata (empty when absent).
    pub build: &'static str,
}

impl VersionParts {
    /// The version as a [`semver::Version`].
    pub fn to_version(&self) -> semver::Version {
        let mut version = semver::Version::new(self.major, self.minor, self.patch);
        if !self.pre.is_empty() {
            // Validated by the macro; fall back to the full parse should it ever differ.
            match semver::Prerelease::new(self.pre) {
                Ok(pre) => version.pre = pre,
                Err(_) => return semver::Version::parse(self.text).unwrap_or(version),
            }
        }
        if !self.build.is_empty()
            && let Ok(build) = semver::BuildMetadata::new(self.build)
        {
            version.build = build;
        }
        version
    }

    /// Whether this is a pre-release (`1.0.0-beta.2`).
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }
}

impl std::fmt::Display for VersionParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.text)
    }
}

impl Serialize for VersionParts {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.text)
    }
}
