//! The operator commands' command line (clap derive; doc comments are the help text):
//! a host flattens [`Command`] into its own subcommands.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::policy::{DenyFlag, PinFlag, RolloutFlag};

/// `plugins list|explain|fleet`, `facts` and `build-info`. `E` adds a host's own
/// arguments to `plugins explain` ([`NoExtra`]: none).
///
/// The arguments of `facts` and `build-info` are added to the command line only
/// when it names them (clap's `defer`): a command line builds what it parses.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command<E: Args = NoExtra> {
    /// Inspect the plugins compiled into this binary and the decisions for hosts.
    #[command(subcommand)]
    Plugins(PluginsCommand<E>),
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
}

/// No extra arguments to `plugins explain`.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct NoExtra {}

/// `plugins ...`.
#[derive(Debug, Subcommand)]
pub enum PluginsCommand<E: Args = NoExtra> {
    /// Everything compiled in: slot, name, version, team, crate, requires.
    List {
        /// Print JSON: {"plugins": [{"slot","name","version","team","crate",...}]}.
        #[arg(long)]
        json: bool,
    },
    /// The decision for this host (or the host in --facts), every candidate's
    /// outcome and reason.
    Explain(ExplainArgs<E>),
    /// The decision for every host whose facts file (*.json, or with --ansible an
    /// Ansible fact cache file) is in DIR, and how staged rollouts land; with
    /// --diff-policy, which hosts change which slot under a proposed policy.
    Fleet(FleetArgs),
    /// Check a policy file against what is compiled in: exit 4 on a parse error or a
    /// rule naming a slot or version that is not (deployment tools run it before a
    /// new policy replaces the old one).
    PolicyCheck(crate::policy_check::PolicyCheckArgs),
}

// The doc comments are the `--help` text, shown verbatim: `[pin]` there is a TOML
// table, not a rustdoc link. The struct's own documentation is for rustdoc only:
// clap would make it the `about` of every command that flattens these flags, in
// place of that command's own when the command is built late (`defer`).
#[allow(rustdoc::broken_intra_doc_links)]
#[cfg_attr(
    doc,
    doc = "The policy flags and `--policy FILE`, layered over the `MUSTER_*` environment."
)]
#[cfg_attr(not(doc), allow(missing_docs))]
#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// Pin a slot to a semver requirement, e.g. --pin my_slot=^0.1 (repeatable).
    /// A slot that is not compiled in is an error (exit 4).
    #[arg(long = "pin", value_name = "SLOT=REQ")]
    pub pins: Vec<PinFlag>,
    /// Deny an exact version, e.g. --deny my_slot@0.10.0 (repeatable). A slot or
    /// version that is not compiled in is an error (exit 4).
    #[arg(long = "deny", value_name = "SLOT@VERSION")]
    pub denies: Vec<DenyFlag>,
    /// Allow pre-release versions to be selected.
    #[arg(long)]
    pub allow_prerelease: bool,
    /// Admit a version (or a requirement's versions) on a share of hosts only,
    /// bucketed by host id, e.g. --rollout my_slot@0.10.0=10% (repeatable; label
    /// conditions and salts: in the policy file). A slot or version that is not
    /// compiled in is an error (exit 4).
    #[arg(long = "rollout", value_name = "SLOT@VERSION=SHARE")]
    pub rollouts: Vec<RolloutFlag>,
    /// A TOML policy file ([pin], [deny], [[rollout]], allow_prerelease); flags
    /// override MUSTER_PIN/MUSTER_DENY/MUSTER_ROLLOUT/MUSTER_ALLOW_PRERELEASE, which
    /// override the file.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

/// `plugins explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs<E: Args = NoExtra> {
    /// Only this slot.
    #[arg(long)]
    pub slot: Option<String>,
    /// Decide for the host described by FILE (what `facts --json` prints).
    #[arg(long, value_name = "FILE")]
    pub facts: Option<PathBuf>,
    /// Also run the selected versions' start (then stop) hooks, as the host does: a
    /// version whose start fails is rejected and an older one chosen. Without it,
    /// nothing is started and the output says what would be used if a start failed.
    #[arg(long, conflicts_with = "facts")]
    pub start: bool,
    /// The host's own arguments.
    #[command(flatten)]
    pub extra: E,
    /// The policy.
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Print JSON: {"slots": [{"slot","selected","candidates"}], ...}.
    #[arg(long)]
    pub json: bool,
}

/// `plugins fleet`.
#[derive(Debug, Args)]
pub struct FleetArgs {
    /// Directory of facts files, one per host (with --observed: of gathered reports).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// DIR holds one gathered `plugins explain --json` report per host (file name =
    /// host): show per slot the hosts that decided otherwise than the preview for
    /// the policy given here, with reason codes. Exit 4 when a report is unreadable
    /// (listed; the other hosts are still compared).
    #[arg(long, conflicts_with_all = ["ansible", "diff_policy"])]
    pub observed: bool,
    /// DIR is Ansible's fact cache (`ansible -m setup --tree DIR`, or the jsonfile
    /// cache): muster facts are read from `ansible_local.muster` in every file.
    #[arg(long)]
    pub ansible: bool,
    /// Compare with a proposed policy FILE (layered under the same environment and
    /// flags, in place of --policy): which hosts change which slot, from -> to.
    #[arg(long, value_name = "FILE")]
    pub diff_policy: Option<PathBuf>,
    /// The policy.
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use clap::Subcommand;

    use crate::command::{Command, NoExtra};

    /// The kit's commands, flattened into a host's command line, are consistent
    /// (clap's own checks: no clashing flags, valid defaults).
    #[test]
    fn verify_cli() {
        Command::<NoExtra>::augment_subcommands(clap::Command::new("host")).debug_assert();
    }
}
