//! Why a policy string, variable or file was refused.

use std::path::PathBuf;

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
