//! `Selector::with_start`: an explaining dry run that runs `start` (then `stop`)
//! decides exactly as `select` does; without it, nothing is started.

// The slot and its plugins share this crate, so linkme's element macro is local.
#![allow(unsafe_code)]

use std::sync::Mutex;

use muster::{Facts, Outcome, Policy, Rejection, Selector, Slot};

/// Does a thing after starting.
#[muster::slot]
pub trait Engine: Send + Sync {
    /// Which engine.
    fn which(&self) -> &'static str;
}

/// The hook calls, in order, and whether the new engine's start fails.
static HOOKS: Mutex<Vec<String>> = Mutex::new(Vec::new());
static FAIL_START: Mutex<bool> = Mutex::new(false);

#[derive(Default)]
#[muster::plugin(slot = Engine, version = "1.0.0")]
struct Old;
impl Engine for Old {
    fn which(&self) -> &'static str {
        "old"
    }
}

#[derive(Default)]
#[muster::plugin(slot = Engine, version = "2.0.0")]
struct New;
impl Engine for New {
    fn which(&self) -> &'static str {
        "new"
    }
    fn start(&mut self) -> Result<(), Rejection> {
        HOOKS.lock().unwrap().push("start".into());
        if *FAIL_START.lock().unwrap() {
            return Err(Rejection::new("no fuel"));
        }
        Ok(())
    }
    fn stop(&mut self) {
        HOOKS.lock().unwrap().push("stop".into());
    }
}

fn hooks() -> Vec<String> {
    std::mem::take(&mut *HOOKS.lock().unwrap())
}

#[test]
fn explaining_with_start_decides_like_select_and_stops_what_it_started() {
    let facts = Facts::from_json(
        r#"{"hostname":"t","os":"linux","arch":"x86_64","cpu_features":[],"logical_cores":1,"memory_mb":64,"labels":{}}"#,
        "t",
    )
    .unwrap();
    let policy = Policy::new();
    let plain = Selector::new(&facts, &policy);
    let started = plain.with_start(true);
    assert!(!plain.runs_start() && started.runs_start());

    // Start succeeds: same choice either way; only the started dry run ran the hooks.
    assert_eq!(
        plain.explain::<dyn Engine>().selected.unwrap().version,
        "2.0.0"
    );
    assert_eq!(hooks(), Vec::<String>::new(), "explaining starts nothing");
    assert_eq!(
        started.explain::<dyn Engine>().selected.unwrap().version,
        "2.0.0"
    );
    assert_eq!(hooks(), ["start", "stop"]);

    // Start fails: the plain dry run still says 2.0.0 (it cannot know); the started one
    // agrees with select.
    *FAIL_START.lock().unwrap() = true;
    assert_eq!(
        plain.explain::<dyn Engine>().selected.unwrap().version,
        "2.0.0"
    );
    let report = started.explain::<dyn Engine>();
    assert_eq!(report.selected.unwrap().version, "1.0.0");
    let new = report
        .tried()
        .iter()
        .find(|c| c.version == "2.0.0")
        .unwrap();
    assert_eq!(new.outcome, Outcome::Rejected);
    assert_eq!(new.reason.as_deref(), Some("start failed: no fuel"));
    hooks();
    let selected = plain.select::<dyn Engine>().unwrap();
    assert_eq!(selected.version().to_string(), "1.0.0");
    assert_eq!(selected.which(), "old");
    assert_eq!(<dyn Engine as Slot>::NAME, "engine");
}
