//! Error kinds the binary maps to its documented exit codes: the operator kit's
//! ([`muster_kit::error`]) and edge-agent's own (`run`'s).

pub use muster_kit::error::{BadInput, NoAcceptableVersion};

/// The agent's own executable was replaced; it stopped so a supervisor restarts it.
#[derive(Debug, thiserror::Error)]
#[error("executable replaced ({0}); exiting for restart")]
pub struct Upgraded(pub String);

/// `run --once` left inputs in `incoming/` (exit code 5).
#[derive(Debug, thiserror::Error)]
#[error(
    "{0} input(s) left unprocessed in incoming/ (kept for the next run; see the unit_kept events)"
)]
pub struct InputsLeft(pub u64);

#[cfg(test)]
mod tests {
    use crate::error::{InputsLeft, Upgraded};

    /// The messages operators see (and scripts may match): the text exactly, no source.
    #[test]
    fn messages_are_exact() {
        let upgraded = Upgraded("/usr/local/bin/edge-agent changed".to_owned());
        assert_eq!(
            upgraded.to_string(),
            "executable replaced (/usr/local/bin/edge-agent changed); exiting for restart"
        );
        assert!(std::error::Error::source(&upgraded).is_none());
        let left = InputsLeft(3);
        assert_eq!(
            left.to_string(),
            "3 input(s) left unprocessed in incoming/ (kept for the next run; see the \
             unit_kept events)"
        );
        assert!(std::error::Error::source(&left).is_none());
    }
}
