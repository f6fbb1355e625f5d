//! `cargo xtask build`: plan, sync check, check, then a static release build of one set
//! into `dist/<set>/`, verified (exactly the planned plugins, no dynamic loader) before
//! it is kept, with a manifest beside it.
//!
//! One file a job: the command and its arguments ([`args`]), what a build decides and
//! records ([`manifest`]), cargo's command line ([`compile`]), the checks of the binary
//! ([`verify`]), the files written into `dist/` ([`dist`]) and the checkout's state
//! ([`git`]).

mod args;
pub(crate) mod compile;
mod dist;
pub(crate) mod git;
pub(crate) mod manifest;
mod verify;

pub(crate) use crate::build::args::Build;
#[cfg(test)]
pub(crate) use crate::build::compile::remap_flags;
pub(crate) use crate::build::compile::repro_target_dir;
pub(crate) use crate::build::git::git_state;
#[cfg(test)]
pub(crate) use crate::build::manifest::Prepared;
pub(crate) use crate::build::manifest::{Binary, BuildManifest};
