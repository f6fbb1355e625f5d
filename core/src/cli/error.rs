//! The error kinds of the operator commands: a host maps them to its documented exit
//! codes (bad input: 4, no acceptable version: 3).

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
