//! The operator commands of a [`muster`] host, as a kit: `plugins list|explain|fleet`,
//! `facts`, `build-info` and the policy flags (`--pin`, `--deny`, `--rollout`,
//! `--allow-prerelease`, `--policy FILE`) layered over the `MUSTER_*` environment,
//! with their JSON shapes, exit codes ([`ExitStatus`]) and `--help` text.
//!
//! A host whose commands are these writes a [`Host`] and calls [`main`]:
//!
//! ```no_run
//! struct Ledger;
//!
//! impl muster_kit::Host for Ledger {
//!     type Explain = muster_kit::NoExtra;
//!
//!     fn build(&self) -> muster_kit::HostBuild {
//!         muster_kit::host_build!()
//!     }
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     muster_kit::main(&Ledger)
//! }
//! ```
//!
//! A host with commands of its own flattens [`Command`] into its clap `Subcommand`
//! (`#[command(flatten)] Operator(muster_kit::Command<MyExplainArgs>)`), calls
//! [`run`] for those, and maps errors to its exit codes ([`ExitStatus::of_error`]
//! names the kit's). Its own `plugins explain` arguments come through
//! [`Host::Explain`] and [`Host::explain_extra`]. `build-info` reads what
//! `cargo xtask build` embeds; a host's build script may add its profile, target and
//! features (`MUSTER_HOST_*`, see [`HostBuild`]).
//!
//! The building blocks are public too: policy layering ([`policy`]), renderings
//! ([`render`]), the fleet preview and its diff ([`fleet`], [`fleet_diff`]),
//! Ansible fact caches ([`ansible`]) and the error kinds ([`error`]).
//!
//! A host that runs plugin calls (not only decides) also gets **crash memory**
//! ([`crash`]): the in-flight record, strikes across restarts and the rule that
//! quarantines a version that keeps killing the process.
//!
//! A host without an HTTP server publishes **metrics** ([`metrics`]) through
//! node_exporter's textfile collector: a snapshot of its decisions, quarantine,
//! strikes and work counters in the Prometheus text format, written atomically.
//!
//! `muster`, the runtime, has no command line and no clap: plugin and contract
//! crates depend on it alone; only the host depends on this kit.

mod command;
mod host;
mod run;
mod table;

pub mod ansible;
pub mod build_info;
pub mod crash;
pub mod error;
pub mod exit_status;
pub mod fleet;
pub mod fleet_diff;
pub mod metrics;
pub mod observed;
pub mod policy;
pub mod policy_check;
pub mod render;
pub mod start_check;

/// What `host_build!`'s expansion names: not part of the API.
#[doc(hidden)]
pub mod __private {
    /// The `MUSTER_BUILD_*` names, for `host_build!`'s `option_env!`s.
    pub use muster_names::build_var;
}

pub use crate::__host_build as host_build;
pub use crate::build_info::{BuildInfo, HostBuild};
pub use crate::command::{Command, ExplainArgs, FleetArgs, NoExtra, PluginsCommand, PolicyArgs};
pub use crate::exit_status::ExitStatus;
pub use crate::host::{ExplainExtra, Host};
pub use crate::run::{is_broken_pipe, main, print, print_json, probe_facts, run};
