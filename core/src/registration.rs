//! What `#[plugin]` stores for each plugin version: metadata and a constructor.
//!
//! The layout is private and compact (it is built by the macro through
//! `muster::__private` const fns and read through accessors): in a position-
//! independent binary every pointer in a registration is a relocation the loader
//! applies at start, and every page of registrations one it writes, so a
//! registration holds as few bytes and pointers as it can: crate, package and
//! module path are one shared [`Origin`] per module, which also holds team,
//! description and requirements for the rare plugin that declares them (it then
//! has an origin of its own); the version text, the slot and the name are one
//! string (joined at compile time) with the offsets between them; the version is
//! also kept as small integers. That is 32 bytes with two pointers, plus the
//! constructor: 40 bytes, three relocations.

use serde::Serialize;
use serde::ser::SerializeStruct;

use crate::Requirement;

/// One registered plugin version of the slot `T` (a `dyn Trait`).
///
/// Created by `#[muster::plugin]` in a static; never built by hand.
pub struct Registration<T: ?Sized + 'static> {
    meta: PluginMeta,
    construct: fn() -> Box<T>,
}

impl<T: ?Sized> Registration<T> {
    /// Used by `#[plugin]` expansions (through `muster::__private`).
    pub(crate) const fn new(meta: PluginMeta, construct: fn() -> Box<T>) -> Self {
        Registration { meta, construct }
    }

    /// Everything known about the registration without constructing it.
    pub fn meta(&self) -> &PluginMeta {
        &self.meta
    }

    /// Builds a new instance (from `Default` or the plugin's `new = path`),
    /// without running any hook.
    pub fn construct(&self) -> Box<T> {
        (self.construct)()
    }
}

impl<T: ?Sized> std::fmt::Debug for Registration<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("meta", &self.meta)
            .finish_non_exhaustive()
    }
}

/// Metadata of a registered plugin version, read through its accessors.
#[derive(Clone, Copy)]
pub struct PluginMeta {
    /// The version text, the slot and the name, separated (the name last: it is
    /// the only text a user writes freely).
    texts: &'static str,
    /// Where the registration is (crate, package, module path): one value per
    /// module, shared by its registrations; and the optional details.
    origin: &'static Origin,
    /// `major.minor.patch`; [`LARGE`] stands for a number that does not fit,
    /// read from the text instead.
    version: [u16; 3],
    /// Where the version text and the slot end in `texts`; [`FAR`] for an offset
    /// that does not fit, found in the text instead.
    ends: [u8; 2],
}

/// A version number too large for the compact form (semver allows `u64`).
const LARGE: u16 = u16::MAX;

/// A separator further into the texts than the compact offsets reach (a
/// separator is never at 0: the version text comes first and is never empty).
const FAR: u8 = 0;

/// Where registrations come from: `crate SEP package SEP module_path`, with the
/// offsets of the two separators. Built once per module (a `const` each expansion
/// names; identical values are emitted once per codegen unit).
#[doc(hidden)]
#[derive(Debug)]
pub struct Origin {
    texts: &'static str,
    ends: [u16; 2],
    /// Team, description and requirements: `Some` only in the origin of a plugin
    /// that declares one of them.
    details: Option<&'static Details>,
}

impl Origin {
    /// Used by `#[plugin]` expansions (through `muster::__private`).
    pub(crate) const fn new(texts: &'static str, details: Option<&'static Details>) -> Origin {
        Origin {
            texts,
            ends: ends_of(texts),
            details,
        }
    }

    fn field(&self, i: usize) -> &'static str {
        let start = if i == 0 {
            0
        } else {
            usize::from(self.ends[i - 1]) + 1
        };
        let end = self
            .ends
            .get(i)
            .map_or(self.texts.len(), |&e| usize::from(e));
        // The offsets were computed from this string at compile time, at ASCII separators.
        self.texts.get(start..end).unwrap_or_default()
    }
}

