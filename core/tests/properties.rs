//! Property tests of selection over real registrations: precedence, policy,
//! reports and independence from registration order.

// The slots and their plugins share this crate, so linkme's element macro is local.
#![allow(unsafe_code)]

use std::collections::{BTreeMap, BTreeSet};

use muster::{
    Facts, Outcome, Policy, Registration, Requirement, Selector, Slot, SlotIndex, Source,
};
use proptest::prelude::*;
use semver::{Version, VersionReq};

/// The slot the properties are checked on: 44 versions, each accepted only on a
/// host with the label `v<i> = "1"`.
#[muster::slot(name = "prop")]
pub trait Prop: Send + Sync {
    /// The version, as the plugin knows it.
    fn version(&self) -> &'static str;
}

macro_rules! props {
    ($($ty:ident $version:literal $label:ident;)*) => {
        $(
            #[derive(Default)]
            #[muster::plugin(slot = Prop, version = $version, requires = [label($label = "1")])]
            struct $ty;

            impl Prop for $ty {
                fn version(&self) -> &'static str {
                    $version
                }
            }
        )*
    };
}

// Deliberately not in precedence order: the index sorts them.
props! {
    P31 "3.1.4" v31;
    P00 "0.0.1" v0;
    P18 "1.0.0" v18;
    P14 "1.0.0-beta" v14;
    P39 "100.0.0+exp.sha.5114f85" v39;
    P06 "0.10.0" v6;
    P05 "0.9.0" v5;
    P12 "1.0.0-alpha.1" v12;
    P25 "2.0.0" v25;
    P07 "0.10.1-alpha" v7;
    P01 "0.0.2" v1;
    P36 "11.0.0-rc.2" v36;
    P16 "1.0.0-beta.11" v16;
    P09 "0.11.0-rc.1+build.7" v9;
    P02 "0.1.0" v2;
    P21 "1.2.0-beta.1" v21;
    P27 "2.1.1" v27;
    P11 "1.0.0-alpha" v11;
    P33 "4.0.1-beta" v33;
    P03 "0.1.1" v3;
    P15 "1.0.0-beta.2" v15;
    P30 "3.1.4-x.7.z.92" v30;
    P19 "1.0.1" v19;
    P24 "2.0.0-0" v24;
    P08 "0.10.1" v8;
    P37 "11.0.0" v37;
    P13 "1.0.0-alpha.beta" v13;
    P20 "1.1.0" v20;
    P04 "0.2.0" v4;
    P35 "10.2.3" v35;
    P17 "1.0.0-rc.1" v17;
    P23 "1.10.0" v23;
    P10 "0.11.0" v10;
    P26 "2.1.0" v26;
    P38 "20.0.0" v38;
    P22 "1.2.0" v22;
    P29 "3.0.0+linux" v29;
    P28 "2.1.10" v28;
    P32 "4.0.0" v32;
    P34 "10.0.0" v34;
    // Numbers too large for the compact form (a 16-bit number each), beside ones
    // that fit: ordered in full, against the keys of the others.
    P40 "1.65534.0" v40;
    P41 "1.70000.0" v41;
    P42 "65536.0.0" v42;
    P43 "2.0.65535" v43;
}

const COUNT: usize = 44;

/// The label a registration needs (from its `requires`).
fn label_of(registration: &Registration<dyn Prop>) -> &'static str {
    match registration.meta().requires() {
        [Requirement::Label { key, value: "1" }] => key,
        other => panic!("unexpected requirements {other:?}"),
    }
}

fn registrations() -> Vec<&'static Registration<dyn Prop>> {
    <dyn Prop>::index().iter().map(|(r, _)| r).collect()
}

fn version_of(registration: &Registration<dyn Prop>) -> Version {
    Version::parse(registration.meta().version()).unwrap()
}

fn base_facts() -> Facts {
    Facts::from_json(
        r#"{"hostname":"prop","os":"linux","arch":"x86_64","cpu_features":[],"logical_cores":2,"memory_mb":1024}"#,
        "test",
    )
    .unwrap()
}

