//! The agent's metrics file for node_exporter's textfile collector (the kit's
//! [`muster_kit::metrics`]): written at start, whenever what it shows changes (a
//! selection, a quarantine, a hold, a strike) and at least every interval, and once
//! more at exit. A write that fails is one error event (per failure streak); the agent
//! keeps working.

use std::time::{Duration, Instant};

use muster::{Facts, Policy, Quarantine, Selector};
use muster_kit::crash::{Strikes, now_unix};
use muster_kit::metrics::{self, BuildLabels, Counters, MetricsFile, Snapshot};

/// The interval when the policy sets none: node_exporter's usual scrape interval.
pub(crate) const DEFAULT_INTERVAL: Duration = Duration::from_secs(15);

/// The metrics file, its interval and what was last written.
#[derive(Debug)]
pub(crate) struct Metrics {
    file: MetricsFile,
    interval: Duration,
    build: BuildLabels<'static>,
    last: Option<(Instant, String)>,
    failing: bool,
    /// What the agent counts while it works.
    pub(crate) counters: Counters,
}

/// What the metrics show that changes with a decision: compared to decide whether to
/// write before the interval is up.
pub(crate) type Signature = String;

impl Metrics {
    /// The metrics of `policy` (`metrics_file`, `metrics_interval_seconds`): `None`
    /// without a file; an error naming the key, where it came from and what is wrong.
    pub(crate) fn from_policy(policy: &Policy) -> Result<Option<Metrics>, String> {
        let Some((path, source)) = &policy.metrics_file else {
            return Ok(None);
        };
        let file = MetricsFile::new(path.clone())
            .map_err(|e| format!("metrics_file (from {source}): {e}"))?;
        let interval = match &policy.metrics_interval_seconds {
            Some((seconds, source)) => metrics::check_interval(*seconds)
                .map_err(|e| format!("metrics_interval_seconds (from {source}): {e}"))?,
            None => DEFAULT_INTERVAL,
        };
        Ok(Some(Metrics {
            file,
            interval,
            build: BuildLabels::of(&muster_kit::host_build!()),
            last: None,
            failing: false,
            counters: Counters::default(),
        }))
    }

    /// Whether the file and interval are those of `other` (a reload keeps the counters).
    pub(crate) fn same_settings(&self, other: &Metrics) -> bool {
        self.file.path() == other.file.path() && self.interval == other.interval
    }

    /// Keeps the counters of `old` (a policy reload changed the settings).
    pub(crate) fn take_counters(&mut self, old: Metrics) {
        self.counters = old.counters;
    }

    /// Whether the interval since the last write is up (cheap: what the pause between
    /// ticks asks every 50 ms; what the file shows changes only during a tick).
    pub(crate) fn interval_up(&self) -> bool {
        self.last
            .as_ref()
            .is_none_or(|(at, _)| at.elapsed() >= self.interval)
    }

    /// Writes the file when `signature` differs from the last write's or the interval
    /// is up (`force`: now).
    pub(crate) fn maybe_write(&mut self, now: &State<'_>, signature: Signature, force: bool) {
        let due = match &self.last {
            None => true,
            Some((at, last)) => force || *last != signature || at.elapsed() >= self.interval,
        };
        if due {
            self.write(now);
            self.last = Some((Instant::now(), signature));
        }
    }

    fn write(&mut self, now: &State<'_>) {
        let selector = Selector::new(now.facts, now.policy)
            .with_quarantine(now.quarantine)
            .with_fallbacks(true);
        let report = selector.explain_all();
        let fallbacks = selector.fallbacks(&report);
        let snapshot = Snapshot {
            build: self.build,
            report: &report,
            fallbacks: &fallbacks,
            held: now.held,
            quarantine: now.quarantine,
            strikes: now.strikes,
            counters: &self.counters,
            now_unix: now_unix(),
        };
        match self.file.write(&metrics::encode(&snapshot)) {
            Ok(()) if self.failing => {
                self.failing = false;
                tracing::info!(event = "metrics_written", path = %self.file.path().display(), "the metrics file is written again");
            }
            Ok(()) => {}
            Err(error) if !self.failing => {
                self.failing = true;
                tracing::error!(event = "metrics_write_failed", path = %self.file.path().display(), error = %error, "the agent keeps working; logged once until a write succeeds");
            }
            Err(_) => {}
        }
    }
}

/// What a write shows, borrowed from the agent.
pub(crate) struct State<'a> {
    pub(crate) facts: &'a Facts,
    pub(crate) policy: &'a Policy,
    pub(crate) quarantine: &'a Quarantine,
    pub(crate) strikes: &'a Strikes,
    pub(crate) held: &'a [String],
}
