//! Staged rollouts: a policy rule that admits a version on a share of hosts only.
//!
//! A host's *bucket* for a rule is a stable number in `0.00 ..= 99.99`:
//! the first 8 bytes of SHA-256 of `SALT:HOST_ID` (a big-endian `u64`), modulo
//! 10,000, in hundredths of a percent. The host is admitted when its bucket is below
//! the share. The salt defaults to the rule's `SLOT@VERSION` text (so different
//! rollouts pick different hosts); a shared salt moves rings together. Nothing but
//! the host id and the salt goes in, so a host's decision is the same across
//! restarts, reloads and machines (a fleet preview buckets exactly as the host),
//! and raising the share only adds hosts.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use semver::{Version, VersionReq};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::Facts;
use crate::policy::error::PolicyError;
use crate::policy::parse::check_slot;
use crate::policy::source::Source;

/// Environment variable with comma-separated rollouts (`showcase@0.10.0=10%`).
pub const ROLLOUT_ENV: &str = "MUSTER_ROLLOUT";

/// Buckets per host and rule: shares have a resolution of 0.01 %.
pub const BUCKETS: u32 = 10_000;

/// The versions a rule names: one exact version or a requirement (a rollout's
/// `version`; also how a pin or deny is checked against what is compiled in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionSpec {
    /// Exactly this version (by semver precedence): `0.10.0`.
    Exact(Version),
    /// Every version matching a requirement: `^0.10`, `>=1.2, <2`.
    Req(VersionReq),
}

impl VersionSpec {
    /// Parses an exact version (`0.10.0`) or, failing that, a requirement (`^0.10`).
    pub fn parse(text: &str) -> Result<VersionSpec, String> {
        let text = text.trim();
        if let Ok(version) = Version::parse(text) {
            return Ok(VersionSpec::Exact(version));
        }
        VersionReq::parse(text)
            .map(VersionSpec::Req)
            .map_err(|e| format!("`{text}` is neither a version nor a version requirement: {e}"))
    }

    /// Whether the rule covers `version`.
    pub fn matches(&self, version: &Version) -> bool {
        match self {
            VersionSpec::Exact(v) => v.cmp_precedence(version).is_eq(),
            VersionSpec::Req(req) => req.matches(version),
        }
    }

    /// Whether the rule names this pre-release itself (which admits it, like a pin).
    pub fn names_prerelease(&self, version: &Version) -> bool {
        !version.pre.is_empty() && self.matches(version)
    }
}

impl fmt::Display for VersionSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VersionSpec::Exact(v) => write!(f, "{v}"),
            VersionSpec::Req(r) => write!(f, "{r}"),
        }
    }
}

impl Serialize for VersionSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A share of hosts, in hundredths of a percent (`1000` is 10 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Share(u32);

impl Share {
    /// A share from basis points (0 ..= 10,000).
    pub fn from_basis_points(bp: u32) -> Option<Share> {
        (bp <= BUCKETS).then_some(Share(bp))
    }

    /// A share from a percentage, 0 to 100 with at most two decimals.
    pub fn from_percent(percent: f64) -> Result<Share, String> {
        if !percent.is_finite() || !(0.0..=100.0).contains(&percent) {
            return Err(format!("share {percent} is outside 0–100 %"));
        }
        let scaled = percent * 100.0;
        let rounded = scaled.round();
        if (scaled - rounded).abs() > 1e-6 {
            return Err(format!(
                "share {percent} has more than two decimals (the resolution is 0.01 %)"
            ));
        }
        Ok(Share(rounded as u32))
    }

    /// Parses `10%`, `10`, `2.5%`.
    pub fn parse(text: &str) -> Result<Share, String> {
        let t = text.trim();
        let number = t.strip_suffix('%').unwrap_or(t).trim();
        let percent: f64 = number
            .parse()
            .map_err(|_| format!("`{t}` is not a share (a percentage such as `10%`)"))?;
        Share::from_percent(percent).map_err(|e| format!("`{t}`: {e}"))
    }

    /// Hundredths of a percent.
    pub fn basis_points(self) -> u32 {
        self.0
    }

    /// As a percentage.
    pub fn percent(self) -> f64 {
        f64::from(self.0) / 100.0
    }
}

impl fmt::Display for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", Bucket(self.0))
    }
}