/// The optional parts of a registration, present only when declared.
#[doc(hidden)]
#[derive(Debug)]
pub struct Details {
    team: Option<&'static str>,
    description: Option<&'static str>,
    requires: &'static [Requirement],
}

impl Details {
    /// Used by `#[plugin]` expansions (through `muster::__private`).
    pub(crate) const fn new(
        team: Option<&'static str>,
        description: Option<&'static str>,
        requires: &'static [Requirement],
    ) -> Details {
        Details {
            team,
            description,
            requires,
        }
    }
}

/// Offsets of the first `N` separators in `texts`; panics (at compile time, in a
/// `const`) when there are fewer or the text is too long.
const fn ends_of<const N: usize>(texts: &str) -> [u16; N] {
    let bytes = texts.as_bytes();
    assert!(bytes.len() <= u16::MAX as usize, "plugin metadata too long");
    let mut ends = [0u16; N];
    let mut found = 0;
    let mut i = 0;
    while i < bytes.len() && found < N {
        if bytes[i] == SEP {
            ends[found] = i as u16;
            found += 1;
        }
        i += 1;
    }
    assert!(found == N, "plugin metadata is missing a field");
    ends
}

impl PluginMeta {
    /// Used by `#[plugin]` expansions (through `muster::__private`): `texts` is
    /// `version SEP slot SEP name`, with SEP = `\u{1f}`.
    pub(crate) const fn new(
        origin: &'static Origin,
        texts: &'static str,
        version: [u64; 3],
    ) -> PluginMeta {
        const fn compact(n: u64) -> u16 {
            if n < LARGE as u64 { n as u16 } else { LARGE }
        }
        const fn near(end: u16) -> u8 {
            if end <= u8::MAX as u16 {
                end as u8
            } else {
                FAR
            }
        }
        let [version_end, slot_end] = ends_of(texts);
        PluginMeta {
            texts,
            origin,
            version: [
                compact(version[0]),
                compact(version[1]),
                compact(version[2]),
            ],
            ends: [near(version_end), near(slot_end)],
        }
    }

    /// Where the version text and the slot end in `texts`.
    #[inline]
    fn ends(&self) -> (usize, usize) {
        match self.ends {
            [version_end, slot_end] if version_end != FAR && slot_end != FAR => {
                (version_end.into(), slot_end.into())
            }
            _ => self.far_ends(),
        }
    }

    /// [`ends`](Self::ends) when an offset did not fit: the separators, found.
    #[cold]
    #[inline(never)]
    fn far_ends(&self) -> (usize, usize) {
        let mut separators = self.texts.bytes().enumerate().filter(|&(_, b)| b == SEP);
        let mut next = || separators.next().map_or(self.texts.len(), |(i, _)| i);
        (next(), next())
    }

