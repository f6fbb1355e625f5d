//! The policy model: per-slot pins, denies, the pre-release switch, quarantine knobs
//! and staged rollouts, each rule with its [`Source`]; how rules are added, and what
//! they say of one version.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use semver::{Version, VersionReq};
use serde::Serialize;

use crate::Facts;
use crate::policy::error::PolicyError;
use crate::policy::source::Source;
use crate::rollout::{NotAdmitted, Rollout};

/// A version requirement for one slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pin {
    /// The requirement.
    #[serde(serialize_with = "serialize_display")]
    pub req: VersionReq,
    /// Where it came from.
    pub source: Source,
}

/// A denied exact version of one slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deny {
    /// The denied version.
    #[serde(serialize_with = "serialize_display")]
    pub version: Version,
    /// Where it came from.
    pub source: Source,
}

fn serialize_display<T: fmt::Display, S: serde::Serializer>(
    v: &T,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// Pins, denies and the pre-release switch, keyed by slot name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// At most one pin per slot.
    pub pins: BTreeMap<String, Pin>,
    /// Denied versions per slot.
    pub denies: BTreeMap<String, Vec<Deny>>,
    /// Whether pre-releases may be selected, and who said so; `None` means no.
    pub allow_prerelease: Option<(bool, Source)>,
    /// How long a quarantined version stays excluded, in seconds, and who said so;
    /// `None`: no expiry (the host decides how long a quarantine lives: for the
    /// process, or until an operator lifts it).
    pub quarantine_seconds: Option<(u64, Source)>,
    /// After how many strikes (faults that killed the process, counted across
    /// restarts by the host) a version is quarantined, and who said so; `None`:
    /// [`Policy::DEFAULT_QUARANTINE_STRIKES`].
    pub quarantine_strikes: Option<(u32, Source)>,
    /// Where the host writes its metrics for node_exporter's textfile collector (a
    /// `.prom` file), and who said so; `None`: no metrics file.
    pub metrics_file: Option<(PathBuf, Source)>,
    /// How often the host rewrites its metrics file, in seconds, and who said so;
    /// `None`: the host's default. The host checks the range.
    pub metrics_interval_seconds: Option<(u64, Source)>,
    /// Staged rollouts, at most one per slot and target.
    pub rollouts: Vec<Rollout>,
    /// A salt shared by every rollout without its own, and who set it; `None`: each
    /// rule salts with its own `SLOT@TARGET`.
    pub rollout_salt: Option<(String, Source)>,
}

impl Policy {
    /// Strikes before a quarantine when the policy does not say.
    pub const DEFAULT_QUARANTINE_STRIKES: u32 = 2;
    /// The largest `quarantine_strikes` accepted: more would let a crashing
    /// version restart the process for hours.
    pub const MAX_QUARANTINE_STRIKES: u32 = 100;

    /// Strikes before a quarantine: the policy's `quarantine_strikes` or the default.
    pub fn strikes_limit(&self) -> u32 {
        self.quarantine_strikes
            .as_ref()
            .map_or(Self::DEFAULT_QUARANTINE_STRIKES, |(n, _)| *n)
    }

    /// An empty policy: no pins, no denies, no pre-releases.
    pub fn new() -> Policy {
        Policy::default()
    }

    /// Adds (or replaces) the pin of `slot`.
    pub fn pin(&mut self, slot: impl Into<String>, req: VersionReq, source: Source) -> &mut Self {
        self.pins.insert(slot.into(), Pin { req, source });
        self
    }

    /// Denies `version` of `slot`.
    pub fn deny(&mut self, slot: impl Into<String>, version: Version, source: Source) -> &mut Self {
        let denies = self.denies.entry(slot.into()).or_default();
        if !denies.iter().any(|d| d.version == version) {
            denies.push(Deny { version, source });
        }
        self
    }

    /// Adds a rollout; a rule for the same slot and target already in this policy is
    /// an error (`duplicate`), naming both sources.
    pub fn add_rollout(&mut self, rollout: Rollout) -> Result<&mut Self, PolicyError> {
        if let Some(old) = self
            .rollouts
            .iter()
            .find(|r| r.slot == rollout.slot && r.target == rollout.target)
        {
            return Err(PolicyError::Rollout {
                input: rollout.describe(),
                reason: format!(
                    "duplicate rollout of {} ({} and {})",
                    rollout.name(),
                    old.source,
                    rollout.source
                ),
            });
        }
        self.rollouts.push(rollout);
        Ok(self)
    }

    /// Sets whether pre-releases may be selected.
    pub fn allow_prerelease(&mut self, allow: bool, source: Source) -> &mut Self {
        self.allow_prerelease = Some((allow, source));
        self
    }

    /// Whether pre-releases may be selected.
    pub fn prereleases_allowed(&self) -> bool {
        self.allow_prerelease
            .as_ref()
            .is_some_and(|(allow, _)| *allow)
    }

    /// The first rollout covering `version` of `slot` that does not admit the host,
    /// with why (every covering rule must admit it).
    pub fn rollout_exclusion(
        &self,
        slot: &str,
        version: &Version,
        facts: &Facts,
    ) -> Option<(&Rollout, NotAdmitted)> {
        let shared = self.rollout_salt.as_ref().map(|(s, _)| s.as_str());
        self.rollouts
            .iter()
            .filter(|r| r.slot == slot && r.target.matches(version))
            .find_map(|r| r.admits(facts, shared).err().map(|why| (r, why)))
    }

    /// Whether a rollout naming this pre-release admits the host (which allows the
    /// pre-release there, as a pin naming it does).
    pub fn rollout_admits_prerelease(&self, slot: &str, version: &Version, facts: &Facts) -> bool {
        self.rollouts
            .iter()
            .any(|r| r.slot == slot && r.target.names_prerelease(version))
            && self.rollout_exclusion(slot, version, facts).is_none()
    }

    /// The deny rule that excludes `version` of `slot`, if any (by semver precedence).
    pub fn denial(&self, slot: &str, version: &Version) -> Option<&Deny> {
        self.denies
            .get(slot)?
            .iter()
            .find(|d| d.version.cmp_precedence(version).is_eq())
    }
}
