//! Where the effective policy comes from: flags over environment over file; and the
//! `--pin`/`--deny`/`--rollout` flags, parsed once into typed values and checked against what is
//! compiled in.
//!
//! A flag is one operator's intent for this binary, so a flag naming a slot (or, for a
//! deny, a version) that is not compiled in is refused ([`BadInput`]): a mistyped
//! rollback must not look like one. The policy file and the `MUSTER_*` environment only
//! warn: both are typically shared across a fleet whose binaries hold different sets
//! (one policy file, one systemd `EnvironmentFile` pushed to every host), and a rule for
//! a slot one binary lacks must not stop that binary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use muster::{Policy, Rollout, Source};
use semver::Version;

use crate::error::BadInput;

/// The three policy layers; the file layer can be reloaded while running.
#[derive(Debug, Clone)]
pub struct PolicyLayers {
    /// `--policy FILE`, if given.
    pub file: Option<PathBuf>,
    /// From `MUSTER_PIN`, `MUSTER_DENY`, `MUSTER_ROLLOUT`, `MUSTER_ALLOW_PRERELEASE`.
    pub env: Policy,
    /// From `--pin`, `--deny`, `--rollout`, `--allow-prerelease`.
    pub flags: Policy,
}

impl PolicyLayers {
    /// Reads the environment layer of this process; `flags` are already parsed.
    pub fn new(file: Option<PathBuf>, flags: Policy) -> Result<PolicyLayers, BadInput> {
        let env = Policy::from_env().map_err(|e| BadInput(e.to_string()))?;
        Ok(PolicyLayers { file, env, flags })
    }

    /// Reads the file layer (if any) and layers everything.
    pub fn load(&self) -> Result<Policy, BadInput> {
        let file = match &self.file {
            Some(path) => read_policy_file(path)?,
            None => Policy::new(),
        };
        Ok(self.with_file(file))
    }

    /// Layers an already-parsed file policy under the environment and flags.
    pub fn with_file(&self, file: Policy) -> Policy {
        file.layered(self.env.clone()).layered(self.flags.clone())
    }
}

/// Reads and parses a TOML policy file.
pub fn read_policy_file(path: &Path) -> Result<Policy, BadInput> {
    Policy::from_file(path).map_err(|e| BadInput(e.to_string()))
}

pub use muster::{DenyFlag, PinFlag, RolloutFlag};

/// The flag layer: `--pin`, `--deny`, `--rollout`, `--allow-prerelease`. Refuses a
/// pin, deny or rollout naming a slot that is not compiled in, and a deny or rollout
/// naming no compiled-in version, naming the flag and listing what is compiled in;
/// and two rollouts of one slot and version (`duplicate`).
pub fn flag_policy(
    pins: &[PinFlag],
    denies: &[DenyFlag],
    rollouts: &[RolloutFlag],
    allow_prerelease: bool,
) -> Result<Policy, BadInput> {
    let slots = muster::slots();
    let slot_names = || slots.iter().map(|s| s.name).collect::<Vec<_>>().join(", ");
    let find = |flag: &str, shown: String, slot: &str| {
        slots.iter().find(|s| s.name == slot).ok_or_else(|| {
            BadInput(format!(
                "{flag} {shown}: no slot `{slot}` is compiled in (slots: {})",
                slot_names()
            ))
        })
    };
    let mut policy = Policy::new();
    for pin in pins {
        find("--pin", format!("{}={}", pin.slot, pin.req), &pin.slot)?;
        policy.pin(pin.slot.clone(), pin.req.clone(), Source::Flag);
    }
    for deny in denies {
        let shown = format!("{}@{}", deny.slot, deny.version);
        let info = find("--deny", shown.clone(), &deny.slot)?;
        let versions: Vec<&str> = info.plugins().iter().map(|m| m.version()).collect();
        let compiled_in = versions
            .iter()
            .any(|v| Version::parse(v).is_ok_and(|v| v.cmp_precedence(&deny.version).is_eq()));
        if !compiled_in {
            return Err(BadInput(format!(
                "--deny {shown}: slot `{}` has no version {} compiled in (versions: {})",
                deny.slot,
                deny.version,
                versions.join(", ")
            )));
        }
        policy.deny(deny.slot.clone(), deny.version.clone(), Source::Flag);
    }
    for r in rollouts {
        let shown = format!("{}@{}={}", r.slot, r.target, r.share);
        let info = find("--rollout", shown.clone(), &r.slot)?;
        let versions: Vec<&str> = info.plugins().iter().map(|m| m.version()).collect();
        let covers = versions
            .iter()
            .any(|v| Version::parse(v).is_ok_and(|v| r.target.matches(&v)));
        if !covers {
            return Err(BadInput(format!(
                "--rollout {shown}: slot `{}` has no version matching {} compiled in (versions: {})",
                r.slot,
                r.target,
                versions.join(", ")
            )));
        }
        policy
            .add_rollout(Rollout {
                slot: r.slot.clone(),
                target: r.target.clone(),
                share: r.share,
                labels: BTreeMap::new(),
                salt: None,
                source: Source::Flag,
            })
            .map_err(|e| BadInput(format!("--rollout {shown}: {e}")))?;
    }
    if allow_prerelease {
        policy.allow_prerelease(true, Source::Flag);
    }
    Ok(policy)
}

#[cfg(test)]
mod tests {
    use clap::Args as _;

    use crate::command::PolicyArgs;
    use muster::{DENY_ENV, PIN_ENV, PRERELEASE_ENV, ROLLOUT_ENV};

    /// The doc comment just above `field` in this file.
    fn field_doc(field: &str) -> String {
        let source = include_str!("policy.rs");
        let at = source.find(field).expect("the field");
        let doc: Vec<&str> = source[..at]
            .lines()
            .rev()
            .map(str::trim)
            .take_while(|l| l.starts_with("///"))
            .collect();
        doc.join(" ")
    }

    /// The layers' documentation (and `--policy`'s help) names every variable the
    /// environment layer reads and every flag of the flag layer.
    #[test]
    fn the_layer_docs_name_every_variable_and_flag() {
        let env = field_doc("    pub env: Policy,");
        let flags = field_doc("    pub flags: Policy,");
        let cmd = PolicyArgs::augment_args(clap::Command::new("host"));
        let policy_help = cmd
            .get_arguments()
            .find(|a| a.get_id() == "policy")
            .and_then(|a| a.get_help())
            .unwrap()
            .to_string();
        for var in [PIN_ENV, DENY_ENV, ROLLOUT_ENV, PRERELEASE_ENV] {
            assert!(env.contains(&format!("`{var}`")), "{var}: {env}");
            assert!(policy_help.contains(var), "{var}: {policy_help}");
        }
        let layered: Vec<String> = cmd
            .get_arguments()
            .filter_map(|a| a.get_long())
            .filter(|long| *long != "policy")
            .map(|long| format!("`--{long}`"))
            .collect();
        assert_eq!(layered.len(), 4, "{layered:?}");
        for flag in layered {
            assert!(flags.contains(&flag), "{flag}: {flags}");
        }
    }
}
