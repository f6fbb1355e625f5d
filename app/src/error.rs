//! Error kinds the binary maps to its documented exit codes.

use std::fmt;

/// A file or value the operator supplied is invalid (exit code 4).
#[derive(Debug)]
pub struct BadInput(pub String);

impl fmt::Display for BadInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

/// A slot has no acceptable version (exit code 3).
#[derive(Debug)]
pub struct NoAcceptableVersion(pub Vec<String>);

impl fmt::Display for NoAcceptableVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no acceptable version for slot(s): {}",
            self.0.join(", ")
        )
    }
}

impl std::error::Error for NoAcceptableVersion {}

/// The agent's own executable was replaced; it stopped so a supervisor restarts it.
#[derive(Debug)]
pub struct Upgraded(pub String);

impl fmt::Display for Upgraded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "executable replaced ({}); exiting for restart", self.0)
    }
}

impl std::error::Error for Upgraded {}

/// `run --once` left inputs in `incoming/` (exit code 5).
#[derive(Debug)]
pub struct InputsLeft(pub u64);

impl fmt::Display for InputsLeft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} input(s) left unprocessed in incoming/ (kept for the next run; see the unit_kept events)",
            self.0
        )
    }
}

impl std::error::Error for InputsLeft {}
