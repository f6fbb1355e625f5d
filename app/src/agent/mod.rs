//! The agent's work loop, with in-process failover, crash memory across restarts,
//! policy reload, restart on upgrade and graceful stop.
//!
//! Each tick takes the files in `incoming/`, checksums each with the selected
//! `checksum` plugin, hands a report to the selected `uplink`, and only then moves
//! the input to `done/`. A plugin that panics or reports itself unhealthy is
//! quarantined and the same unit is retried at once with the next acceptable older
//! version ([`failover`](self)); one that kills the process is remembered as a
//! strike and quarantined after the policy's number of them ([`crash`](self)).

mod crash;
mod failover;
mod metrics;
mod stamp;
pub mod state;
mod systemd;
mod watchdog;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use edge_contract::{Checksum, Report, Showcase, Status, Uplink, UplinkContext};
use muster::{Facts, Policy, Quarantine};
use muster_kit::crash::{HELD_CODE, Hold, Strikes};

use crate::agent::crash::CrashMemory;
use crate::agent::failover::{Active, CallContext, lock};
use crate::agent::metrics::{Metrics, State as MetricsState};
use crate::agent::stamp::{Stamp, stamp};
use crate::agent::systemd::Notifier;
use crate::error::BadInput;
use crate::spool::{Input, Spool};
use muster_kit::policy::PolicyLayers;

pub use crate::agent::state::{load_quarantine, quarantine_file};

/// How the agent runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// The spool directory.
    pub spool: PathBuf,
    /// Process what is there once, then exit.
    pub once: bool,
    /// Pause between ticks.
    pub interval: Duration,
    /// Delivery target for online uplinks (default `<spool>/delivered`).
    pub uplink_target: Option<PathBuf>,
    /// The executable to watch for replacement (`None`: do not watch).
    pub watch_exe: Option<PathBuf>,
    /// The longest a plugin call may run before the agent records a strike and
    /// exits with `timeout_exit_code` (`None`: no deadline).
    pub plugin_timeout: Option<Duration>,
    /// The exit status after a plugin call overran `plugin_timeout`.
    pub timeout_exit_code: u8,
}

/// Why the agent stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// `--once` finished; the slots that had no acceptable version, if any, and
    /// how many inputs were left in `incoming/`.
    Finished {
        /// Slots that failed during the run.
        failed_slots: Vec<String>,
        /// Inputs not processed (kept for a later run).
        left: u64,
    },
    /// SIGTERM or SIGINT.
    Stopped,
    /// The executable was replaced.
    Upgraded(String),
}