impl Serialize for Share {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.percent())
    }
}

/// A host's position for one rule, `0 ..` [`BUCKETS`]; shown as a percentage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Bucket(pub u32);

impl fmt::Display for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, frac) = (self.0 / 100, self.0 % 100);
        if frac == 0 {
            write!(f, "{whole}")
        } else if frac % 10 == 0 {
            write!(f, "{whole}.{}", frac / 10)
        } else {
            write!(f, "{whole}.{frac:02}")
        }
    }
}

/// The bucket of `host_id` under `salt` (see the module docs for the formula).
pub fn bucket(salt: &str, host_id: &str) -> Bucket {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update(b":");
    hasher.update(host_id.as_bytes());
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    Bucket((u64::from_be_bytes(first) % u64::from(BUCKETS)) as u32)
}

/// One rollout rule: `slot` at `target` only on `share` of the hosts that match
/// `labels`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rollout {
    /// The slot.
    pub slot: String,
    /// The version or requirement the rule covers.
    pub target: VersionSpec,
    /// The share of (matching) hosts admitted.
    pub share: Share,
    /// Only hosts with all these labels are eligible; others are not admitted.
    pub labels: BTreeMap<String, String>,
    /// The rule's own salt; `None`: the policy's shared salt, else `SLOT@TARGET`.
    pub salt: Option<String>,
    /// Where it came from.
    pub source: Source,
}

/// Why a rollout does not admit a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotAdmitted {
    /// The host lacks a label the rule requires (`(key, required, host's value)`).
    Label(String, String, Option<String>),
    /// The host's bucket is outside the share.
    Share(Bucket),
}

impl Rollout {
    /// `SLOT@TARGET`, the rule's name in reports and its default salt.
    pub fn name(&self) -> String {
        format!("{}@{}", self.slot, self.target)
    }

    /// The salt in force, given the policy's shared salt.
    pub fn effective_salt(&self, shared: Option<&str>) -> String {
        self.salt
            .clone()
            .or_else(|| shared.map(str::to_owned))
            .unwrap_or_else(|| self.name())
    }

    /// The compiled-in versions of the slot this rule covers, newest first.
    pub fn covered_versions(&self) -> Vec<String> {
        crate::slots()
            .iter()
            .filter(|s| s.name == self.slot)
            .flat_map(|s| s.entries())
            .map(|e| e.version())
            .filter(|v| self.target.matches(v))
            .map(|v| v.to_string())
            .collect()
    }

    /// Whether the host matches the rule's label conditions.
    pub fn eligible(&self, facts: &Facts) -> bool {
        self.labels
            .iter()
            .all(|(k, v)| facts.labels.get(k).is_some_and(|have| have == v))
    }

    /// Whether the rule admits the host; the error says why not.
    pub fn admits(&self, facts: &Facts, shared_salt: Option<&str>) -> Result<Bucket, NotAdmitted> {
        for (key, value) in &self.labels {
            let have = facts.labels.get(key);
            if have.is_none_or(|have| have != value) {
                return Err(NotAdmitted::Label(
                    key.clone(),
                    value.clone(),
                    have.cloned(),
                ));
            }
        }
        let b = bucket(&self.effective_salt(shared_salt), &facts.host_id);
        if b.0 < self.share.basis_points() {
            Ok(b)
        } else {
            Err(NotAdmitted::Share(b))
        }
    }

    /// The rule as one line: `showcase@0.10.0 on 10% if ring=canary (salt s)`.
    pub fn describe(&self) -> String {
        let mut text = format!("{} on {}", self.name(), self.share);
        if !self.labels.is_empty() {
            let conds: Vec<String> = self
                .labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            text.push_str(&format!(" if {}", conds.join(",")));
        }
        if let Some(salt) = &self.salt {
            text.push_str(&format!(" (salt {salt})"));
        }
        text
    }

    /// The human reason a host is not admitted.
    pub fn reason(&self, why: &NotAdmitted) -> String {
        match why {
            NotAdmitted::Label(key, want, have) => format!(
                "rollout {} ({}): host {} (needs {key}={want})",
                self.describe(),
                self.source,
                match have {
                    Some(v) => format!("has {key}={v}"),
                    None => format!("has no {key} label"),
                }
            ),
            NotAdmitted::Share(b) => format!(
                "rollout {} ({}): host bucket {b} is outside the {} share",
                self.describe(),
                self.source,
                self.share
            ),
        }
    }
}

