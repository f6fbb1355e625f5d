//! The environment variables the xtask sets and the runtime or a host reads: one
//! spelling each.
//!
//! `option_env!` takes only a literal (or a macro that expands to one), so each build
//! variable's name is written once, in [`build_var!`](crate::build_var), and the
//! constants below are made from it.

/// The name of a `MUSTER_BUILD_*` variable as a string literal: `set`, `plan` or
/// `manifest`, for code that needs the literal (`option_env!`); everyone else reads
/// [`BUILD_SET`], [`BUILD_PLAN`], [`BUILD_MANIFEST`].
///
/// ```
/// assert_eq!(muster_names::build_var!(set), muster_names::BUILD_SET);
/// let _: Option<&str> = option_env!(muster_names::build_var!(manifest));
/// ```
#[macro_export]
macro_rules! build_var {
    (set) => {
        "MUSTER_BUILD_SET"
    };
    (plan) => {
        "MUSTER_BUILD_PLAN"
    };
    (manifest) => {
        "MUSTER_BUILD_MANIFEST"
    };
}

/// `MUSTER_BUILD_SET`: the deployment set `cargo xtask build --set` built.
pub const BUILD_SET: &str = build_var!(set);

/// `MUSTER_BUILD_PLAN`: the hash of the plan the set resolved to.
pub const BUILD_PLAN: &str = build_var!(plan);

/// `MUSTER_BUILD_MANIFEST`: the build manifest (JSON) `cargo xtask build` embeds.
pub const BUILD_MANIFEST: &str = build_var!(manifest);

/// Every `MUSTER_BUILD_*` variable, for a host's build script to rerun on
/// (`cargo:rerun-if-env-changed=...`).
pub const BUILD_VARS: &[&str] = &[BUILD_SET, BUILD_PLAN, BUILD_MANIFEST];

/// The environment variable `cargo xtask test` sets, on a machine that cannot provide
/// what some tests need (not root, say), to the file where such a test records itself
/// (one line: the test and what it needs) instead of passing unrun; the run's summary
/// names each in its `not run` line. Unset, such a test fails, saying what it needs.
pub const NOT_RUN_VAR: &str = "MUSTER_NOT_RUN";
