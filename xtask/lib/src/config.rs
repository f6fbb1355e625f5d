//! Team files (`teams/<team>.toml`) and deployment sets (`sets/<set>.toml`): the model
//! (`model`), loading it (`load`), parsing a team file (`parse`), positions in a file
//! (`source`), problem collection (`problems`) and the contract's slots (`contract`);
//! every error names the file, line and column.

pub(crate) mod contract;
mod load;
mod model;
pub(crate) mod parse;
mod problems;
pub(crate) mod source;

pub(crate) use crate::config::contract::{SlotTrait, contract_traits};
pub(crate) use crate::config::model::{Config, GitRef, Plugin, PluginSource};
pub use crate::config::parse::parse_team;
pub(crate) use crate::config::problems::Problems;
