//! The policy file: its TOML schema, strict (unknown keys refused), and how it reads
//! into a [`Policy`], every error naming the file and the key.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::policy::error::PolicyError;
use crate::policy::model::Policy;
use crate::policy::parse::{check_slot, parse_deny, parse_pin};
use crate::policy::source::Source;
use crate::rollout::{Rollout, Share, VersionSpec};

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
    metrics_file: Option<std::path::PathBuf>,
    #[serde(default)]
    metrics_interval_seconds: Option<u64>,
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
    /// Parses a TOML policy; `path` names the file in errors and rule sources.
    ///
    /// ```toml
    /// allow_prerelease = false
    /// quarantine_seconds = 600   # optional; default: no expiry
    /// quarantine_strikes = 2     # optional, 1..=100; default 2
    /// metrics_file = "/var/lib/prometheus/node-exporter/my-host.prom" # optional
    /// metrics_interval_seconds = 15 # optional; the host checks the range
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
        if let Some(path) = file.metrics_file {
            if path.as_os_str().is_empty() {
                return Err(file_err(
                    "key `metrics_file`: must not be empty (omit it for no metrics)".to_owned(),
                ));
            }
            policy.metrics_file = Some((path, source.clone()));
        }
        if let Some(seconds) = file.metrics_interval_seconds {
            policy.metrics_interval_seconds = Some((seconds, source.clone()));
        }
        for (i, rule) in file.rollout.iter().enumerate() {
            let key = format!("rollout[{i}] ({}@{})", rule.slot, rule.version);
            check_slot(rule.slot.trim()).map_err(|e| file_err(format!("key `{key}.slot`: {e}")))?;
            let target = VersionSpec::parse(&rule.version)
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
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use semver::Version;

    use crate::policy::model::Policy;
    use crate::policy::source::Source;

    #[test]
    fn metrics_keys_name_the_file_and_interval() {
        let path = Path::new("policy.toml");
        let p = Policy::from_toml(
            "metrics_file = \"/var/lib/node/m.prom\"\nmetrics_interval_seconds = 15\n",
            path,
        )
        .unwrap();
        let source = Source::File(path.into());
        assert_eq!(
            p.metrics_file,
            Some(("/var/lib/node/m.prom".into(), source.clone()))
        );
        assert_eq!(p.metrics_interval_seconds, Some((15, source)));
        let e = Policy::from_toml("metrics_file = \"\"\n", path)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("policy.toml") && e.contains("key `metrics_file`"),
            "{e}"
        );
        let e = Policy::from_toml("metrics_interval_seconds = -1\n", path)
            .unwrap_err()
            .to_string();
        assert!(e.contains("metrics_interval_seconds"), "{e}");
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
}
