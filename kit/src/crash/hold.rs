//! Held slots: a slot whose every acceptable version on this host is quarantined
//! selects nothing, and the host keeps its inputs instead of calling it (or restarting
//! on it) — until the quarantine expires ([`expire`], one probe on probation), an
//! operator lifts it, or a new binary or policy brings an acceptable version.

use std::fmt;

use muster::{Policy, Quarantine, QuarantineEntry, ReasonCode, Report, SlotReport};
use semver::Version;
use serde::{Deserialize, Serialize};

use crate::crash::strikes::Strikes;

/// The code of a held slot in reports, events and metrics.
pub const HELD_CODE: &str = "held";

/// How long a hold lasts when the policy sets no `quarantine_seconds`: 15 minutes.
/// Then the held version is probed (on probation, so one that still kills the
/// process costs one restart per hold, not a crash loop); a slot is never held for
/// good by faults a host cannot tell from a `kill -9` from outside.
pub const DEFAULT_HOLD_SECONDS: u64 = 15 * 60;

/// How long a hold lasts under `policy`: its `quarantine_seconds`, else
/// [`DEFAULT_HOLD_SECONDS`].
pub fn hold_seconds(policy: &Policy) -> u64 {
    policy
        .quarantine_seconds
        .as_ref()
        .map_or(DEFAULT_HOLD_SECONDS, |(ttl, _)| *ttl)
}

/// A slot held by the quarantine: the version that would run but for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hold {
    /// Always [`HELD_CODE`] (for JSON readers that list codes).
    pub code: String,
    /// The slot.
    pub slot: String,
    /// The version that would run but for its quarantine.
    pub version: Version,
    /// Why it is quarantined.
    pub reason: String,
    /// Since when, in seconds since the Unix epoch.
    pub since_unix: u64,
    /// When the hold ends by itself and the version is probed ([`hold_seconds`]
    /// after `since_unix`).
    pub until_unix: u64,
}

impl fmt::Display for Hold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "slot {} is held: its last acceptable version {} is quarantined ({}); ",
            self.slot, self.version, self.reason
        )?;
        write!(
            f,
            "it is probed again at {} (Unix time), or sooner when the quarantine is \
             lifted or a new binary or policy brings an acceptable version",
            self.until_unix
        )
    }
}

/// The slots of `report` (decided with `quarantine`) that are held ([`hold_of`]),
/// in slot order.
pub fn holds(policy: &Policy, quarantine: &Quarantine, report: &Report) -> Vec<Hold> {
    report
        .slots
        .iter()
        .filter_map(|slot| hold_of(policy, quarantine, slot))
        .collect()
}

/// Whether the slot of `report` (decided with `quarantine`) is held: it selects
/// nothing while a version of it is excluded as quarantined; held on the newest such
/// version. Reads the report only: nothing is decided again and no plugin is
/// constructed (a held version may be one that kills the process when it is).
pub fn hold_of(policy: &Policy, quarantine: &Quarantine, report: &SlotReport) -> Option<Hold> {
    if report.selected.is_some() {
        return None;
    }
    let (version, entry) = report
        .tried()
        .iter()
        .filter(|c| c.code == ReasonCode::Quarantined)
        .filter_map(|c| Version::parse(c.version).ok())
        .filter_map(|v| Some((v.clone(), quarantine.get(report.slot, &v)?.clone())))
        .max_by(|(a, _), (b, _)| a.cmp_precedence(b))?;
    Some(Hold {
        code: HELD_CODE.to_owned(),
        slot: report.slot.to_owned(),
        version,
        reason: entry.reason,
        since_unix: entry.since_unix,
        until_unix: entry.since_unix.saturating_add(hold_seconds(policy)),
    })
}

/// Lifts the quarantines and forgets the strikes the policy's `quarantine_seconds`
/// expired at `now_unix`, and the quarantines of `holds` that ended (`until_unix`);
/// returns the quarantines lifted. A version lifted from a strikes quarantine (it had
/// the policy's limit of strikes) is on probation: it keeps one strike less than the
/// limit, dated now, so one more death quarantines it again at once — probing a held
/// slot costs one restart, not a round of them.
pub fn expire(
    quarantine: &mut Quarantine,
    strikes: &mut Strikes,
    policy: &Policy,
    holds: &[Hold],
    now_unix: u64,
) -> Vec<(String, QuarantineEntry)> {
    let ttl = policy.quarantine_seconds.as_ref().map(|(ttl, _)| *ttl);
    let mut lifted = ttl.map_or_else(Vec::new, |ttl| quarantine.expire(ttl, now_unix));
    for hold in holds.iter().filter(|h| h.until_unix <= now_unix) {
        lifted.extend(quarantine.remove(Some(&hold.slot), Some(&hold.version)));
    }
    let limit = policy.strikes_limit();
    let struck: Vec<(String, Version)> = lifted
        .iter()
        .filter(|(slot, e)| {
            strikes
                .get(slot, &e.version)
                .is_some_and(|s| s.count >= limit)
        })
        .map(|(slot, e)| (slot.clone(), e.version.clone()))
        .collect();
    if let Some(ttl) = ttl {
        strikes.expire(ttl, now_unix);
    }
    for (slot, version) in struck {
        let reason = "on probation after its quarantine ended";
        strikes.set(&slot, &version, limit - 1, reason, now_unix);
    }
    lifted
}

