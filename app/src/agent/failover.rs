//! In-process failover: one slot's active plugin, called under `catch_unwind`; a
//! panic or an `Unhealthy` report quarantines the version and the same call is
//! retried with the next acceptable older one.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use edge_contract::PluginError;
use muster::{Facts, Policy, Quarantine, Selected, Selector, Slot, panic_message};
use muster_kit::crash::hold_of;

use crate::agent::UnitError;
use crate::agent::crash::CrashMemory;
use crate::agent::state::save_quarantine;

/// What a plugin call needs from the agent.
pub(crate) struct CallContext<'a> {
    pub(crate) facts: &'a Facts,
    pub(crate) policy: &'a Policy,
    pub(crate) quarantine: &'a mut Quarantine,
    pub(crate) state: &'a Path,
    pub(crate) crash: &'a Mutex<CrashMemory>,
}

/// Locks the crash memory; a poisoned lock (a panic while it was held) still
/// holds consistent data, so it is used as is.
pub(crate) fn lock(crash: &Mutex<CrashMemory>) -> MutexGuard<'_, CrashMemory> {
    crash
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One slot's active plugin, reselected after quarantine or policy change.
pub(crate) struct Active<S: ?Sized + Slot> {
    current: Option<Selected<S>>,
    /// In-process failovers to an older version since start.
    pub(crate) failovers: u64,
}

impl<S: ?Sized + Slot> Active<S> {
    pub(crate) fn new() -> Self {
        Active {
            current: None,
            failovers: 0,
        }
    }

    /// Selects a version if none is active. Selection constructs and starts
    /// plugins, so it is recorded as in flight (unit `start`) against the version
    /// the decision picks first: a constructor or `start` hook that kills the
    /// process is a strike like a call that does.
    pub(crate) fn ensure(
        &mut self,
        facts: &Facts,
        policy: &Policy,
        quarantine: &Quarantine,
        crash: &Mutex<CrashMemory>,
    ) -> Result<&Selected<S>, UnitError> {
        if self.current.is_none() {
            let selector = Selector::new(facts, policy).with_quarantine(quarantine);
            let first = selector
                .explain::<S>()
                .selected
                .and_then(|c| semver::Version::parse(c.version).ok());
            if let Some(version) = &first {
                lock(crash).begin(S::NAME, version, "start");
            }
            let result = selector.select::<S>();
            if first.is_some() {
                lock(crash).end();
            }
            match result {
                Ok(selected) => {
                    for c in selected.report().tried() {
                        if let (
                            muster::Outcome::Rejected | muster::Outcome::Excluded,
                            Some(reason),
                        ) = (c.outcome, &c.reason)
                        {
                            tracing::info!(event = "rejection", slot = S::NAME, version = c.version, outcome = %c.outcome, code = %c.code, reason = %reason);
                        }
                    }
                    tracing::info!(event = "selection", slot = S::NAME, name = selected.registration().meta().name(), version = %selected.version());
                    self.current = Some(selected);
                }
                Err(err) => {
                    // Held: the agent logs the hold once, not each call.
                    if let Some(hold) = hold_of(policy, quarantine, &err.report) {
                        return Err(UnitError::SlotHeld(Box::new(hold)));
                    }
                    tracing::error!(event = "slot_failed", slot = S::NAME, error = %err);
                    return Err(UnitError::SlotFailed(S::NAME));
                }
            }
        }
        Ok(self.current.as_ref().expect("selected above"))
    }

    /// Calls the active plugin for `unit`, recorded as in flight while it runs;
    /// on a panic or `Unhealthy`, quarantines it and retries the same call with
    /// the next acceptable version.
    pub(crate) fn call<R>(
        &mut self,
        ctx: &mut CallContext<'_>,
        unit: &str,
        f: impl Fn(&S) -> Result<R, PluginError>,
    ) -> Result<(R, String), UnitError> {
        loop {
            let selected = self.ensure(ctx.facts, ctx.policy, ctx.quarantine, ctx.crash)?;
            let label = format!(
                "{}@{}",
                selected.registration().meta().name(),
                selected.version()
            );
            lock(ctx.crash).begin(S::NAME, selected.version(), unit);
            let result = catch_unwind(AssertUnwindSafe(|| f(selected)));
            lock(ctx.crash).end();
            let reason = match result {
                Ok(Ok(value)) => return Ok((value, label)),
                Ok(Err(PluginError::Transient(why))) => {
                    return Err(UnitError::Transient(format!("{} {label}: {why}", S::NAME)));
                }
                Ok(Err(PluginError::Unhealthy(why))) => format!("reported unhealthy: {why}"),
                Err(payload) => format!("panicked: {}", panic_message(payload.as_ref())),
            };
            let version = selected.version().clone();
            tracing::warn!(event = "quarantine", slot = S::NAME, version = %version, reason = %reason);
            ctx.quarantine.add(S::NAME, version, reason);
            save_quarantine(ctx.state, ctx.quarantine);
            self.current = None; // Drop: the plugin's `stop` hook runs.
            self.failovers += 1;
        }
    }

    /// Drops the active plugin if the policy now selects another version.
    pub(crate) fn revisit(&mut self, facts: &Facts, policy: &Policy, quarantine: &Quarantine) {
        if let Some(current) = &self.current {
            let report = Selector::new(facts, policy)
                .with_quarantine(quarantine)
                .explain::<S>();
            let now = report.selected.map(|c| c.version);
            if now != Some(current.registration().meta().version()) {
                tracing::info!(event = "reselect", slot = S::NAME, from = %current.version(), to = now.unwrap_or("none"));
                self.current = None;
            }
        }
    }

    /// The active version, if one is selected.
    pub(crate) fn version(&self) -> Option<String> {
        self.current.as_ref().map(|s| s.version().to_string())
    }

    pub(crate) fn stop(&mut self) {
        if let Some(current) = self.current.take() {
            tracing::info!(event = "stop", slot = S::NAME, version = %current.version());
        }
    }
}
