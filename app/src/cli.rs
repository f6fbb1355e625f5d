//! The command line of `edge-agent` (clap derive; doc comments are the help text).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use edge_agent::exit_status::ExitStatus;
use edge_agent::policy::{DenyFlag, PinFlag, RolloutFlag};

/// An unattended edge agent built from muster plugins: every plugin version is
/// compiled in; the newest acceptable one is chosen per slot on each host.
#[derive(Debug, Parser)]
#[command(name = "edge-agent", version, after_help = ExitStatus::help())]
pub(crate) struct Cli {
    /// Log format of `run`'s events on stderr (filter with RUST_LOG, e.g. RUST_LOG=debug).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub(crate) log_format: LogFormat,
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

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Inspect the plugins compiled into this binary and the decisions for hosts.
    #[command(subcommand)]
    Plugins(PluginsCommand),
    /// Print this host's facts (the JSON is what --facts reads).
    Facts {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// What this binary contains and how it was built.
    BuildInfo {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Process the spool: checksum each input, hand a report to the uplink.
    Run(RunArgs),
    /// Show or lift the quarantines and strikes an agent keeps in its state
    /// directory (they survive restarts).
    #[command(subcommand)]
    Quarantine(QuarantineCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum QuarantineCommand {
    /// Quarantined versions and strikes, with codes `quarantined` / `strikes`.
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
    /// Print JSON: {"quarantined": [...], "strikes": [...]}.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum PluginsCommand {
    /// Everything compiled in: slot, name, version, team, crate, requires.
    List {
        /// Print JSON: {"plugins": [{"slot","name","version","team","crate",...}]}.
        #[arg(long)]
        json: bool,
    },
    /// The decision for this host (or the host in --facts), every candidate's
    /// outcome and reason.
    Explain(ExplainArgs),
    /// The decision for every host whose facts file (*.json, or with --ansible an
    /// Ansible fact cache file) is in DIR, and how staged rollouts land; with
    /// --diff-policy, which hosts change which slot under a proposed policy.
    Fleet(FleetArgs),
}

#[derive(Debug, Args)]
pub(crate) struct PolicyArgs {
    /// Pin a slot to a semver requirement, e.g. --pin showcase=^0.1 (repeatable).
    /// A slot that is not compiled in is an error (exit 4).
    #[arg(long = "pin", value_name = "SLOT=REQ")]
    pub(crate) pins: Vec<PinFlag>,
    /// Deny an exact version, e.g. --deny showcase@0.10.0 (repeatable). A slot or
    /// version that is not compiled in is an error (exit 4).
    #[arg(long = "deny", value_name = "SLOT@VERSION")]
    pub(crate) denies: Vec<DenyFlag>,
    /// Allow pre-release versions to be selected.
    #[arg(long)]
    pub(crate) allow_prerelease: bool,
    /// Admit a version (or a requirement's versions) on a share of hosts only,
    /// bucketed by host id, e.g. --rollout showcase@0.10.0=10% (repeatable; label
    /// conditions and salts: in the policy file). A slot or version that is not
    /// compiled in is an error (exit 4).
    #[arg(long = "rollout", value_name = "SLOT@VERSION=SHARE")]
    pub(crate) rollouts: Vec<RolloutFlag>,
    /// A TOML policy file ([pin], [deny], [[rollout]], allow_prerelease); flags
    /// override MUSTER_PIN/MUSTER_DENY/MUSTER_ROLLOUT/MUSTER_ALLOW_PRERELEASE, which
    /// override the file.
    #[arg(long, value_name = "FILE")]
    pub(crate) policy: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// Only this slot.
    #[arg(long)]
    pub(crate) slot: Option<String>,
    /// Decide for the host described by FILE (from `edge-agent facts --json`).
    #[arg(long, value_name = "FILE")]
    pub(crate) facts: Option<PathBuf>,
    /// Also run the selected versions' start (then stop) hooks, as `run` does: a
    /// version whose start fails is rejected and an older one chosen. Without it,
    /// nothing is started and the output says what `run` would use if a start failed.
    #[arg(long, conflicts_with = "facts")]
    pub(crate) start: bool,
    /// Show the quarantine of a running agent (its spool or state directory).
    #[arg(long, value_name = "DIR")]
    pub(crate) state: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) policy: PolicyArgs,
    /// Print JSON: {"slots": [{"slot","selected","candidates"}], ...}.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct FleetArgs {
    /// Directory of facts files, one per host.
    #[arg(value_name = "DIR")]
    pub(crate) dir: PathBuf,
    /// DIR is Ansible's fact cache (`ansible -m setup --tree DIR`, or the jsonfile
    /// cache): muster facts are read from `ansible_local.muster` in every file.
    #[arg(long)]
    pub(crate) ansible: bool,
    /// Compare with a proposed policy FILE (layered under the same environment and
    /// flags, in place of --policy): which hosts change which slot, from -> to.
    #[arg(long, value_name = "FILE")]
    pub(crate) diff_policy: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) policy: PolicyArgs,
    /// Print JSON.
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
    #[command(flatten)]
    pub(crate) policy: PolicyArgs,
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
