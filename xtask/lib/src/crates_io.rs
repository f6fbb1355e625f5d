//! Whether the names the workspace publishes under are its own on crates.io: a name
//! another project holds (as `muster` is) fails before anything is packaged. Asked with
//! `cargo info NAME --registry crates-io` from outside the workspace (inside it, cargo
//! would describe the local package).

use std::process::Command;

use anyhow::{Result, bail};

use crate::project::Project;

/// What crates.io says of a package name.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Name {
    /// No crate of that name: free to publish.
    Free,
    /// A crate of that name exists: its newest version and repository, if it gives one.
    Taken {
        version: String,
        repository: Option<String>,
    },
}

/// Reads `cargo info`'s output: `Err` (the error text, for a person) when crates.io
/// could not be asked.
pub(crate) fn parse_info(
    success: bool,
    stdout: &str,
    stderr: &str,
) -> std::result::Result<Name, String> {
    if success {
        let field = |key: &str| {
            stdout
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|v| v.trim().to_owned())
        };
        return match field("version:") {
            Some(version) => Ok(Name::Taken {
                version,
                repository: field("repository:"),
            }),
            None => Err(format!("`cargo info` printed no version:\n{stdout}")),
        };
    }
    if stderr.contains("could not find") {
        return Ok(Name::Free);
    }
    Err(stderr.trim().to_owned())
}

/// Asks crates.io about `name`; `Err` when it cannot be asked.
pub(crate) fn ask(name: &str) -> std::result::Result<Name, String> {
    let outside = std::env::temp_dir();
    let output = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["info", name, "--registry", "crates-io"])
        .current_dir(&outside)
        .output()
        .map_err(|e| format!("cannot run `cargo info`: {e}"))?;
    parse_info(
        output.status.success(),
        &String::from_utf8_lossy(&output.stdout),
        &String::from_utf8_lossy(&output.stderr),
    )
}

/// Fails naming each package of `packages` whose name crates.io gives to a crate from
/// another repository than this workspace's `[workspace.package] repository`. `Ok(Some)`
/// names what could not be checked (crates.io unreachable).
pub(crate) fn check_names(project: &Project, packages: &[String]) -> Result<Option<String>> {
    let ours = repository(project);
    let mut taken = Vec::new();
    for package in packages {
        match ask(package) {
            Ok(Name::Free) => eprintln!("crates.io: `{package}` is free"),
            Ok(Name::Taken {
                repository: Some(repo),
                ..
            }) if ours.as_deref() == Some(repo.as_str()) => {
                eprintln!("crates.io: `{package}` is ours ({repo})");
            }
            Ok(Name::Taken {
                version,
                repository,
            }) => taken.push(format!(
                "`{package}` (crates.io has {package} {version}{})",
                repository.map(|r| format!(" from {r}")).unwrap_or_default()
            )),
            Err(why) => {
                return Ok(Some(format!(
                    "the crates.io name check of {} (crates.io could not be asked: {})",
                    packages.join(", "),
                    why.lines().last().unwrap_or("")
                )));
            }
        }
    }
    if !taken.is_empty() {
        bail!(
            "publish: package name(s) taken on crates.io by another project: {}. Rename the \
             package (its library name may stay, as `muster-rt`'s library is `muster`), or \
             set `[workspace.package] repository` if the crate is this workspace's",
            taken.join(", ")
        );
    }
    Ok(None)
}

/// `[workspace.package] repository` of the root manifest, if set.
fn repository(project: &Project) -> Option<String> {
    let text = std::fs::read_to_string(project.root.join("Cargo.toml")).ok()?;
    let table: toml::Table = toml::from_str(&text).ok()?;
    table
        .get("workspace")?
        .get("package")?
        .get("repository")?
        .as_str()
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use crate::crates_io::{Name, ask, parse_info};

    #[test]
    fn cargo_info_output_is_read_as_free_taken_or_unknown() {
        let taken = "muster #cli\nA tool\nversion: 0.5.6\nlicense: MIT\nrepository: https://example.org/m\n";
        assert_eq!(
            parse_info(true, taken, ""),
            Ok(Name::Taken {
                version: "0.5.6".into(),
                repository: Some("https://example.org/m".into())
            })
        );
        assert_eq!(
            parse_info(
                false,
                "",
                "    Updating crates.io index\nerror: could not find `muster-kit` in registry `crates-io`\n"
            ),
            Ok(Name::Free)
        );
        let offline = parse_info(
            false,
            "",
            "error: failed to query replaced source registry `crates-io`\n\nCaused by:\n  network down\n",
        );
        assert!(offline.unwrap_err().contains("network down"));
    }

    #[test]
    #[ignore = "asks crates.io: the full `cargo xtask test` runs it (`--include-ignored`)"]
    fn crates_io_says_muster_is_taken_and_the_published_names_are_free() {
        assert!(
            matches!(ask("muster"), Ok(Name::Taken { .. })),
            "{:?}",
            ask("muster")
        );
        for free in [
            "muster-rt",
            "muster-kit",
            "muster-names",
            "muster-macros",
            "muster-xtask",
        ] {
            assert_eq!(ask(free), Ok(Name::Free), "{free}");
        }
    }
}
