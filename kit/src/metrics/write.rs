//! The metrics file: written for node_exporter's textfile collector, atomically. The
//! text goes to a temporary file in the same directory, named with a leading `.` (the
//! collector reads only `*.prom`, and a scrape never sees half a file), is fsynced and
//! renamed over the target; then the directory is fsynced.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use muster_names::{temporary_name, temporary_of};

use crate::metrics::{MAX_INTERVAL_SECONDS, MIN_INTERVAL_SECONDS};

/// What is wrong with a metrics file, its path or the interval between writes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MetricsError {
    /// The file name does not end in `.prom`.
    #[error(
        "metrics file {}: the name must end in .prom (node_exporter's textfile collector reads \
         only *.prom files and would ignore it)",
        path.display()
    )]
    NotProm {
        /// The path given.
        path: PathBuf,
    },
    /// The file's directory is missing or not a directory.
    #[error("metrics file {}: directory {} {what}", path.display(), dir.display())]
    NoDirectory {
        /// The path given.
        path: PathBuf,
        /// Its directory.
        dir: PathBuf,
        /// What is wrong with it (`does not exist`, `is not a directory`, ...).
        what: String,
    },
    /// No file can be created in the file's directory.
    #[error(
        "metrics file {}: directory {} is not writable: {source}",
        path.display(),
        dir.display()
    )]
    NotWritable {
        /// The path given.
        path: PathBuf,
        /// Its directory.
        dir: PathBuf,
        /// Why creating a file there failed.
        source: std::io::Error,
    },
    /// The path is a symbolic link (or not a regular file).
    #[error("metrics file {}: {what}; refusing to replace it", path.display())]
    NotAFile {
        /// The path given.
        path: PathBuf,
        /// What it is (`is a symbolic link`, `is a directory`, ...).
        what: &'static str,
    },
    /// Writing the file failed (a full disk, an I/O error): the previous file is left
    /// as it was.
    #[error(
        "metrics file {}: cannot {step}: {source} (the previous file is left as it was)",
        path.display()
    )]
    Write {
        /// The path given.
        path: PathBuf,
        /// The step that failed (`write the temporary file .x.prom.42.tmp`, ...).
        step: String,
        /// The error.
        source: std::io::Error,
    },
    /// The interval between writes is out of bounds.
    #[error(
        "metrics interval {seconds} s is out of bounds: give {MIN_INTERVAL_SECONDS} to \
         {MAX_INTERVAL_SECONDS} seconds (a day)"
    )]
    Interval {
        /// The interval given, in seconds.
        seconds: u64,
    },
}

/// A metrics file in node_exporter's textfile collector directory, checked when it is
/// made ([`new`](Self::new)) and replaced whole by each [`write`](Self::write).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsFile {
    path: PathBuf,
    dir: PathBuf,
    name: String,
}

