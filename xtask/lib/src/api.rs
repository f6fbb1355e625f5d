//! `cargo xtask api [--bless]`: the public API of each published crate (the
//! `publish` list of `[workspace.metadata.muster]`) under a check. The listing of a
//! crate's public items, as the pinned cargo-public-api prints it from the nightly
//! toolchain's rustdoc JSON (blanket and auto-trait impls omitted), is committed in
//! `public-api/<package>.txt`; `api` fails naming every item added or removed, and
//! `api --bless` rewrites the listings after an intended change (a reviewed diff,
//! never an accident).
//!
//! The listings sit in one directory at the workspace root rather than beside each
//! crate: they are the workspace's promise about its published crates, reviewed
//! together, and finding them needs no package metadata.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;

use crate::project::{self, Project};
use crate::tools::table::CARGO_PUBLIC_API;

/// The directory of the listings, relative to the workspace root.
pub(crate) const LISTINGS: &str = "public-api";

/// Compare each published crate's public items with its committed listing
/// (`public-api/<package>.txt`; needs the nightly toolchain; installs the pinned
/// cargo-public-api into the tools cache on first use).
#[derive(Debug, Args)]
pub(crate) struct Api {
    /// Rewrite the listings to the current public items (accept a change on purpose).
    #[arg(long)]
    bless: bool,
}

impl Api {
    pub(crate) fn run(&self) -> Result<()> {
        let project = Project::current()?;
        check(&project, self.bless)
    }
}

/// The listing file of `package`.
fn listing_file(project: &Project, package: &str) -> PathBuf {
    project.root.join(LISTINGS).join(format!("{package}.txt"))
}

/// Compares (or, with `bless`, rewrites) the listing of every published crate; the
/// error names each crate whose items changed and the items added and removed.
pub(crate) fn check(project: &Project, bless: bool) -> Result<()> {
    let packages = &project.settings.publish;
    if packages.is_empty() {
        eprintln!("api: no published crates (`publish` in [workspace.metadata.muster])");
        return Ok(());
    }
    crate::tools::ensure(&CARGO_PUBLIC_API)?;
    let mut changed = Vec::new();
    for package in packages {
        let current = public_items(project, package)?;
        let file = listing_file(project, package);
        if bless {
            std::fs::create_dir_all(file.parent().expect("in the listings directory"))?;
            std::fs::write(&file, &current)
                .with_context(|| format!("cannot write {}", project.display(&file)))?;
            eprintln!("api: wrote {}", project.display(&file));
            continue;
        }
        let committed = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => bail!("cannot read {}: {e}", project.display(&file)),
        };
        if let Some(diff) = diff(&committed, &current) {
            changed.push(format!("{package} ({}):\n{diff}", project.display(&file)));
        }
    }
    if !changed.is_empty() {
        bail!(
            "the public API changed:\n{}\nif intended, run `cargo xtask api --bless` and commit \
             the listings",
            changed.join("\n")
        );
    }
    Ok(())
}

/// `package`'s public items, one per line, as cargo-public-api lists them.
fn public_items(project: &Project, package: &str) -> Result<String> {
    let mut cmd = project.cargo();
    cmd.args([
        "public-api",
        "--package",
        package,
        "--simplified",
        "--simplified",
        "--color",
        "never",
    ]);
    project::stdout(&mut cmd).with_context(|| format!("cannot list the public items of {package}"))
}

/// The items added (`+`) and removed (`-`) from `committed` to `current`, one per
/// line; `None` when they list the same items.
fn diff(committed: &str, current: &str) -> Option<String> {
    let before: BTreeSet<&str> = committed.lines().filter(|l| !l.is_empty()).collect();
    let after: BTreeSet<&str> = current.lines().filter(|l| !l.is_empty()).collect();
    let lines: Vec<String> = after
        .difference(&before)
        .map(|item| format!("  + {item}"))
        .chain(before.difference(&after).map(|item| format!("  - {item}")))
        .collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use crate::api::diff;

    #[test]
    fn the_diff_names_items_added_and_removed_and_ignores_order() {
        assert_eq!(diff("pub fn a\npub fn b\n", "pub fn b\npub fn a\n"), None);
        assert_eq!(
            diff("pub fn a\npub fn b\n", "pub fn a\npub fn c\n").as_deref(),
            Some("  + pub fn c\n  - pub fn b")
        );
        assert_eq!(diff("", "pub mod x\n").as_deref(), Some("  + pub mod x"));
    }
}