/// Parses the flag/environment form `SLOT@VERSION_OR_REQ=SHARE`, e.g.
/// `showcase@0.10.0=10%` or `showcase@^0.10=25%`.
pub(crate) fn parse_rollout(input: &str) -> Result<(String, VersionSpec, Share), PolicyError> {
    let err = |reason: String| PolicyError::Rollout {
        input: input.to_owned(),
        reason,
    };
    let usage = "expected SLOT@VERSION=SHARE, for example `showcase@0.10.0=10%`";
    let (rule, share) = input
        .rsplit_once('=')
        .ok_or_else(|| err(usage.to_owned()))?;
    let (slot, target) = rule.split_once('@').ok_or_else(|| err(usage.to_owned()))?;
    let slot = slot.trim();
    check_slot(slot).map_err(err)?;
    // `>=1.2` holds a `=`: only the last `=` separates the share.
    let target = VersionSpec::parse(target).map_err(err)?;
    let share = Share::parse(share).map_err(err)?;
    Ok((slot.to_owned(), target, share))
}

/// A rollout as a flag or `MUSTER_ROLLOUT` entry writes it (`SLOT@VERSION=SHARE` or
/// `SLOT@REQ=SHARE`, e.g. `showcase@0.10.0=10%`), parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutFlag {
    /// The slot.
    pub slot: String,
    /// The version or requirement.
    pub target: VersionSpec,
    /// The share of hosts.
    pub share: Share,
}

impl FromStr for RolloutFlag {
    type Err = PolicyError;

    fn from_str(s: &str) -> Result<RolloutFlag, PolicyError> {
        let (slot, target, share) = parse_rollout(s)?;
        Ok(RolloutFlag {
            slot,
            target,
            share,
        })
    }
}

/// `SLOT@TARGET=SHARE`, as parsed (the share with its `%`).
impl fmt::Display for RolloutFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}={}", self.slot, self.target, self.share)
    }
}

#[cfg(test)]
mod tests {
    use crate::rollout::{Bucket, Share, VersionSpec, bucket, parse_rollout};

    #[test]
    fn shares_parse_with_percent_and_two_decimals_at_most() {
        assert_eq!(Share::parse("10%").unwrap().basis_points(), 1000);
        assert_eq!(Share::parse(" 2.5 % ").unwrap().basis_points(), 250);
        assert_eq!(Share::parse("100").unwrap().basis_points(), 10_000);
        assert_eq!(Share::parse("0").unwrap().basis_points(), 0);
        for bad in ["101%", "-1%", "NaN", "ten", "1.005%", "inf"] {
            assert!(Share::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Share::parse("2.5%").unwrap().to_string(), "2.5%");
        assert_eq!(Bucket(4217).to_string(), "42.17");
    }

    #[test]
    fn targets_are_exact_versions_or_requirements() {
        assert!(matches!(
            VersionSpec::parse("0.10.0"),
            Ok(VersionSpec::Exact(_))
        ));
        assert!(matches!(
            VersionSpec::parse("^0.10"),
            Ok(VersionSpec::Req(_))
        ));
        assert!(VersionSpec::parse("zero").is_err());
        let (slot, target, share) = parse_rollout("showcase@>=0.10, <1=25%").unwrap();
        assert_eq!((slot.as_str(), share.basis_points()), ("showcase", 2500));
        assert_eq!(target.to_string(), ">=0.10, <1");
        for bad in [
            "showcase@0.10.0",
            "showcase=10%",
            "Show@1.0.0=1%",
            "s@1.0.0=200%",
        ] {
            let e = parse_rollout(bad).unwrap_err().to_string();
            assert!(e.contains(bad), "{e}");
        }
    }

    #[test]
    fn the_bucket_formula_is_the_documented_one() {
        // sha256("showcase@0.10.0:host-1"), first 8 bytes big-endian, mod 10,000,
        // computed independently with Python's hashlib.
        assert_eq!(bucket("showcase@0.10.0", "host-1"), Bucket(EXPECTED));
        assert!(bucket("a", "x").0 < 10_000);
    }

    const EXPECTED: u32 = 4596;
}
