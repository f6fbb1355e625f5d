//! The string forms of policy rules, as flags, variables and files write them:
//! `SLOT=REQ` pins, `SLOT@VERSION` denies, and the slot-name rule they share with the
//! macro (`muster_names::check_slot_name`).

use muster_names::BadSlotName;
use semver::{Version, VersionReq};

use crate::policy::error::PolicyError;

pub(crate) fn check_slot(slot: &str) -> Result<(), String> {
    // The one rule (`muster_names::check_slot_name`), the macro's too; the messages
    // are this parser's own.
    match muster_names::check_slot_name(slot) {
        Ok(()) => Ok(()),
        Err(BadSlotName::Empty) => Err("the slot name is empty".to_owned()),
        Err(BadSlotName::Character(_)) => Err(format!(
            "`{slot}` is not a slot name (lowercase letters, digits, `_`, `-`)"
        )),
        Err(BadSlotName::Start) => Err(format!(
            "`{slot}` is not a slot name (it starts with a lowercase letter)"
        )),
    }
}

/// Parses `SLOT=REQ`, e.g. `showcase=^0.1`.
pub(crate) fn parse_pin(input: &str) -> Result<(String, VersionReq), PolicyError> {
    let err = |reason: String| PolicyError::Pin {
        input: input.to_owned(),
        reason,
    };
    let (slot, req) = input
        .split_once('=')
        .ok_or_else(|| err("expected SLOT=REQ, for example `showcase=^0.1`".to_owned()))?;
    let slot = slot.trim();
    check_slot(slot).map_err(err)?;
    let req_text = req.trim();
    let req = VersionReq::parse(req_text)
        .map_err(|e| err(format!("`{req_text}` is not a version requirement: {e}")))?;
    Ok((slot.to_owned(), req))
}

/// Parses `SLOT@VERSION`, e.g. `showcase@0.3.0`.
pub(crate) fn parse_deny(input: &str) -> Result<(String, Version), PolicyError> {
    let err = |reason: String| PolicyError::Deny {
        input: input.to_owned(),
        reason,
    };
    let (slot, version) = input
        .split_once('@')
        .ok_or_else(|| err("expected SLOT@VERSION, for example `showcase@0.3.0`".to_owned()))?;
    let slot = slot.trim();
    check_slot(slot).map_err(err)?;
    let text = version.trim();
    let version =
        Version::parse(text).map_err(|e| err(format!("`{text}` is not a version: {e}")))?;
    Ok((slot.to_owned(), version))
}

/// A pin as a flag or `MUSTER_PIN` entry writes it (`SLOT=REQ`, e.g. `showcase=^0.1`), parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinFlag {
    /// The slot.
    pub slot: String,
    /// The requirement.
    pub req: VersionReq,
}

impl std::str::FromStr for PinFlag {
    type Err = PolicyError;

    fn from_str(s: &str) -> Result<PinFlag, PolicyError> {
        let (slot, req) = parse_pin(s)?;
        Ok(PinFlag { slot, req })
    }
}

/// `SLOT=REQ`, as parsed.
impl std::fmt::Display for PinFlag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", self.slot, self.req)
    }
}

/// A deny as a flag or `MUSTER_DENY` entry writes it (`SLOT@VERSION`, e.g.
/// `showcase@0.3.0`), parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DenyFlag {
    /// The slot.
    pub slot: String,
    /// The denied version.
    pub version: Version,
}

impl std::str::FromStr for DenyFlag {
    type Err = PolicyError;

    fn from_str(s: &str) -> Result<DenyFlag, PolicyError> {
        let (slot, version) = parse_deny(s)?;
        Ok(DenyFlag { slot, version })
    }
}

/// `SLOT@VERSION`, as parsed.
impl std::fmt::Display for DenyFlag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.slot, self.version)
    }
}

#[cfg(test)]
mod tests {
    use semver::Version;

    use crate::policy::parse::{check_slot, parse_deny, parse_pin};

    #[test]
    fn pins_and_denies_parse() {
        let (slot, req) = parse_pin("showcase=^0.1").unwrap();
        assert_eq!(slot, "showcase");
        assert!(req.matches(&Version::parse("0.1.7").unwrap()));
        assert!(!req.matches(&Version::parse("0.2.0").unwrap()));
        let (slot, v) = parse_deny(" showcase @ 0.3.0 ").unwrap();
        assert_eq!((slot.as_str(), v), ("showcase", Version::new(0, 3, 0)));
    }

    #[test]
    fn errors_quote_the_bad_part() {
        let e = parse_pin("showcase=^x.1").unwrap_err().to_string();
        assert!(e.contains("`^x.1`") && e.contains("showcase=^x.1"), "{e}");
        let e = parse_pin("showcase").unwrap_err().to_string();
        assert!(e.contains("SLOT=REQ"), "{e}");
        let e = parse_pin("Show Case=1").unwrap_err().to_string();
        assert!(e.contains("`Show Case`"), "{e}");
        let e = parse_deny("showcase@0.3").unwrap_err().to_string();
        assert!(e.contains("`0.3`"), "{e}");
        let e = parse_deny("showcase=0.3.0").unwrap_err().to_string();
        assert!(e.contains("SLOT@VERSION"), "{e}");
        let e = parse_deny("@0.3.0").unwrap_err().to_string();
        assert!(e.contains("empty"), "{e}");
    }

    /// The policy parser follows the macro's rule (`muster_names::check_slot_name`):
    /// a slot name starts with a letter, so `1x` and `-x` are refused everywhere.
    #[test]
    fn slot_names_start_with_a_letter_as_in_the_macro() {
        for bad in ["1x", "-x", "_x"] {
            let e = check_slot(bad).unwrap_err();
            assert_eq!(
                e,
                format!("`{bad}` is not a slot name (it starts with a lowercase letter)")
            );
            let e = parse_pin(&format!("{bad}=^1")).unwrap_err().to_string();
            assert!(e.contains(&format!("`{bad}`")), "{e}");
            assert!(parse_deny(&format!("{bad}@1.0.0")).is_err());
            assert!(crate::rollout::parse_rollout(&format!("{bad}@1.0.0=10%")).is_err());
        }
        assert_eq!(check_slot("x1"), Ok(()));
        assert_eq!(check_slot(""), Err("the slot name is empty".to_owned()));
    }
}
