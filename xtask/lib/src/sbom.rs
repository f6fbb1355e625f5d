//! The CycloneDX SBOM (`dist/<set>/<host>.cdx.json`, spec 1.5): exactly the crates
//! linked into one set's binary, built with the `cyclonedx-bom` library from
//! `cargo metadata` (resolved for the set's features and target) and `Cargo.lock`.
//!
//! What goes in: the app and every crate reachable from it through normal (not dev, not
//! build) dependencies, minus proc-macro crates (they run in the compiler, they are not
//! linked). Each crate has its version, license (SPDX expression from its `Cargo.toml`)
//! and source: a purl and the registry checksum for crates.io, the repository and commit
//! for git, the path relative to the workspace for path crates (`path+<outside>/NAME`
//! for one outside it). Components are in identity order (name, version, source), so
//! neither the checkout's location nor the target directory changes a byte. Each plugin (a crate may
//! register several) is a component nested in its crate's, named and versioned as the
//! plugin, with `muster:slot`, `muster:team`, `muster:plugin-name`,
//! `muster:plugin-version` and `muster:package`.
//! The output is deterministic: the serial number derives from the binary's hash and
//! there is no wall-clock timestamp (`SOURCE_DATE_EPOCH` is used when set).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context, Result, bail};
use cyclonedx_bom::external_models::normalized_string::NormalizedString;
use cyclonedx_bom::external_models::uri::{Purl, Uri};
use cyclonedx_bom::models::bom::{Bom, SpecVersion, UrnUuid};
use cyclonedx_bom::models::component::{Classification, Component, Components, Scope};
use cyclonedx_bom::models::dependency::{Dependencies, Dependency};
use cyclonedx_bom::models::external_reference::{
    ExternalReference, ExternalReferenceType, ExternalReferences,
};
use cyclonedx_bom::models::hash::{Hash, HashAlgorithm, HashValue, Hashes};
use cyclonedx_bom::models::license::{License, LicenseChoice, Licenses};
use cyclonedx_bom::models::metadata::Metadata as BomMetadata;
use cyclonedx_bom::models::property::{Properties, Property};
use cyclonedx_bom::models::tool::{Tool, Tools};
use cyclonedx_bom::validation::Validate;

use crate::build::manifest::Prepared;
use crate::cargo_meta::{Node, NodeDep, Package};
use crate::plan::PlannedPlugin;
use crate::project::{self, Project};

/// The crates.io registry, as `cargo metadata` names it.
const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

/// What a path crate outside the checkout is recorded as, instead of its directory:
/// `path+<outside>/NAME`.
pub(crate) const OUTSIDE: &str = "<outside>";

/// Property names: one namespace for everything muster adds.
pub(crate) const SOURCE: &str = "muster:source";
pub(crate) const SLOT: &str = "muster:slot";
pub(crate) const TEAM: &str = "muster:team";
pub(crate) const PLUGIN_NAME: &str = "muster:plugin-name";
pub(crate) const PLUGIN_VERSION: &str = "muster:plugin-version";
pub(crate) const PACKAGE: &str = "muster:package";

