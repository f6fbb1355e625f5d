//! The agent's state files in `<spool>/state/`: where they are, reading them
//! (strictly for operator commands, forgivingly at start), writing them atomically,
//! removing temporary files that a killed write left behind, and showing them
//! (`quarantine list`, `plugins explain --state`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use muster::{Quarantine, QuarantineEntry, ReasonCode};
use muster_kit::crash::{HELD_CODE, Hold, StrikeEntry, Strikes};
use semver::Version;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub use muster_kit::crash::{IN_FLIGHT_FILE, STRIKES_FILE};

/// File name of the quarantine in a state directory.
pub const QUARANTINE_FILE: &str = "quarantine.json";
/// File name of the held slots in a state directory: what the running agent holds
/// (`{"held": [{"code","slot","version","reason","since_unix","until_unix"}]}`),
/// for `quarantine list`; rewritten whenever a hold starts or ends.
pub const HELD_FILE: &str = "held.json";
/// A temporary file of [`edge_contract::write_atomically`] older than this is an
/// orphan of a killed write (a live write takes milliseconds).
pub const STALE_TEMPORARY: Duration = Duration::from_secs(10 * 60);

/// Path of the quarantine state file in a state directory.
pub fn quarantine_file(state: &Path) -> PathBuf {
    state.join(QUARANTINE_FILE)
}

/// The held slots as the agent wrote them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeldFile {
    /// One per held slot.
    pub held: Vec<Hold>,
}

/// The holds of the last run, at start (a corrupt file is set aside): kept until the
/// first decision confirms or ends each.
pub(crate) fn load_holds_at_start(state: &Path) -> BTreeMap<String, Hold> {
    let file: HeldFile = load_at_start(state, HELD_FILE);
    file.held.into_iter().map(|h| (h.slot.clone(), h)).collect()
}

/// Writes the held slots (logged, never fatal, like every state write).
pub(crate) fn save_holds(state: &Path, holds: &[&Hold]) {
    let file = HeldFile {
        held: holds.iter().map(|&h| h.clone()).collect(),
    };
    save(state, HELD_FILE, &file);
}

/// Path of the strikes state file in a state directory.
pub fn strikes_file(state: &Path) -> PathBuf {
    state.join(STRIKES_FILE)
}

/// The state directory for `dir` given by an operator: a spool's `state/` if it
/// has one, else `dir` itself.
pub fn state_dir(dir: &Path) -> PathBuf {
    let nested = dir.join("state");
    if nested.is_dir() {
        nested
    } else {
        dir.to_owned()
    }
}

/// Reads a quarantine state file; a missing file is an empty quarantine.
pub fn load_quarantine(path: &Path) -> Result<Quarantine, String> {
    load(path)
}

/// Reads a strikes state file; a missing file is no strikes.
pub fn load_strikes(path: &Path) -> Result<Strikes, String> {
    load(path)
}

fn load<T: DeserializeOwned + Default>(path: &Path) -> Result<T, String> {
    match muster::input::read_input_file(path, muster::input::MAX_INPUT_BYTES) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| format!("invalid state file {}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(e) => Err(format!("cannot read state file {}: {e}", path.display())),
    }
}

/// Loads a state file at start. A file that cannot be parsed (a crash or a full
/// disk can leave one) is renamed to `NAME.corrupt` for inspection and the agent
/// starts without it, logging why: its own state never stops it from starting.
pub(crate) fn load_at_start<T: DeserializeOwned + Default>(state: &Path, name: &str) -> T {
    let path = state.join(name);
    match load(&path) {
        Ok(value) => value,
        Err(error) => {
            set_aside(state, name, &error);
            T::default()
        }
    }
}

/// Renames the unreadable state file `name` to `NAME.corrupt` (kept for
/// inspection, never deleted) and logs why the agent goes on without it.
pub(crate) fn set_aside(state: &Path, name: &str, error: &str) {
    let path = state.join(name);
    let aside = state.join(format!("{name}.corrupt"));
    let moved = std::fs::rename(&path, &aside);
    tracing::error!(
        event = "state_file_invalid",
        path = %path.display(),
        error = %error,
        moved_to = %aside.display(),
        moved = moved.is_ok(),
        "starting without it"
    );
}

/// Writes a state file atomically; a failure is logged, not fatal.
pub(crate) fn save<T: Serialize>(state: &Path, name: &str, value: &T) -> bool {
    let json = serde_json::to_vec_pretty(value).expect("state serializes");
    match edge_contract::write_atomically(state, name, &json) {
        Ok(_) => true,
        Err(e) => {
            tracing::error!(event = "state_write_failed", path = %state.join(name).display(), error = %e);
            false
        }
    }
}

/// Writes the quarantine state file.
pub(crate) fn save_quarantine(state: &Path, quarantine: &Quarantine) {
    save(state, QUARANTINE_FILE, quarantine);
}

/// Removes temporary files of [`edge_contract::write_atomically`] in `dir` that are
/// older than `stale` at `now`; returns the paths removed. Only names of that
/// pattern are touched, so inputs and reports are never removed.
pub fn remove_stale_temporaries(dir: &Path, stale: Duration, now: SystemTime) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !edge_contract::is_temporary_name(name) {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        let old = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .is_some_and(|age| age >= stale);
        if meta.is_file() && old && std::fs::remove_file(entry.path()).is_ok() {
            removed.push(entry.path());
        }
    }
    removed
}

