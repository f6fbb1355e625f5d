//! Why a plugin version turned the host down.

use std::fmt;

/// A human-readable reason a plugin version is not acceptable (or failed to start).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    reason: String,
}

impl Rejection {
    /// A rejection with the given reason, e.g. `"needs a GPU this host lacks"`.
    pub fn new(reason: impl Into<String>) -> Rejection {
        Rejection {
            reason: reason.into(),
        }
    }

    /// The reason.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for Rejection {}

impl From<String> for Rejection {
    fn from(reason: String) -> Rejection {
        Rejection::new(reason)
    }
}

impl From<&str> for Rejection {
    fn from(reason: &str) -> Rejection {
        Rejection::new(reason)
    }
}
