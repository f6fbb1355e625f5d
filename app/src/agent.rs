//! The agent's work loop, with in-process failover, policy reload, restart on
//! upgrade and graceful stop.
//!
//! Each tick takes the files in `incoming/`, checksums each with the selected
//! `checksum` plugin, hands a report to the selected `uplink`, and only then moves
//! the input to `done/`. A plugin that panics or reports itself unhealthy is
//! quarantined and the same unit is retried at once with the next acceptable older
//! version.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use edge_contract::{Checksum, PluginError, Report, Showcase, Status, Uplink, UplinkContext};
use muster::{Facts, Policy, Quarantine, Selected, Selector, Slot, panic_message};

use crate::policy::PolicyLayers;
use crate::spool::{Input, Spool};

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
}

/// Why the agent stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// `--once` finished; the slots that had no acceptable version, if any.
    Finished {
        /// Slots that failed during the run.
        failed_slots: Vec<String>,
    },
    /// SIGTERM or SIGINT.
    Stopped,
    /// The executable was replaced.
    Upgraded(String),
}

/// A unit of work could not be completed; the input stays in `incoming/`.
#[derive(Debug)]
enum UnitError {
    /// No acceptable version of the slot is left.
    SlotFailed(&'static str),
    /// The plugin said the failure is temporary.
    Transient(String),
    /// Reading the input or moving it failed.
    Io(String),
}

/// Identity of a file: if any part changes, the file was replaced or edited.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    len: u64,
    modified: Option<std::time::SystemTime>,
}

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let (dev, ino) = {
        use std::os::unix::fs::MetadataExt;
        (meta.dev(), meta.ino())
    };
    #[cfg(not(unix))]
    let (dev, ino) = (0, 0);
    Some(Stamp {
        dev,
        ino,
        len: meta.len(),
        modified: meta.modified().ok(),
    })
}

/// One slot's active plugin, reselected after quarantine or policy change.
struct Active<S: ?Sized + Slot> {
    current: Option<Selected<S>>,
}

impl<S: ?Sized + Slot> Active<S> {
    fn new() -> Self {
        Active { current: None }
    }

    fn ensure(
        &mut self,
        facts: &Facts,
        policy: &Policy,
        quarantine: &Quarantine,
    ) -> Result<&Selected<S>, UnitError> {
        if self.current.is_none() {
            match Selector::new(facts, policy)
                .with_quarantine(quarantine)
                .select::<S>()
            {
                Ok(selected) => {
                    for c in &selected.report().candidates {
                        if let (
                            muster::Outcome::Rejected | muster::Outcome::Excluded,
                            Some(reason),
                        ) = (c.outcome, &c.reason)
                        {
                            tracing::info!(event = "rejection", slot = S::NAME, version = c.version, outcome = %c.outcome, reason = %reason);
                        }
                    }
                    tracing::info!(event = "selection", slot = S::NAME, name = selected.registration().meta().name(), version = %selected.version());
                    self.current = Some(selected);
                }
                Err(err) => {
                    tracing::error!(event = "slot_failed", slot = S::NAME, error = %err);
                    return Err(UnitError::SlotFailed(S::NAME));
                }
            }
        }
        Ok(self.current.as_ref().expect("selected above"))
    }

    /// Calls the active plugin; on a panic or `Unhealthy`, quarantines it and
    /// retries the same call with the next acceptable version.
    fn call<R>(
        &mut self,
        facts: &Facts,
        policy: &Policy,
        quarantine: &mut Quarantine,
        state: &Path,
        f: impl Fn(&S) -> Result<R, PluginError>,
    ) -> Result<(R, String), UnitError> {
        loop {
            let selected = self.ensure(facts, policy, quarantine)?;
            let label = format!(
                "{}@{}",
                selected.registration().meta().name(),
                selected.version()
            );
            let reason = match catch_unwind(AssertUnwindSafe(|| f(selected))) {
                Ok(Ok(value)) => return Ok((value, label)),
                Ok(Err(PluginError::Transient(why))) => {
                    return Err(UnitError::Transient(format!("{} {label}: {why}", S::NAME)));
                }
                Ok(Err(PluginError::Unhealthy(why))) => format!("reported unhealthy: {why}"),
                Err(payload) => format!("panicked: {}", panic_message(payload.as_ref())),
            };
            let version = selected.version().clone();
            tracing::warn!(event = "quarantine", slot = S::NAME, version = %version, reason = %reason);
            quarantine.add(S::NAME, version, reason);
            save_quarantine(state, quarantine);
            self.current = None; // Drop: the plugin's `stop` hook runs.
        }
    }