/// A version requirement from a small grammar, always parseable.
fn version_req() -> impl Strategy<Value = VersionReq> {
    let op = prop::sample::select(vec!["^", "~", "=", ">=", ">", "<=", "<", ""]);
    let pre = prop::sample::select(vec!["", "-alpha", "-beta.2", "-rc.1", "-0"]);
    let comparator = (op, 0u64..=12, prop::option::of(0u64..=3), 0u64..=2, pre).prop_map(
        |(op, major, minor, patch, pre)| match minor {
            None => format!("{op}{major}"),
            Some(minor) => format!("{op}{major}.{minor}.{patch}{pre}"),
        },
    );
    prop_oneof![
        1 => Just("*".to_owned()),
        1 => (0u64..=12).prop_map(|m| format!("{m}.*")),
        4 => comparator.clone(),
        2 => (comparator.clone(), comparator).prop_map(|(a, b)| format!("{a}, {b}")),
    ]
    .prop_filter_map("not a requirement", |text| VersionReq::parse(&text).ok())
}

#[derive(Debug, Clone)]
struct Case {
    /// Per label index: 0 absent, 1 `"1"` (accepted), 2 `"0"` (rejected).
    labels: Vec<u8>,
    pin: Option<VersionReq>,
    /// Indices (into the sorted index) of denied versions.
    denies: BTreeSet<usize>,
    allow_prerelease: bool,
    /// A permutation of the registrations, for order independence.
    shuffle: Vec<usize>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(0u8..3, COUNT),
        prop::option::weighted(0.6, version_req()),
        prop::collection::btree_set(0..COUNT, 0..8),
        any::<bool>(),
        Just((0..COUNT).collect::<Vec<usize>>()).prop_shuffle(),
    )
        .prop_map(|(labels, pin, denies, allow_prerelease, shuffle)| Case {
            labels,
            pin,
            denies,
            allow_prerelease,
            shuffle,
        })
}

