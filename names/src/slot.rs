//! Slot names: the name a `#[muster::slot]` trait gets when it gives none, and the
//! rule every slot name follows, wherever it is written (`#[slot(name = "...")]`, a
//! policy's `--pin SLOT=REQ`, a policy file's `slot = "..."`).

use std::fmt;

/// The slot name of a trait named `ident`: snake case, an acronym kept as one word
/// (`UplinkV2` → `uplink_v2`, `HTTPClient` → `http_client`, `ABC` → `abc`).
pub fn slot_name(ident: &str) -> String {
    let chars: Vec<char> = ident.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if i > 0
                && (prev_lower || (next_lower && chars[i - 1].is_uppercase()))
                && !out.ends_with('_')
            {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Why a string is not a slot name (see [`check_slot_name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadSlotName {
    /// The name is empty.
    Empty,
    /// It holds a character other than a lowercase ASCII letter, a digit, `_` or `-`.
    Character(char),
    /// It does not start with a lowercase ASCII letter (`1x`, `-x`, `_x`).
    Start,
}

impl fmt::Display for BadSlotName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BadSlotName::Empty => f.write_str("the slot name is empty"),
            BadSlotName::Character(c) => write!(f, "`{c}` is not allowed in a slot name"),
            BadSlotName::Start => f.write_str("a slot name starts with a lowercase letter"),
        }
    }
}

/// The one rule for slot names: lowercase ASCII letters, digits, `_` and `-`, starting
/// with a letter (`checksum`, `uplink_v2`, `status-line`).
///
/// ```
/// use muster_names::{BadSlotName, check_slot_name};
/// assert_eq!(check_slot_name("uplink_v2"), Ok(()));
/// assert_eq!(check_slot_name("1x"), Err(BadSlotName::Start));
/// assert_eq!(check_slot_name("Uplink"), Err(BadSlotName::Character('U')));
/// ```
pub fn check_slot_name(name: &str) -> Result<(), BadSlotName> {
    if let Some(c) = name
        .chars()
        .find(|&c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'))
    {
        return Err(BadSlotName::Character(c));
    }
    match name.chars().next() {
        None => Err(BadSlotName::Empty),
        Some(c) if c.is_ascii_lowercase() => Ok(()),
        Some(_) => Err(BadSlotName::Start),
    }
}

#[cfg(test)]
mod tests {
    use crate::slot::{BadSlotName, check_slot_name, slot_name};

    #[test]
    fn slot_names() {
        assert_eq!(slot_name("Showcase"), "showcase");
        assert_eq!(slot_name("UplinkV2"), "uplink_v2");
        assert_eq!(slot_name("HTTPClient"), "http_client");
        assert_eq!(slot_name("Checksum"), "checksum");
        assert_eq!(slot_name("StatusLine"), "status_line");
        assert_eq!(slot_name("ABC"), "abc");
    }

    #[test]
    fn the_slot_name_rule() {
        for ok in ["a", "checksum", "uplink_v2", "status-line", "x1"] {
            assert_eq!(check_slot_name(ok), Ok(()), "{ok}");
        }
        assert_eq!(check_slot_name(""), Err(BadSlotName::Empty));
        for start in ["1x", "-x", "_x", "9"] {
            assert_eq!(check_slot_name(start), Err(BadSlotName::Start), "{start}");
        }
        assert_eq!(check_slot_name("a b"), Err(BadSlotName::Character(' ')));
        assert_eq!(check_slot_name("1X"), Err(BadSlotName::Character('X')));
    }

    /// Every name the default rule makes from a trait name is a valid slot name.
    #[test]
    fn derived_names_follow_the_rule() {
        for ident in ["Showcase", "UplinkV2", "HTTPClient", "StatusLine", "ABC"] {
            assert_eq!(check_slot_name(&slot_name(ident)), Ok(()), "{ident}");
        }
    }
}