/// A unit of work could not be completed; the input stays in `incoming/`.
#[derive(Debug)]
pub(crate) enum UnitError {
    /// No acceptable version of the slot is left.
    SlotFailed(&'static str),
    /// The slot is held: its last acceptable version is quarantined.
    SlotHeld(Box<Hold>),
    /// The plugin said the failure is temporary.
    Transient(String),
    /// Reading the input or moving it failed.
    Io(String),
}

/// The running agent.
pub struct Agent {
    options: Options,
    spool: Spool,
    facts: Facts,
    layers: PolicyLayers,
    policy: Policy,
    policy_stamp: Option<Stamp>,
    quarantine: Quarantine,
    quarantine_stamp: Option<Stamp>,
    crash: Arc<Mutex<CrashMemory>>,
    notifier: Notifier,
    left: u64,
    checksum: Active<dyn Checksum>,
    uplink: Active<dyn Uplink>,
    showcase: Active<dyn Showcase>,
    processed: u64,
    failed_slots: Vec<String>,
    holds: BTreeMap<String, Hold>,
    metrics: Option<Metrics>,
    stop: Arc<AtomicBool>,
    exe_stamp: Option<Stamp>,
}

/// The slots the agent runs, in the order a unit calls them.
const SLOTS: [&str; 3] = [
    <dyn Checksum as muster::Slot>::NAME,
    <dyn Uplink as muster::Slot>::NAME,
    <dyn Showcase as muster::Slot>::NAME,
];

impl Agent {
    /// Prepares an agent: opens the spool, reads the policy, records the
    /// executable's identity. `stop` is set by signal handlers.
    pub fn new(
        options: Options,
        facts: Facts,
        layers: PolicyLayers,
        stop: Arc<AtomicBool>,
    ) -> anyhow::Result<Agent> {
        // First: a replacement during start-up must not go unnoticed.
        let exe_stamp = options.watch_exe.as_deref().and_then(stamp);
        let spool = Spool::open(&options.spool)?;
        let policy_stamp = layers.file.as_deref().and_then(stamp);
        let policy = layers.load()?;
        let metrics = Metrics::from_policy(&policy).map_err(BadInput)?;
        for warning in policy.unknown_rules() {
            tracing::warn!(event = "policy_warning", warning = %warning);
        }
        let state = spool.state();
        let holds = state::load_holds_at_start(&state);
        let mut quarantine: Quarantine = state::load_at_start(&state, state::QUARANTINE_FILE);
        let loaded = quarantine.clone();
        let held: Vec<Hold> = holds.values().cloned().collect();
        let crash = CrashMemory::start(&state, &facts, &policy, &mut quarantine, &held);
        state::save_quarantine(&state, &quarantine);
        // What the file held and is still in force (not expired at start).
        for (slot, entries) in &loaded.slots {
            for e in entries
                .iter()
                .filter(|e| quarantine.get(slot, &e.version).is_some())
            {
                tracing::info!(event = "quarantine_loaded", slot = %slot, version = %e.version, since_unix = e.since_unix, reason = %e.reason);
            }
        }
        for dir in [state.clone(), spool.root().join("outbox")] {
            for path in
                state::remove_stale_temporaries(&dir, state::STALE_TEMPORARY, SystemTime::now())
            {
                tracing::info!(event = "stale_temporary_removed", path = %path.display());
            }
        }
        let quarantine_stamp = stamp(&state::quarantine_file(&state));
        let crash = Arc::new(Mutex::new(crash));
        if let Some(timeout) = options.plugin_timeout {
            watchdog::spawn(
                Arc::clone(&crash),
                state,
                timeout,
                options.timeout_exit_code,
            )
            .map_err(|e| anyhow::anyhow!("cannot start the plugin deadline thread: {e}"))?;
        }
        Ok(Agent {
            options,
            spool,
            facts,
            layers,
            policy,
            policy_stamp,
            quarantine_stamp,
            quarantine,
            crash,
            notifier: Notifier::from_env(),
            left: 0,
            checksum: Active::new(),
            uplink: Active::new(),
            showcase: Active::new(),
            processed: 0,
            failed_slots: Vec::new(),
            holds,
            metrics,
            stop,
            exe_stamp,
        })
    }

    /// Runs until `--once` is done, a signal arrives or the executable is replaced;
    /// every plugin's `stop` hook has run when this returns.
    pub fn run(&mut self) -> anyhow::Result<Exit> {
        self.select_all();
        self.write_metrics(true);
        let exit = loop {
            if let Some(exit) = self.tick()? {
                break exit;
            }
            if self.options.once {
                break Exit::Finished {
                    failed_slots: self.failed_slots.clone(),
                    left: self.left,
                };
            }
            if let Some(exit) = self.pause() {
                break exit;
            }
        };
        self.write_metrics(true);
        self.notifier.stopping();
        self.shutdown();
        match &exit {
            Exit::Upgraded(why) => tracing::warn!(event = "upgrade_exit", reason = %why),
            Exit::Stopped => tracing::info!(event = "signal_exit"),
            Exit::Finished { .. } => tracing::info!(event = "finished", processed = self.processed),
        }
        Ok(exit)
    }

    /// Selects every slot's version (running `start` hooks), then tells systemd
    /// the agent is ready.
    fn select_all(&mut self) {
        let mut chosen = Vec::new();
        for slot in SLOTS {
            if let Some(version) = self.ensure_slot(slot) {
                chosen.push(format!("{slot} {version}"));
            }
        }
        let mut status = format!("selected: {}", chosen.join(", "));
        self.append_holds(&mut status);
        self.notifier.ready(&status);
    }

    /// Selects `slot`'s version if none is active (for a held slot that is the
    /// probe, recorded in flight like any first call) and tracks whether it is held.
    /// Returns the active version.
    fn ensure_slot(&mut self, slot: &str) -> Option<String> {
        let (facts, policy, quarantine) = (&self.facts, &self.policy, &self.quarantine);
        let crash = &*self.crash;
        let result = match slot {
            "checksum" => self
                .checksum
                .ensure(facts, policy, quarantine, crash)
                .map(|s| s.version().to_string()),
            "uplink" => self
                .uplink
                .ensure(facts, policy, quarantine, crash)
                .map(|s| s.version().to_string()),
            _ => self
                .showcase
                .ensure(facts, policy, quarantine, crash)
                .map(|s| s.version().to_string()),
        };
        match result {
            Ok(version) => {
                self.running(slot, &version);
                Some(version)
            }
            Err(UnitError::SlotHeld(hold)) => {
                self.held(*hold);
                None
            }
            Err(_) => {
                self.not_held(slot);
                None
            }
        }
    }