/// The SBOM of the binary `prepared` built, whose SHA-256 is `binary_sha256`, as JSON.
/// Fails if the library's own validation of the document fails.
pub(crate) fn generate(
    project: &Project,
    prepared: &Prepared,
    binary_sha256: &str,
) -> Result<String> {
    let plan = &prepared.plan;
    let metadata = crate::cargo_meta::set_metadata(project, &prepared.target, &plan.features)?;
    let lock = crate::cargo_meta::read_lock(project)?;
    let checksums: BTreeMap<(String, String), String> = lock
        .package
        .into_iter()
        .filter_map(|p| Some(((p.name, p.version), p.checksum?)))
        .collect();

    let packages: BTreeMap<&str, &Package> = metadata
        .packages
        .iter()
        .map(|p| (p.id.as_str(), p))
        .collect();
    let nodes = metadata.nodes_by_id()?;
    let root = metadata
        .packages
        .iter()
        .find(|p| p.name == project.host() && p.source.is_none())
        .with_context(|| format!("`cargo metadata` lists no package `{}`", project.host()))?;
    // In identity order (name, version, source label), never by package id: an id holds
    // the absolute path of a path crate, so the checkout's location would reorder them.
    let linked_ids = linked_packages(root.id.as_str(), &packages, &nodes);
    let mut linked: Vec<&String> = linked_ids.iter().collect();
    linked.sort_by_cached_key(|id| {
        let p = packages[id.as_str()];
        (
            p.name.clone(),
            p.version.clone(),
            source_of(p, &metadata.workspace_root),
        )
    });

    // One bom-ref per package: `name@version`, qualified by its source if two share it.
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    for id in &linked {
        let p = packages[id.as_str()];
        *seen.entry((p.name.clone(), p.version.clone())).or_default() += 1;
    }
    let bom_ref = |id: &str| -> String {
        let p = packages[id];
        let plain = format!("{}@{}", p.name, p.version);
        if seen[&(p.name.clone(), p.version.clone())] > 1 {
            format!("{plain}+{}", source_of(p, &metadata.workspace_root))
        } else {
            plain
        }
    };
    // A package may register several plugins (versions, slots): all of them, by package.
    let mut plugins: BTreeMap<&str, Vec<&PlannedPlugin>> = BTreeMap::new();
    for planned in &plan.plugins {
        plugins
            .entry(planned.package.as_str())
            .or_default()
            .push(planned);
    }

    let mut components = Vec::new();
    let mut dependencies = Vec::new();
    for id in &linked {
        let p = packages[id.as_str()];
        let deps: BTreeSet<String> = nodes[id.as_str()]
            .deps
            .iter()
            .filter(|d| linked_ids.contains(&d.pkg) && is_normal(d))
            .map(|d| bom_ref(&d.pkg))
            .collect();
        dependencies.push(Dependency {
            dependency_ref: bom_ref(id),
            dependencies: deps.into_iter().collect(),
        });
        if *id == &root.id {
            continue;
        }
        // A path or git package of the plan's name is that plugin's crate (crates.io
        // packages never are: plugins come from paths or git).
        let registered: &[&PlannedPlugin] = match p.source.as_deref() {
            Some(CRATES_IO) => &[],
            _ => plugins.get(p.name.as_str()).map_or(&[], Vec::as_slice),
        };
        components.push(component(
            p,
            bom_ref(id),
            &metadata.workspace_root,
            &checksums,
            registered,
        ));
    }

    let mut app = Component::new(
        Classification::Application,
        project.host(),
        &root.version,
        Some(bom_ref(&root.id)),
    );
    app.hashes = Some(Hashes(vec![sha256(binary_sha256)]));
    app.licenses = root.license.as_deref().map(licenses);
    let mut properties = vec![
        Property::new("muster:set", &plan.set),
        Property::new("muster:plan-hash", &plan.hash()),
        Property::new("muster:target", &prepared.target),
        Property::new("muster:profile", &prepared.profile),
        Property::new("muster:rustc", &prepared.rustc),
        Property::new("muster:git-revision", &prepared.git_revision),
        Property::new("muster:git-dirty", &prepared.git_dirty.to_string()),
        Property::new(
            "muster:auditable",
            &prepared.mode.is_auditable().to_string(),
        ),
    ];
    properties.extend(
        plan.features
            .iter()
            .map(|f| Property::new("muster:feature", f)),
    );
    app.properties = Some(Properties(properties));

    let mut meta = BomMetadata {
        component: Some(app),
        tools: Some(Tools::List(vec![Tool::new(
            "muster",
            "cargo xtask build",
            env!("CARGO_PKG_VERSION"),
        )])),
        ..BomMetadata::default()
    };
    if let Some(epoch) = source_date_epoch(project) {
        meta.timestamp = Some(
            cyclonedx_bom::prelude::DateTime::try_from(rfc3339(epoch))
                .map_err(|e| anyhow::anyhow!("bad SOURCE_DATE_EPOCH timestamp: {e}"))?,
        );
    }
    let bom = Bom {
        version: 1,
        serial_number: Some(serial_number(binary_sha256)?),
        metadata: Some(meta),
        components: Some(Components(components)),
        dependencies: Some(Dependencies(dependencies)),
        spec_version: SpecVersion::V1_5,
        ..Bom::default()
    };
    let validation = bom.validate_version(SpecVersion::V1_5);
    if validation.has_errors() {
        bail!("the SBOM does not validate (cyclonedx-bom): {validation:?}");
    }
    let mut out = Vec::new();
    bom.output_as_json_v1_5(&mut out)
        .map_err(|e| anyhow::anyhow!("cannot write the SBOM as JSON: {e}"))?;
    // Pretty-printed, so a reviewer can diff two SBOMs.
    let value: serde_json::Value = serde_json::from_slice(&out)?;
    Ok(serde_json::to_string_pretty(&value)? + "\n")
}