    /// Name of the slot the plugin fills.
    pub fn slot(&self) -> &'static str {
        let (version_end, slot_end) = self.ends();
        self.texts
            .get(version_end + 1..slot_end)
            .unwrap_or_default()
    }

    /// Plugin name (the `name` argument, by default the package name).
    pub fn name(&self) -> &'static str {
        let (_, slot_end) = self.ends();
        self.texts.get(slot_end + 1..).unwrap_or_default()
    }

    /// The version as written in `#[plugin(version = "...")]`, validated with
    /// `semver` at compile time (order versions with [`semver::Version`], or let
    /// the selector do it).
    pub fn version(&self) -> &'static str {
        self.version_text()
    }

    /// The version, split: the integers and the text (ordered in place).
    pub(crate) fn version_parts(&self) -> VersionParts {
        let text = self.version_text();
        let [major, minor, patch] = self.version;
        if major == LARGE || minor == LARGE || patch == LARGE {
            // Validated by the macro: three numbers before any `-` or `+`.
            let mut numbers = text
                .split(['-', '+'])
                .next()
                .unwrap_or_default()
                .split('.')
                .map(|n| n.parse().unwrap_or(u64::MAX));
            let mut next = || numbers.next().unwrap_or(u64::MAX);
            return VersionParts {
                text,
                major: next(),
                minor: next(),
                patch: next(),
            };
        }
        VersionParts {
            text,
            major: major.into(),
            minor: minor.into(),
            patch: patch.into(),
        }
    }

    /// The version as written (what [`version`](Self::version)`().text()` is,
    /// without splitting the rest).
    pub(crate) fn version_text(&self) -> &'static str {
        let (version_end, _) = self.ends();
        self.texts.get(..version_end).unwrap_or_default()
    }

    /// Semver precedence of the two versions: the compact integers compared in
    /// place, the text read only for a tie or a number too large for them.
    #[inline]
    pub(crate) fn cmp_version(&self, other: &PluginMeta) -> std::cmp::Ordering {
        if let (Some(a), Some(b)) = (self.key(), other.key())
            && a != b
        {
            return a.cmp(&b);
        }
        self.cmp_version_text(other)
    }

    /// `major.minor.patch` as one number ordered like them, unless one of them is
    /// too large for the compact form.
    #[inline]
    pub(crate) fn key(&self) -> Option<u64> {
        let [major, minor, patch] = self.version;
        (major != LARGE && minor != LARGE && patch != LARGE)
            .then(|| u64::from(major) << 32 | u64::from(minor) << 16 | u64::from(patch))
    }

    /// [`cmp_version`](Self::cmp_version) when the integers tie or do not fit:
    /// the full precedence, pre-release included.
    #[inline(never)]
    fn cmp_version_text(&self, other: &PluginMeta) -> std::cmp::Ordering {
        self.version_parts().cmp_precedence(&other.version_parts())
    }

    /// The crate that registered the plugin (`CARGO_CRATE_NAME`).
    pub fn crate_name(&self) -> &'static str {
        self.origin.field(0)
    }

    /// The package that registered the plugin (`CARGO_PKG_NAME`).
    pub fn package(&self) -> &'static str {
        self.origin.field(1)
    }

    /// The module of the registration.
    pub fn module_path(&self) -> &'static str {
        self.origin.field(2)
    }

    /// The team that owns the plugin, if declared.
    pub fn team(&self) -> Option<&'static str> {
        self.origin.details.and_then(|d| d.team)
    }

    /// A one-line description, if declared.
    pub fn description(&self) -> Option<&'static str> {
        self.origin.details.and_then(|d| d.description)
    }

    /// Declarative requirements on the host.
    pub fn requires(&self) -> &'static [Requirement] {
        self.origin.details.map_or(&[], |d| d.requires)
    }
}

/// Separates the texts of a [`PluginMeta`] and an [`Origin`] (a control character
/// no version, crate, package or module path contains).
const SEP: u8 = 0x1f;

impl std::fmt::Debug for PluginMeta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginMeta")
            .field("slot", &self.slot())
            .field("name", &self.name())
            .field("version", &self.version_parts())
            .field("team", &self.team())
            .field("description", &self.description())
            .field("crate_name", &self.crate_name())
            .field("package", &self.package())
            .field("module_path", &self.module_path())
            .field("requires", &self.requires())
            .finish()
    }
}

impl Serialize for PluginMeta {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("PluginMeta", 9)?;
        s.serialize_field("slot", self.slot())?;
        s.serialize_field("name", self.name())?;
        s.serialize_field("version", &self.version())?;
        s.serialize_field("team", &self.team())?;
        s.serialize_field("description", &self.description())?;
        s.serialize_field("crate", self.crate_name())?;
        s.serialize_field("package", self.package())?;
        s.serialize_field("module_path", self.module_path())?;
        s.serialize_field("requires", self.requires())?;
        s.end()
    }
}

/// A semantic version, split at compile time so that nothing is re-parsed at run
/// time: the integers, and the text as written (which carries any pre-release and
/// build metadata).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct VersionParts {
    text: &'static str,
    major: u64,
    minor: u64,
    patch: u64,
}