/// Machine-readable code of a version with strikes in state listings.
pub const CODE_STRIKES: &str = "strikes";

/// An agent's state (`quarantine list`, `explain --state`): one line per held slot
/// (code `held`), then one per quarantined version (code `quarantined`, as the
/// candidate's reason code in `explain`), then one per version with strikes (code
/// `strikes`).
pub fn state_text(quarantine: &Quarantine, strikes: &Strikes, held: &[Hold]) -> String {
    let mut out = String::new();
    for h in held {
        let _ = writeln!(out, "{HELD_CODE} {}@{}: {h}", h.slot, h.version);
    }
    for (slot, entries) in &quarantine.slots {
        for e in entries {
            let _ = writeln!(
                out,
                "{} {slot}@{} since {} (unix): {}",
                ReasonCode::Quarantined.as_str(),
                e.version,
                e.since_unix,
                e.reason
            );
        }
    }
    for (slot, entries) in &strikes.slots {
        for e in entries {
            let _ = writeln!(
                out,
                "{CODE_STRIKES} {slot}@{}: {} (last at {} unix): {}",
                e.version, e.count, e.last_unix, e.reason
            );
        }
    }
    if out.is_empty() {
        out.push_str("nothing quarantined, no strikes\n");
    }
    out
}

/// An agent's state as JSON: `{"held": [{"code","slot","version","reason",
/// "since_unix","until_unix"}], "quarantined": [{"code","slot","version",
/// "since_unix","reason"}], "strikes": [{"code","slot","version","count",
/// "last_unix","reason"}]}`.
pub fn state_json(quarantine: &Quarantine, strikes: &Strikes, held: &[Hold]) -> Value {
    let quarantined: Vec<Value> = quarantine
        .slots
        .iter()
        .flat_map(|(slot, entries)| {
            entries.iter().map(move |e| {
                json!({
                    "code": ReasonCode::Quarantined.as_str(),
                    "slot": slot,
                    "version": e.version.to_string(),
                    "since_unix": e.since_unix,
                    "reason": e.reason,
                })
            })
        })
        .collect();
    let struck: Vec<Value> = strikes
        .slots
        .iter()
        .flat_map(|(slot, entries)| {
            entries.iter().map(move |e| {
                json!({
                    "code": CODE_STRIKES,
                    "slot": slot,
                    "version": e.version.to_string(),
                    "count": e.count,
                    "last_unix": e.last_unix,
                    "reason": e.reason,
                })
            })
        })
        .collect();
    json!({ "held": held, "quarantined": quarantined, "strikes": struck })
}

/// An agent's state as an operator command sees it: strict (a corrupt file is an
/// error naming it, not set aside).
#[derive(Debug, Clone)]
pub struct StateView {
    /// The state directory.
    pub dir: PathBuf,
    /// Quarantined versions.
    pub quarantine: Quarantine,
    /// Strikes.
    pub strikes: Strikes,
    /// The slots the agent holds (its `held.json`; none when there is no file).
    pub held: Vec<Hold>,
}

/// What `clear` lifted.
pub type Cleared = (Vec<(String, QuarantineEntry)>, Vec<(String, StrikeEntry)>);

impl StateView {
    /// Reads the state in `dir` (a spool or its `state/`); an error when `dir`
    /// holds no agent state at all.
    pub fn load(dir: &Path) -> Result<StateView, String> {
        let state = state_dir(dir);
        let (q, s) = (quarantine_file(&state), strikes_file(&state));
        if !q.exists() && !s.exists() {
            return Err(format!(
                "no agent state in {} (expected {})",
                dir.display(),
                q.display()
            ));
        }
        let held = state.join(HELD_FILE);
        let held = if held.exists() {
            load::<HeldFile>(&held)?.held
        } else {
            Vec::new()
        };
        Ok(StateView {
            quarantine: load_quarantine(&q)?,
            strikes: load_strikes(&s)?,
            held,
            dir: state,
        })
    }

    /// Lifts the quarantines and forgets the strikes matching `slot` and
    /// `version` (`None` matches any), drops the holds on what was lifted, and
    /// writes the files.
    pub fn clear(
        &mut self,
        slot: Option<&str>,
        version: Option<&Version>,
    ) -> Result<Cleared, String> {
        let lifted = self.quarantine.remove(slot, version);
        let forgotten = self.strikes.remove(slot, version);
        self.held.retain(|h| {
            !lifted
                .iter()
                .any(|(s, e)| s == &h.slot && e.version == h.version)
        });
        let held = HeldFile {
            held: self.held.clone(),
        };
        for (name, value) in [
            (QUARANTINE_FILE, serde_json::to_vec_pretty(&self.quarantine)),
            (STRIKES_FILE, serde_json::to_vec_pretty(&self.strikes)),
            (HELD_FILE, serde_json::to_vec_pretty(&held)),
        ] {
            let json = value.expect("state serializes");
            edge_contract::write_atomically(&self.dir, name, &json)
                .map_err(|e| format!("cannot write {}: {e}", self.dir.join(name).display()))?;
        }
        Ok((lifted, forgotten))
    }
}
