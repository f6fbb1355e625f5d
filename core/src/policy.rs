//! Operator policy: per-slot version pins, denied versions, pre-releases, staged
//! rollouts.
//!
//! Policies come from strings (`showcase=^0.1`, `showcase@0.3.0`), from the
//! environment, or from a TOML file, and are layered: flags over environment over
//! file. Every rule remembers where it came from, so reports can say so.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use semver::{Version, VersionReq};
use serde::{Deserialize, Serialize};

use crate::Facts;
use crate::rollout::{NotAdmitted, ROLLOUT_ENV, Rollout, Share, Target, parse_rollout};

/// Environment variable with comma-separated pins (`showcase=^0.1,checksum=~1.2`).
pub const PIN_ENV: &str = "MUSTER_PIN";
/// Environment variable with comma-separated denies (`showcase@0.10.0`).
pub const DENY_ENV: &str = "MUSTER_DENY";
/// Environment variable allowing pre-releases (`1`, `true`, `0`, `false`).
pub const PRERELEASE_ENV: &str = "MUSTER_ALLOW_PRERELEASE";

/// Where a policy rule came from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "name")]
pub enum Source {
    /// A command-line flag.
    Flag,
    /// An environment variable.
    Env(String),
    /// A policy file.
    File(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag => f.write_str("flag"),
            Source::Env(var) => write!(f, "env {var}"),
            Source::File(path) => write!(f, "file {}", path.display()),
        }
    }
}

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
    /// Staged rollouts, at most one per slot and target.
    pub rollouts: Vec<Rollout>,
    /// A salt shared by every rollout without its own, and who set it; `None`: each
    /// rule salts with its own `SLOT@TARGET`.
    pub rollout_salt: Option<(String, Source)>,
}

/// A policy string, variable or file is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// A pin is not `SLOT=REQ`.
    #[error("invalid pin `{input}`: {reason}")]
    Pin {
        /// The whole pin as given.
        input: String,
        /// What is wrong, quoting the bad part.
        reason: String,
    },
    /// A deny is not `SLOT@VERSION`.
    #[error("invalid deny `{input}`: {reason}")]
    Deny {
        /// The whole deny as given.
        input: String,
        /// What is wrong, quoting the bad part.
        reason: String,
    },
    /// A rollout is not `SLOT@VERSION=SHARE` (or a file rule is malformed).
    #[error("invalid rollout `{input}`: {reason}")]
    Rollout {
        /// The whole rule as given.
        input: String,
        /// What is wrong, quoting the bad part.
        reason: String,
    },
    /// An environment variable holds an invalid value.
    #[error("invalid {var}: {reason}")]
    Env {
        /// The variable.
        var: String,
        /// What is wrong.
        reason: String,
    },
    /// A policy file could not be read or parsed.
    #[error("invalid policy file {path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong (with line, column and key where known).
        reason: String,
    },
}

pub(crate) fn check_slot(slot: &str) -> Result<(), String> {
    if slot.is_empty() {
        return Err("the slot name is empty".to_owned());
    }
    if !slot
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
    {
        return Err(format!(
            "`{slot}` is not a slot name (lowercase letters, digits, `_`, `-`)"
        ));
    }
    Ok(())
}

/// Parses `SLOT=REQ`, e.g. `showcase=^0.1`.
pub(crate) fn parse_pin(input: &str) -> Result<(String, VersionReq), PolicyError> {
    let err = |reason: String| PolicyError::Pin {
        input: input.to_owned(),
        reason,
    };
    let (slot, req) = input
        .split_once('=')
        .ok_or_else(|| err("expected SLOT=REQ, for example `showcase=^0.1`".to_owned()))?;
    let slot = slot.trim();
    check_slot(slot).map_err(err)?;
    let req_text = req.trim();
    let req = VersionReq::parse(req_text)
        .map_err(|e| err(format!("`{req_text}` is not a version requirement: {e}")))?;
    Ok((slot.to_owned(), req))
}

/// Parses `SLOT@VERSION`, e.g. `showcase@0.3.0`.
pub(crate) fn parse_deny(input: &str) -> Result<(String, Version), PolicyError> {
    let err = |reason: String| PolicyError::Deny {
        input: input.to_owned(),
        reason,
    };
    let (slot, version) = input
        .split_once('@')
        .ok_or_else(|| err("expected SLOT@VERSION, for example `showcase@0.3.0`".to_owned()))?;
    let slot = slot.trim();
    check_slot(slot).map_err(err)?;
    let text = version.trim();
    let version =
        Version::parse(text).map_err(|e| err(format!("`{text}` is not a version: {e}")))?;
    Ok((slot.to_owned(), version))
}