impl MetricsFile {
    /// The metrics file at `path`, checked: the name ends in `.prom`, the directory
    /// exists and a file can be created in it (one is created and removed), and `path`
    /// is not a symbolic link, a directory or another non-regular file. Temporary
    /// files of earlier writes by processes that are gone are removed.
    pub fn new(path: impl Into<PathBuf>) -> Result<MetricsFile, MetricsError> {
        let path = path.into();
        let name = match path.file_name().and_then(|n| n.to_str()) {
            Some(name) if name.len() > ".prom".len() && name.ends_with(".prom") => name.to_owned(),
            _ => return Err(MetricsError::NotProm { path }),
        };
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        match std::fs::metadata(&dir) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(no_directory(path, dir, "is not a directory".into())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(no_directory(path, dir, "does not exist".into()));
            }
            Err(e) => return Err(no_directory(path, dir, format!("cannot be read: {e}"))),
        }
        let file = MetricsFile { path, dir, name };
        file.check_target()?;
        file.remove_stale_temporaries();
        let probe = file.temporary();
        let created = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&probe)
            .map(drop)
            .and_then(|()| std::fs::remove_file(&probe));
        if let Err(source) = created {
            return Err(MetricsError::NotWritable {
                path: file.path,
                dir: file.dir,
                source,
            });
        }
        Ok(file)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Replaces the file with `text`, atomically: a reader sees the previous file or
    /// this one, whole. On any failure the previous file is left as it was and the
    /// temporary file is removed. The file is made readable by all (mode 0644,
    /// whatever the umask): node_exporter usually runs as another user.
    pub fn write(&self, text: &str) -> Result<(), MetricsError> {
        self.write_with(text, |file, bytes| file.write_all(bytes))
    }

    /// [`write`](Self::write), with the temporary file's contents written by `fill`.
    fn write_with(
        &self,
        text: &str,
        fill: impl FnOnce(&mut File, &[u8]) -> std::io::Result<()>,
    ) -> Result<(), MetricsError> {
        self.check_target()?;
        let temporary = self.temporary();
        let shown = temporary.file_name().map_or_else(
            || temporary.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let fail = |step: String, source| MetricsError::Write {
            path: self.path.clone(),
            step,
            source,
        };
        let written = (|| {
            // A temporary of an earlier process with this id (killed mid-write).
            match std::fs::remove_file(&temporary) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(fail(format!("remove the stale temporary file {shown}"), e));
                }
                _ => {}
            }
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&temporary)
                .map_err(|e| fail(format!("create the temporary file {shown}"), e))?;
            set_readable_by_all(&file)
                .map_err(|e| fail(format!("make {shown} readable by all"), e))?;
            fill(&mut file, text.as_bytes())
                .map_err(|e| fail(format!("write the temporary file {shown}"), e))?;
            file.sync_all()
                .map_err(|e| fail(format!("fsync the temporary file {shown}"), e))?;
            drop(file);
            std::fs::rename(&temporary, &self.path)
                .map_err(|e| fail(format!("rename {shown} over it"), e))
        })();
        if let Err(err) = written {
            let _ = std::fs::remove_file(&temporary);
            return Err(err);
        }
        // Renamed: the new file is in place; the directory's fsync makes the rename
        // survive a power cut.
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| fail("fsync its directory after the rename".to_owned(), e))
    }

    /// Refuses a target that is a symbolic link or not a regular file (a missing one
    /// is fine).
    fn check_target(&self) -> Result<(), MetricsError> {
        let Ok(meta) = std::fs::symlink_metadata(&self.path) else {
            return Ok(());
        };
        let what = if meta.file_type().is_symlink() {
            "is a symbolic link"
        } else if meta.is_dir() {
            "is a directory"
        } else if !meta.is_file() {
            "is not a regular file"
        } else {
            return Ok(());
        };
        Err(MetricsError::NotAFile {
            path: self.path.clone(),
            what,
        })
    }

    /// This process's temporary file: `.NAME.PID.tmp` beside the target.
    fn temporary(&self) -> PathBuf {
        self.dir
            .join(temporary_name(&self.name, std::process::id()))
    }

    /// Removes `.NAME.PID.tmp` files of processes that no longer run (a write killed
    /// between create and rename), best effort.
    fn remove_stale_temporaries(&self) {
        // Without /proc no process can be told alive: leave them.
        if !Path::new("/proc/self").exists() {
            return;
        }
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(pid) = name
                .to_str()
                .and_then(temporary_of)
                .filter(|(of, _)| *of == self.name)
                .map(|(_, pid)| pid)
            else {
                continue;
            };
            let alive =
                pid == std::process::id() || Path::new("/proc").join(pid.to_string()).exists();
            if !alive {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

fn no_directory(path: PathBuf, dir: PathBuf, what: String) -> MetricsError {
    MetricsError::NoDirectory { path, dir, what }
}

#[cfg(unix)]
fn set_readable_by_all(file: &File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn set_readable_by_all(_: &File) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;

    use crate::metrics::{MetricsError, MetricsFile};

    /// The names in `dir`, sorted.
    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn each_write_replaces_the_whole_file_readable_by_all_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent.prom");
        let file = MetricsFile::new(&path).unwrap();
        assert_eq!(file.path(), path);
        assert!(
            names(dir.path()).is_empty(),
            "the check leaves nothing behind"
        );
        file.write("a 1\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a 1\n");
        file.write("b 2\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "b 2\n");
        assert_eq!(names(dir.path()), ["agent.prom"]);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
    }

    #[test]
    fn a_name_not_ending_in_prom_is_refused_because_the_collector_ignores_it() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["agent.txt", "agent.prom.bak", ".prom", "agent"] {
            let path = dir.path().join(name);
            let err = MetricsFile::new(&path).unwrap_err();
            assert!(matches!(err, MetricsError::NotProm { .. }), "{err:?}");
            assert_eq!(
                err.to_string(),
                format!(
                    "metrics file {}: the name must end in .prom (node_exporter's textfile \
                     collector reads only *.prom files and would ignore it)",
                    path.display()
                )
            );
        }
        assert!(names(dir.path()).is_empty());
    }

    #[test]
    fn a_missing_directory_or_a_file_as_directory_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let err = MetricsFile::new(missing.join("agent.prom")).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "metrics file {}: directory {} does not exist",
                missing.join("agent.prom").display(),
                missing.display()
            )
        );
        let file = dir.path().join("a-file");
        std::fs::write(&file, "x").unwrap();
        let err = MetricsFile::new(file.join("agent.prom")).unwrap_err();
        assert!(matches!(err, MetricsError::NoDirectory { .. }), "{err:?}");
        assert!(
            err.to_string()
                .ends_with(&format!("directory {} is not a directory", file.display())),
            "{err}"
        );
        assert_eq!(names(dir.path()), ["a-file"]);
    }

    #[test]
    fn a_directory_that_cannot_be_written_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let ro = dir.path().join("ro");
        std::fs::create_dir(&ro).unwrap();
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
        // Root (or CAP_DAC_OVERRIDE) ignores the mode: then a read-only directory
        // cannot be made here, and a create that fails for another reason stands in
        // for it. /proc is a directory in which no one can create a file (ENOENT),
        // root included; the check reports it the same way.
        let enforced = std::fs::write(ro.join("probe"), "").is_err();
        let (path, dir_shown) = if enforced {
            (ro.join("agent.prom"), ro.clone())
        } else {
            let _ = std::fs::remove_file(ro.join("probe"));
            (
                Path::new("/proc/muster-metrics-test.prom").to_path_buf(),
                Path::new("/proc").to_path_buf(),
            )
        };
        let err = MetricsFile::new(&path).unwrap_err();
        let MetricsError::NotWritable { ref dir, .. } = err else {
            panic!("{err:?}");
        };
        assert_eq!(dir, &dir_shown);
        let message = err.to_string();
        assert!(
            message.starts_with(&format!(
                "metrics file {}: directory {} is not writable: ",
                path.display(),
                dir_shown.display()
            )),
            "{message}"
        );
        std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(names(&ro).is_empty());
    }

    #[test]
    fn a_symbolic_link_is_refused_when_made_and_when_written() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere.txt");
        std::fs::write(&elsewhere, "keep").unwrap();
        let link = dir.path().join("agent.prom");
        std::os::unix::fs::symlink(&elsewhere, &link).unwrap();
        let err = MetricsFile::new(&link).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "metrics file {}: is a symbolic link; refusing to replace it",
                link.display()
            )
        );
        // A link put there after the check is refused by the write.
        std::fs::remove_file(&link).unwrap();
        let file = MetricsFile::new(&link).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &link).unwrap();
        let err = file.write("a 1\n").unwrap_err();
        assert!(matches!(err, MetricsError::NotAFile { .. }), "{err:?}");
        assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
        assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "keep");
        // So is a directory.
        let sub = dir.path().join("sub.prom");
        std::fs::create_dir(&sub).unwrap();
        let err = MetricsFile::new(&sub).unwrap_err().to_string();
        assert!(
            err.ends_with(": is a directory; refusing to replace it"),
            "{err}"
        );
    }

    #[test]
    fn a_failed_write_leaves_the_previous_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent.prom");
        let file = MetricsFile::new(&path).unwrap();
        file.write("old 1\n").unwrap();
        // A disk that fills up half-way: part of the text is written, then ENOSPC.
        let err = file
            .write_with("new 2\n", |f, bytes| {
                std::io::Write::write_all(f, &bytes[..3])?;
                Err(std::io::Error::from_raw_os_error(28))
            })
            .unwrap_err();
        let message = err.to_string();
        assert!(
            message.starts_with(&format!(
                "metrics file {}: cannot write the temporary file .agent.prom.{}.tmp: No space \
                 left on device",
                path.display(),
                std::process::id()
            )) && message.ends_with("(the previous file is left as it was)"),
            "{message}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old 1\n");
        assert_eq!(names(dir.path()), ["agent.prom"]);
    }

    #[test]
    fn temporaries_of_dead_processes_are_removed_and_others_kept() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            ".agent.prom.4000000000.tmp", // No such process.
            ".agent.prom.1.tmp",          // init: alive.
            ".other.prom.4000000000.tmp", // Another file's.
            ".agent.prom.x.tmp",
        ] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        MetricsFile::new(dir.path().join("agent.prom")).unwrap();
        assert_eq!(
            names(dir.path()),
            [
                ".agent.prom.1.tmp",
                ".agent.prom.x.tmp",
                ".other.prom.4000000000.tmp"
            ]
        );
    }
}
