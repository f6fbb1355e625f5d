//! The in-process deadline per plugin call (`--plugin-timeout`), for hosts without
//! a systemd watchdog: a thread that, when a call has run too long, records the
//! strike against its version (quarantining it at the policy's limit) and exits the
//! process with a documented code, so that any supervisor restarts it.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::agent::crash::CrashMemory;
use crate::agent::failover::lock;
use crate::agent::state;

/// Starts the deadline thread.
pub(crate) fn spawn(
    crash: Arc<Mutex<CrashMemory>>,
    state: PathBuf,
    timeout: Duration,
    exit_code: u8,
) -> std::io::Result<()> {
    let tick = (timeout / 4).clamp(Duration::from_millis(10), Duration::from_millis(250));
    std::thread::Builder::new()
        .name("plugin-deadline".to_owned())
        .spawn(move || {
            loop {
                std::thread::sleep(tick);
                let mut memory = lock(&crash);
                let Some(call) = memory.overdue(timeout).cloned() else {
                    continue;
                };
                // The main thread is stuck in the plugin and saved the quarantine
                // before the call; this thread holds the lock until the process exits.
                let mut quarantine =
                    state::load_quarantine(&state::quarantine_file(&state)).unwrap_or_default();
                let reason = format!(
                    "did not return within {} (unit {})",
                    humantime::format_duration(timeout),
                    call.unit
                );
                tracing::error!(event = "plugin_timeout", slot = %call.slot, version = %call.version, unit = %call.unit, timeout = %humantime::format_duration(timeout), exit_code, "exiting so the supervisor restarts the agent");
                memory.strike(&call, &reason, &mut quarantine);
                memory.abandon();
                std::process::exit(i32::from(exit_code));
            }
        })
        .map(drop)
}