#[cfg(test)]
mod tests {
    use muster::{Policy, Quarantine};
    use semver::Version;

    use super::{DEFAULT_HOLD_SECONDS, HELD_CODE, Hold, expire, hold_seconds};
    use crate::crash::strikes::Strikes;

    fn policy(text: &str) -> Policy {
        Policy::from_toml(text, std::path::Path::new("policy.toml")).unwrap()
    }

    #[test]
    fn an_expired_strikes_quarantine_leaves_the_version_on_probation() {
        let v = Version::new(1, 9, 0);
        let mut quarantine = Quarantine::new();
        quarantine.add("checksum", v.clone(), "2 strikes");
        quarantine.add("uplink", Version::new(2, 0, 0), "panicked");
        let mut strikes = Strikes::new();
        strikes.add("checksum", &v, "died");
        strikes.add("checksum", &v, "died");
        let since = quarantine.get("checksum", &v).unwrap().since_unix;
        let p = policy("quarantine_seconds = 60\nquarantine_strikes = 2\n");
        // Not yet: nothing changes.
        assert!(expire(&mut quarantine, &mut strikes, &p, &[], since + 59).is_empty());
        assert_eq!(strikes.get("checksum", &v).unwrap().count, 2);
        // Expired: both quarantines are lifted; only the struck version stays on
        // probation, one strike short of the limit.
        let lifted = expire(&mut quarantine, &mut strikes, &p, &[], since + 120);
        assert_eq!(lifted.len(), 2, "{lifted:?}");
        assert!(quarantine.is_empty());
        let probation = strikes.get("checksum", &v).unwrap();
        assert_eq!((probation.count, probation.last_unix), (1, since + 120));
        assert!(strikes.get("uplink", &Version::new(2, 0, 0)).is_none());
        // With a limit of 1 there is nothing to keep.
        let mut quarantine = Quarantine::new();
        quarantine.add("checksum", v.clone(), "1 strike");
        let mut strikes = Strikes::new();
        strikes.add("checksum", &v, "died");
        let p = policy("quarantine_seconds = 60\nquarantine_strikes = 1\n");
        expire(&mut quarantine, &mut strikes, &p, &[], since + 120);
        assert!(strikes.is_empty());
    }

    /// Without `quarantine_seconds` quarantines last until lifted, but a hold ends
    /// after the default and its version goes on probation.
    #[test]
    fn a_hold_ends_after_the_default_without_quarantine_seconds() {
        let v = Version::new(1, 9, 0);
        let mut quarantine = Quarantine::new();
        quarantine.add("checksum", v.clone(), "2 strikes");
        quarantine.add("uplink", Version::new(2, 0, 0), "panicked");
        let since = quarantine.get("checksum", &v).unwrap().since_unix;
        let mut strikes = Strikes::new();
        strikes.add("checksum", &v, "died");
        strikes.add("checksum", &v, "died");
        let p = policy("");
        let hold = Hold {
            code: HELD_CODE.to_owned(),
            slot: "checksum".to_owned(),
            version: v.clone(),
            reason: "2 strikes".to_owned(),
            since_unix: since,
            until_unix: since + hold_seconds(&p),
        };
        assert_eq!(hold_seconds(&p), DEFAULT_HOLD_SECONDS);
        let holds = [hold];
        let before = since + DEFAULT_HOLD_SECONDS - 1;
        assert!(expire(&mut quarantine, &mut strikes, &p, &holds, before).is_empty());
        let at = since + DEFAULT_HOLD_SECONDS;
        let lifted = expire(&mut quarantine, &mut strikes, &p, &holds, at);
        assert_eq!(lifted.len(), 1, "{lifted:?}");
        assert_eq!(lifted[0].0, "checksum");
        assert!(quarantine.get("uplink", &Version::new(2, 0, 0)).is_some());
        assert_eq!(strikes.get("checksum", &v).unwrap().count, 1);
    }
}
