//! `Selector::fallbacks`: what each slot would select with its selected version set
//! aside (as `run` sets aside a version whose `start` fails), the selector's own
//! quarantine still in force.

// The slots and their plugins share this crate, so linkme's element macro is local.
#![allow(unsafe_code)]

use muster::{Facts, Policy, Quarantine, Report, Selector};
use semver::Version;

/// Three versions.
#[muster::slot(name = "fallback_many")]
pub trait Many: Send + Sync {}

/// One version.
#[muster::slot(name = "fallback_one")]
pub trait One: Send + Sync {}

/// The newest turned down by a requirement.
#[muster::slot(name = "fallback_past")]
pub trait Past: Send + Sync {}

/// Nothing acceptable.
#[muster::slot(name = "fallback_none")]
pub trait Never: Send + Sync {}

#[derive(Default)]
#[muster::plugin(slot = Many, version = "1.0.0")]
struct Many1;
impl Many for Many1 {}

#[derive(Default)]
#[muster::plugin(slot = Many, version = "2.0.0")]
struct Many2;
impl Many for Many2 {}

#[derive(Default)]
#[muster::plugin(slot = Many, version = "3.0.0")]
struct Many3;
impl Many for Many3 {}

#[derive(Default)]
#[muster::plugin(slot = One, version = "1.0.0")]
struct Only;
impl One for Only {}

#[derive(Default)]
#[muster::plugin(slot = Past, version = "1.0.0")]
struct Past1;
impl Past for Past1 {}

#[derive(Default)]
#[muster::plugin(slot = Past, version = "2.0.0")]
struct Past2;
impl Past for Past2 {}

#[derive(Default)]
#[muster::plugin(slot = Past, version = "3.0.0", requires = [os = "windows"])]
struct Past3;
impl Past for Past3 {}

#[derive(Default)]
#[muster::plugin(slot = Never, version = "1.0.0", requires = [os = "windows"])]
struct Unfit;
impl Never for Unfit {}

fn facts() -> Facts {
    Facts::from_json(
        r#"{"hostname":"t","os":"linux","arch":"x86_64","cpu_features":[],"logical_cores":1,"memory_mb":64,"labels":{}}"#,
        "t",
    )
    .unwrap()
}

/// `(slot, selected, fallback)` as version texts, for the slots of this test: the
/// same whether the decision's walk found them (`with_fallbacks`) or each slot is
/// decided again with its fallback.
fn fallbacks(selector: &Selector<'_>) -> Vec<(String, String, Option<String>)> {
    let found = versions(selector, &selector.with_fallbacks(true).explain_all());
    let decided_again = versions(selector, &selector.explain_all());
    assert_eq!(
        found, decided_again,
        "the two ways of finding the fallbacks agree"
    );
    found
}

fn versions(selector: &Selector<'_>, report: &Report) -> Vec<(String, String, Option<String>)> {
    selector
        .fallbacks(report)
        .into_iter()
        .filter(|(slot, _, _)| slot.starts_with("fallback_"))
        .map(|(slot, selected, fallback)| {
            (
                slot.to_owned(),
                selected.version.to_owned(),
                fallback.map(|c| c.version.to_owned()),
            )
        })
        .collect()
}

#[test]
fn each_selected_version_is_set_aside_in_turn_and_the_next_one_named() {
    let (facts, policy) = (facts(), Policy::new());
    assert_eq!(
        fallbacks(&Selector::new(&facts, &policy)),
        [
            ("fallback_many".into(), "3.0.0".into(), Some("2.0.0".into())),
            ("fallback_one".into(), "1.0.0".into(), None),
            ("fallback_past".into(), "2.0.0".into(), Some("1.0.0".into())),
        ],
        "a slot with nothing selected has no fallback; one with one version has none to offer"
    );
}

#[test]
fn the_selectors_quarantine_stays_in_force() {
    let (facts, policy) = (facts(), Policy::new());
    let mut quarantine = Quarantine::default();
    quarantine.add("fallback_many", Version::new(2, 0, 0), "crashed");
    let selector = Selector::new(&facts, &policy).with_quarantine(&quarantine);
    assert_eq!(
        fallbacks(&selector),
        [
            ("fallback_many".into(), "3.0.0".into(), Some("1.0.0".into())),
            ("fallback_one".into(), "1.0.0".into(), None),
            ("fallback_past".into(), "2.0.0".into(), Some("1.0.0".into())),
        ]
    );
    // Setting a version aside does not change the selector's own decision.
    let many = selector.explain::<dyn Many>();
    assert_eq!(many.selected.unwrap().version, "3.0.0");
}
