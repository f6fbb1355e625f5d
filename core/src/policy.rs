//! Operator policy: per-slot version pins, denied versions, pre-releases, staged
//! rollouts.
//!
//! Policies come from strings (`showcase=^0.1`, `showcase@0.3.0`), from the
//! environment, or from a TOML file, and are layered: flags over environment over
//! file. Every rule remembers where it came from, so reports can say so.
//!
//! One file a job: the model ([`model`]), where a rule came from ([`source`]), why a
//! rule was refused ([`error`]), the string forms ([`parse`]), the file ([`file`]),
//! the flag and environment layers ([`layer`]) and the check against the registry
//! ([`check`]).

mod check;
pub(crate) mod error;
mod file;
mod layer;
mod model;
pub(crate) mod parse;
pub(crate) mod source;

pub use crate::policy::error::PolicyError;
pub use crate::policy::layer::{
    DENY_ENV, METRICS_FILE_ENV, METRICS_INTERVAL_ENV, PIN_ENV, PRERELEASE_ENV,
};
pub use crate::policy::model::{Deny, Pin, Policy};
pub use crate::policy::parse::{DenyFlag, PinFlag};
pub use crate::policy::source::Source;
