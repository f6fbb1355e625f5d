//! Operator policy: per-slot version pins, denied versions, pre-releases.
//!
//! Policies come from strings (`showcase=^0.1`, `showcase@0.3.0`), from the
//! environment, or from a TOML file, and are layered: flags over environment over
//! file. Every rule remembers where it came from, so reports can say so.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use semver::{Version, VersionReq};
use serde::{Deserialize, Serialize};

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

fn check_slot(slot: &str) -> Result<(), String> {
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
pub fn parse_pin(input: &str) -> Result<(String, VersionReq), PolicyError> {
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
pub fn parse_deny(input: &str) -> Result<(String, Version), PolicyError> {
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
        Policy::from_env_values(pins.as_deref(), denies.as_deref(), pre.as_deref())
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
        if let Some(allow) = file.allow_prerelease {
            policy.allow_prerelease(allow, source);
        }
        Ok(policy)
    }

    /// Reads and parses a TOML policy file.
    pub fn from_file(path: &Path) -> Result<Policy, PolicyError> {
        let bytes = crate::read_input_file(path, crate::MAX_INPUT_BYTES).map_err(|e| {
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
        self
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
                    if !info.entries().iter().any(|e| pin.req.matches(&e.version)) {
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
                    .any(|e| e.version.cmp_precedence(&d.version).is_eq())
                {
                    problems.push(format!(
                        "deny {slot}@{} ({}) names a version that is not compiled in",
                        d.version, d.source
                    ));
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