    /// `slot` runs `version`: a hold on it ends (`event=slot_resumed`).
    fn running(&mut self, slot: &str, version: &str) {
        if let Some(hold) = self.holds.remove(slot) {
            tracing::warn!(event = "slot_resumed", slot, version, held_version = %hold.version, "the slot runs again");
            self.save_holds();
        }
    }

    /// `slot` selects nothing for another reason than a quarantine: not held.
    fn not_held(&mut self, slot: &str) {
        if self.holds.remove(slot).is_some() {
            self.save_holds();
        }
    }

    /// The slot is held (`event=slot_held`, once per hold): no version of it is
    /// called and its inputs stay where they are until it resumes.
    fn held(&mut self, hold: Hold) {
        if self.holds.get(&hold.slot) == Some(&hold) {
            return;
        }
        tracing::error!(event = "slot_held", code = HELD_CODE, slot = %hold.slot, version = %hold.version, reason = %hold.reason, since_unix = hold.since_unix, until_unix = ?hold.until_unix, "{hold}");
        self.holds.insert(hold.slot.clone(), hold);
        self.save_holds();
    }

    /// A held slot whose version became active during a unit has resumed.
    fn check_resumed(&mut self) {
        let held: Vec<String> = self.holds.keys().cloned().collect();
        for slot in held {
            if let Some(version) = self.active_version(&slot) {
                self.running(&slot, &version);
            }
        }
    }

    /// The active version of `slot` (one of [`SLOTS`]), if one is selected.
    fn active_version(&self, slot: &str) -> Option<String> {
        match slot {
            "checksum" => self.checksum.version(),
            "uplink" => self.uplink.version(),
            _ => self.showcase.version(),
        }
    }

    fn save_holds(&self) {
        let holds: Vec<&Hold> = self.holds.values().collect();
        state::save_holds(&self.spool.state(), &holds);
    }

    /// `; held: checksum@1.9.0` when slots are held (for systemd's `STATUS=`).
    fn append_holds(&self, status: &mut String) {
        if !self.holds.is_empty() {
            let held: Vec<String> = self
                .holds
                .values()
                .map(|h| format!("{}@{}", h.slot, h.version))
                .collect();
            status.push_str(&format!("; held: {}", held.join(", ")));
        }
    }

    fn pause(&mut self) -> Option<Exit> {
        let until = Instant::now() + self.options.interval;
        loop {
            if let Some(exit) = self.interrupted() {
                return Some(exit);
            }
            self.notifier.alive();
            // Only the interval can come due here: nothing the file shows changes
            // between ticks, so no signature is built every 50 ms.
            if self.metrics.as_ref().is_some_and(Metrics::interval_up) {
                self.write_metrics(true);
            }
            let now = Instant::now();
            if now >= until {
                return None;
            }
            std::thread::sleep((until - now).min(Duration::from_millis(50)));
        }
    }

    /// A stop signal or a replaced executable.
    fn interrupted(&self) -> Option<Exit> {
        if self.stop.load(Ordering::SeqCst) {
            return Some(Exit::Stopped);
        }
        let (path, before) = (self.options.watch_exe.as_ref()?, self.exe_stamp.as_ref()?);
        match stamp(path) {
            Some(now) if &now == before => None,
            Some(_) => Some(Exit::Upgraded(format!("{} changed", path.display()))),
            None => Some(Exit::Upgraded(format!("{} was removed", path.display()))),
        }
    }

    fn reload_policy(&mut self) {
        let Some(path) = self.layers.file.clone() else {
            return;
        };
        let now = stamp(&path);
        if now == self.policy_stamp {
            return;
        }
        self.policy_stamp = now;
        match self.layers.load() {
            Ok(policy) if policy == self.policy => {}
            Ok(policy) => {
                let metrics = match Metrics::from_policy(&policy) {
                    Ok(metrics) => metrics,
                    Err(e) => {
                        tracing::error!(event = "policy_rejected", path = %path.display(), error = %e, "keeping the last good policy");
                        return;
                    }
                };
                self.adopt_metrics(metrics);
                tracing::info!(event = "policy_reloaded", path = %path.display());
                for warning in policy.unknown_rules() {
                    tracing::warn!(event = "policy_warning", warning = %warning);
                }
                self.policy = policy;
                lock(&self.crash).set_policy(&self.policy);
                self.revisit_all();
            }
            Err(e) => {
                tracing::error!(event = "policy_rejected", path = %path.display(), error = %e, "keeping the last good policy")
            }
        }
    }