/// A pin as a flag or `MUSTER_PIN` entry writes it (`SLOT=REQ`, e.g. `showcase=^0.1`), parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinFlag {
    /// The slot.
    pub slot: String,
    /// The requirement.
    pub req: VersionReq,
}

impl FromStr for PinFlag {
    type Err = PolicyError;

    fn from_str(s: &str) -> Result<PinFlag, PolicyError> {
        let (slot, req) = parse_pin(s)?;
        Ok(PinFlag { slot, req })
    }
}

/// A deny as a flag or `MUSTER_DENY` entry writes it (`SLOT@VERSION`, e.g.
/// `showcase@0.3.0`), parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DenyFlag {
    /// The slot.
    pub slot: String,
    /// The denied version.
    pub version: Version,
}

impl FromStr for DenyFlag {
    type Err = PolicyError;

    fn from_str(s: &str) -> Result<DenyFlag, PolicyError> {
        let (slot, version) = parse_deny(s)?;
        Ok(DenyFlag { slot, version })
    }
}

/// The on-disk policy file format.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    allow_prerelease: Option<bool>,
    #[serde(default)]
    quarantine_seconds: Option<u64>,
    #[serde(default)]
    quarantine_strikes: Option<i64>,
    #[serde(default)]
    pin: BTreeMap<String, String>,
    #[serde(default)]
    deny: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    rollout_salt: Option<String>,
    #[serde(default)]
    rollout: Vec<RolloutFile>,
}