impl VersionParts {
    /// The version as written in `#[plugin(version = "...")]`.
    #[cfg(test)] // Read by the tests only.
    pub(crate) fn text(&self) -> &'static str {
        self.text
    }

    /// Major version.
    #[cfg(test)] // Read by the tests only.
    pub(crate) fn major(&self) -> u64 {
        self.major
    }

    /// Minor version.
    #[cfg(test)] // Read by the tests only.
    pub(crate) fn minor(&self) -> u64 {
        self.minor
    }

    /// Patch version.
    #[cfg(test)] // Read by the tests only.
    pub(crate) fn patch(&self) -> u64 {
        self.patch
    }

    /// Pre-release identifiers (empty for a release).
    pub(crate) fn pre(&self) -> &'static str {
        let tail = self.tail();
        match tail.strip_prefix('-') {
            Some(rest) => rest.split('+').next().unwrap_or_default(),
            None => "",
        }
    }

    /// Build metadata (empty when absent).
    #[cfg(test)] // Read by the tests only.
    pub(crate) fn build(&self) -> &'static str {
        self.tail().split_once('+').map_or("", |(_, build)| build)
    }

    /// What follows `major.minor.patch` in the text (`-beta.2+abc`, or empty).
    fn tail(&self) -> &'static str {
        let core_end = self
            .text
            .bytes()
            .position(|b| b == b'-' || b == b'+')
            .unwrap_or(self.text.len());
        // At an ASCII byte, so a char boundary.
        self.text.get(core_end..).unwrap_or_default()
    }

    /// The version as a [`semver::Version`].
    pub(crate) fn to_version(self) -> semver::Version {
        let mut version = semver::Version::new(self.major, self.minor, self.patch);
        let tail = self.tail();
        if tail.is_empty() {
            return version;
        }
        let (pre, build) = match tail.strip_prefix('-') {
            Some(rest) => rest.split_once('+').unwrap_or((rest, "")),
            None => ("", tail.strip_prefix('+').unwrap_or_default()),
        };
        if !pre.is_empty() {
            // Validated by the macro; fall back to the full parse should it ever differ.
            match semver::Prerelease::new(pre) {
                Ok(pre) => version.pre = pre,
                Err(_) => return semver::Version::parse(self.text).unwrap_or(version),
            }
        }
        if !build.is_empty()
            && let Ok(build) = semver::BuildMetadata::new(build)
        {
            version.build = build;
        }
        version
    }

    /// Orders by semver precedence, as [`semver::Version::cmp_precedence`] does
    /// (build metadata ignored), comparing the integers in place: a
    /// [`semver::Prerelease`] is made only when both versions are pre-releases of
    /// the same `major.minor.patch`.
    pub(crate) fn cmp_precedence(&self, other: &VersionParts) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        let core =
            (self.major, self.minor, self.patch).cmp(&(other.major, other.minor, other.patch));
        if core != Ordering::Equal {
            return core;
        }
        match (self.pre(), other.pre()) {
            ("", "") => Ordering::Equal,
            ("", _) => Ordering::Greater,
            (_, "") => Ordering::Less,
            (a, b) if a == b => Ordering::Equal,
            (a, b) => match (semver::Prerelease::new(a), semver::Prerelease::new(b)) {
                (Ok(a), Ok(b)) => a.cmp(&b),
                // Validated by the macro; should that ever differ, the full parse decides.
                _ => self.to_version().cmp_precedence(&other.to_version()),
            },
        }
    }

    /// Whether this is a pre-release (`1.0.0-beta.2`).
    #[cfg(test)] // Read by the tests only.
    pub(crate) fn is_prerelease(&self) -> bool {
        !self.pre().is_empty()
    }
}

impl std::fmt::Display for VersionParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.text)
    }
}

impl Serialize for VersionParts {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::{Details, Origin, PluginMeta};
    use crate::Requirement;

    static ORIGIN: Origin = Origin::new("my_crate\u{1f}my-crate\u{1f}my_crate::plugins", None);
    static DETAILS: Details = Details::new(Some("core"), None, &[Requirement::MinCores(2)]);
    static DETAILED: Origin = Origin::new(
        "my_crate\u{1f}my-crate\u{1f}my_crate::plugins",
        Some(&DETAILS),
    );

