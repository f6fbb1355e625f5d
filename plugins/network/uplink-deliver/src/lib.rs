//! `relay` 1.1.0, network's online uplink for the `uplink` slot.
//!
//! Delivers each report to the context's target directory as
//! `<target>/<report id>.json`, written atomically with
//! [`edge_contract::write_atomically`]; the directory is created if missing. The
//! registration declares `requires = [label(network = "online")]`, so it is only
//! selected on hosts labelled online (`MUSTER_LABEL_network=online`); elsewhere
//! the selector falls back to the spool release (1.0.0).
//!
//! Errors:
//! - the target exists but is not a directory: [`PluginError::Unhealthy`] (the
//!   agent quarantines this version and falls back to the spool release);
//! - any I/O failure while writing: [`PluginError::Transient`] (retry next tick);
//! - a report id that is not a plain file name: [`PluginError::Transient`].
//!
//! # Fault injection
//!
//! For failover drills and tests, the environment variable
//! [`EDGE_UPLINK_FAIL`](FAULT_ENV) is read on every call to `deliver`:
//!
//! | value       | effect                                          |
//! |-------------|-------------------------------------------------|
//! | `panic`     | `deliver` panics                                |
//! | `unhealthy` | `deliver` returns [`PluginError::Unhealthy`]    |
//! | unset, other| no fault (normal delivery)                      |
//!
//! Nothing is written when a fault is injected.
#![forbid(unsafe_code)]

use std::ffi::OsStr;

use edge_contract::{PluginError, Receipt, Report, Uplink, UplinkContext, write_atomically};

/// The fault-injection switch: `EDGE_UPLINK_FAIL=panic|unhealthy`.
pub const FAULT_ENV: &str = "EDGE_UPLINK_FAIL";

/// A fault requested through [`FAULT_ENV`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// `deliver` panics.
    Panic,
    /// `deliver` returns [`PluginError::Unhealthy`].
    Unhealthy,
}

impl Fault {
    /// The fault a value of [`FAULT_ENV`] asks for; `None` for unset or unknown values.
    pub fn from_value(value: Option<&OsStr>) -> Option<Fault> {
        match value?.to_str()? {
            "panic" => Some(Fault::Panic),
            "unhealthy" => Some(Fault::Unhealthy),
            _ => None,
        }
    }

    /// The fault the environment asks for right now.
    pub fn from_env() -> Option<Fault> {
        Fault::from_value(std::env::var_os(FAULT_ENV).as_deref())
    }
}

/// The online delivery uplink.
#[derive(Debug, Default)]
#[muster::plugin(
    slot = Uplink,
    version = "1.1.0",
    name = "relay",
    team = "network",
    description = "delivers reports to the target directory (online hosts)",
    requires = [label(network = "online")]
)]
pub struct DeliverRelay;

impl DeliverRelay {
    /// `deliver`, with the fault given instead of read from the environment.
    pub fn deliver_with(
        &self,
        report: &Report,
        ctx: &UplinkContext,
        fault: Option<Fault>,
    ) -> Result<Receipt, PluginError> {
        match fault {
            Some(Fault::Panic) => panic!("{FAULT_ENV}=panic: injected panic in relay 1.1.0"),
            Some(Fault::Unhealthy) => {
                return Err(PluginError::Unhealthy(format!(
                    "{FAULT_ENV}=unhealthy: injected failure in relay 1.1.0"
                )));
            }
            None => {}
        }
        let target = &ctx.target;
        if target.exists() && !target.is_dir() {
            return Err(PluginError::Unhealthy(format!(
                "delivery target {} exists and is not a directory",
                target.display()
            )));
        }
        let name = report.file_name()?;
        let path = write_atomically(target, &name, &report.to_json()).map_err(|e| {
            PluginError::Transient(format!(
                "cannot deliver report {} to {}: {e}",
                report.id,
                target.display()
            ))
        })?;
        Ok(Receipt {
            location: path.display().to_string(),
        })
    }
}