/// One `[[rollout]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RolloutFile {
    slot: String,
    version: String,
    share: f64,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    salt: Option<String>,
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

    /// Adds rollouts in the flag form (`showcase@0.10.0=10%`), all from `source`.
    pub fn add_rollout_strings<R: AsRef<str>>(
        &mut self,
        rules: &[R],
        source: &Source,
    ) -> Result<&mut Self, PolicyError> {
        for rule in rules {
            let (slot, target, share) = parse_rollout(rule.as_ref())?;
            self.add_rollout(Rollout {
                slot,
                target,
                share,
                labels: BTreeMap::new(),
                salt: None,
                source: source.clone(),
            })?;
        }
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

    /// A policy from command-line strings (`--pin`, `--deny`, `--allow-prerelease`).
    pub fn from_flags<P: AsRef<str>, D: AsRef<str>>(
        pins: &[P],
        denies: &[D],
        allow_prerelease: bool,
    ) -> Result<Policy, PolicyError> {
        let mut policy = Policy::new();
        for pin in pins {
            let (slot, req) = parse_pin(pin.as_ref())?;
            policy.pin(slot, req, Source::Flag);
        }
        for deny in denies {
            let (slot, version) = parse_deny(deny.as_ref())?;
            policy.deny(slot, version, Source::Flag);
        }
        if allow_prerelease {
            policy.allow_prerelease(true, Source::Flag);
        }
        Ok(policy)
    }

    /// A policy from `MUSTER_PIN`, `MUSTER_DENY` and `MUSTER_ALLOW_PRERELEASE`, given
    /// their values (`None` when unset). Lists are comma-separated.
    pub fn from_env_values(
        pins: Option<&str>,
        denies: Option<&str>,
        allow_prerelease: Option<&str>,
    ) -> Result<Policy, PolicyError> {
        let mut policy = Policy::new();
        let env_err = |var: &str, e: PolicyError| PolicyError::Env {
            var: var.to_owned(),
            reason: e.to_string(),
        };
        for pin in pins
            .into_iter()
            .flat_map(|s| s.split(','))
            .filter(|s| !s.trim().is_empty())
        {
            let (slot, req) = parse_pin(pin.trim()).map_err(|e| env_err(PIN_ENV, e))?;
            policy.pin(slot, req, Source::Env(PIN_ENV.to_owned()));
        }
        for deny in denies
            .into_iter()
            .flat_map(|s| s.split(','))
            .filter(|s| !s.trim().is_empty())
        {
            let (slot, version) = parse_deny(deny.trim()).map_err(|e| env_err(DENY_ENV, e))?;
            policy.deny(slot, version, Source::Env(DENY_ENV.to_owned()));
        }
        if let Some(value) = allow_prerelease {
            let allow = match value.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => true,
                "0" | "false" | "no" | "off" | "" => false,
                other => {
                    return Err(PolicyError::Env {
                        var: PRERELEASE_ENV.to_owned(),
                        reason: format!("`{other}` is not a boolean (use 1/0, true/false)"),
                    });
                }
            };
            policy.allow_prerelease(allow, Source::Env(PRERELEASE_ENV.to_owned()));
        }
        Ok(policy)
    }

    /// A policy from this process's environment.
    pub fn from_env() -> Result<Policy, PolicyError> {
        let get = |var: &str| match std::env::var(var) {
            Ok(v) => Ok(Some(v)),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(PolicyError::Env {
                var: var.to_owned(),
                reason: "the value is not valid UTF-8".to_owned(),
            }),
        };
        let (pins, denies, pre) = (get(PIN_ENV)?, get(DENY_ENV)?, get(PRERELEASE_ENV)?);
        let mut policy =
            Policy::from_env_values(pins.as_deref(), denies.as_deref(), pre.as_deref())?;
        if let Some(rollouts) = get(ROLLOUT_ENV)? {
            policy.add_rollouts_env_value(&rollouts)?;
        }
        Ok(policy)
    }

    /// Adds the rollouts of a `MUSTER_ROLLOUT` value (comma-separated
    /// `SLOT@VERSION=SHARE`).
    pub fn add_rollouts_env_value(&mut self, value: &str) -> Result<&mut Self, PolicyError> {
        let rules: Vec<&str> = value
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        self.add_rollout_strings(&rules, &Source::Env(ROLLOUT_ENV.to_owned()))
            .map_err(|e| PolicyError::Env {
                var: ROLLOUT_ENV.to_owned(),
                reason: e.to_string(),
            })
    }

    /// Parses a TOML policy; `path` names the file in errors and rule sources.
    ///
    /// ```toml
    /// allow_prerelease = false
    /// quarantine_seconds = 600   # optional; default: no expiry
    /// quarantine_strikes = 2     # optional, 1..=100; default 2
    /// [pin]
    /// showcase = "^0.1"
    /// [deny]
    /// checksum = ["1.1.0"]
    /// [[rollout]]                  # staged: only on a share of hosts
    /// slot = "showcase"
    /// version = "0.10.0"           # or a requirement, "^0.10"
    /// share = 10                   # percent, 0–100, at most two decimals
    /// labels = { ring = "canary" } # optional: only hosts with these labels
    /// salt = "wave-1"              # optional (default: top-level rollout_salt, else "showcase@0.10.0")
    /// ```
    pub fn from_toml(text: &str, path: &Path) -> Result<Policy, PolicyError> {
        let file_err = |reason: String| PolicyError::File {
            path: path.to_owned(),
            reason,
        };
        let file: PolicyFile =
            toml::from_str(text).map_err(|e| file_err(e.to_string().trim_end().to_owned()))?;
        let source = Source::File(path.to_owned());
        let mut policy = Policy::new();
        for (slot, req) in &file.pin {
            let (slot, req) = parse_pin(&format!("{slot}={req}"))
                .map_err(|e| file_err(format!("key `pin.{slot}`: {e}")))?;
            policy.pin(slot, req, source.clone());
        }
        for (slot, versions) in &file.deny {
            for version in versions {
                let (slot, version) = parse_deny(&format!("{slot}@{version}"))
                    .map_err(|e| file_err(format!("key `deny.{slot}`: {e}")))?;
                policy.deny(slot, version, source.clone());
            }
        }
        if let Some(seconds) = file.quarantine_seconds {
            if seconds == 0 {
                return Err(file_err(
                    "key `quarantine_seconds`: must be at least 1 (omit it for no expiry)"
                        .to_owned(),
                ));
            }
            policy.quarantine_seconds = Some((seconds, source.clone()));
        }
        if let Some(strikes) = file.quarantine_strikes {
            let max = Self::MAX_QUARANTINE_STRIKES;
            let n = u32::try_from(strikes)
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| {
                    file_err(format!(
                        "key `quarantine_strikes`: {strikes} is out of range (1 to {max}; omit it for the default {})",
                        Self::DEFAULT_QUARANTINE_STRIKES
                    ))
                })?;
            policy.quarantine_strikes = Some((n, source.clone()));
        }
        for (i, rule) in file.rollout.iter().enumerate() {
            let key = format!("rollout[{i}] ({}@{})", rule.slot, rule.version);
            check_slot(rule.slot.trim()).map_err(|e| file_err(format!("key `{key}.slot`: {e}")))?;
            let target = Target::parse(&rule.version)
                .map_err(|e| file_err(format!("key `{key}.version`: {e}")))?;
            let share = Share::from_percent(rule.share)
                .map_err(|e| file_err(format!("key `{key}.share`: {e}")))?;
            if let Some(k) = rule.labels.keys().find(|k| k.is_empty()) {
                return Err(file_err(format!(
                    "key `{key}.labels`: label name {k:?} is empty"
                )));
            }
            if rule.salt.as_deref().is_some_and(|s| s.trim().is_empty()) {
                return Err(file_err(format!(
                    "key `{key}.salt`: must not be empty (omit it)"
                )));
            }
            policy
                .add_rollout(Rollout {
                    slot: rule.slot.trim().to_owned(),
                    target,
                    share,
                    labels: rule.labels.clone(),
                    salt: rule.salt.clone(),
                    source: source.clone(),
                })
                .map_err(|e| file_err(format!("key `{key}`: {e}")))?;
        }
        if let Some(salt) = file.rollout_salt {
            if salt.trim().is_empty() {
                return Err(file_err(
                    "key `rollout_salt`: must not be empty (omit it)".to_owned(),
                ));
            }
            policy.rollout_salt = Some((salt, source.clone()));
        }
        if let Some(allow) = file.allow_prerelease {
            policy.allow_prerelease(allow, source);
        }
        Ok(policy)
    }

    /// Reads and parses a TOML policy file.
    pub fn from_file(path: &Path) -> Result<Policy, PolicyError> {
        let bytes =
            crate::input::read_input_file(path, crate::input::MAX_INPUT_BYTES).map_err(|e| {
                PolicyError::File {
                    path: path.to_owned(),
                    reason: e.to_string(),
                }
            })?;
        let text = String::from_utf8(bytes).map_err(|e| PolicyError::File {
            path: path.to_owned(),
            reason: format!("not valid UTF-8 (byte {})", e.utf8_error().valid_up_to()),
        })?;
        Policy::from_toml(&text, path)
    }

    /// Layers `over` on top of `self`: its pins replace same-slot pins, its denies
    /// are added, its pre-release switch wins when set. Use as
    /// `file.layered(env).layered(flags)`.
    pub fn layered(mut self, over: Policy) -> Policy {
        self.pins.extend(over.pins);
        for (slot, denies) in over.denies {
            for d in denies {
                self.deny(slot.clone(), d.version, d.source);
            }
        }
        if over.allow_prerelease.is_some() {
            self.allow_prerelease = over.allow_prerelease;
        }
        if over.quarantine_seconds.is_some() {
            self.quarantine_seconds = over.quarantine_seconds;
        }
        if over.quarantine_strikes.is_some() {
            self.quarantine_strikes = over.quarantine_strikes;
        }
        for rollout in over.rollouts {
            self.rollouts
                .retain(|r| !(r.slot == rollout.slot && r.target == rollout.target));
            self.rollouts.push(rollout);
        }
        if over.rollout_salt.is_some() {
            self.rollout_salt = over.rollout_salt;
        }
        self
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

    /// Rules that name slots or versions not compiled into this binary. Such rules
    /// would otherwise be silently ignored; callers report them.
    pub fn unknown_rules(&self) -> Vec<String> {
        let slots = crate::slots();
        let mut problems = Vec::new();
        let known = |slot: &str| slots.iter().find(|s| s.name == slot);
        for (slot, pin) in &self.pins {
            match known(slot) {
                None => problems.push(format!(
                    "pin {slot}={} ({}) names a slot that is not compiled in",
                    pin.req, pin.source
                )),
                Some(info) => {
                    if !info.entries().iter().any(|e| pin.req.matches(&e.version())) {
                        problems.push(format!(
                            "pin {slot}={} ({}) matches no compiled-in version",
                            pin.req, pin.source
                        ));
                    }
                }
            }
        }
        for (slot, denies) in &self.denies {
            let Some(info) = known(slot) else {
                problems.push(format!(
                    "deny of slot {slot} ({}) names a slot that is not compiled in",
                    denies[0].source
                ));
                continue;
            };
            for d in denies {
                if !info
                    .entries()
                    .iter()
                    .any(|e| e.version().cmp_precedence(&d.version).is_eq())
                {
                    problems.push(format!(
                        "deny {slot}@{} ({}) names a version that is not compiled in",
                        d.version, d.source
                    ));
                }
            }
        }
        for r in &self.rollouts {
            match known(&r.slot) {
                None => problems.push(format!(
                    "rollout {} ({}) names a slot that is not compiled in",
                    r.describe(),
                    r.source
                )),
                Some(info) => {
                    if !info
                        .entries()
                        .iter()
                        .any(|e| r.target.matches(&e.version()))
                    {
                        problems.push(format!(
                            "rollout {} ({}) matches no compiled-in version",
                            r.describe(),
                            r.source
                        ));
                    }
                }
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use semver::Version;

    use crate::policy::{Policy, PolicyError, Source, parse_deny, parse_pin};

    #[test]
    fn pins_and_denies_parse() {
        let (slot, req) = parse_pin("showcase=^0.1").unwrap();
        assert_eq!(slot, "showcase");
        assert!(req.matches(&Version::parse("0.1.7").unwrap()));
        assert!(!req.matches(&Version::parse("0.2.0").unwrap()));
        let (slot, v) = parse_deny(" showcase @ 0.3.0 ").unwrap();
        assert_eq!((slot.as_str(), v), ("showcase", Version::new(0, 3, 0)));
    }

    #[test]
    fn errors_quote_the_bad_part() {
        let e = parse_pin("showcase=^x.1").unwrap_err().to_string();
        assert!(e.contains("`^x.1`") && e.contains("showcase=^x.1"), "{e}");
        let e = parse_pin("showcase").unwrap_err().to_string();
        assert!(e.contains("SLOT=REQ"), "{e}");
        let e = parse_pin("Show Case=1").unwrap_err().to_string();
        assert!(e.contains("`Show Case`"), "{e}");
        let e = parse_deny("showcase@0.3").unwrap_err().to_string();
        assert!(e.contains("`0.3`"), "{e}");
        let e = parse_deny("showcase=0.3.0").unwrap_err().to_string();
        assert!(e.contains("SLOT@VERSION"), "{e}");
        let e = parse_deny("@0.3.0").unwrap_err().to_string();
        assert!(e.contains("empty"), "{e}");
    }

    #[test]
    fn env_values_are_comma_separated() {
        let p = Policy::from_env_values(
            Some("showcase=^0.1, checksum=1"),
            Some("uplink@1.0.0"),
            Some("true"),
        )
        .unwrap();
        assert_eq!(p.pins.len(), 2);
        assert_eq!(p.pins["showcase"].source, Source::Env("MUSTER_PIN".into()));
        assert!(p.denial("uplink", &Version::new(1, 0, 0)).is_some());
        assert!(p.prereleases_allowed());
        let e = Policy::from_env_values(None, Some("uplink@x"), None).unwrap_err();
        assert!(
            matches!(&e, PolicyError::Env { var, .. } if var == "MUSTER_DENY"),
            "{e}"
        );
        let e = Policy::from_env_values(None, None, Some("maybe"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("MUSTER_ALLOW_PRERELEASE") && e.contains("maybe"),
            "{e}"
        );
    }

    #[test]
    fn toml_files_are_strict_and_name_the_file_and_key() {
        let path = Path::new("policy.toml");
        let p = Policy::from_toml(
            "allow_prerelease = true\n[pin]\nshowcase = \"^0.1\"\n[deny]\nchecksum = [\"1.1.0\"]\n",
            path,
        )
        .unwrap();
        assert_eq!(p.pins["showcase"].source, Source::File(path.into()));
        assert!(p.denial("checksum", &Version::new(1, 1, 0)).is_some());
        let p = Policy::from_toml("quarantine_seconds = 90\n", path).unwrap();
        assert_eq!(p.quarantine_seconds, Some((90, Source::File(path.into()))));
        let e = Policy::from_toml("quarantine_seconds = 0\n", path)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("policy.toml") && e.contains("quarantine_seconds"),
            "{e}"
        );
        assert_eq!(Policy::new().strikes_limit(), 2);
        let p = Policy::from_toml("quarantine_strikes = 3\n", path).unwrap();
        assert_eq!(p.strikes_limit(), 3);
        for bad in ["0", "101", "-1", "99999999999"] {
            let e = Policy::from_toml(&format!("quarantine_strikes = {bad}\n"), path)
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("policy.toml")
                    && e.contains("key `quarantine_strikes`")
                    && e.contains(bad)
                    && e.contains("1 to 100"),
                "{e}"
            );
        }
        let e = Policy::from_toml("[pins]\nshowcase = \"^0.1\"\n", path)
            .unwrap_err()
            .to_string();
        assert!(e.contains("policy.toml") && e.contains("pins"), "{e}");
        let e = Policy::from_toml("[pin]\nshowcase = \"^zero\"\n", path)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("policy.toml") && e.contains("pin.showcase") && e.contains("^zero"),
            "{e}"
        );
        let e = Policy::from_toml("[deny]\nshowcase = \"0.1.0\"\n", path)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("policy.toml") && e.contains("line 2") && e.contains("sequence"),
            "{e}"
        );
    }

    #[test]
    fn rollout_rules_are_strict_and_name_the_file_rule_and_key() {
        let path = Path::new("policy.toml");
        let p = Policy::from_toml(
            "rollout_salt = \"ring\"\n[[rollout]]\nslot = \"showcase\"\nversion = \"^0.10\"\nshare = 12.5\nlabels = { ring = \"canary\" }\n",
            path,
        )
        .unwrap();
        assert_eq!(p.rollouts[0].share.basis_points(), 1250);
        assert_eq!(p.rollouts[0].labels["ring"], "canary");
        assert_eq!(p.rollout_salt.as_ref().unwrap().0, "ring");
        let rule = |body: &str| {
            Policy::from_toml(&format!("[[rollout]]\n{body}\n"), path)
                .unwrap_err()
                .to_string()
        };
        for (body, expect) in [
            (
                "slot = \"showcase\"\nversion = \"0.10.0\"\nshare = 101",
                "rollout[0] (showcase@0.10.0).share",
            ),
            (
                "slot = \"showcase\"\nversion = \"0.10.0\"\nshare = -5",
                "outside 0–100",
            ),
            (
                "slot = \"showcase\"\nversion = \"0.10.0\"\nshare = 1.234",
                "two decimals",
            ),
            ("slot = \"showcase\"\nversion = \"ten\"\nshare = 1", "`ten`"),
            ("slot = \"Show\"\nversion = \"1.0.0\"\nshare = 1", ".slot"),
            ("slot = \"showcase\"\nversion = \"1.0.0\"", "share"),
            (
                "slot = \"showcase\"\nversion = \"1.0.0\"\nshare = 1\npercent = 2",
                "percent",
            ),
            (
                "slot = \"showcase\"\nversion = \"1.0.0\"\nshare = \"10%\"",
                "share",
            ),
            (
                "slot = \"showcase\"\nversion = \"1.0.0\"\nshare = 1\nsalt = \"\"",
                ".salt",
            ),
        ] {
            let e = rule(body);
            assert!(
                e.contains("policy.toml") && e.contains(expect),
                "{body}: {e}"
            );
        }
        let e = Policy::from_toml("rollout_salt = \" \"\n", path)
            .unwrap_err()
            .to_string();
        assert!(e.contains("rollout_salt"), "{e}");
    }

    #[test]
    fn rollout_flags_and_env_values_name_the_rule() {
        let mut p = Policy::new();
        p.add_rollouts_env_value("showcase@0.10.0=10%, checksum@^1.2=50")
            .unwrap();
        assert_eq!(p.rollouts.len(), 2);
        assert_eq!(p.rollouts[1].source, Source::Env("MUSTER_ROLLOUT".into()));
        let e = Policy::new()
            .add_rollouts_env_value("showcase@0.10.0=150%")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("MUSTER_ROLLOUT")
                && e.contains("showcase@0.10.0=150%")
                && e.contains("0–100"),
            "{e}"
        );
        let e = Policy::new()
            .add_rollouts_env_value("showcase@0.10.0=1%,showcase@0.10.0=2%")
            .unwrap_err()
            .to_string();
        assert!(e.contains("duplicate rollout of showcase@0.10.0"), "{e}");
    }

    #[test]
    fn flags_override_env_which_overrides_file() {
        let file = Policy::from_toml(
            "allow_prerelease = true\n[pin]\nshowcase = \"^0.1\"\nchecksum = \"^1\"\n",
            Path::new("p.toml"),
        )
        .unwrap();
        let env =
            Policy::from_env_values(Some("showcase=^0.2"), Some("showcase@0.2.0"), None).unwrap();
        let flags = Policy::from_flags(&["showcase=^0.10"], &["showcase@0.1.0"], false).unwrap();
        let p = file.layered(env).layered(flags);
        assert_eq!(p.pins["showcase"].req.to_string(), "^0.10");
        assert_eq!(p.pins["showcase"].source, Source::Flag);
        assert_eq!(p.pins["checksum"].source, Source::File("p.toml".into()));
        assert_eq!(p.denies["showcase"].len(), 2);
        assert!(p.prereleases_allowed());
    }
}
