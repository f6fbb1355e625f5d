//! Metrics for a host without an HTTP server: a [`Snapshot`] of what the host knows
//! (its build, the decision for every slot, held slots, quarantine, strikes and work
//! counters), rendered by [`encode`] in the Prometheus text format and written by a
//! [`MetricsFile`] into node_exporter's textfile collector directory, atomically.
//!
//! The rendering is the Prometheus organisation's client crate (`prometheus-client`),
//! its text exposition format 0.0.4: the format the textfile collector parses (it
//! reads no OpenMetrics: an OpenMetrics `info` type is a parse error there). Every
//! slot compiled in has its per-slot samples even when it selects nothing, so the
//! absence of a sample never means zero. The metrics, their types and labels are in
//! the operator guide (`docs/operator.md`, "Metrics").
//!
//! ```no_run
//! use muster::{Facts, Policy, Quarantine, Selector};
//! use muster_kit::crash::Strikes;
//! use muster_kit::metrics::{self, BuildLabels, Counters, MetricsFile, Snapshot};
//!
//! # fn main() -> Result<(), metrics::MetricsError> {
//! // At start: a bad path or interval is the operator's input error.
//! let file = MetricsFile::new("/var/lib/node_exporter/textfile/my-host.prom")?;
//! let interval = metrics::check_interval(15)?;
//! # let _ = interval;
//! // Every interval (or after every unit of work):
//! let (facts, policy, quarantine) = (Facts::probe(), Policy::new(), Quarantine::new());
//! let selector = Selector::new(&facts, &policy)
//!     .with_quarantine(&quarantine)
//!     .with_fallbacks(true);
//! let report = selector.explain_all();
//! let fallbacks = selector.fallbacks(&report);
//! let snapshot = Snapshot {
//!     build: BuildLabels::of(&muster_kit::host_build!()),
//!     report: &report,
//!     fallbacks: &fallbacks,
//!     held: &[],
//!     quarantine: &quarantine,
//!     strikes: &Strikes::new(),
//!     counters: &Counters::default(),
//!     now_unix: muster_kit::crash::now_unix(),
//! };
//! file.write(&metrics::encode(&snapshot))?;
//! # Ok(())
//! # }
//! ```

mod encode;
mod write;

use std::collections::BTreeMap;
use std::time::Duration;

use muster::{Choice, Quarantine, Report};

use crate::build_info::HostBuild;
use crate::crash::Strikes;

pub use crate::metrics::encode::encode;
pub use crate::metrics::write::{MetricsError, MetricsFile};

/// The shortest interval between two writes [`check_interval`] accepts, in seconds.
pub const MIN_INTERVAL_SECONDS: u64 = 1;
/// The longest interval between two writes [`check_interval`] accepts, in seconds (a
/// day).
pub const MAX_INTERVAL_SECONDS: u64 = 86_400;

/// What a host knows at one moment, rendered by [`encode`].
#[derive(Debug, Clone, Copy)]
pub struct Snapshot<'a> {
    /// The build: `muster_build_info`.
    pub build: BuildLabels<'a>,
    /// The decision for every slot compiled in: for the live decision,
    /// `Selector::new(&facts, &policy).with_quarantine(&q).with_fallbacks(true).explain_all()`.
    pub report: &'a Report,
    /// Each slot's fallback, what the slot would select with its selected version set
    /// aside: `(slot, selected, fallback)` as [`Selector::fallbacks`] returns them for
    /// `report` (free when the report was made `with_fallbacks(true)`); empty: none
    /// reported.
    ///
    /// [`Selector::fallbacks`]: muster::Selector::fallbacks
    pub fallbacks: &'a [(&'static str, Choice, Option<Choice>)],
    /// The slots held: a version would run but for the quarantine (the host decides
    /// with and without it).
    pub held: &'a [String],
    /// The quarantined versions.
    pub quarantine: &'a Quarantine,
    /// The strikes against versions (crash memory).
    pub strikes: &'a Strikes,
    /// The host's work counters.
    pub counters: &'a Counters,
    /// Now, in seconds since the Unix epoch: `muster_metrics_written_timestamp_seconds`.
    pub now_unix: u64,
}

/// The labels of `muster_build_info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuildLabels<'a> {
    /// The host package (`edge-agent`).
    pub package: &'a str,
    /// Its version (`0.1.0`).
    pub version: &'a str,
    /// The deployment set it was built as (`default`); empty when it was built
    /// without one.
    pub set: &'a str,
}

impl BuildLabels<'static> {
    /// The labels of a host's build, as [`host_build!`](crate::host_build) captured it.
    pub fn of(build: &HostBuild) -> BuildLabels<'static> {
        BuildLabels {
            package: build.name,
            version: build.version,
            set: build.set.unwrap_or(""),
        }
    }
}

/// What a host counts while it works, since it started.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counters {
    /// Per slot: in-process failovers to an older version.
    pub failovers: BTreeMap<String, u64>,
    /// Inputs (units of work) finished successfully.
    pub inputs_done: u64,
    /// Inputs that failed.
    pub inputs_failed: u64,
    /// Inputs waiting to be processed, now.
    pub inputs_waiting: u64,
    /// When the last unit finished successfully, in seconds since the Unix epoch.
    pub last_success_unix: Option<u64>,
}

/// The interval between two metrics writes, checked: 1 to 86,400 seconds (a day).
/// Zero would rewrite the file in a busy loop; more than a day is almost surely a unit
/// mistake, and would leave node_exporter serving a stale file that long.
pub fn check_interval(seconds: u64) -> Result<Duration, MetricsError> {
    if (MIN_INTERVAL_SECONDS..=MAX_INTERVAL_SECONDS).contains(&seconds) {
        Ok(Duration::from_secs(seconds))
    } else {
        Err(MetricsError::Interval { seconds })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::metrics::{MAX_INTERVAL_SECONDS, check_interval};

    #[test]
    fn the_interval_is_one_second_to_a_day() {
        assert_eq!(check_interval(1).unwrap(), Duration::from_secs(1));
        assert_eq!(
            check_interval(MAX_INTERVAL_SECONDS).unwrap(),
            Duration::from_secs(86_400)
        );
        for bad in [0, MAX_INTERVAL_SECONDS + 1, u64::MAX] {
            let err = check_interval(bad).unwrap_err().to_string();
            assert_eq!(
                err,
                format!(
                    "metrics interval {bad} s is out of bounds: give 1 to 86400 seconds (a day)"
                )
            );
        }
    }
}