    #[test]
    fn accessors_read_back_what_the_constructor_packed() {
        let texts = "1.2.3-beta.2+abc\u{1f}clock\u{1f}tick\u{1f}tock";
        let meta = PluginMeta::new(&DETAILED, texts, [1, 2, 3]);
        assert_eq!(meta.slot(), "clock");
        assert_eq!(meta.name(), "tick\u{1f}tock");
        assert_eq!(meta.crate_name(), "my_crate");
        assert_eq!(meta.package(), "my-crate");
        assert_eq!(meta.module_path(), "my_crate::plugins");
        assert_eq!(meta.team(), Some("core"));
        assert_eq!(meta.description(), None);
        assert_eq!(meta.requires(), &[Requirement::MinCores(2)]);
        let version = meta.version_parts();
        assert_eq!(version.text(), "1.2.3-beta.2+abc");
        assert_eq!(
            (version.major(), version.minor(), version.patch()),
            (1, 2, 3)
        );
        assert_eq!(version.pre(), "beta.2");
        assert_eq!(version.build(), "abc");
        assert!(version.is_prerelease());
        assert_eq!(
            version.to_version(),
            semver::Version::parse("1.2.3-beta.2+abc").unwrap()
        );
        let plain = PluginMeta::new(&ORIGIN, "0.1.0+b-c\u{1f}clock\u{1f}", [0, 1, 0]);
        assert_eq!(plain.version_parts().pre(), "");
        assert_eq!(plain.version_parts().build(), "b-c");
        assert!(!plain.version_parts().is_prerelease());
        assert_eq!(plain.requires(), &[]);
        assert_eq!(plain.team(), None);
        assert_eq!(plain.name(), "");
        let json = serde_json::to_value(meta).unwrap();
        assert_eq!(json["crate"], "my_crate");
        assert_eq!(json["version"], "1.2.3-beta.2+abc");
        assert_eq!(json["requires"][0]["kind"], "min_cores");
    }

    /// The metadata of a registration of `version` (its texts leaked; tests only).
    fn meta_of(version: &str) -> PluginMeta {
        let v = semver::Version::parse(version).unwrap();
        let texts: &'static str = Box::leak(format!("{version}\u{1f}s\u{1f}p").into_boxed_str());
        PluginMeta::new(&ORIGIN, texts, [v.major, v.minor, v.patch])
    }

    /// Texts longer than the compact offsets reach: the separators are found.
    #[test]
    fn far_separators_are_found_in_the_text() {
        let pre = "a".repeat(300);
        let slot = "s".repeat(300);
        for (version, slot) in [
            (format!("1.0.0-{pre}"), "clock"),
            ("1.0.0".to_owned(), slot.as_str()),
            (format!("1.0.0-{pre}"), slot.as_str()),
        ] {
            let texts: &'static str =
                Box::leak(format!("{version}\u{1f}{slot}\u{1f}tick").into_boxed_str());
            let meta = PluginMeta::new(&ORIGIN, texts, [1, 0, 0]);
            assert_eq!(meta.version(), version);
            assert_eq!(meta.slot(), slot);
            assert_eq!(meta.name(), "tick");
        }
    }

    fn parts(version: &str) -> super::VersionParts {
        meta_of(version).version_parts()
    }

