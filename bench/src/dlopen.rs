//! The dlopen alternative: plugins built as cdylibs, loaded with `libloading`, asked
//! for their slot, version and acceptance through `extern "C"` functions; the newest
//! acceptable version per slot wins. Also the source of such a cdylib.

use std::collections::BTreeMap;
use std::ffi::{CStr, c_char};
use std::path::{Path, PathBuf};

use semver::Version;

/// What a dlopen'ed plugin is told about the host (a C struct: no Rust types cross
/// the boundary).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct HostFacts {
    /// Logical cores.
    pub logical_cores: u32,
    /// Whether the host has the `bench=never` label (no host has).
    pub never_label: bool,
}

/// The decision for one slot.
#[derive(Debug)]
pub struct Decision {
    /// Slot name.
    pub slot: String,
    /// The newest acceptable version and the file it came from.
    pub selected: Option<(Version, PathBuf)>,
    /// Versions seen.
    pub candidates: usize,
}

type TextFn = extern "C" fn() -> *const c_char;
type AcceptsFn = extern "C" fn(*const HostFacts) -> bool;

/// Opens every library in `paths`, reads slot and version, asks for acceptance, and
/// keeps the newest acceptable version per slot. The libraries stay loaded (returned)
/// so that a host could call the selected ones.
// `libloading` is unsafe by nature: loading runs the library's initialisers, and a
// symbol's type is trusted. Confined to this function; the cdylibs it loads are the
// ones `cdylib_source` generates, with exactly these signatures.
#[allow(unsafe_code)]
pub fn decide(
    paths: &[PathBuf],
    facts: &HostFacts,
) -> anyhow::Result<(Vec<Decision>, Vec<libloading::Library>)> {
    let mut libraries = Vec::with_capacity(paths.len());
    let mut slots: BTreeMap<String, Decision> = BTreeMap::new();
    for path in paths {
        // SAFETY: see above; the generated libraries' initialisers are Rust std's only.
        let library = unsafe { libloading::Library::new(path) }?;
        // SAFETY: the generated libraries export these symbols with these types.
        let (slot, version, accepts) = unsafe {
            let slot: libloading::Symbol<'_, TextFn> = library.get(b"muster_plugin_slot\0")?;
            let version: libloading::Symbol<'_, TextFn> =
                library.get(b"muster_plugin_version\0")?;
            let accepts: libloading::Symbol<'_, AcceptsFn> =
                library.get(b"muster_plugin_accepts\0")?;
            (
                CStr::from_ptr(slot()).to_str()?.to_owned(),
                CStr::from_ptr(version()).to_str()?,
                *accepts,
            )
        };
        let version = Version::parse(version)?;
        let entry = slots.entry(slot.clone()).or_insert_with(|| Decision {
            slot,
            selected: None,
            candidates: 0,
        });
        entry.candidates += 1;
        let newer = entry
            .selected
            .as_ref()
            .is_none_or(|(best, _)| version.cmp_precedence(best).is_gt());
        if newer && accepts(facts) {
            entry.selected = Some((version, path.clone()));
        }
        libraries.push(library);
    }
    Ok((slots.into_values().collect(), libraries))
}

/// The `.so` files in `dir`, sorted by name.
pub fn libraries_in(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "so"))
        .collect();
    paths.sort();
    Ok(paths)
}

/// Source of the cdylib for one plugin version, mirroring a generated static one:
/// in every tenth slot the newest version rejects hosts without the `bench` label.
pub fn cdylib_source(slot: &str, version: &str, rejects: bool, multiplier: u64) -> String {
    format!(
        r#"//! Generated dlopen benchmark plugin: slot `{slot}`, version {version}.

use std::ffi::c_char;

/// Mirror of `muster_bench::dlopen::HostFacts`.
#[repr(C)]
pub struct HostFacts {{
    /// Logical cores.
    pub logical_cores: u32,
    /// Whether the host has the `bench=never` label.
    pub never_label: bool,
}}

/// The slot this library fills.
#[unsafe(no_mangle)]
pub extern "C" fn muster_plugin_slot() -> *const c_char {{
    c"{slot}".as_ptr()
}}

/// This library's version.
#[unsafe(no_mangle)]
pub extern "C" fn muster_plugin_version() -> *const c_char {{
    c"{version}".as_ptr()
}}

/// Whether this version accepts the host.
#[unsafe(no_mangle)]
pub extern "C" fn muster_plugin_accepts(facts: *const HostFacts) -> bool {{
    // SAFETY: the host passes a valid pointer.
    let facts = unsafe {{ &*facts }};
    !{rejects} || facts.never_label
}}

/// The plugin's work.
#[unsafe(no_mangle)]
pub extern "C" fn muster_plugin_run(x: u64) -> u64 {{
    x.wrapping_mul({multiplier})
}}
"#
    )
}