    /// Lifts quarantines older than the policy's `quarantine_seconds`; the slots
    /// then reselect, so a recovered newer version comes back (a held slot is probed).
    fn expire_quarantine(&mut self) {
        if lock(&self.crash).expire(&mut self.quarantine, self.holds.values()) {
            self.revisit_all();
        }
    }

    /// Drops the active versions the policy or quarantine no longer selects, and
    /// probes the held slots (a lifted quarantine, a new policy may free them).
    fn revisit_all(&mut self) {
        self.checksum
            .revisit(&self.facts, &self.policy, &self.quarantine);
        self.uplink
            .revisit(&self.facts, &self.policy, &self.quarantine);
        self.showcase
            .revisit(&self.facts, &self.policy, &self.quarantine);
        let held: Vec<String> = self.holds.keys().cloned().collect();
        for slot in held {
            self.ensure_slot(&slot);
        }
    }

    /// Adopts the quarantine and strikes files when someone else changed them
    /// (`edge-agent quarantine clear`); the agent's own writes read back equal.
    fn reload_state(&mut self) {
        let file = state::quarantine_file(&self.spool.state());
        let now = stamp(&file);
        if now == self.quarantine_stamp {
            return;
        }
        self.quarantine_stamp = now;
        match state::load_quarantine(&file) {
            Ok(q) if q == self.quarantine => {}
            Ok(q) => {
                tracing::info!(event = "state_reloaded", path = %file.display(), "quarantine changed on disk");
                self.quarantine = q;
                lock(&self.crash).reload_strikes();
                self.revisit_all();
            }
            Err(e) => {
                tracing::warn!(event = "state_file_invalid", path = %file.display(), error = %e, "keeping the quarantine in memory");
            }
        }
    }

    /// Re-reads the policy file if it changed, adopts an operator's change to the
    /// state files, and lifts expired quarantines.
    fn refresh(&mut self) {
        self.reload_policy();
        self.reload_state();
        self.expire_quarantine();
    }

    /// One pass over `incoming/`. Returns `Some` when the agent must stop.
    pub fn tick(&mut self) -> anyhow::Result<Option<Exit>> {
        self.refresh();
        self.failed_slots.clear();
        let (inputs, skipped) = self.spool.pending()?;
        for s in skipped {
            tracing::warn!(event = "input_skipped", path = %s.path.display(), reason = %s.reason);
        }
        let mut pending = inputs.len() as u64;
        for input in &inputs {
            if let Some(exit) = self.interrupted() {
                return Ok(Some(exit));
            }
            self.notifier.alive();
            self.refresh();
            match self.process(input) {
                Ok(()) => {
                    self.processed += 1;
                    pending -= 1;
                    if let Some(m) = &mut self.metrics {
                        m.counters.last_success_unix = Some(muster_kit::crash::now_unix());
                    }
                    if !self.holds.is_empty() {
                        self.check_resumed();
                    }
                }
                Err(UnitError::SlotHeld(hold)) => {
                    self.failed_slots.push(hold.slot.clone());
                    tracing::info!(event = "unit_kept", code = HELD_CODE, file = %input.name, slot = %hold.slot, "the slot is held; input kept until it resumes");
                    self.held(*hold);
                    break;
                }
                Err(UnitError::SlotFailed(slot)) => {
                    self.count_failed();
                    self.failed_slots.push(slot.to_owned());
                    tracing::error!(event = "unit_kept", file = %input.name, slot, "no acceptable version left; input kept for later");
                    break;
                }
                Err(UnitError::Transient(why)) => {
                    self.count_failed();
                    tracing::warn!(event = "unit_kept", file = %input.name, reason = %why, "input kept for the next tick");
                }
                Err(UnitError::Io(why)) => {
                    self.count_failed();
                    tracing::error!(event = "unit_kept", file = %input.name, reason = %why, "input kept");
                }
            }
        }
        self.left = pending;
        let status = Status {
            host: self.facts.hostname.clone(),
            processed: self.processed,
            pending,
            failed_slots: self.failed_slots.clone(),
        };
        let state = self.spool.state();
        let mut ctx = CallContext {
            facts: &self.facts,
            policy: &self.policy,
            quarantine: &mut self.quarantine,
            state: &state,
            crash: &self.crash,
        };
        let mut line = match self
            .showcase
            .call(&mut ctx, "status", |s| Ok(s.render(&status)))
        {
            Ok((line, _)) => {
                tracing::info!(event = "status", "{line}");
                self.check_resumed();
                Some(line)
            }
            Err(error) => {
                if !self.failed_slots.iter().any(|s| s == "showcase") {
                    self.failed_slots.push("showcase".to_owned());
                }
                if let UnitError::SlotHeld(hold) = error {
                    self.held(*hold);
                }
                // Without a status line, systemd still hears what is held.
                (!self.holds.is_empty())
                    .then(|| format!("processed {}, pending {pending}", self.processed))
            }
        };
        if let Some(line) = &mut line {
            self.append_holds(line);
            self.notifier.status(line);
        }
        self.write_metrics(false);
        Ok(None)
    }

