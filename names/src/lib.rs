//! The naming rules, name lists and shapes that muster's macro crate, its runtime and
//! its xtask share, so that the three cannot disagree: one home per rule.
//!
//! - [`slot_name`]: the slot a `#[muster::slot]` trait declares when it gives no
//!   `name = "..."` (`HTTPClient` → `http_client`); [`check_slot_name`]: the rule every
//!   slot name follows, in the macro and in policies alike.
//! - [`SlotArgs`] (feature `syn`): the grammar of `#[slot(...)]`'s arguments, parsed by
//!   the macro and by the xtask reading a contract.
//! - [`CPU_FEATURES`], [`OSES`], [`ARCHES`]: the values `requires = [cpu = ...,
//!   os = ..., arch = ...]` accepts, which are also the names `Facts::probe` reports.
//! - [`PluginListing`] (feature `listing`): the JSON a host's `plugins list --json`
//!   prints and `cargo xtask build` reads back.
//! - [`BUILD_SET`], [`BUILD_PLAN`], [`BUILD_MANIFEST`]: the variables `cargo xtask
//!   build` sets and a host embeds; [`NOT_RUN_VAR`].
//! - [`temporary_name`], [`temporary_of`]: the temporary file of an atomic write.
//!
//! ```
//! assert_eq!(muster_names::slot_name("HTTPClient"), "http_client");
//! assert!(muster_names::check_slot_name("1x").is_err());
//! assert!(muster_names::CPU_FEATURES.contains(&"sse4.2"));
//! ```

mod env;
#[cfg(feature = "listing")]
pub mod listing;
mod requires;
mod slot;
#[cfg(feature = "syn")]
mod slot_args;
mod temporary;

pub use crate::env::{BUILD_MANIFEST, BUILD_PLAN, BUILD_SET, BUILD_VARS, NOT_RUN_VAR};
#[cfg(feature = "listing")]
pub use crate::listing::{ListedPlugin, PluginListing};
pub use crate::requires::{ARCHES, CPU_FEATURES, CPU_FEATURES_AARCH64, CPU_FEATURES_X86, OSES};
pub use crate::slot::{BadSlotName, check_slot_name, slot_name};
#[cfg(feature = "syn")]
pub use crate::slot_args::SlotArgs;
pub use crate::temporary::{temporary_name, temporary_of};
