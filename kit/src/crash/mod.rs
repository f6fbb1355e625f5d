//! Crash memory for a host that runs plugin calls: faults that kill the process
//! (abort, stack overflow, out of memory, a hang killed by a watchdog) cannot be
//! caught, so they are remembered across restarts instead, and a version that keeps
//! killing the process is quarantined rather than crash-looped on.
//!
//! Three parts, each usable alone; the host keeps the files in a state directory of
//! its own and logs what happens its own way:
//!
//! - the **in-flight record** ([`InFlightLog`], `inflight.json`): written before
//!   each plugin call, emptied after it; a record still there at start names the
//!   call the previous process died in;
//! - the **strikes** ([`Strikes`], serialized as the host's `strikes.json`): one
//!   per such death (or per call a watchdog gave up on), per slot and version;
//! - the **quarantine rule** ([`quarantine_struck`]): a version with the policy's
//!   `quarantine_strikes` strikes ([`Policy::strikes_limit`]) is quarantined; when it
//!   was the slot's last acceptable version the slot is then **held**
//!   ([`holds`]): the host calls no version of it and keeps its inputs, instead of
//!   restarting on the version forever. Quarantines and strikes expire with the
//!   policy's `quarantine_seconds`, a hold after [`hold_seconds`] ([`expire`]); a
//!   version lifted from a strikes quarantine stays on probation, so one more death
//!   quarantines it again.
//!
//! ```no_run
//! use muster::{Facts, Policy, Quarantine};
//! use muster_kit::crash::{InFlight, InFlightLog, Strikes, holds, quarantine_struck};
//!
//! # fn main() -> std::io::Result<()> {
//! # let (facts, policy) = (Facts::probe(), Policy::new());
//! let state = std::path::Path::new("/var/lib/my-host");
//! let (mut quarantine, mut strikes) = (Quarantine::new(), Strikes::new());
//! // At start: the call a dead process left in flight is a strike.
//! if let Ok(Some(call)) = InFlightLog::previous(state) {
//!     strikes.add(&call.slot, &call.version, "the process died while it ran");
//! }
//! for verdict in quarantine_struck(&strikes, &mut quarantine, &facts, &policy) {
//!     eprintln!("{verdict:?}"); // Then save the quarantine and the strikes.
//! }
//! // A slot whose last acceptable version is quarantined is held: call none of it.
//! let report = muster::Selector::new(&facts, &policy).with_quarantine(&quarantine).explain_all();
//! for hold in holds(&policy, &quarantine, &report) {
//!     eprintln!("held: {hold}");
//! }
//! // Around every plugin call:
//! let mut log = InFlightLog::open(state)?;
//! log.begin(&InFlight::now("checksum", &semver::Version::new(1, 9, 0), "input-1"))?;
//! // ... the call ...
//! log.end()?;
//! # Ok(())
//! # }
//! ```
//!
//! edge-agent's run loop (`app/src/agent/crash.rs` in the muster repository) is one
//! host of these parts: it adds its events, atomic writes of the state files and a
//! deadline thread (`--plugin-timeout`).

mod hold;
mod inflight;
mod strikes;

use std::time::{SystemTime, UNIX_EPOCH};

use muster::{Facts, Policy, Quarantine, Selector};
use semver::Version;

pub use crate::crash::hold::{
    DEFAULT_HOLD_SECONDS, HELD_CODE, Hold, expire, hold_of, hold_seconds, holds,
};
pub use crate::crash::inflight::{IN_FLIGHT_FILE, InFlight, InFlightLog};
pub use crate::crash::strikes::{StrikeEntry, Strikes};

/// The conventional file name of the strikes in a state directory.
pub const STRIKES_FILE: &str = "strikes.json";

/// What [`quarantine_struck`] did with a version at the strikes limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Quarantined now, for `reason`; the slot selects an older version.
    Quarantined {
        /// The slot.
        slot: String,
        /// The version.
        version: Version,
        /// Why: the strikes, the limit and the last strike's reason.
        reason: String,
    },
    /// Quarantined now, and it was the slot's last acceptable version on this host:
    /// the slot is held (see [`holds`]) until the quarantine expires, is lifted, or a
    /// new binary or policy brings an acceptable version.
    Held {
        /// The slot.
        slot: String,
        /// The version.
        version: Version,
        /// Why: the strikes, the limit and the last strike's reason.
        reason: String,
    },
}

/// Quarantines every version of `strikes` with at least the policy's
/// [`strikes_limit`](Policy::strikes_limit) that `quarantine` does not hold yet;
/// returns what it did, in slot and version order: [`Verdict::Held`] when the slot
/// then selects nothing on this host (`facts`, `policy`). A slot that is not compiled
/// in is only quarantined.
pub fn quarantine_struck(
    strikes: &Strikes,
    quarantine: &mut Quarantine,
    facts: &Facts,
    policy: &Policy,
) -> Vec<Verdict> {
    let limit = policy.strikes_limit();
    let mut verdicts = Vec::new();
    for (slot, entries) in &strikes.slots {
        for e in entries.iter().filter(|e| e.count >= limit) {
            if quarantine.get(slot, &e.version).is_some() {
                continue;
            }
            let reason = format!("{} strikes (limit {limit}); last: {}", e.count, e.reason);
            quarantine.add(slot, e.version.clone(), &reason);
            let (slot, version) = (slot.clone(), e.version.clone());
            verdicts.push(if selects_a_version(&slot, facts, policy, quarantine) {
                Verdict::Quarantined {
                    slot,
                    version,
                    reason,
                }
            } else {
                Verdict::Held {
                    slot,
                    version,
                    reason,
                }
            });
        }
    }
    verdicts
}

/// Whether `slot` still selects a version under `quarantine` (a slot not compiled
/// in counts as yes).
fn selects_a_version(slot: &str, facts: &Facts, policy: &Policy, quarantine: &Quarantine) -> bool {
    let report = Selector::new(facts, policy)
        .with_quarantine(quarantine)
        .explain_all();
    report
        .slots
        .iter()
        .find(|s| s.slot == slot)
        .is_none_or(|s| s.selected.is_some())
}

/// Seconds since the Unix epoch, now: the clock of strikes and in-flight records
/// (and what a host passes to [`Quarantine::expire`]).
pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
