//! Faults counted against a version across restarts (for example: the process died
//! while the version was running), so that a host can quarantine a version after a
//! number of them instead of crash-looping on it.

use std::collections::BTreeMap;

use semver::Version;
use serde::{Deserialize, Serialize};

use crate::crash::now_unix;

/// The strikes against one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrikeEntry {
    /// The version struck.
    pub version: Version,
    /// How many strikes.
    pub count: u32,
    /// Why the last one was counted.
    pub reason: String,
    /// When the last one was counted, in seconds since the Unix epoch.
    pub last_unix: u64,
}

/// Strikes per slot: the host's `strikes.json` (`{"slots": {"<slot>": [{"version",
/// "count","reason","last_unix"}]}}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Strikes {
    /// Entries keyed by slot name.
    pub slots: BTreeMap<String, Vec<StrikeEntry>>,
}

impl Strikes {
    /// No strikes.
    pub fn new() -> Strikes {
        Strikes::default()
    }

    /// Counts one more strike against `version` of `slot` now; returns the count.
    pub fn add(&mut self, slot: &str, version: &Version, reason: impl Into<String>) -> u32 {
        let entries = self.slots.entry(slot.to_owned()).or_default();
        let (reason, last_unix) = (reason.into(), now_unix());
        if let Some(e) = entries.iter_mut().find(|e| &e.version == version) {
            e.count = e.count.saturating_add(1);
            e.reason = reason;
            e.last_unix = last_unix;
            return e.count;
        }
        entries.push(StrikeEntry {
            version: version.clone(),
            count: 1,
            reason,
            last_unix,
        });
        1
    }

    /// Sets the strikes against `version` of `slot` to `count`, with `reason`, dated
    /// `last_unix` (a count of 0 forgets them).
    pub fn set(&mut self, slot: &str, version: &Version, count: u32, reason: &str, last_unix: u64) {
        let entries = self.slots.entry(slot.to_owned()).or_default();
        let entry = StrikeEntry {
            version: version.clone(),
            count,
            reason: reason.to_owned(),
            last_unix,
        };
        match entries.iter().position(|e| &e.version == version) {
            Some(_) if count == 0 => entries.retain(|e| &e.version != version),
            Some(at) => entries[at] = entry,
            None if count > 0 => entries.push(entry),
            None => {}
        }
        self.slots.retain(|_, entries| !entries.is_empty());
    }

    /// The strikes against `version` of `slot`, if any.
    pub fn get(&self, slot: &str, version: &Version) -> Option<&StrikeEntry> {
        self.slots.get(slot)?.iter().find(|e| &e.version == version)
    }

    /// Forgets strikes whose last one is `ttl_seconds` old at `now_unix`; returns them.
    pub fn expire(&mut self, ttl_seconds: u64, now_unix: u64) -> Vec<(String, StrikeEntry)> {
        retain_entries(&mut self.slots, |_, e| {
            now_unix.saturating_sub(e.last_unix) < ttl_seconds
        })
    }

    /// Forgets the strikes matching `slot` and `version` (`None` matches any);
    /// returns them.
    pub fn remove(
        &mut self,
        slot: Option<&str>,
        version: Option<&Version>,
    ) -> Vec<(String, StrikeEntry)> {
        retain_entries(&mut self.slots, |s, e| {
            !(slot.is_none_or(|x| x == s) && version.is_none_or(|v| v == &e.version))
        })
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.slots.values().all(Vec::is_empty)
    }
}

/// Keeps the entries for which `keep(slot, entry)` holds, drops slots left empty;
/// returns the entries dropped (as [`muster::Quarantine::remove`] does for quarantines).
fn retain_entries(
    slots: &mut BTreeMap<String, Vec<StrikeEntry>>,
    mut keep: impl FnMut(&str, &StrikeEntry) -> bool,
) -> Vec<(String, StrikeEntry)> {
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

#[cfg(test)]
mod tests {
    use semver::Version;

    use crate::crash::Strikes;

    #[test]
    fn strikes_count_per_version_and_expire() {
        let mut s = Strikes::new();
        let v = Version::new(1, 9, 0);
        assert_eq!(s.add("checksum", &v, "died"), 1);
        assert_eq!(s.add("checksum", &v, "died again"), 2);
        assert_eq!(s.add("checksum", &Version::new(1, 1, 0), "x"), 1);
        let e = s.get("checksum", &v).unwrap();
        assert_eq!((e.count, e.reason.as_str()), (2, "died again"));
        assert!(s.expire(60, e.last_unix + 59).is_empty());
        let removed = s.remove(Some("checksum"), Some(&v));
        assert_eq!(removed.len(), 1);
        assert!(s.get("checksum", &v).is_none());
        let last = s.get("checksum", &Version::new(1, 1, 0)).unwrap().last_unix;
        assert_eq!(s.expire(60, last + 60).len(), 1);
        assert!(s.is_empty() && s.slots.is_empty());
    }
}