    #[test]
    fn numbers_beyond_the_compact_form_are_read_from_the_text() {
        let big = parts("4294967295.18446744073709551615.7-rc.1");
        assert_eq!(
            (big.major(), big.minor(), big.patch()),
            (4_294_967_295, u64::MAX, 7)
        );
        assert_eq!(
            big.to_version(),
            semver::Version::parse("4294967295.18446744073709551615.7-rc.1").unwrap()
        );
        assert!(big.cmp_precedence(&parts("4294967294.0.0")).is_gt());
        let large = meta_of("4294967295.0.0");
        assert!(large.cmp_version(&meta_of("4294967294.9.9")).is_gt());
        assert!(large.cmp_version(&meta_of("4294967296.0.0")).is_lt());
        assert!(large.cmp_version(&meta_of("4294967295.0.0+b")).is_eq());
        let small = parts("4294967294.1.2");
        assert_eq!(
            (small.major(), small.minor(), small.patch()),
            (4_294_967_294, 1, 2)
        );
        // Around the compact limit (u16): 65534 fits, 65535 and above are read.
        for (a, b) in [
            ("65534.0.0", "65535.0.0"),
            ("65535.0.0", "65536.0.0"),
            ("1.65534.9", "1.65535.0"),
            ("1.1.65534", "1.1.65535"),
            ("1.1.65535", "1.1.65536"),
            ("65535.65535.65535", "65536.0.0"),
        ] {
            assert!(meta_of(a).cmp_version(&meta_of(b)).is_lt(), "{a} < {b}");
            assert!(meta_of(b).cmp_version(&meta_of(a)).is_gt(), "{b} > {a}");
        }
    }

    proptest::proptest! {
        /// Any numbers, compact or not, read back as written.
        #[test]
        fn numbers_read_back(major: u64, minor: u64, patch: u64) {
            let version = parts(&format!("{major}.{minor}.{patch}"));
            proptest::prop_assert_eq!((version.major(), version.minor(), version.patch()), (major, minor, patch));
        }

        /// Around the compact limit too, comparing orders as semver does.
        #[test]
        fn precedence_across_the_compact_limit(
            a in proptest::array::uniform3(proptest::sample::select(vec![0u64, 1, 65_533, 65_534, 65_535, 65_536, u64::from(u32::MAX)])),
            b in proptest::array::uniform3(proptest::sample::select(vec![0u64, 1, 65_533, 65_534, 65_535, 65_536, u64::from(u32::MAX)])),
        ) {
            let (ta, tb) = (format!("{}.{}.{}", a[0], a[1], a[2]), format!("{}.{}.{}", b[0], b[1], b[2]));
            let expected = semver::Version::parse(&ta).unwrap().cmp_precedence(&semver::Version::parse(&tb).unwrap());
            proptest::prop_assert_eq!(meta_of(&ta).cmp_version(&meta_of(&tb)), expected, "{} vs {}", ta, tb);
        }

        /// Comparing in place orders exactly as semver's precedence does.
        #[test]
        fn in_place_precedence_is_semvers(
            a in (0u64..3, 0u64..3, 0u64..3, proptest::option::of("(alpha|beta|rc|[0-9]{1,2})(\\.(alpha|[0-9]{1,2})){0,2}"), proptest::option::of("[a-z0-9]{1,3}")),
            b in (0u64..3, 0u64..3, 0u64..3, proptest::option::of("(alpha|beta|rc|[0-9]{1,2})(\\.(alpha|[0-9]{1,2})){0,2}"), proptest::option::of("[a-z0-9]{1,3}")),
        ) {
            let text = |(major, minor, patch, pre, build): &(u64, u64, u64, Option<String>, Option<String>)| {
                let mut t = format!("{major}.{minor}.{patch}");
                if let Some(pre) = pre { t += &format!("-{pre}"); }
                if let Some(build) = build { t += &format!("+{build}"); }
                t
            };
            let (ta, tb) = (text(&a), text(&b));
            // Numeric identifiers with leading zeros are not semver: skip those.
            proptest::prop_assume!(semver::Version::parse(&ta).is_ok() && semver::Version::parse(&tb).is_ok());
            let expected = semver::Version::parse(&ta).unwrap().cmp_precedence(&semver::Version::parse(&tb).unwrap());
            proptest::prop_assert_eq!(parts(&ta).cmp_precedence(&parts(&tb)), expected, "{} vs {}", ta, tb);
            proptest::prop_assert_eq!(meta_of(&ta).cmp_version(&meta_of(&tb)), expected, "{} vs {}", ta, tb);
        }
    }
}
