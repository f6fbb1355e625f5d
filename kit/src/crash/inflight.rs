//! The in-flight record: which plugin call is running right now, kept in
//! `state/inflight.json` so that a process killed inside a plugin (abort, stack
//! overflow, out of memory, watchdog) leaves evidence for the next start.
//!
//! The file is held open. [`InFlightLog::begin`] is one `pwrite` at offset 0 into
//! the empty file and [`InFlightLog::end`] one `ftruncate` to zero, so the record
//! costs two system calls per plugin call and is never half-replaced. It is not
//! fsynced: it survives the death of the process (the kernel keeps the page), which
//! is what it is for, but not a power cut (an fsync per unit would cost
//! milliseconds; after a power cut there is no crash loop to break).

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use semver::Version;
use serde::{Deserialize, Serialize};

use crate::crash::now_unix;

/// The file name of the in-flight record in a state directory.
pub const IN_FLIGHT_FILE: &str = "inflight.json";

/// The largest in-flight record read back: one call is a few hundred bytes.
const MAX_RECORD_BYTES: u64 = 64 * 1024;

/// One plugin call in flight: `{"slot","version","unit","pid","since_unix"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InFlight {
    /// The slot called.
    pub slot: String,
    /// The version called.
    pub version: Version,
    /// The unit of work (an input's file name, or `status`).
    pub unit: String,
    /// The process that made the call.
    pub pid: u32,
    /// When the call started, in seconds since the Unix epoch.
    pub since_unix: u64,
}

impl InFlight {
    /// A call into `slot`@`version` for `unit`, made now by this process.
    pub fn now(slot: &str, version: &Version, unit: &str) -> InFlight {
        InFlight {
            slot: slot.to_owned(),
            version: version.clone(),
            unit: unit.to_owned(),
            pid: std::process::id(),
            since_unix: now_unix(),
        }
    }
}

/// The open in-flight file of a state directory.
#[derive(Debug)]
pub struct InFlightLog {
    file: File,
    path: PathBuf,
    buf: Vec<u8>,
}

impl InFlightLog {
    /// Reads what a previous process left in `state` (`Ok(None)`: nothing was in
    /// flight; `Err`: the file is unreadable or not a record).
    pub fn previous(state: &Path) -> Result<Option<InFlight>, String> {
        let path = state.join(IN_FLIGHT_FILE);
        let bytes = match muster::input::read_input_file(&path, MAX_RECORD_BYTES) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        if bytes.is_empty() {
            return Ok(None);
        }
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| format!("invalid in-flight record {}: {e}", path.display()))
    }

    /// Opens `state/inflight.json` for recording, emptying it.
    pub fn open(state: &Path) -> io::Result<InFlightLog> {
        let path = state.join(IN_FLIGHT_FILE);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        Ok(InFlightLog {
            file,
            path,
            buf: Vec::with_capacity(256),
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records `call` as in flight (the file is empty: [`InFlightLog::end`] ran).
    pub fn begin(&mut self, call: &InFlight) -> io::Result<()> {
        self.buf.clear();
        serde_json::to_writer(&mut self.buf, call).map_err(io::Error::other)?;
        self.buf.push(b'\n');
        write_at_start(&self.file, &self.buf)
    }

    /// The call returned: nothing is in flight.
    pub fn end(&mut self) -> io::Result<()> {
        self.file.set_len(0)
    }
}

#[cfg(unix)]
fn write_at_start(file: &File, bytes: &[u8]) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.write_all_at(bytes, 0)
}

#[cfg(not(unix))]
fn write_at_start(mut file: &File, bytes: &[u8]) -> io::Result<()> {
    use std::io::{Seek, SeekFrom, Write};
    file.seek(SeekFrom::Start(0))?;
    file.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use semver::Version;

    use crate::crash::inflight::{IN_FLIGHT_FILE, InFlight, InFlightLog};

    #[test]
    fn a_record_left_behind_is_read_back_and_an_ended_one_is_nothing() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(InFlightLog::previous(dir.path()), Ok(None));
        let call = InFlight {
            slot: "checksum".into(),
            version: Version::new(1, 9, 0),
            unit: "a.txt".into(),
            pid: 7,
            since_unix: 1,
        };
        let mut log = InFlightLog::open(dir.path()).unwrap();
        log.begin(&call).unwrap();
        assert_eq!(InFlightLog::previous(dir.path()), Ok(Some(call.clone())));
        log.end().unwrap();
        assert_eq!(InFlightLog::previous(dir.path()), Ok(None));
        log.begin(&call).unwrap();
        drop(log); // The process "dies" here.
        assert_eq!(InFlightLog::previous(dir.path()), Ok(Some(call)));
        std::fs::write(log_path(dir.path()), b"{\"slot\":\"chec").unwrap();
        let e = InFlightLog::previous(dir.path()).unwrap_err();
        assert!(e.contains("inflight.json") && e.contains("invalid"), "{e}");
    }

    fn log_path(dir: &std::path::Path) -> std::path::PathBuf {
        dir.join(IN_FLIGHT_FILE)
    }
}
