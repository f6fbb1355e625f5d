//! The error kinds of the operator commands: a host maps them to its documented exit
//! codes (bad input: 4, no acceptable version: 3).

/// A file or value the operator supplied is invalid (exit code 4).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

/// A slot has no acceptable version (exit code 3).
#[derive(Debug, thiserror::Error)]
#[error("no acceptable version for slot(s): {}", .0.join(", "))]
pub struct NoAcceptableVersion(pub Vec<String>);

#[cfg(test)]
mod tests {
    use crate::error::{BadInput, NoAcceptableVersion};

    /// The messages operators see (and scripts may match): the text exactly, no source.
    #[test]
    fn messages_are_exact() {
        let bad = BadInput("--pin x=^1: no such slot".to_owned());
        assert_eq!(bad.to_string(), "--pin x=^1: no such slot");
        assert!(std::error::Error::source(&bad).is_none());
        let none = NoAcceptableVersion(vec!["checksum".to_owned(), "uplink".to_owned()]);
        assert_eq!(
            none.to_string(),
            "no acceptable version for slot(s): checksum, uplink"
        );
        assert!(std::error::Error::source(&none).is_none());
    }
}
