//! Error kinds the binary maps to its documented exit codes: the operator kit's
//! ([`muster::cli::error`]) and edge-agent's own (`run`'s).

use std::fmt;

pub use muster::cli::error::{BadInput, NoAcceptableVersion};

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