/// Whether the pin admits `version` (a pre-release also when its release does
/// and pre-releases are allowed).
fn pin_admits(pin: &VersionReq, version: &Version, allow_prerelease: bool) -> bool {
    let mut release = version.clone();
    release.pre = semver::Prerelease::EMPTY;
    pin.matches(version) || (allow_prerelease && !version.pre.is_empty() && pin.matches(&release))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn selection_is_the_greatest_acceptable_version(case in case()) {
        let sorted = registrations();
        prop_assert_eq!(sorted.len(), COUNT);

        let mut facts = base_facts();
        let mut labels = BTreeMap::new();
        for (i, state) in case.labels.iter().enumerate() {
            match state {
                1 => { labels.insert(format!("v{i}"), "1".to_owned()); }
                2 => { labels.insert(format!("v{i}"), "0".to_owned()); }
                _ => {}
            }
        }
        facts.labels = labels;

        let mut policy = Policy::new();
        if let Some(pin) = &case.pin {
            policy.pin("prop", pin.clone(), Source::Flag);
        }
        let denied: Vec<Version> = case.denies.iter().map(|&i| version_of(sorted[i])).collect();
        for v in &denied {
            policy.deny("prop", v.clone(), Source::Flag);
        }
        if case.allow_prerelease {
            policy.allow_prerelease(true, Source::Flag);
        }

        // The oracle, from the registrations and the case alone.
        let accepted = |r: &Registration<dyn Prop>| {
            facts.labels.get(label_of(r)).is_some_and(|v| v == "1")
        };
        let excluded = |v: &Version| {
            denied.iter().any(|d| d.cmp_precedence(v).is_eq())
                || case.pin.as_ref().is_some_and(|p| !pin_admits(p, v, case.allow_prerelease))
                || (!v.pre.is_empty()
                    && !case.allow_prerelease
                    && !case.pin.as_ref().is_some_and(|p| p.matches(v)))
        };
        let expected = sorted
            .iter()
            .copied()
            .filter(|r| !excluded(&version_of(r)) && accepted(r))
            .max_by(|a, b| version_of(a).cmp_precedence(&version_of(b)));

        let report = Selector::new(&facts, &policy).explain::<dyn Prop>();
        let selected = report.selected.map(|c| c.version);
        prop_assert_eq!(selected, expected.map(|r| r.meta().version()), "{}", report);

        if let Some(text) = selected {
            let v = Version::parse(text).unwrap();
            prop_assert!(!denied.iter().any(|d| d.cmp_precedence(&v).is_eq()));
            if let Some(pin) = &case.pin {
                prop_assert!(pin_admits(pin, &v, case.allow_prerelease), "{} outside {}", v, pin);
            }
            if !v.pre.is_empty() {
                prop_assert!(case.allow_prerelease || case.pin.as_ref().is_some_and(|p| p.matches(&v)));
            }
            let chosen = sorted.iter().find(|r| r.meta().version() == text).unwrap();
            prop_assert!(accepted(chosen));
            // And the instance built is that version.
            let instance = Selector::new(&facts, &policy).select::<dyn Prop>().unwrap();
            prop_assert_eq!(Prop::version(&*instance), text);
        }

        // Every candidate exactly once, in descending precedence.
        let listed: Vec<&str> = report.candidates().iter().map(|c| c.version).collect();
        let all: Vec<&str> = sorted.iter().map(|r| r.meta().version()).collect();
        prop_assert_eq!(&listed, &all);
        for pair in report.candidates().windows(2) {
            let (a, b) = (Version::parse(pair[0].version).unwrap(), Version::parse(pair[1].version).unwrap());
            prop_assert!(a.cmp_precedence(&b).is_gt(), "{} before {}", a, b);
        }

        // Before the selected: excluded or rejected, as the oracle says; after: not tried.
        let position = report.candidates().iter().position(|c| c.outcome == Outcome::Selected);
        prop_assert_eq!(report.candidates().iter().filter(|c| c.outcome == Outcome::Selected).count(), usize::from(position.is_some()));
        // The decision keeps the rows it tried; the untried tail is counted, listed
        // on demand from the index, and every row is in the JSON.
        prop_assert_eq!(report.tried().len(), position.map_or(COUNT, |p| p + 1));
        prop_assert_eq!(report.tried().len() + report.not_tried(), COUNT);
        let json = serde_json::to_value(&report).unwrap();
        let json_versions: Vec<&str> = json["candidates"].as_array().unwrap().iter().map(|c| c["version"].as_str().unwrap()).collect();
        prop_assert_eq!(&json_versions, &all);
        for (i, (c, r)) in report.candidates().iter().zip(&sorted).enumerate() {
            let v = version_of(r);
            let documented = muster::ReasonCode::ALL.iter().find(|(code, ..)| *code == c.code).map(|(_, o, _)| *o);
            let outcome = c.outcome.to_string();
            prop_assert_eq!(documented, Some(outcome.as_str()), "{}: {}", v, c.code);
            match position {
                Some(p) if i > p => prop_assert_eq!(c.outcome, Outcome::NotTried),
                Some(p) if i == p => prop_assert_eq!(c.outcome, Outcome::Selected),
                _ if excluded(&v) => prop_assert_eq!(c.outcome, Outcome::Excluded, "{}", v),
                _ => {
                    prop_assert!(!accepted(r));
                    prop_assert_eq!(c.outcome, Outcome::Rejected, "{}", v);
                    prop_assert!(c.reason.as_deref().is_some_and(|why| why.contains(label_of(r))));
                }
            }
        }

        // Registration order does not matter.
        let shuffled: Vec<&'static Registration<dyn Prop>> = case.shuffle.iter().map(|&i| sorted[i]).collect();
        let reindexed = SlotIndex::new("prop", shuffled);
        let order: Vec<&str> = reindexed.iter().map(|(r, _)| r.meta().version()).collect();
        prop_assert_eq!(order, all);
    }
}

/// The precedence examples of SemVer 2.0.0, section 11.
#[muster::slot(name = "spec")]
pub trait Spec: Send + Sync {}

macro_rules! spec {
    ($($ty:ident $version:literal;)*) => {
        $(
            #[derive(Default)]
            #[muster::plugin(slot = Spec, version = $version)]
            struct $ty;
            impl Spec for $ty {}
        )*
    };
}

