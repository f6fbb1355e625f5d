//! The edge-agent contract: the slots plugins fill and the types they exchange.
//!
//! These types are set in stone between plugin releases: a plugin built against
//! this contract keeps working with every agent built against it.
//!
//! | slot       | owner      | what it does                                        |
//! |------------|------------|-----------------------------------------------------|
//! | `showcase` | storefront | renders the agent's status line                     |
//! | `checksum` | storage    | CRC-32C (Castagnoli) of each input file             |
//! | `uplink`   | network    | hands each report on (spool it, or deliver it)      |

pub mod conformance;

use std::fmt;
use std::path::PathBuf;

use muster_names::temporary_name;
use serde::{Deserialize, Serialize};

/// Renders the agent's status line.
#[muster::slot(name = "showcase")]
pub trait Showcase: Send + Sync {
    /// One line describing the agent's state, for logs and terminals.
    fn render(&self, status: &Status) -> String;
}

/// Computes the CRC-32C (Castagnoli, polynomial 0x1EDC6F41, reflected) of a buffer.
///
/// Every version must return the same value for the same input: the check value
/// of `b"123456789"` is `0xE306_9283`.
#[muster::slot(name = "checksum")]
pub trait Checksum: Send + Sync {
    /// A short name of the implementation (`table`, `sse4.2`, ...).
    fn implementation(&self) -> &'static str;
    /// CRC-32C of `data`.
    fn crc32c(&self, data: &[u8]) -> u32;
}

/// Hands a finished report on: to a spool for later, or to a delivery target.
#[muster::slot(name = "uplink")]
pub trait Uplink: Send + Sync {
    /// Accepts `report`, durably, before returning `Ok`; the agent moves the input
    /// file to `done` only after that.
    fn deliver(&self, report: &Report, ctx: &UplinkContext) -> Result<Receipt, PluginError>;
}

/// What the status line shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// Host name.
    pub host: String,
    /// Files processed since start.
    pub processed: u64,
    /// Files waiting in `incoming`.
    pub pending: u64,
    /// Slots with no acceptable version left.
    pub failed_slots: Vec<String>,
}

/// The result of processing one input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// Stable id: the same input always gets the same id, so a report delivered
    /// twice (after a crash) is recognisably a duplicate.
    pub id: String,
    /// Input file name (within `incoming`).
    pub file: String,
    /// Input size in bytes.
    pub bytes: u64,
    /// CRC-32C of the input, as 8 lowercase hex digits.
    pub crc32c: String,
    /// Which checksum plugin version computed it (`name@version`).
    pub checksum_plugin: String,
    /// Host that processed the file.
    pub host: String,
}

impl Report {
    /// The stable report id of an input: its name, size and checksum.
    pub fn stable_id(file: &str, bytes: u64, crc32c: u32) -> String {
        let safe: String = file
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("{safe}-{bytes}-{crc32c:08x}")
    }

    /// The file name uplinks store this report under: `<id>.json`. Refuses ids that
    /// are not a plain file name (empty, hidden, or with a path separator), so a
    /// report can never be written outside the uplink's directory; that is not the
    /// plugin's fault, so the error is `Transient` (the agent keeps the input).
    pub fn file_name(&self) -> Result<String, PluginError> {
        let id = &self.id;
        let plain = !id.is_empty()
            && !id.starts_with('.')
            && !id.contains(['/', '\\'])
            && std::path::Path::new(id)
                .file_name()
                .is_some_and(|n| n == id.as_str());
        if plain {
            Ok(format!("{id}.json"))
        } else {
            Err(PluginError::Transient(format!(
                "report id {id:?} is not a plain file name; refusing to write it"
            )))
        }
    }

    /// The report as pretty JSON bytes (what uplinks write).
    pub fn to_json(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("reports always serialize");
        bytes.push(b'\n');
        bytes
    }
}

/// Where an uplink may write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UplinkContext {
    /// The agent's spool directory; plugins write only under it or to `target`.
    pub spool: PathBuf,
    /// Delivery target directory for online uplinks (default `<spool>/delivered`).
    pub target: PathBuf,
}

/// Proof that an uplink accepted a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// Where the report now is (a file path, or a description of the target).
    pub location: String,
}

/// How a plugin call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginError {
    /// The plugin is broken on this host: the agent quarantines this version and
    /// retries the same work with the next acceptable older version.
    Unhealthy(String),
    /// This call failed but the plugin is fine (disk full, target busy): the input
    /// stays in `incoming` for the next tick.
    Transient(String),
}

impl fmt::Display for PluginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PluginError::Unhealthy(why) => write!(f, "unhealthy: {why}"),
            PluginError::Transient(why) => write!(f, "transient: {why}"),
        }
    }
}

impl std::error::Error for PluginError {}

/// Writes `bytes` to `dir/name` atomically: a temporary file in `dir`, fsync, rename,
/// then fsync of `dir`. A crash leaves either the whole file or none (plus perhaps a
/// `.tmp` file, which readers ignore).
pub fn write_atomically(
    dir: &std::path::Path,
    name: &str,
    bytes: &[u8],
) -> std::io::Result<PathBuf> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let final_path = dir.join(name);
    let tmp_path = dir.join(temporary_name(name, std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp_path)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp_path, &final_path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp_path);
    }
    result.map(|()| final_path)
}

/// Whether `file_name` is a temporary file of [`write_atomically`] (`.NAME.PID.tmp`,
/// muster's one rule: [`muster_names::temporary_name`]); hosts remove stale ones left behind by a killed write.
pub fn is_temporary_name(file_name: &str) -> bool {
    muster_names::temporary_of(file_name).is_some()
}

#[cfg(test)]
mod tests {
    use crate::Report;

    #[test]
    fn temporary_names_are_recognised_and_nothing_else() {
        let tmp = muster_names::temporary_name("a.json", 42);
        assert_eq!(tmp, ".a.json.42.tmp");
        assert!(crate::is_temporary_name(&tmp));
        for other in [
            "a.json",
            ".a.json",
            "a.json.42.tmp",
            ".a.json.x.tmp",
            "..1.tmp",
            ".tmp",
        ] {
            assert!(!crate::is_temporary_name(other), "{other}");
        }
    }

    #[test]
    fn stable_ids_depend_only_on_the_input() {
        assert_eq!(
            Report::stable_id("a b.txt", 9, 0xe306_9283),
            "a_b.txt-9-e3069283"
        );
        // Each part of the input is in the id: change one, the id changes.
        let id = Report::stable_id("a b.txt", 9, 0xe306_9283);
        assert_ne!(Report::stable_id("a c.txt", 9, 0xe306_9283), id);
        assert_ne!(Report::stable_id("a b.txt", 10, 0xe306_9283), id);
        assert_ne!(Report::stable_id("a b.txt", 9, 0xe306_9284), id);
        // The checksum is zero-padded; separators never survive into the id.
        assert_eq!(Report::stable_id("x", 0, 0x1f), "x-0-0000001f");
        assert_eq!(
            Report::stable_id("../etc/pass wd", 1, 0),
            ".._etc_pass_wd-1-00000000"
        );
    }
}
