//! systemd notifications (`Type=notify`): `READY=1` once the slots are selected,
//! `WATCHDOG=1` from the work loop, `STATUS=` with the status line, `STOPPING=1`.
//! Without `NOTIFY_SOCKET` (not under systemd) every call does nothing.

use std::time::{Duration, Instant};

use sd_notify::NotifyState;

/// Sends notifications, pinging the watchdog at most twice per `WatchdogSec=`.
#[derive(Debug)]
pub(crate) struct Notifier {
    enabled: bool,
    ping_every: Option<Duration>,
    last_ping: Option<Instant>,
    failed: bool,
}

impl Notifier {
    /// Reads `NOTIFY_SOCKET` and `WATCHDOG_USEC` from the environment.
    pub(crate) fn from_env() -> Notifier {
        Notifier {
            enabled: std::env::var_os("NOTIFY_SOCKET").is_some(),
            ping_every: sd_notify::watchdog_enabled().map(|d| d / 2),
            last_ping: None,
            failed: false,
        }
    }

    fn send(&mut self, state: &[NotifyState<'_>]) {
        if !self.enabled {
            return;
        }
        if let Err(e) = sd_notify::notify(state)
            && !self.failed
        {
            tracing::warn!(event = "notify_failed", error = %e, "systemd notification failed (logged once)");
            self.failed = true;
        }
    }

    /// The slots are selected: `READY=1` and the status.
    pub(crate) fn ready(&mut self, status: &str) {
        self.send(&[NotifyState::Ready, NotifyState::Status(status)]);
        self.last_ping = Some(Instant::now());
    }

    /// The loop is alive: `WATCHDOG=1`, when the watchdog is on and it is time.
    pub(crate) fn alive(&mut self) {
        let Some(every) = self.ping_every else {
            return;
        };
        if self.last_ping.is_some_and(|last| last.elapsed() < every) {
            return;
        }
        self.send(&[NotifyState::Watchdog]);
        self.last_ping = Some(Instant::now());
    }

    /// `STATUS=` with `line`.
    pub(crate) fn status(&mut self, line: &str) {
        self.send(&[NotifyState::Status(line)]);
    }

    /// `STOPPING=1`.
    pub(crate) fn stopping(&mut self) {
        self.send(&[NotifyState::Stopping]);
    }
}
