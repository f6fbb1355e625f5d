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

use std::path::{Path, PathBuf};

use muster::{Policy, VersionSpec};

use crate::error::BadInput;

/// The three policy layers; the file layer can be reloaded while running.
#[derive(Debug, Clone)]
pub struct PolicyLayers {
    /// `--policy FILE`, if given.
    pub file: Option<PathBuf>,
    /// From `MUSTER_PIN`, `MUSTER_DENY`, `MUSTER_ROLLOUT`, `MUSTER_ALLOW_PRERELEASE`,
    /// `MUSTER_METRICS_FILE`, `MUSTER_METRICS_INTERVAL_SECONDS`.
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

/// The flag layer: `--pin`, `--deny`, `--rollout`, `--allow-prerelease`, built by
/// [`Policy::from_flags`]. Refuses a pin naming a slot that is not compiled in, and a
/// deny or rollout naming no compiled-in version ([`muster::check_compiled`]: the
/// message names the flag and lists what is compiled in); and two rollouts of one
/// slot and version (`duplicate`).
pub fn flag_policy(
    pins: &[PinFlag],
    denies: &[DenyFlag],
    rollouts: &[RolloutFlag],
    allow_prerelease: bool,
) -> Result<Policy, BadInput> {
    let refused = |flag: &str, shown: &dyn std::fmt::Display, e: &dyn std::fmt::Display| {
        BadInput(format!("{flag} {shown}: {e}"))
    };
    for pin in pins {
        muster::compiled_slot(&pin.slot).map_err(|e| refused("--pin", pin, &e))?;
    }
    for deny in denies {
        muster::check_compiled(&deny.slot, &VersionSpec::Exact(deny.version.clone()))
            .map_err(|e| refused("--deny", deny, &e))?;
    }
    for r in rollouts {
        muster::check_compiled(&r.slot, &r.target).map_err(|e| refused("--rollout", r, &e))?;
    }
    Policy::from_flags(pins, denies, rollouts, allow_prerelease).map_err(|e| {
        // Only a rollout can be refused here (a duplicate): name the flag.
        BadInput(format!("--rollout: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use clap::Args as _;

    use crate::command::PolicyArgs;
    use muster::{
        DENY_ENV, METRICS_FILE_ENV, METRICS_INTERVAL_ENV, PIN_ENV, PRERELEASE_ENV, ROLLOUT_ENV,
    };

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
        for var in [METRICS_FILE_ENV, METRICS_INTERVAL_ENV] {
            assert!(env.contains(&format!("`{var}`")), "{var}: {env}");
        }
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