spec! {
    S8 "1.0.0-beta.11";
    S13 "2.1.0";
    S3 "1.0.0-alpha.beta";
    S10 "0.9.0";
    S1 "1.0.0-alpha";
    S14 "2.1.1";
    S7 "1.0.0-rc.1";
    S5 "1.0.0-beta.2";
    S11 "0.10.0";
    S2 "1.0.0-alpha.1";
    S12 "2.0.0";
    S9 "1.0.0";
    S4 "1.0.0-beta";
}

#[test]
fn semver_spec_precedence() {
    let newest_first: Vec<&str> = <dyn Spec>::index()
        .iter()
        .map(|(r, _)| r.meta().version())
        .collect();
    assert_eq!(
        newest_first,
        [
            "2.1.1",
            "2.1.0",
            "2.0.0",
            "1.0.0",
            "1.0.0-rc.1",
            "1.0.0-beta.11",
            "1.0.0-beta.2",
            "1.0.0-beta",
            "1.0.0-alpha.beta",
            "1.0.0-alpha.1",
            "1.0.0-alpha",
            "0.10.0",
            "0.9.0",
        ]
    );
    // Whatever order they are handed over in: oldest first (reversed in one pass),
    // already newest first, or mixed.
    let mut registrations: Vec<_> = <dyn Spec>::index().iter().map(|(r, _)| r).collect();
    for order in [
        registrations.iter().rev().copied().collect::<Vec<_>>(),
        registrations.clone(),
    ] {
        let again: Vec<&str> = SlotIndex::new("spec", order)
            .iter()
            .map(|(r, _)| r.meta().version())
            .collect();
        assert_eq!(again, newest_first);
    }
    registrations.reverse();
    registrations.rotate_left(5);
    let again: Vec<&str> = SlotIndex::new("spec", registrations)
        .iter()
        .map(|(r, _)| r.meta().version())
        .collect();
    assert_eq!(again, newest_first);
}

/// Two registrations of one version are ambiguous.
#[muster::slot(name = "twin")]
pub trait Twin: Send + Sync {
    /// Which one this is.
    fn which(&self) -> &'static str;
}

macro_rules! twin {
    ($($ty:ident $version:literal $name:literal;)*) => {
        $(
            #[derive(Default)]
            #[muster::plugin(slot = Twin, version = $version, name = $name)]
            struct $ty;
            impl Twin for $ty {
                fn which(&self) -> &'static str {
                    $name
                }
            }
        )*
    };
}

twin! {
    Left "1.0.0" "left";
    Right "1.0.0" "right";
    Built "1.0.0+build.9" "built";
    Older "0.9.0" "older";
}

#[test]
fn equal_versions_are_ambiguous_and_never_selected() {
    let facts = base_facts();
    for policy in [
        Policy::new(),
        Policy::from_flags(&["twin=1.0.0".parse().unwrap()], &[], &[], false).unwrap(),
    ] {
        let report = Selector::new(&facts, &policy).explain::<dyn Twin>();
        for c in report
            .candidates()
            .iter()
            .filter(|c| c.version.starts_with("1.0.0"))
        {
            assert_eq!(c.outcome, Outcome::Rejected, "{report}");
            let why = c.reason.as_deref().unwrap();
            assert!(why.contains("ambiguous"), "{why}");
            assert_eq!(why.matches("properties").count(), 3, "{why}");
        }
        assert_eq!(report.candidates().len(), 4);
    }
    let chosen = Selector::new(&facts, &Policy::new())
        .select::<dyn Twin>()
        .unwrap();
    assert_eq!(chosen.which(), "older");
    let ambiguities = <dyn Twin>::index().ambiguities();
    assert_eq!(ambiguities.len(), 1);
    assert_eq!(ambiguities[0].1, ["properties"; 3]);
    assert!(
        muster::registry_problems()
            .iter()
            .any(|p| p.contains("`twin` version 1.0.0"))
    );
    assert_eq!(<dyn Twin as Slot>::NAME, "twin");
}
