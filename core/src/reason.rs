//! Stable, machine-readable reason codes: one per way a candidate version ends up
//! where it did. The human reason beside it may change wording; the code does not.

use std::fmt;

use serde::Serialize;

/// Why a candidate has its [`Outcome`](crate::Outcome), as a stable code.
///
/// The codes, their outcomes and their meaning are listed in [`ReasonCode::ALL`]
/// (and the operator guide's table, which a test keeps in step with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReasonCode {
    /// This version was chosen.
    Selected,
    /// Older than the selected version, so not tried.
    NewerSelected,
    /// Excluded by a deny rule.
    Denied,
    /// Excluded: outside the slot's pin.
    PinMismatch,
    /// Excluded: a pre-release, and pre-releases are not allowed.
    Prerelease,
    /// Excluded: a staged rollout does not admit this host.
    Rollout,
    /// Excluded: quarantined after misbehaving at run time.
    Quarantined,
    /// Rejected: the same version is registered by more than one crate.
    Ambiguous,
    /// Rejected: a `requires` entry the host does not meet (the fact is named).
    RequirementUnmet,
    /// Rejected: the constructor panicked.
    ConstructorPanicked,
    /// Rejected: the `is_acceptable` hook returned a rejection.
    HookRejected,
    /// Rejected: the `is_acceptable` hook panicked.
    HookPanicked,
    /// Rejected: the `start` hook returned an error.
    StartFailed,
    /// Rejected: the `start` hook panicked.
    StartPanicked,
}

impl ReasonCode {
    /// Every code with its outcome and a one-line meaning, in documentation order.
    pub const ALL: &'static [(ReasonCode, &'static str, &'static str)] = &[
        (ReasonCode::Selected, "selected", "this version was chosen"),
        (
            ReasonCode::NewerSelected,
            "not_tried",
            "older than the selected version",
        ),
        (ReasonCode::Denied, "excluded", "a deny rule names it"),
        (
            ReasonCode::PinMismatch,
            "excluded",
            "outside the slot's pin",
        ),
        (
            ReasonCode::Prerelease,
            "excluded",
            "a pre-release, and pre-releases are not allowed",
        ),
        (
            ReasonCode::Rollout,
            "excluded",
            "a staged rollout does not admit this host (rule, share and bucket named)",
        ),
        (
            ReasonCode::Quarantined,
            "excluded",
            "quarantined after a panic or `Unhealthy` at run time",
        ),
        (
            ReasonCode::Ambiguous,
            "rejected",
            "the same version is registered by more than one crate",
        ),
        (
            ReasonCode::RequirementUnmet,
            "rejected",
            "a `requires` entry the host does not meet; `fact` names it",
        ),
        (
            ReasonCode::ConstructorPanicked,
            "rejected",
            "the constructor panicked",
        ),
        (
            ReasonCode::HookRejected,
            "rejected",
            "the plugin's `is_acceptable` hook turned the host down",
        ),
        (
            ReasonCode::HookPanicked,
            "rejected",
            "the `is_acceptable` hook panicked",
        ),
        (
            ReasonCode::StartFailed,
            "rejected",
            "the `start` hook returned an error",
        ),
        (
            ReasonCode::StartPanicked,
            "rejected",
            "the `start` hook panicked",
        ),
    ];

    /// The code as it appears in JSON and logs, e.g. `pin_mismatch`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::Selected => "selected",
            ReasonCode::NewerSelected => "newer_selected",
            ReasonCode::Denied => "denied",
            ReasonCode::PinMismatch => "pin_mismatch",
            ReasonCode::Prerelease => "prerelease",
            ReasonCode::Rollout => "rollout",
            ReasonCode::Quarantined => "quarantined",
            ReasonCode::Ambiguous => "ambiguous",
            ReasonCode::RequirementUnmet => "requirement_unmet",
            ReasonCode::ConstructorPanicked => "constructor_panicked",
            ReasonCode::HookRejected => "hook_rejected",
            ReasonCode::HookPanicked => "hook_panicked",
            ReasonCode::StartFailed => "start_failed",
            ReasonCode::StartPanicked => "start_panicked",
        }
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use crate::reason::ReasonCode;

    #[test]
    fn serde_spelling_is_as_str_and_every_code_is_listed_once() {
        for (i, (code, outcome, meaning)) in ReasonCode::ALL.iter().enumerate() {
            let json = serde_json::to_string(code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert!(!meaning.is_empty() && !outcome.is_empty());
            assert!(
                ReasonCode::ALL[..i].iter().all(|(c, ..)| c != code),
                "{code} listed twice"
            );
        }
        assert_eq!(ReasonCode::ALL.len(), 14);
    }

    /// The operator guide's table is this list, row for row.
    #[test]
    fn the_operator_guide_documents_every_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/operator.md");
        let guide = std::fs::read_to_string(path).unwrap();
        let start = guide.find("<!-- reason-codes").expect("table start marker");
        let end = guide
            .find("<!-- /reason-codes -->")
            .expect("table end marker");
        let rows: Vec<&str> = guide[start..end]
            .lines()
            .filter(|l| l.starts_with("| `"))
            .collect();
        let expected: Vec<String> = ReasonCode::ALL
            .iter()
            .map(|(code, outcome, meaning)| format!("| `{code}` | `{outcome}` | {meaning} |"))
            .collect();
        assert_eq!(
            rows, expected,
            "docs/operator.md reason-code table is stale"
        );
    }
}
