//! Crash memory: plugin faults that kill the process (abort, stack overflow, out of
//! memory, a hang killed by a watchdog) are remembered across restarts as strikes
//! against the version that was running, and a version with enough strikes is
//! quarantined, so the agent does not crash-loop on it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use muster::{Facts, Policy, Quarantine};
use muster_kit::crash::{
    Hold, InFlight, InFlightLog, Strikes, Verdict, expire, now_unix, quarantine_struck,
};
use semver::Version;

use crate::agent::state::{self, IN_FLIGHT_FILE, STRIKES_FILE};

/// Strikes and the in-flight record of one state directory.
#[derive(Debug)]
pub(crate) struct CrashMemory {
    state: PathBuf,
    log: Option<InFlightLog>,
    strikes: Strikes,
    current: Option<(InFlight, Instant)>,
    write_failed: bool,
    facts: Facts,
    policy: Policy,
}

impl CrashMemory {
    /// At start: loads the strikes, lifts the quarantines and strikes the policy's
    /// `quarantine_seconds` expired (a struck version stays on probation), counts a call
    /// left in flight by a dead process as a strike, quarantines versions at the
    /// policy's limit, and opens the in-flight file. Never fails: a corrupt file is
    /// set aside, an unwritable state directory turns crash memory off, each with one
    /// error event.
    pub(crate) fn start(
        state: &Path,
        facts: &Facts,
        policy: &Policy,
        quarantine: &mut Quarantine,
        holds: &[Hold],
    ) -> CrashMemory {
        let strikes: Strikes = state::load_at_start(state, STRIKES_FILE);
        let mut memory = CrashMemory {
            state: state.to_owned(),
            log: None,
            strikes,
            current: None,
            write_failed: false,
            facts: facts.clone(),
            policy: policy.clone(),
        };
        memory.expire(quarantine, holds);
        // Strikes already at the limit (a lower limit, a strike recorded by the
        // deadline thread) are applied as well.
        match InFlightLog::previous(state) {
            Ok(Some(call)) => {
                let reason = format!(
                    "the process died while it ran (unit {}, pid {})",
                    call.unit, call.pid
                );
                memory.strike(&call, &reason, quarantine);
            }
            Ok(None) => {
                memory.quarantine_struck(quarantine);
            }
            Err(error) => {
                state::set_aside(state, IN_FLIGHT_FILE, &error);
                memory.quarantine_struck(quarantine);
            }
        }
        match InFlightLog::open(state) {
            Ok(log) => memory.log = Some(log),
            Err(error) => {
                tracing::error!(event = "state_unwritable", error = %error, "crash memory is off: a plugin that kills the process is not remembered across restarts");
            }
        }
        memory
    }

    /// The policy changed: its strikes limit applies from now on.
    pub(crate) fn set_policy(&mut self, policy: &Policy) {
        self.policy = policy.clone();
    }

    /// Counts a strike against the call's version; quarantines it at the limit.
    /// Returns whether it was quarantined now.
    pub(crate) fn strike(
        &mut self,
        call: &InFlight,
        reason: &str,
        quarantine: &mut Quarantine,
    ) -> bool {
        let limit = self.policy.strikes_limit();
        let count = self.strikes.add(&call.slot, &call.version, reason);
        tracing::warn!(event = "strike", slot = %call.slot, version = %call.version, unit = %call.unit, pid = call.pid, strikes = count, limit, reason = %reason);
        state::save(&self.state, STRIKES_FILE, &self.strikes);
        self.quarantine_struck(quarantine)
    }

    /// Quarantines every version with as many strikes as the limit that is not yet
    /// (the kit's rule, [`quarantine_struck`]; the slot is held when it was its last
    /// acceptable version): logs each, saves the quarantine if it grew.
    fn quarantine_struck(&self, quarantine: &mut Quarantine) -> bool {
        let verdicts = quarantine_struck(&self.strikes, quarantine, &self.facts, &self.policy);
        for verdict in &verdicts {
            let (Verdict::Quarantined {
                slot,
                version,
                reason,
            }
            | Verdict::Held {
                slot,
                version,
                reason,
            }) = verdict;
            let held = matches!(verdict, Verdict::Held { .. });
            tracing::warn!(event = "quarantine", slot = %slot, version = %version, reason = %reason, held);
        }
        if !verdicts.is_empty() {
            state::save_quarantine(&self.state, quarantine);
        }
        !verdicts.is_empty()
    }

    /// Records a call into `slot`@`version` for `unit` as in flight.
    pub(crate) fn begin(&mut self, slot: &str, version: &Version, unit: &str) {
        let call = InFlight::now(slot, version, unit);
        let result = self.log.as_mut().map(|log| log.begin(&call));
        self.check(result);
        self.current = Some((call, Instant::now()));
    }

    /// The call returned.
    pub(crate) fn end(&mut self) {
        self.current = None;
        let result = self.log.as_mut().map(InFlightLog::end);
        self.check(result);
    }

    fn check(&mut self, result: Option<std::io::Result<()>>) {
        if let (Some(Err(error)), false) = (result, self.write_failed) {
            let path = self.state.join(IN_FLIGHT_FILE);
            tracing::error!(event = "state_write_failed", path = %path.display(), error = %error, "crash memory may miss calls (logged once)");
            self.write_failed = true;
        }
    }

    /// The call in flight if it has run for `timeout` or longer.
    pub(crate) fn overdue(&self, timeout: Duration) -> Option<&InFlight> {
        let (call, started) = self.current.as_ref()?;
        (started.elapsed() >= timeout).then_some(call)
    }

    /// The call in flight was given up on and its strike recorded: forget it.
    pub(crate) fn abandon(&mut self) {
        self.end();
    }

    /// Lifts the quarantines and forgets the strikes the policy's `quarantine_seconds`
    /// expired, and the quarantines of the `holds` that ended (the kit's [`expire`]: a
    /// version lifted from a strikes quarantine stays on probation); logs each lifted
    /// quarantine and saves what changed. Returns whether a quarantine was lifted.
    pub(crate) fn expire<'a>(
        &mut self,
        quarantine: &mut Quarantine,
        holds: impl IntoIterator<Item = &'a Hold>,
    ) -> bool {
        let holds: Vec<Hold> = holds.into_iter().cloned().collect();
        let before = self.strikes.clone();
        let now = now_unix();
        let lifted = expire(quarantine, &mut self.strikes, &self.policy, &holds, now);
        for (slot, entry) in &lifted {
            let after_seconds = now.saturating_sub(entry.since_unix);
            tracing::info!(event = "quarantine_expired", slot = %slot, version = %entry.version, after_seconds);
        }
        if self.strikes != before {
            state::save(&self.state, STRIKES_FILE, &self.strikes);
        }
        if !lifted.is_empty() {
            state::save_quarantine(&self.state, quarantine);
        }
        !lifted.is_empty()
    }

    /// Re-reads the strikes file (an operator changed the state); a file that
    /// cannot be read leaves the strikes in memory.
    pub(crate) fn reload_strikes(&mut self) {
        match state::load_strikes(&state::strikes_file(&self.state)) {
            Ok(strikes) => self.strikes = strikes,
            Err(e) => {
                tracing::warn!(event = "state_file_invalid", error = %e, "keeping the strikes in memory")
            }
        }
    }

    /// The strikes so far.
    pub(crate) fn strikes(&self) -> &Strikes {
        &self.strikes
    }
}
