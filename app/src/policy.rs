//! Where the effective policy comes from: flags over environment over file.

use std::path::{Path, PathBuf};

use muster::Policy;

use crate::error::BadInput;

/// The three policy layers; the file layer can be reloaded while running.
#[derive(Debug, Clone)]
pub struct PolicyLayers {
    /// `--policy FILE`, if given.
    pub file: Option<PathBuf>,
    /// From `MUSTER_PIN`, `MUSTER_DENY`, `MUSTER_ALLOW_PRERELEASE`.
    pub env: Policy,
    /// From `--pin`, `--deny`, `--allow-prerelease`.
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
