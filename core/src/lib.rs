//! Many independently versioned plugins in one static binary; at run time, per
//! slot, the newest version that is acceptable on this host is chosen.
//!
//! No `dlopen`, no subprocess, no plugin files on disk: every plugin version is
//! compiled in and registered at link time (a [`linkme`] distributed slice per
//! slot; nothing runs before `main`). A host describes itself with [`Facts`], an
//! operator steers with a [`Policy`], and a [`Selector`] picks, explaining every
//! decision in a [`SlotReport`].
//!
//! # Example
//!
//! ```
//! use muster::{Facts, Policy, Rejection, Selector};
//!
//! // The contract: a slot every plugin version implements.
//! /// Renders the agent's status line.
//! #[muster::slot]
//! pub trait Showcase: Send + Sync {
//!     fn render(&self) -> String;
//! }
//!
//! // Two versions of a plugin (usually two crates, as if published separately).
//! #[derive(Default)]
//! #[muster::plugin(slot = Showcase, version = "0.1.0", team = "storefront")]
//! struct Plain;
//!
//! impl Showcase for Plain {
//!     fn render(&self) -> String {
//!         "plain".into()
//!     }
//! }
//!
//! #[derive(Default)]
//! #[muster::plugin(slot = Showcase, version = "0.2.0", requires = [min_cores = 1])]
//! struct Fancy;
//!
//! impl Showcase for Fancy {
//!     fn render(&self) -> String {
//!         "fancy".into()
//!     }
//!     fn is_acceptable(&self, facts: &Facts) -> Result<(), Rejection> {
//!         if facts.labels.get("theme").is_some_and(|t| t == "plain") {
//!             return Err(Rejection::new("the host asked for a plain theme"));
//!         }
//!         Ok(())
//!     }
//! }
//!
//! # fn main() {
//! let facts = Facts::probe();
//! let policy = Policy::new();
//! let showcase = Selector::new(&facts, &policy).select::<dyn Showcase>().unwrap();
//! assert_eq!(showcase.version().to_string(), "0.2.0");
//! assert_eq!(showcase.render(), "fancy");
//!
//! // Roll back without a rebuild: pin the slot.
//! let policy = Policy::from_flags(&["showcase=^0.1".parse().unwrap()], &[], &[], false).unwrap();
//! let showcase = Selector::new(&facts, &policy).select::<dyn Showcase>().unwrap();
//! assert_eq!(showcase.render(), "plain");
//! println!("{}", showcase.report());
//! # }
//! ```
//!
//! # Concepts
//!
//! - **Slot**: a trait marked [`#[slot]`](slot). It gets its own registry of typed
//!   entries, so a plugin whose type does not implement it does not compile. Every
//!   slot trait also gets three hooks with defaults: `is_acceptable(&self, &Facts)`,
//!   `start(&mut self)` and `stop(&mut self)`, called on the plugin's own type
//!   (`where Self: Sized`: they take one vtable entry between them, not three).
//! - **Plugin**: a type marked [`#[plugin(slot = ..., version = "...")]`](plugin).
//!   Optional keys: `name`, `team`, `description`, `requires = [...]`,
//!   `new = path::to::fn` (instead of `Default`), `crate = path` (if `muster` is
//!   renamed). Plugin crates depend on `muster` and the contract only.
//! - **Requirements** (`requires = [os = "linux", arch = "x86_64", cpu = "sse4.2",
//!   min_cores = 2, min_memory_mb = 512, label(network = "online")]`) are checked
//!   against [`Facts`] before the `is_acceptable` hook.
//! - **Selection** walks versions newest first by semver precedence; the first that
//!   passes policy, requirements, constructor, hook (and `start`, when selecting
//!   for use) wins. Panics are caught and reject the version. Two registrations of
//!   one version are ambiguous and never picked.
//! - **Caught panics** still reach the process's panic hook, which by default prints
//!   them like a crash. muster leaves the hook alone; a host calls
//!   [`silence_caught_panics`] (or consults [`is_catching_plugin_panic`] in its own
//!   hook) so a rejected version shows only in the report.
//! - **Policy**: pins (`showcase=^0.1`), denies (`showcase@0.3.0`), pre-releases;
//!   from flags, environment or a TOML file.
//!
//! Integration tests and doctests see a plugin crate's registrations only if they
//! name it (`use my_plugin as _;`): an unnamed dependency is not linked.
//!
//! # Backends
//!
//! `linkme` (default) places registrations in link sections; the `inventory`
//! feature uses constructors run before `main` instead. Plugin crates do not change.
//!
//! # Operator commands
//!
//! This crate knows nothing of command lines. The `muster-kit` crate (clap-based)
//! gives any host `plugins list|explain|fleet`, `facts`, `build-info`, the policy
//! flags/environment/file layering and crash memory for hosts that run plugin calls.

