//! What a host brings to the operator commands: its build and, optionally, its own
//! `plugins explain` arguments and sections.

use clap::Args;
use serde_json::Value;

use crate::build_info::HostBuild;
use muster::Quarantine;

/// A host of the operator commands.
///
/// ```
/// struct Ledger;
///
/// impl muster_kit::Host for Ledger {
///     type Explain = muster_kit::NoExtra;
///
///     fn build(&self) -> muster_kit::HostBuild {
///         muster_kit::host_build!()
///     }
/// }
/// ```
pub trait Host {
    /// The host's own `plugins explain` arguments ([`NoExtra`](crate::NoExtra): none).
    type Explain: Args;

    /// The host's build: `muster_kit::host_build!()`, expanded in the host crate.
    fn build(&self) -> HostBuild;

    /// What the host's `plugins explain` arguments add: a quarantine to decide
    /// under, and sections for the output. Errors are reported as the command's.
    fn explain_extra(&self, args: &Self::Explain) -> anyhow::Result<ExplainExtra> {
        let _ = args;
        Ok(ExplainExtra::default())
    }
}

/// What a host adds to one `plugins explain`.
#[derive(Debug, Default)]
pub struct ExplainExtra {
    /// Decide as if these versions were quarantined (a running host's quarantine).
    pub quarantine: Option<Quarantine>,
    /// Keys added to `plugins explain --json`.
    pub json: Vec<(String, Value)>,
    /// Text appended to `plugins explain`.
    pub text: String,
}
