//! The command line of `edge-agent` (clap derive; doc comments are the help text).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use edge_agent::exit_status::ExitStatus;
use muster_kit::PolicyArgs;

/// An unattended edge agent built from muster plugins: every plugin version is
/// compiled in; the newest acceptable one is chosen per slot on each host.
#[derive(Debug, Parser)]
#[command(name = "edge-agent", version, after_help = ExitStatus::help())]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Each subcommand's arguments are added to the command line only when it names
/// the subcommand (clap's `defer`): `plugins explain` does not build `run`'s.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub(crate) enum Command {
    /// `plugins list|explain|fleet`, `facts`, `build-info`: muster's operator commands.
    #[command(flatten)]
    Operator(muster_kit::Command<ExplainState>),
    /// Process the spool: checksum each input, hand a report to the uplink.
    Run(RunArgs),
    /// Show or lift the quarantines and strikes an agent keeps in its state
    /// directory (they survive restarts).
    #[command(subcommand)]
    Quarantine(QuarantineCommand),
}

/// edge-agent's own `plugins explain` argument.
#[derive(Debug, Args)]
pub(crate) struct ExplainState {
    /// Show the quarantine of a running agent (its spool or state directory).
    #[arg(long, value_name = "DIR")]
    pub(crate) state: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub(crate) enum QuarantineCommand {
    /// Held slots, quarantined versions and strikes, with codes `held` /
    /// `quarantined` / `strikes`.
    List(StateArgs),
    /// Lift quarantines and forget strikes (all, or those of --slot / --version).
    /// A running agent picks the change up before its next unit.
    Clear {
        #[command(flatten)]
        state: StateArgs,
        /// Only this slot.
        #[arg(long)]
        slot: Option<String>,
        /// Only this version.
        #[arg(long)]
        version: Option<semver::Version>,
    },
}

#[derive(Debug, Args)]
pub(crate) struct StateArgs {
    /// The agent's spool or state directory.
    #[arg(long, visible_alias = "spool", value_name = "DIR")]
    pub(crate) state: PathBuf,
    /// Print JSON: {"held": [...], "quarantined": [...], "strikes": [...]}.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// The spool directory (incoming/, done/, state/ ...).
    #[arg(long, value_name = "DIR")]
    pub(crate) spool: PathBuf,
    /// Process what is in incoming/ once, then exit.
    #[arg(long)]
    pub(crate) once: bool,
    /// Pause between ticks, e.g. 500ms, 2s.
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = parse_duration)]
    pub(crate) interval: Duration,
    /// Delivery directory for online uplinks (default: <spool>/delivered).
    #[arg(long, value_name = "DIR")]
    pub(crate) uplink_target: Option<PathBuf>,
    /// Exit status when the executable is replaced.
    #[arg(long, value_name = "CODE", default_value_t = ExitStatus::Upgraded.code(), value_parser = clap::value_parser!(u8).range(1..))]
    pub(crate) upgrade_exit_code: u8,
    /// Do not watch the executable for replacement.
    #[arg(long)]
    pub(crate) no_watch_exe: bool,
    /// The longest one plugin call may run, e.g. 30s. When it overruns, the agent
    /// records a strike against the version (quarantined after the policy's
    /// `quarantine_strikes`) and exits 6 so a supervisor restarts it. Default: no
    /// deadline (under systemd, `WatchdogSec=` covers hangs).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) plugin_timeout: Option<Duration>,
    /// Log format of the events on stderr (filter with RUST_LOG, e.g. RUST_LOG=debug).
    /// Text is coloured only on a terminal, and not when NO_COLOR is set.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub(crate) log_format: LogFormat,
    /// Write metrics for node_exporter's textfile collector to FILE (a `.prom` file in
    /// its `--collector.textfile.directory`), atomically: at start, when a decision,
    /// quarantine, strike or hold changes, at least every --metrics-interval, and at
    /// exit. Also MUSTER_METRICS_FILE or the policy's `metrics_file`.
    #[arg(long, value_name = "FILE")]
    pub(crate) metrics_file: Option<PathBuf>,
    /// The longest time between two writes of the metrics file, in whole seconds (1s
    /// to 1d; default 15s). Also MUSTER_METRICS_INTERVAL_SECONDS or the policy's
    /// `metrics_interval_seconds`.
    #[arg(long, value_name = "DURATION", value_parser = parse_whole_seconds)]
    pub(crate) metrics_interval: Option<u64>,
    #[command(flatten)]
    pub(crate) policy: PolicyArgs,
}

/// A duration in whole seconds, e.g. `15s`, `2m`.
fn parse_whole_seconds(s: &str) -> Result<u64, String> {
    let d = parse_duration(s)?;
    if d.subsec_nanos() != 0 {
        return Err(format!("`{s}` is not a whole number of seconds"));
    }
    Ok(d.as_secs())
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s)
        .map_err(|e| format!("`{s}` is not a duration like 500ms or 2s: {e}"))?;
    if d.is_zero() {
        return Err("the duration must be greater than zero".to_owned());
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use crate::cli::Cli;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }
}