// Lets the macros' `::muster::...` paths resolve inside this crate's own tests.
#[allow(unused_extern_crates)] // Used by macro expansions in unit tests.
extern crate self as muster;

mod backend;
mod caught;
mod facts;
mod lifecycle;
mod listing;
mod policy;
mod quarantine;
mod reason;
mod registration;
mod rejection;
mod report;
mod requirement;
mod rollout;
mod selection;
mod slot;

pub mod input;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

/// How a rollout assigns a host to a bucket: `sha256("<salt>:<host id>")`, the
/// first 8 bytes big-endian, modulo [`BUCKETS`](bucketing::BUCKETS); a share of
/// `p` % admits the hosts whose bucket is below `p` × 100. For tools that predict
/// which hosts a share admits (the selector applies it itself).
pub mod bucketing {
    pub use crate::rollout::{BUCKETS, Bucket, bucket};
}

pub use crate::caught::{is_catching_plugin_panic, panic_message, silence_caught_panics};
pub use crate::facts::{Facts, FactsError, HOST_ID_ENV, LABEL_ENV_PREFIX, MAX_HOST_ID_BYTES};
pub use crate::listing::{ListedPlugin, PluginListing};
pub use crate::policy::{
    DENY_ENV, Deny, DenyFlag, METRICS_FILE_ENV, METRICS_INTERVAL_ENV, PIN_ENV, PRERELEASE_ENV, Pin,
    PinFlag, Policy, PolicyError, Source,
};
pub use crate::quarantine::{Quarantine, QuarantineEntry};
pub use crate::reason::ReasonCode;
pub use crate::registration::{PluginMeta, Registration};
pub use crate::rejection::Rejection;
pub use crate::report::{Candidate, Choice, Outcome, Report, SelectionError, SlotReport};
pub use crate::requirement::Requirement;
pub use crate::rollout::{NotAdmitted, ROLLOUT_ENV, Rollout, RolloutFlag, Share, VersionSpec};
pub use crate::selection::{Selected, Selector};
pub use crate::slot::{
    NotCompiledIn, Slot, SlotIndex, SlotInfo, check_compiled, compiled_slot, plugins,
    registry_problems, slots,
};

/// The registry backend compiled in: `"linkme"` (default) or `"inventory"`.
pub const BACKEND: &str = if cfg!(feature = "inventory") {
    "inventory"
} else {
    "linkme"
};

/// Declares a slot: a trait that plugin versions implement.
///
/// ```
/// /// Checksums a buffer.
/// #[muster::slot(name = "checksum", description = "CRC-32C of a buffer")]
/// pub trait Checksum: Send + Sync {
///     fn checksum(&self, data: &[u8]) -> u32;
/// }
/// # fn main() {}
/// ```
///
/// Arguments: `name = "..."` (default: the trait name in snake case),
/// `description = "..."` (default: the first paragraph of the trait's docs),
/// `crate = path` (default: `::muster`).
///
/// The trait must be usable as `dyn Trait`:
///
/// ```compile_fail
/// #[muster::slot]
/// pub trait Generic {
///     fn run<T>(&self, value: T);
/// }
/// # fn main() {}
/// ```
pub use muster_macros::slot;

/// Registers a type as one version of a slot.
///
/// ```
/// # #[muster::slot]
/// # pub trait Checksum: Send + Sync {
/// #     fn checksum(&self, data: &[u8]) -> u32;
/// # }
/// #[muster::plugin(
///     slot = Checksum,
///     version = "1.1.0",
///     team = "storage",
///     requires = [arch = "x86_64", cpu = "sse4.2"],
///     new = Crc32c::new,
/// )]
/// pub struct Crc32c {
///     seed: u32,
/// }
///
/// impl Crc32c {
///     fn new() -> Self {
///         Crc32c { seed: !0 }
///     }
/// }
///
/// impl Checksum for Crc32c {
///     fn checksum(&self, data: &[u8]) -> u32 {
///         data.iter().fold(self.seed, |acc, b| acc.rotate_left(5) ^ u32::from(*b))
///     }
/// }
/// # fn main() {}
/// ```
///
/// A version that is not semver does not compile:
///
/// ```compile_fail
/// # #[muster::slot]
/// # pub trait Checksum: Send + Sync {}
/// #[derive(Default)]
/// #[muster::plugin(slot = Checksum, version = "1.0")]
/// pub struct Crc;
/// impl Checksum for Crc {}
/// # fn main() {}
/// ```
pub use muster_macros::plugin;