impl Uplink for DeliverRelay {
    fn deliver(&self, report: &Report, ctx: &UplinkContext) -> Result<Receipt, PluginError> {
        self.deliver_with(report, ctx, Fault::from_env())
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;
    use std::panic::{AssertUnwindSafe, catch_unwind};
    use std::path::Path;
    use std::process::Command;

    use edge_contract::{PluginError, Report, Uplink, UplinkContext};
    use muster::{Facts, Policy, Selector};

    use crate::{DeliverRelay, FAULT_ENV, Fault};

    fn report(id: &str) -> Report {
        Report {
            id: id.to_owned(),
            file: "a.txt".into(),
            bytes: 9,
            crc32c: "e3069283".into(),
            checksum_plugin: "crc32c@1.1.0".into(),
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
    fn delivers_into_a_created_target_directory() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = ctx(dir.path());
        let report = report("a.txt-9-e3069283");
        let receipt = DeliverRelay.deliver_with(&report, &ctx, None).unwrap();
        let expected = ctx.target.join("a.txt-9-e3069283.json");
        assert_eq!(receipt.location, expected.display().to_string());
        assert_eq!(std::fs::read(&expected).unwrap(), report.to_json());
        assert_eq!(std::fs::read_dir(&ctx.target).unwrap().count(), 1);
        assert!(!dir.path().join("outbox").exists());
    }

    #[test]
    fn a_target_that_is_not_a_directory_is_unhealthy() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = ctx(dir.path());
        std::fs::write(&ctx.target, b"not a directory").unwrap();
        let err = DeliverRelay
            .deliver_with(&report("x-1-00000000"), &ctx, None)
            .unwrap_err();
        assert!(
            matches!(&err, PluginError::Unhealthy(why) if why.contains("not a directory")),
            "{err}"
        );
    }

    #[test]
    fn io_errors_are_transient() {
        let dir = tempfile::tempdir().unwrap();
        // The target's parent is a file, so the target cannot be created.
        let blocker = dir.path().join("blocker");
        std::fs::write(&blocker, b"").unwrap();
        let ctx = UplinkContext {
            spool: dir.path().to_owned(),
            target: blocker.join("delivered"),
        };
        let err = DeliverRelay
            .deliver_with(&report("x-1-00000000"), &ctx, None)
            .unwrap_err();
        assert!(matches!(err, PluginError::Transient(_)), "{err}");
    }

    #[test]
    fn ids_that_would_escape_the_target_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for id in ["", "..", ".hidden", "../escape", "a/b", "a\\b"] {
            let err = DeliverRelay
                .deliver_with(&report(id), &ctx(dir.path()), None)
                .unwrap_err();
            assert!(matches!(err, PluginError::Transient(_)), "{id:?}: {err}");
        }
        assert!(!dir.path().join("escape.json").exists());
    }

    #[test]
    fn fault_values_parse() {
        let parse = |v: &str| Fault::from_value(Some(OsStr::new(v)));
        assert_eq!(parse("panic"), Some(Fault::Panic));
        assert_eq!(parse("unhealthy"), Some(Fault::Unhealthy));
        assert_eq!(parse(""), None);
        assert_eq!(parse("PANIC"), None);
        assert_eq!(Fault::from_value(None), None);
    }

    #[test]
    fn injected_faults_write_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = ctx(dir.path());
        let err = DeliverRelay
            .deliver_with(&report("x-1-00000000"), &ctx, Some(Fault::Unhealthy))
            .unwrap_err();
        assert!(matches!(err, PluginError::Unhealthy(_)), "{err}");
        let panicked = catch_unwind(AssertUnwindSafe(|| {
            DeliverRelay.deliver_with(&report("x-1-00000000"), &ctx, Some(Fault::Panic))
        }));
        assert!(panicked.is_err());
        assert!(!ctx.target.exists());
    }

    /// Runs in a child process (see below) with `EDGE_UPLINK_FAIL` set, so the
    /// switch is tested through `Uplink::deliver` without mutating this
    /// process's environment (`set_var` is `unsafe`, and this crate forbids it).
    #[test]
    #[ignore = "run by `the_environment_switch_is_read_at_call_time` in a child process"]
    fn child_delivers_under_the_environment_switch() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = ctx(dir.path());
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            DeliverRelay.deliver(&report("x-1-00000000"), &ctx)
        }));
        match std::env::var(FAULT_ENV).as_deref() {
            Ok("panic") => assert!(outcome.is_err(), "expected a panic"),
            Ok("unhealthy") => {
                assert!(matches!(outcome, Ok(Err(PluginError::Unhealthy(_)))));
            }
            _ => assert!(matches!(outcome, Ok(Ok(_)))),
        }
    }

    #[test]
    fn the_environment_switch_is_read_at_call_time() {
        let exe = std::env::current_exe().unwrap();
        for value in ["panic", "unhealthy", "off"] {
            let output = Command::new(&exe)
                .args([
                    "--ignored",
                    "--exact",
                    "tests::child_delivers_under_the_environment_switch",
                ])
                .env(FAULT_ENV, value)
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(
                output.status.success() && stdout.contains("1 passed"),
                "{FAULT_ENV}={value}: {stdout}{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }

    #[test]
    fn is_selected_only_on_online_hosts() {
        let mut facts = Facts::probe();
        facts.labels.insert("network".into(), "online".into());
        let policy = Policy::new();
        let selected = Selector::new(&facts, &policy)
            .select::<dyn Uplink>()
            .expect("acceptable when online");
        assert_eq!(selected.version().to_string(), "1.1.0");

        facts.labels.insert("network".into(), "offline".into());
        let report = Selector::new(&facts, &policy).explain::<dyn Uplink>();
        assert!(report.selected.is_none());
        let reason = report.tried()[0].reason.as_deref().unwrap_or_default();
        assert!(reason.contains("network=online"), "{reason}");
    }

    #[test]
    fn is_registered_as_relay() {
        let (slot, name, team, requires) = edge_contract::conformance::registration(
            env!("CARGO_PKG_NAME"),
            env!("CARGO_PKG_VERSION"),
        );
        assert_eq!((slot, name, team), ("uplink", "relay", Some("network")));
        assert_eq!(requires, ["label:network=online"]);
    }
}
