//! `cargo xtask repro`: builds a set twice, in two target directories, with the flags
//! `cargo xtask build` uses, and fails unless the two binaries are byte-identical.

use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use sha2::{Digest, Sha256};

use crate::build::{Build, repro_target_dir};
use crate::cargo_meta::target_dir;
use crate::plan::hex;
use crate::project::Project;

/// Build a set twice in different target directories; fail unless byte-identical.
#[derive(Debug, Args)]
pub(crate) struct Repro {
    /// The deployment set (`sets/<set>.toml`; default: `repro-set` in
    /// `[workspace.metadata.muster]`).
    #[arg(long)]
    pub(crate) set: Option<String>,
    /// Remove the second target directory first, so the second build starts cold
    /// (slower; without it, a later run reuses it and recompiles only what changed).
    #[arg(long)]
    pub(crate) clean: bool,
}

impl Repro {
    pub(crate) fn run(&self) -> Result<()> {
        let project = Project::current()?;
        let set = self
            .set
            .clone()
            .unwrap_or_else(|| project.settings.repro_set.clone());
        let prepared = Build::release(&set).prepare(&project)?;
        let first_dir = target_dir(&project)?;
        let second_dir = repro_target_dir(&first_dir);
        if self.clean && second_dir.exists() {
            eprintln!("repro: removing {}", second_dir.display());
            std::fs::remove_dir_all(&second_dir)
                .with_context(|| format!("cannot remove {}", second_dir.display()))?;
        }
        let mut hashes = Vec::new();
        for dir in [&first_dir, &second_dir] {
            let started = Instant::now();
            let binary = prepared.compile(&project, Some(dir))?;
            let bytes = std::fs::read(&binary)
                .with_context(|| format!("cannot read {}", binary.display()))?;
            let sha = hex(&Sha256::digest(&bytes));
            eprintln!(
                "repro: {} ({} bytes, {:.1?}): sha256 {sha}",
                binary.display(),
                bytes.len(),
                started.elapsed()
            );
            hashes.push((binary, sha));
        }
        let (a, b) = (&hashes[0], &hashes[1]);
        println!("sha256 {}  {}", a.1, a.0.display());
        println!("sha256 {}  {}", b.1, b.0.display());
        if a.1 != b.1 {
            bail!(
                "set `{}` is not reproducible: two builds from the same commit differ \
                 (compare them with `cmp -l` or diffoscope)",
                set
            );
        }
        println!(
            "repro: set `{}` is reproducible: two target directories, byte-identical binaries",
            set
        );
        Ok(())
    }
}
