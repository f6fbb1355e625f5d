//! The operator commands as a kit (feature `cli`): `plugins list|explain|fleet`,
//! `facts`, `build-info` and the policy flags (`--pin`, `--deny`, `--rollout`,
//! `--allow-prerelease`, `--policy FILE`) layered over the `MUSTER_*` environment,
//! with their JSON shapes, exit codes ([`ExitStatus`]) and `--help` text.
//!
//! A host whose commands are these writes a [`Host`] and calls [`main`]:
//!
//! ```no_run
//! struct Ledger;
//!
//! impl muster::cli::Host for Ledger {
//!     type Explain = muster::cli::NoExtra;
//!
//!     fn build(&self) -> muster::cli::HostBuild {
//!         muster::cli::host_build!()
//!     }
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     muster::cli::main(&Ledger)
//! }
//! ```
//!
//! A host with commands of its own flattens [`Command`] into its clap `Subcommand`
//! (`#[command(flatten)] Operator(muster::cli::Command<MyExplainArgs>)`), calls
//! [`run`] for those, and maps errors to its exit codes ([`ExitStatus::of_error`]
//! names the kit's). Its own `plugins explain` arguments come through
//! [`Host::Explain`] and [`Host::explain_extra`]. `build-info` reads what
//! `cargo xtask build` embeds; a host's build script may add its profile, target and
//! features (`MUSTER_HOST_*`, see [`HostBuild`]).
//!
//! The building blocks are public too: policy layering ([`policy`]), renderings
//! ([`render`]), the fleet preview and its diff ([`fleet`], [`fleet_diff`]),
//! Ansible fact caches ([`ansible`]) and the error kinds ([`error`]).

mod command;
mod host;
mod run;

pub mod ansible;
pub mod build_info;
pub mod error;
pub mod exit_status;
pub mod fleet;
pub mod fleet_diff;
pub mod observed;
pub mod policy;
pub mod policy_check;
pub mod render;
pub mod start_check;

pub use crate::__host_build as host_build;
pub use crate::cli::build_info::{BuildInfo, HostBuild};
pub use crate::cli::command::{
    Command, ExplainArgs, FleetArgs, NoExtra, PluginsCommand, PolicyArgs,
};
pub use crate::cli::exit_status::ExitStatus;
pub use crate::cli::host::{ExplainExtra, Host};
pub use crate::cli::run::{is_broken_pipe, main, print, print_json, probe_facts, run};