    /// A unit ended by an error other than a hold (`muster_inputs_total{result="failed"}`).
    fn count_failed(&mut self) {
        if let Some(m) = &mut self.metrics {
            m.counters.inputs_failed += 1;
        }
    }

    /// Adopts the metrics settings of a new policy, keeping the counters.
    fn adopt_metrics(&mut self, new: Option<Metrics>) {
        match (self.metrics.take(), new) {
            (Some(old), Some(new)) if old.same_settings(&new) => self.metrics = Some(old),
            (Some(old), Some(mut new)) => {
                new.take_counters(old);
                self.metrics = Some(new);
            }
            (_, new) => self.metrics = new,
        }
    }

    /// Writes the metrics file if it is due: `force`, or what it shows changed, or the
    /// interval is up.
    fn write_metrics(&mut self, force: bool) {
        let Some(mut metrics) = self.metrics.take() else {
            return;
        };
        let strikes = lock(&self.crash).strikes().clone();
        let held: Vec<String> = self.holds.keys().cloned().collect();
        let active = SLOTS.map(|slot| self.active_version(slot));
        let signature = format!(
            "{active:?} {held:?} {:?} {:?}",
            self.quarantine.slots, strikes.slots
        );
        metrics.counters.failovers = SLOTS
            .iter()
            .zip([
                self.checksum.failovers,
                self.uplink.failovers,
                self.showcase.failovers,
            ])
            .map(|(slot, n)| ((*slot).to_owned(), n))
            .collect();
        metrics.counters.inputs_done = self.processed;
        metrics.counters.inputs_waiting = self.left;
        let state = MetricsState {
            facts: &self.facts,
            policy: &self.policy,
            quarantine: &self.quarantine,
            strikes: &strikes,
            held: &held,
        };
        metrics.maybe_write(&state, signature, force);
        self.metrics = Some(metrics);
    }

    fn process(&mut self, input: &Input) -> Result<(), UnitError> {
        let bytes = std::fs::read(&input.path)
            .map_err(|e| UnitError::Io(format!("cannot read {}: {e}", input.path.display())))?;
        let state = self.spool.state();
        let mut call_ctx = CallContext {
            facts: &self.facts,
            policy: &self.policy,
            quarantine: &mut self.quarantine,
            state: &state,
            crash: &self.crash,
        };
        let (crc, checksum_plugin) = self
            .checksum
            .call(&mut call_ctx, &input.name, |c| Ok(c.crc32c(&bytes)))?;
        let report = Report {
            id: Report::stable_id(&input.name, bytes.len() as u64, crc),
            file: input.name.clone(),
            bytes: bytes.len() as u64,
            crc32c: format!("{crc:08x}"),
            checksum_plugin,
            host: self.facts.hostname.clone(),
        };
        let ctx = UplinkContext {
            spool: self.spool.root().to_owned(),
            target: self
                .options
                .uplink_target
                .clone()
                .unwrap_or_else(|| self.spool.root().join("delivered")),
        };
        let (receipt, uplink_plugin) = self
            .uplink
            .call(&mut call_ctx, &input.name, |u| u.deliver(&report, &ctx))?;
        self.spool.complete(input).map_err(|e| {
            UnitError::Io(format!("cannot move {} to done: {e}", input.path.display()))
        })?;
        tracing::info!(event = "processed", file = %input.name, id = %report.id, uplink = %uplink_plugin, location = %receipt.location);
        Ok(())
    }

    /// Stops every active plugin (their `stop` hooks run).
    pub fn shutdown(&mut self) {
        self.checksum.stop();
        self.uplink.stop();
        self.showcase.stop();
    }

    /// Files processed so far.
    pub fn processed(&self) -> u64 {
        self.processed
    }

    /// The quarantine so far.
    pub fn quarantine(&self) -> &Quarantine {
        &self.quarantine
    }

    /// The strikes so far.
    pub fn strikes(&self) -> Strikes {
        lock(&self.crash).strikes().clone()
    }
}