/// The packages linked into the binary: `root` and everything reachable from it through
/// normal dependencies, proc-macro crates (and what only they pull in) excluded. Sorted.
fn linked_packages(
    root: &str,
    packages: &BTreeMap<&str, &Package>,
    nodes: &BTreeMap<&str, &Node>,
) -> BTreeSet<String> {
    let mut linked = BTreeSet::new();
    let mut todo = vec![root.to_owned()];
    while let Some(id) = todo.pop() {
        let Some(package) = packages.get(id.as_str()) else {
            continue;
        };
        if package
            .targets
            .iter()
            .any(|t| t.kind.iter().any(|k| k == "proc-macro"))
        {
            continue;
        }
        if !linked.insert(id.clone()) {
            continue;
        }
        if let Some(node) = nodes.get(id.as_str()) {
            todo.extend(
                node.deps
                    .iter()
                    .filter(|d| is_normal(d))
                    .map(|d| d.pkg.clone()),
            );
        }
    }
    linked
}

/// A normal dependency (`kind` null), not a dev- or build-dependency.
fn is_normal(dep: &NodeDep) -> bool {
    dep.dep_kinds.iter().any(|k| k.kind.is_none())
}

/// Where a package comes from, without machine paths: `crates.io`, `git+URL#REV`,
/// `path+RELATIVE` for a path inside the workspace, `path+<outside>/NAME` for one
/// outside it (a stable label: where it sits differs from machine to machine, and the
/// binary names it by a fixed prefix too).
fn source_of(p: &Package, workspace_root: &Path) -> String {
    match p.source.as_deref() {
        Some(CRATES_IO) => "crates.io".to_owned(),
        Some(other) => other
            .split_once('?')
            .map_or(other.to_owned(), |(url, rest)| {
                // `git+https://host/repo?tag=v1#<rev>`: keep the commit.
                match rest.split_once('#') {
                    Some((_, rev)) => format!("{url}#{rev}"),
                    None => other.to_owned(),
                }
            }),
        None => {
            let dir = p.manifest_path.parent().unwrap_or(&p.manifest_path);
            match dir.strip_prefix(workspace_root) {
                Ok(relative) => format!("path+{}", relative.display()),
                Err(_) => format!("path+{OUTSIDE}/{}", p.name),
            }
        }
    }
}

fn component(
    p: &Package,
    bom_ref: String,
    workspace_root: &Path,
    checksums: &BTreeMap<(String, String), String>,
    registered: &[&PlannedPlugin],
) -> Component {
    let mut c = Component::new(Classification::Library, &p.name, &p.version, Some(bom_ref));
    c.scope = Some(Scope::Required);
    c.licenses = match (&p.license, &p.license_file) {
        (Some(expression), _) => Some(licenses(expression)),
        (None, Some(file)) => Some(Licenses(vec![LicenseChoice::License(
            License::named_license(&format!(
                "see {} in the crate",
                file.file_name().unwrap_or_default().to_string_lossy()
            )),
        )])),
        (None, None) => None,
    };
    let source = source_of(p, workspace_root);
    match p.source.as_deref() {
        Some(CRATES_IO) => {
            c.purl = Purl::new("cargo", &p.name, &p.version).ok();
            if let Some(sum) = checksums.get(&(p.name.clone(), p.version.clone())) {
                c.hashes = Some(Hashes(vec![sha256(sum)]));
            }
        }
        Some(_) => {
            // git: a purl that says so, so scanners do not take it for the crates.io crate.
            let vcs = source.clone();
            c.purl = format!(
                "pkg:cargo/{}@{}?vcs_url={}",
                p.name,
                p.version,
                percent_encode(&vcs)
            )
            .parse()
            .ok();
            c.external_references = Some(ExternalReferences(vec![ExternalReference::new(
                ExternalReferenceType::Vcs,
                Uri::new(vcs.strip_prefix("git+").unwrap_or(&vcs)),
            )]));
        }
        None => {}
    }
    let properties = vec![Property::new(SOURCE, &source)];
    // Each plugin the crate registers: a component of its own, inside the crate's.
    if !registered.is_empty() {
        c.components = Some(Components(
            registered
                .iter()
                .map(|plugin| {
                    let mut inner = Component::new(
                        Classification::Library,
                        &plugin.name,
                        &plugin.version,
                        Some(format!(
                            "plugin:{}/{}@{}",
                            plugin.slot, plugin.name, plugin.version
                        )),
                    );
                    inner.description = Some(NormalizedString::new(&format!(
                        "muster plugin {} {} for slot `{}` (team {}), in crate {} {}",
                        plugin.name, plugin.version, plugin.slot, plugin.team, p.name, p.version
                    )));
                    inner.properties = Some(Properties(vec![
                        Property::new(SLOT, &plugin.slot),
                        Property::new(TEAM, &plugin.team),
                        Property::new(PLUGIN_NAME, &plugin.name),
                        Property::new(PLUGIN_VERSION, &plugin.version),
                        Property::new(PACKAGE, &p.name),
                    ]));
                    inner
                })
                .collect(),
        ));
    }
    c.properties = Some(Properties(properties));
    c
}