    /// Drops the active plugin if the policy now selects another version.
    fn revisit(&mut self, facts: &Facts, policy: &Policy, quarantine: &Quarantine) {
        if let Some(current) = &self.current {
            let report = Selector::new(facts, policy)
                .with_quarantine(quarantine)
                .explain::<S>();
            let now = report.selected.map(|c| c.version);
            if now != Some(current.registration().meta().version().text()) {
                tracing::info!(event = "reselect", slot = S::NAME, from = %current.version(), to = now.unwrap_or("none"));
                self.current = None;
            }
        }
    }

    fn stop(&mut self) {
        if let Some(current) = self.current.take() {
            tracing::info!(event = "stop", slot = S::NAME, version = %current.version());
        }
    }
}

/// Path of the quarantine state file in a state directory.
pub fn quarantine_file(state: &Path) -> PathBuf {
    state.join("quarantine.json")
}

fn save_quarantine(state: &Path, quarantine: &Quarantine) {
    let json = serde_json::to_vec_pretty(quarantine).expect("quarantine serializes");
    if let Err(e) = edge_contract::write_atomically(state, "quarantine.json", &json) {
        tracing::error!(event = "state_write_failed", path = %quarantine_file(state).display(), error = %e);
    }
}

/// Reads a quarantine state file; a missing file is an empty quarantine.
pub fn load_quarantine(path: &Path) -> Result<Quarantine, String> {
    match muster::read_input_file(path, muster::MAX_INPUT_BYTES) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| format!("invalid state file {}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Quarantine::new()),
        Err(e) => Err(format!("cannot read state file {}: {e}", path.display())),
    }
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
    checksum: Active<dyn Checksum>,
    uplink: Active<dyn Uplink>,
    showcase: Active<dyn Showcase>,
    processed: u64,
    failed_slots: Vec<String>,
    stop: Arc<AtomicBool>,
    exe_stamp: Option<Stamp>,
}

impl Agent {
    /// Prepares an agent: opens the spool, reads the policy, records the
    /// executable's identity. `stop` is set by signal handlers.
    pub fn new(
        options: Options,
        facts: Facts,
        layers: PolicyLayers,
        stop: Arc<AtomicBool>,
    ) -> anyhow::Result<Agent> {
        let spool = Spool::open(&options.spool)?;
        let policy_stamp = layers.file.as_deref().and_then(stamp);
        let policy = layers.load()?;
        for warning in policy.unknown_rules() {
            tracing::warn!(event = "policy_warning", warning = %warning);
        }
        let quarantine = Quarantine::new();
        save_quarantine(&spool.state(), &quarantine);
        let exe_stamp = options.watch_exe.as_deref().and_then(stamp);
        Ok(Agent {
            options,
            spool,
            facts,
            layers,
            policy,
            policy_stamp,
            quarantine,
            checksum: Active::new(),
            uplink: Active::new(),
            showcase: Active::new(),
            processed: 0,
            failed_slots: Vec::new(),
            stop,
            exe_stamp,
        })
    }

    /// Runs until `--once` is done, a signal arrives or the executable is replaced;
    /// every plugin's `stop` hook has run when this returns.
    pub fn run(&mut self) -> anyhow::Result<Exit> {
        let exit = loop {
            if let Some(exit) = self.tick()? {
                break exit;
            }
            if self.options.once {
                break Exit::Finished {
                    failed_slots: self.failed_slots.clone(),
                };
            }
            if let Some(exit) = self.pause() {
                break exit;
            }
        };
        self.shutdown();
        match &exit {
            Exit::Upgraded(why) => tracing::warn!(event = "upgrade_exit", reason = %why),
            Exit::Stopped => tracing::info!(event = "signal_exit"),
            Exit::Finished { .. } => tracing::info!(event = "finished", processed = self.processed),
        }
        Ok(exit)
    }

