//! Versions taken out of service at run time (after a panic or an unhealthy
//! report), excluded from selection like a deny.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use semver::Version;
use serde::{Deserialize, Serialize};

/// One quarantined version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuarantineEntry {
    /// The version taken out of service.
    pub version: Version,
    /// Why.
    pub reason: String,
    /// When, in seconds since the Unix epoch.
    pub since_unix: u64,
}

/// Quarantined versions per slot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quarantine {
    /// Entries keyed by slot name.
    pub slots: BTreeMap<String, Vec<QuarantineEntry>>,
}

impl Quarantine {
    /// An empty quarantine.
    pub fn new() -> Quarantine {
        Quarantine::default()
    }

    /// Quarantines `version` of `slot` now; returns false if it already was.
    pub fn add(&mut self, slot: &str, version: Version, reason: impl Into<String>) -> bool {
        let entries = self.slots.entry(slot.to_owned()).or_default();
        if entries.iter().any(|e| e.version == version) {
            return false;
        }
        let since_unix = now_unix();
        entries.push(QuarantineEntry {
            version,
            reason: reason.into(),
            since_unix,
        });
        true
    }

    /// The entry that quarantines `version` of `slot`, if any.
    pub fn get(&self, slot: &str, version: &Version) -> Option<&QuarantineEntry> {
        self.slots.get(slot)?.iter().find(|e| &e.version == version)
    }

    /// Lifts quarantines older than `ttl_seconds` at `now_unix`; returns them.
    pub fn expire(&mut self, ttl_seconds: u64, now_unix: u64) -> Vec<(String, QuarantineEntry)> {
        retain_entries(&mut self.slots, |_, e: &QuarantineEntry| {
            now_unix.saturating_sub(e.since_unix) < ttl_seconds
        })
    }

    /// Lifts the quarantines matching `slot` and `version` (`None` matches any);
    /// returns them.
    pub fn remove(
        &mut self,
        slot: Option<&str>,
        version: Option<&Version>,
    ) -> Vec<(String, QuarantineEntry)> {
        retain_entries(&mut self.slots, |s, e: &QuarantineEntry| {
            !(slot.is_none_or(|x| x == s) && version.is_none_or(|v| v == &e.version))
        })
    }

    /// Whether nothing is quarantined.
    pub fn is_empty(&self) -> bool {
        self.slots.values().all(Vec::is_empty)
    }
}

/// Keeps the entries for which `keep(slot, entry)` holds, drops slots left empty;
/// returns the entries dropped.
pub(crate) fn retain_entries<E: Clone>(
    slots: &mut BTreeMap<String, Vec<E>>,
    mut keep: impl FnMut(&str, &E) -> bool,
) -> Vec<(String, E)> {
    let mut dropped = Vec::new();
    for (slot, entries) in slots.iter_mut() {
        entries.retain(|e| {
            let kept = keep(slot, e);
            if !kept {
                dropped.push((slot.clone(), e.clone()));
            }
            kept
        });
    }
    slots.retain(|_, entries| !entries.is_empty());
    dropped
}

/// Seconds since the Unix epoch, now.
pub(crate) fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use semver::Version;

    use crate::Quarantine;

    #[test]
    fn entries_expire_after_their_ttl() {
        let mut q = Quarantine::new();
        assert!(q.add("uplink", Version::new(1, 1, 0), "panicked"));
        assert!(!q.add("uplink", Version::new(1, 1, 0), "again"));
        let since = q.get("uplink", &Version::new(1, 1, 0)).unwrap().since_unix;
        assert!(q.expire(60, since + 59).is_empty());
        let lifted = q.expire(60, since + 60);
        assert_eq!(lifted.len(), 1);
        assert_eq!(lifted[0].0, "uplink");
        assert!(q.is_empty() && q.slots.is_empty());
    }

    #[test]
    fn remove_matches_slot_and_version() {
        let mut q = Quarantine::new();
        q.add("uplink", Version::new(1, 1, 0), "a");
        q.add("uplink", Version::new(1, 2, 0), "b");
        q.add("checksum", Version::new(1, 1, 0), "c");
        assert!(q.remove(Some("nosuch"), None).is_empty());
        let lifted = q.remove(None, Some(&Version::new(1, 1, 0)));
        assert_eq!(lifted.len(), 2);
        assert!(q.get("uplink", &Version::new(1, 2, 0)).is_some());
        assert_eq!(q.remove(Some("uplink"), None).len(), 1);
        assert!(q.is_empty());
    }
}