/// A license from `Cargo.toml`'s `license`: an SPDX expression (old `A/B` syntax read
/// leniently), else the text as a named license.
fn licenses(expression: &str) -> Licenses {
    let choice = match cyclonedx_bom::external_models::spdx::SpdxExpression::parse_lax(
        expression.to_owned(),
    ) {
        Ok(parsed) => LicenseChoice::Expression(parsed),
        Err(_) => LicenseChoice::License(License::named_license(expression)),
    };
    Licenses(vec![choice])
}

fn sha256(hex: &str) -> Hash {
    Hash {
        alg: HashAlgorithm::SHA_256,
        content: HashValue(hex.to_owned()),
    }
}

/// A UUID-shaped serial number derived from the binary's hash (version nibble 8:
/// "custom", RFC 9562), so one binary always gets the same SBOM.
fn serial_number(binary_sha256: &str) -> Result<UrnUuid> {
    if binary_sha256.len() < 32 || !binary_sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("not a sha256: {binary_sha256}");
    }
    let h = &binary_sha256[..32];
    let variant = ["8", "9", "a", "b"][usize::from_str_radix(&h[16..17], 16)? % 4];
    let uuid = format!(
        "urn:uuid:{}-{}-8{}-{variant}{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    );
    UrnUuid::new(uuid).map_err(|e| anyhow::anyhow!("bad serial number: {e:?}"))
}

/// `SOURCE_DATE_EPOCH`, else the last commit's time (what the build uses).
fn source_date_epoch(project: &Project) -> Option<i64> {
    if let Some(value) = std::env::var_os("SOURCE_DATE_EPOCH") {
        return value.to_str()?.trim().parse().ok();
    }
    project::stdout(project.command("git").args(["log", "-1", "--format=%ct"]))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Seconds since 1970 as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
fn rfc3339(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use crate::cargo_meta::Package;
    use crate::sbom::{component, rfc3339, serial_number, source_of};

    /// A package as `cargo metadata` describes one from a local git repository.
    fn git_package() -> Package {
        serde_json::from_value(serde_json::json!({
            "id": "git+file:///srv/repos/outer?branch=main#0123abcd",
            "name": "outer",
            "version": "0.4.0",
            "license": "MIT",
            "source": "git+file:///srv/repos/outer?branch=main#0123abcdef0123abcdef0123abcdef0123abcdef",
            "manifest_path": "/root/.cargo/git/checkouts/outer-1a2b/0123abc/Cargo.toml"
        }))
        .unwrap()
    }

    #[test]
    fn a_git_source_is_recorded_by_url_and_commit_with_a_vcs_purl() {
        let package = git_package();
        let source = source_of(&package, Path::new("/work/ws"));
        assert_eq!(
            source, "git+file:///srv/repos/outer#0123abcdef0123abcdef0123abcdef0123abcdef",
            "the branch is dropped, the commit kept, no checkout path"
        );
        let c = component(
            &package,
            "outer@0.4.0".into(),
            Path::new("/work/ws"),
            &BTreeMap::new(),
            &[],
        );
        let purl = c.purl.as_ref().map(ToString::to_string).unwrap_or_default();
        assert!(
            purl.starts_with("pkg:cargo/outer@0.4.0?vcs_url=git%2Bfile"),
            "a purl scanners do not take for the crates.io crate: {purl}"
        );
        let shown = format!("{c:?}");
        assert!(
            shown.contains("file:///srv/repos/outer#0123abcdef"),
            "{shown}"
        );
        assert!(!shown.contains(".cargo/git"), "no checkout path: {shown}");
    }

    #[test]
    fn timestamps_are_utc_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_798_761_599), "2026-12-31T23:59:59Z");
    }

    #[test]
    fn the_serial_number_is_a_uuid_derived_from_the_binary() {
        let sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let serial = serial_number(sha).unwrap();
        assert_eq!(serial.0, "urn:uuid:01234567-89ab-8def-8123-456789abcdef");
        assert!(serial_number("xyz").is_err());
    }
}