    fn pause(&self) -> Option<Exit> {
        let until = Instant::now() + self.options.interval;
        loop {
            if let Some(exit) = self.interrupted() {
                return Some(exit);
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
                tracing::info!(event = "policy_reloaded", path = %path.display());
                for warning in policy.unknown_rules() {
                    tracing::warn!(event = "policy_warning", warning = %warning);
                }
                self.policy = policy;
                self.revisit_all();
            }
            Err(e) => {
                tracing::error!(event = "policy_rejected", path = %path.display(), error = %e, "keeping the last good policy")
            }
        }
    }

    /// Lifts quarantines older than the policy's `quarantine_seconds`; the slots
    /// then reselect, so a recovered newer version comes back.
    fn expire_quarantine(&mut self) {
        let Some((ttl, _)) = self.policy.quarantine_seconds else {
            return;
        };
        let lifted = self.quarantine.expire(ttl, muster::now_unix());
        if lifted.is_empty() {
            return;
        }
        for (slot, entry) in &lifted {
            tracing::info!(event = "quarantine_expired", slot = %slot, version = %entry.version, after_seconds = ttl);
        }
        save_quarantine(&self.spool.state(), &self.quarantine);
        self.revisit_all();
    }

    fn revisit_all(&mut self) {
        self.checksum
            .revisit(&self.facts, &self.policy, &self.quarantine);
        self.uplink
            .revisit(&self.facts, &self.policy, &self.quarantine);
        self.showcase
            .revisit(&self.facts, &self.policy, &self.quarantine);
    }

    /// Re-reads the policy file if it changed, and lifts expired quarantines.
    fn refresh(&mut self) {
        self.reload_policy();
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
            self.refresh();
            match self.process(input) {
                Ok(()) => {
                    self.processed += 1;
                    pending -= 1;
                }
                Err(UnitError::SlotFailed(slot)) => {
                    self.failed_slots.push(slot.to_owned());
                    tracing::error!(event = "unit_kept", file = %input.name, slot, "no acceptable version left; input kept for later");
                    break;
                }
                Err(UnitError::Transient(why)) => {
                    tracing::warn!(event = "unit_kept", file = %input.name, reason = %why, "input kept for the next tick");
                }
                Err(UnitError::Io(why)) => {
                    tracing::error!(event = "unit_kept", file = %input.name, reason = %why, "input kept");
                }
            }
        }
        let status = Status {
            host: self.facts.hostname.clone(),
            processed: self.processed,
            pending,
            failed_slots: self.failed_slots.clone(),
        };
        let state = self.spool.state();
        match self.showcase.call(
            &self.facts,
            &self.policy,
            &mut self.quarantine,
            &state,
            |s| Ok(s.render(&status)),
        ) {
            Ok((line, _)) => tracing::info!(event = "status", "{line}"),
            Err(_) => {
                if !self.failed_slots.iter().any(|s| s == "showcase") {
                    self.failed_slots.push("showcase".to_owned());
                }
            }
        }
        Ok(None)
    }

    fn process(&mut self, input: &Input) -> Result<(), UnitError> {
        let bytes = std::fs::read(&input.path)
            .map_err(|e| UnitError::Io(format!("cannot read {}: {e}", input.path.display())))?;
        let state = self.spool.state();
        let (crc, checksum_plugin) = self.checksum.call(
            &self.facts,
            &self.policy,
            &mut self.quarantine,
            &state,
            |c| Ok(c.crc32c(&bytes)),
        )?;
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
        let (receipt, uplink_plugin) = self.uplink.call(
            &self.facts,
            &self.policy,
            &mut self.quarantine,
            &state,
            |u| u.deliver(&report, &ctx),
        )?;
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
}
