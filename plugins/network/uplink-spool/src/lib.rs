//! `relay` 1.0.0, network's offline uplink for the `uplink` slot.
//!
//! Spools each report to `<spool>/outbox/<report id>.json`, written atomically
//! with [`edge_contract::write_atomically`] (temporary file, fsync, rename, fsync
//! of the directory), and returns a [`Receipt`] naming that file. No network, no
//! requirements: every host can run it, and it is what the agent falls back to
//! when the online release (1.1.0) is rejected or quarantined.
//!
//! Report ids are stable, so spooling a report twice rewrites the same file with
//! the same bytes. Every I/O failure (disk full, read-only spool, ...) is
//! [`PluginError::Transient`]: the plugin is fine, the input waits for the next tick.
#![forbid(unsafe_code)]

use edge_contract::{PluginError, Receipt, Report, Uplink, UplinkContext, write_atomically};

/// The spool uplink.
#[derive(Debug, Default)]
#[muster::plugin(
    slot = Uplink,
    version = "1.0.0",
    name = "relay",
    team = "network",
    description = "spools reports to <spool>/outbox (offline)"
)]
pub struct SpoolRelay;

impl Uplink for SpoolRelay {
    fn deliver(&self, report: &Report, ctx: &UplinkContext) -> Result<Receipt, PluginError> {
        let outbox = ctx.spool.join("outbox");
        let name = report.file_name()?;
        let path = write_atomically(&outbox, &name, &report.to_json()).map_err(|e| {
            PluginError::Transient(format!(
                "cannot spool report {} to {}: {e}",
                report.id,
                outbox.display()
            ))
        })?;
        Ok(Receipt {
            location: path.display().to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use edge_contract::{PluginError, Report, Uplink, UplinkContext};

    use crate::SpoolRelay;

    fn report(id: &str) -> Report {
        Report {
            id: id.to_owned(),
            file: "a.txt".into(),
            bytes: 9,
            crc32c: "e3069283".into(),
            checksum_plugin: "crc32c@1.0.0".into(),
            host: "edge-7".into(),
        }
    }

    fn ctx(spool: &Path) -> UplinkContext {
        UplinkContext {
            spool: spool.to_owned(),
            target: spool.join("delivered"),
        }
    }

    #[test]
    fn spools_the_report_as_json_in_the_outbox() {
        let dir = tempfile::tempdir().unwrap();
        let report = report("a.txt-9-e3069283");
        let receipt = SpoolRelay.deliver(&report, &ctx(dir.path())).unwrap();
        let expected = dir.path().join("outbox").join("a.txt-9-e3069283.json");
        assert_eq!(receipt.location, expected.display().to_string());
        assert_eq!(std::fs::read(&expected).unwrap(), report.to_json());
        // Nothing else is left behind (no temporary files), nothing is delivered.
        let entries: Vec<_> = std::fs::read_dir(dir.path().join("outbox"))
            .unwrap()
            .collect();
        assert_eq!(entries.len(), 1);
        assert!(!dir.path().join("delivered").exists());
    }

    #[test]
    fn spooling_twice_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let report = report("same-1-00000000");
        let first = SpoolRelay.deliver(&report, &ctx(dir.path())).unwrap();
        let second = SpoolRelay.deliver(&report, &ctx(dir.path())).unwrap();
        assert_eq!(first, second);
        assert_eq!(std::fs::read(&first.location).unwrap(), report.to_json());
    }

    #[test]
    fn io_errors_are_transient() {
        let dir = tempfile::tempdir().unwrap();
        // The spool is a file, so `outbox` cannot be created under it.
        let spool = dir.path().join("not-a-dir");
        std::fs::write(&spool, b"").unwrap();
        let err = SpoolRelay
            .deliver(&report("x-1-00000000"), &ctx(&spool))
            .unwrap_err();
        assert!(matches!(err, PluginError::Transient(_)), "{err}");
    }

    #[test]
    fn ids_that_would_escape_the_outbox_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for id in ["", "..", ".hidden", "../escape", "a/b", "a\\b"] {
            let err = SpoolRelay
                .deliver(&report(id), &ctx(dir.path()))
                .unwrap_err();
            assert!(matches!(err, PluginError::Transient(_)), "{id:?}: {err}");
        }
        assert!(!dir.path().join("escape.json").exists());
    }

    #[test]
    fn is_registered_as_relay() {
        let (slot, name, team, requires) = edge_contract::conformance::registration(
            env!("CARGO_PKG_NAME"),
            env!("CARGO_PKG_VERSION"),
        );
        assert_eq!((slot, name, team), ("uplink", "relay", Some("network")));
        assert!(requires.is_empty(), "{requires:?}");
    }
}
