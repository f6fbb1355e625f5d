//! The spool directory: `incoming/` (work to do), `done/` (inputs whose report an
//! uplink accepted), `state/` (the agent's visible state), plus whatever the
//! uplinks write (`outbox/`, `delivered/`).

use std::io;
use std::path::{Path, PathBuf};

/// A spool directory.
#[derive(Debug, Clone)]
pub struct Spool {
    root: PathBuf,
}

/// One input file waiting in `incoming/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// File name within `incoming/`.
    pub name: String,
    /// Full path.
    pub path: PathBuf,
}

/// An entry of `incoming/` that is not processed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The entry.
    pub path: PathBuf,
    /// Why it is left alone.
    pub reason: String,
}

impl Spool {
    /// Opens (creating its subdirectories) the spool at `root`.
    pub fn open(root: &Path) -> io::Result<Spool> {
        for dir in ["incoming", "done", "state"] {
            std::fs::create_dir_all(root.join(dir)).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("cannot create {}: {e}", root.join(dir).display()),
                )
            })?;
        }
        Ok(Spool {
            root: root.to_owned(),
        })
    }

    /// Checks that `root` and its `incoming/`, `done/` and `state/`, where they
    /// exist, are directories (they are created when missing); the error names the
    /// entry that is not.
    pub fn check_layout(root: &Path) -> Result<(), String> {
        if root.exists() && !root.is_dir() {
            return Err("not a directory".to_owned());
        }
        for dir in ["incoming", "done", "state"] {
            let path = root.join(dir);
            if path.symlink_metadata().is_ok() && !path.is_dir() {
                return Err(format!("{} is not a directory", path.display()));
            }
        }
        Ok(())
    }

    /// The spool's root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `incoming/`.
    pub fn incoming(&self) -> PathBuf {
        self.root.join("incoming")
    }

    /// `done/`.
    pub fn done(&self) -> PathBuf {
        self.root.join("done")
    }

    /// `state/`.
    pub fn state(&self) -> PathBuf {
        self.root.join("state")
    }

    /// Regular files waiting in `incoming/`, by name. Hidden and temporary files
    /// are ignored; symlinks and other non-regular entries are skipped (never
    /// followed out of the spool) and reported.
    pub fn pending(&self) -> io::Result<(Vec<Input>, Vec<Skipped>)> {
        let mut inputs = Vec::new();
        let mut skipped = Vec::new();
        for entry in std::fs::read_dir(self.incoming())? {
            let entry = entry?;
            let path = entry.path();
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                skipped.push(Skipped {
                    path,
                    reason: "file name is not valid UTF-8".to_owned(),
                });
                continue;
            };
            if name.starts_with('.') {
                continue;
            }
            let file_type = entry.file_type()?;
            if file_type.is_symlink() {
                skipped.push(Skipped {
                    path,
                    reason: "symlink: not followed".to_owned(),
                });
            } else if !file_type.is_file() {
                skipped.push(Skipped {
                    path,
                    reason: "not a regular file".to_owned(),
                });
            } else {
                inputs.push(Input { name, path });
            }
        }
        inputs.sort_by(|a, b| a.name.cmp(&b.name));
        Ok((inputs, skipped))
    }

    /// Moves a processed input from `incoming/` to `done/` (a rename on the same
    /// filesystem), then syncs both directories.
    pub fn complete(&self, input: &Input) -> io::Result<()> {
        std::fs::rename(&input.path, self.done().join(&input.name))?;
        for dir in [self.done(), self.incoming()] {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    }
}
