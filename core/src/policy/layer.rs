//! The flag and environment layers of a policy, and how layers stack: flags over
//! environment over file.

use std::collections::BTreeMap;

use crate::policy::error::PolicyError;
use crate::policy::model::Policy;
use crate::policy::parse::{DenyFlag, PinFlag, parse_deny, parse_pin};
use crate::policy::source::Source;
use crate::rollout::{ROLLOUT_ENV, Rollout, RolloutFlag, parse_rollout};

/// Environment variable with comma-separated pins (`showcase=^0.1,checksum=~1.2`).
pub const PIN_ENV: &str = "MUSTER_PIN";
/// Environment variable with comma-separated denies (`showcase@0.10.0`).
pub const DENY_ENV: &str = "MUSTER_DENY";
/// Environment variable allowing pre-releases (`1`, `true`, `0`, `false`).
pub const PRERELEASE_ENV: &str = "MUSTER_ALLOW_PRERELEASE";
/// Environment variable naming the metrics file (`metrics_file`).
pub const METRICS_FILE_ENV: &str = "MUSTER_METRICS_FILE";
/// Environment variable with the metrics interval in seconds (`metrics_interval_seconds`).
pub const METRICS_INTERVAL_ENV: &str = "MUSTER_METRICS_INTERVAL_SECONDS";

impl Policy {
    /// The flag layer: `--pin`, `--deny`, `--rollout` and `--allow-prerelease`, parsed
    /// (each flag type is [`FromStr`](std::str::FromStr)); every rule's source is
    /// [`Source::Flag`]. Refuses two rollouts of one slot and target. Whether the slots
    /// and versions are compiled in is the caller's check ([`check_compiled`](crate::check_compiled)):
    /// an operator tool refuses such a flag, a library may only warn
    /// ([`unknown_rules`](Policy::unknown_rules)).
    pub fn from_flags(
        pins: &[PinFlag],
        denies: &[DenyFlag],
        rollouts: &[RolloutFlag],
        allow_prerelease: bool,
    ) -> Result<Policy, PolicyError> {
        let mut policy = Policy::new();
        for pin in pins {
            policy.pin(pin.slot.clone(), pin.req.clone(), Source::Flag);
        }
        for deny in denies {
            policy.deny(deny.slot.clone(), deny.version.clone(), Source::Flag);
        }
        for r in rollouts {
            policy.add_rollout(Rollout {
                slot: r.slot.clone(),
                target: r.target.clone(),
                share: r.share,
                labels: BTreeMap::new(),
                salt: None,
                source: Source::Flag,
            })?;
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
        policy.add_metrics_env_values(
            get(METRICS_FILE_ENV)?.as_deref(),
            get(METRICS_INTERVAL_ENV)?.as_deref(),
        )?;
        Ok(policy)
    }

    /// Adds the rollouts of a `MUSTER_ROLLOUT` value (comma-separated
    /// `SLOT@VERSION=SHARE`).
    pub fn add_rollouts_env_value(&mut self, value: &str) -> Result<&mut Self, PolicyError> {
        let env_err = |e: PolicyError| PolicyError::Env {
            var: ROLLOUT_ENV.to_owned(),
            reason: e.to_string(),
        };
        for rule in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (slot, target, share) = parse_rollout(rule).map_err(env_err)?;
            self.add_rollout(Rollout {
                slot,
                target,
                share,
                labels: BTreeMap::new(),
                salt: None,
                source: Source::Env(ROLLOUT_ENV.to_owned()),
            })
            .map_err(env_err)?;
        }
        Ok(self)
    }

    /// Sets the metrics file and interval from `MUSTER_METRICS_FILE` and
    /// `MUSTER_METRICS_INTERVAL_SECONDS`, given their values (`None` or empty: unset).
    pub fn add_metrics_env_values(
        &mut self,
        file: Option<&str>,
        interval: Option<&str>,
    ) -> Result<&mut Self, PolicyError> {
        if let Some(file) = file.map(str::trim).filter(|f| !f.is_empty()) {
            self.metrics_file = Some((file.into(), Source::Env(METRICS_FILE_ENV.to_owned())));
        }
        if let Some(text) = interval.map(str::trim).filter(|i| !i.is_empty()) {
            let seconds = text.parse().map_err(|_| PolicyError::Env {
                var: METRICS_INTERVAL_ENV.to_owned(),
                reason: format!("`{text}` is not a whole number of seconds"),
            })?;
            self.metrics_interval_seconds =
                Some((seconds, Source::Env(METRICS_INTERVAL_ENV.to_owned())));
        }
        Ok(self)
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
        if over.metrics_file.is_some() {
            self.metrics_file = over.metrics_file;
        }
        if over.metrics_interval_seconds.is_some() {
            self.metrics_interval_seconds = over.metrics_interval_seconds;
        }
        if over.rollout_salt.is_some() {
            self.rollout_salt = over.rollout_salt;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use semver::Version;

    use crate::policy::error::PolicyError;
    use crate::policy::model::Policy;
    use crate::policy::source::Source;

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
    fn metrics_env_values_and_layering() {
        let mut env = Policy::new();
        env.add_metrics_env_values(Some(" /run/m.prom "), Some("30"))
            .unwrap();
        let var = |v: &str| Source::Env(v.into());
        assert_eq!(
            env.metrics_file,
            Some(("/run/m.prom".into(), var("MUSTER_METRICS_FILE")))
        );
        assert_eq!(
            env.metrics_interval_seconds,
            Some((30, var("MUSTER_METRICS_INTERVAL_SECONDS")))
        );
        let e = Policy::new()
            .add_metrics_env_values(None, Some("soon"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("MUSTER_METRICS_INTERVAL_SECONDS") && e.contains("soon"),
            "{e}"
        );
        let file = Policy::from_toml(
            "metrics_file = \"/f.prom\"\nmetrics_interval_seconds = 5\n",
            Path::new("p.toml"),
        )
        .unwrap();
        let p = file.layered(env);
        assert_eq!(p.metrics_interval_seconds.unwrap().0, 30);
        assert_eq!(
            p.metrics_file.unwrap().0,
            std::path::PathBuf::from("/run/m.prom")
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
        let flags = Policy::from_flags(
            &["showcase=^0.10".parse().unwrap()],
            &["showcase@0.1.0".parse().unwrap()],
            &["showcase@0.10.0=5%".parse().unwrap()],
            false,
        )
        .unwrap();
        let p = file.layered(env).layered(flags);
        assert_eq!(p.pins["showcase"].req.to_string(), "^0.10");
        assert_eq!(p.pins["showcase"].source, Source::Flag);
        assert_eq!(p.pins["checksum"].source, Source::File("p.toml".into()));
        assert_eq!(p.denies["showcase"].len(), 2);
        assert!(p.prereleases_allowed());
        assert_eq!(p.rollouts.len(), 1);
        assert_eq!(p.rollouts[0].source, Source::Flag);
    }
}
