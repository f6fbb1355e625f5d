//! `cargo auditable`: whether binaries embed their dependency list. `cargo xtask build` (and `repro`, `rebuild`) compile with `cargo auditable build`
//! so that the binary carries its dependency list where scanners (`cargo audit bin`,
//! Trivy, Grype, Syft) read it.

use anyhow::{Context, Result};

use crate::tools;

/// The flag that builds without it (never for a binary that ships).
pub(crate) const OPT_OUT: &str = "--no-auditable";

/// Whether binaries embed their dependency list: the choice `cargo xtask build` records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `cargo auditable build`.
    Auditable,
    /// `cargo build`, because `--no-auditable` said so.
    Plain,
}

impl Mode {
    /// `Auditable` unless `opt_out`; installs the pinned `cargo-auditable` into the tools
    /// cache on first use (an error, saying how to opt out, when that fails).
    pub(crate) fn choose(opt_out: bool) -> Result<Mode> {
        if opt_out {
            eprintln!(
                "warning: {OPT_OUT}: the binary will not carry its dependency list \
                 (`cargo audit bin`, Trivy, Grype and Syft see an opaque binary); not for shipping"
            );
            return Ok(Mode::Plain);
        }
        tools::ensure(&tools::table::CARGO_AUDITABLE).with_context(|| {
            format!(
                "`cargo xtask build` embeds the binary's dependency list with `cargo auditable \
                 build` so that `cargo audit bin` and other scanners can read it; pass {OPT_OUT} \
                 to build a binary without it (recorded as `\"auditable\": false` in the \
                 manifest; not for shipping)"
            )
        })?;
        Ok(Mode::Auditable)
    }

    /// The cargo arguments that start the build: `auditable build` or `build`.
    pub(crate) fn build_args(self) -> &'static [&'static str] {
        match self {
            Mode::Auditable => &["auditable", "build"],
            Mode::Plain => &["build"],
        }
    }

    pub(crate) fn is_auditable(self) -> bool {
        self == Mode::Auditable
    }
}
