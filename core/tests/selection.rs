//! Selection end to end with real `#[slot]` / `#[plugin]` registrations.

// The slot and its plugins share this crate, so linkme's element macro is local.
#![allow(unsafe_code)]

use muster::{Facts, Outcome, Policy, Quarantine, ReasonCode, Rejection, Selector, Slot};

/// Greets.
#[muster::slot]
pub trait Greeter: Send + Sync {
    /// The greeting.
    fn greet(&self) -> String;
}

macro_rules! greeter {
    ($ty:ident, $text:expr) => {
        impl Greeter for $ty {
            fn greet(&self) -> String {
                $text.to_owned()
            }
        }
    };
}

#[derive(Default)]
#[muster::plugin(slot = Greeter, version = "0.9.0", team = "core")]
struct Nine;
greeter!(Nine, "nine");

#[derive(Default)]
#[muster::plugin(slot = Greeter, version = "0.10.0", name = "ten")]
struct Ten;
greeter!(Ten, "ten");

#[derive(Default)]
#[muster::plugin(slot = Greeter, version = "0.11.0", requires = [label(tier = "gold")])]
struct Eleven;
greeter!(Eleven, "eleven");

#[derive(Default)]
#[muster::plugin(slot = Greeter, version = "0.12.0")]
struct Twelve;
impl Greeter for Twelve {
    fn greet(&self) -> String {
        "twelve".into()
    }
    fn is_acceptable(&self, facts: &Facts) -> Result<(), Rejection> {
        match facts.labels.get("twelve") {
            Some(v) if v == "panic" => panic!("twelve cannot cope"),
            Some(v) if v == "ok" => Ok(()),
            _ => Err(Rejection::new("twelve needs label twelve=ok")),
        }
    }
}

#[muster::plugin(slot = Greeter, version = "0.13.0", new = Thirteen::boom)]
struct Thirteen;
impl Thirteen {
    fn boom() -> Self {
        panic!("thirteen failed to construct")
    }
}
greeter!(Thirteen, "thirteen");

#[derive(Default)]
#[muster::plugin(slot = Greeter, version = "1.0.0-beta.2")]
struct Beta;
greeter!(Beta, "beta");

fn facts() -> Facts {
    Facts::from_json(
        r#"{"hostname":"test","os":"linux","arch":"x86_64","cpu_features":["sse4.2"],"logical_cores":4,"memory_mb":4096,"labels":{}}"#,
        "test",
    )
    .unwrap()
}

fn outcome(report: &muster::SlotReport, version: &str) -> (Outcome, String) {
    let c = report
        .candidates()
        .into_iter()
        .find(|c| c.version == version)
        .unwrap();
    (c.outcome, c.reason.as_deref().unwrap_or("").to_owned())
}

#[test]
fn registrations_are_sorted_by_semver_precedence() {
    let versions: Vec<String> = <dyn Greeter>::index()
        .iter()
        .map(|(_, v)| v.to_string())
        .collect();
    assert_eq!(
        versions,
        [
            "1.0.0-beta.2",
            "0.13.0",
            "0.12.0",
            "0.11.0",
            "0.10.0",
            "0.9.0"
        ]
    );
    assert_eq!(<dyn Greeter as Slot>::NAME, "greeter");
    assert_eq!(<dyn Greeter as Slot>::DESCRIPTION, "Greets.");
}

#[test]
fn newest_acceptable_wins_and_every_other_is_explained() {
    let facts = facts();
    let policy = Policy::new();
    let chosen = Selector::new(&facts, &policy)
        .select::<dyn Greeter>()
        .unwrap();
    // 0.10.0 beats 0.9.0; newer ones are turned down one by one.
    assert_eq!(chosen.greet(), "ten");
    assert_eq!(chosen.version().to_string(), "0.10.0");
    let report = chosen.report();
    assert_eq!(outcome(report, "1.0.0-beta.2").0, Outcome::Excluded);
    let (o, why) = outcome(report, "0.13.0");
    assert_eq!(o, Outcome::Rejected);
    assert!(
        why.contains("constructor panicked: thirteen failed to construct"),
        "{why}"
    );
    assert_eq!(
        outcome(report, "0.12.0"),
        (Outcome::Rejected, "twelve needs label twelve=ok".into())
    );
    let (o, why) = outcome(report, "0.11.0");
    assert_eq!(o, Outcome::Rejected);
    assert!(why.contains("tier=gold"), "{why}");
    assert_eq!(outcome(report, "0.10.0").0, Outcome::Selected);
    assert_eq!(outcome(report, "0.9.0").0, Outcome::NotTried);
    assert_eq!(report.candidates().len(), 6);
}

#[test]
fn panicking_hook_rejects_with_the_message() {
    let mut facts = facts();
    facts.labels.insert("twelve".into(), "panic".into());
    let policy = Policy::new();
    let report = Selector::new(&facts, &policy).explain::<dyn Greeter>();
    let (o, why) = outcome(&report, "0.12.0");
    assert_eq!(o, Outcome::Rejected);
    assert!(
        why.contains("is_acceptable panicked: twelve cannot cope"),
        "{why}"
    );
    facts.labels.insert("twelve".into(), "ok".into());
    let report = Selector::new(&facts, &policy).explain::<dyn Greeter>();
    assert_eq!(report.selected.unwrap().version, "0.12.0");
}

#[test]
fn prereleases_need_the_policy() {
    let facts = facts();
    // The library says why, not which host flag changes it (each host adds its own hint).
    let report = Selector::new(&facts, &Policy::new()).explain::<dyn Greeter>();
    let (o, why) = outcome(&report, "1.0.0-beta.2");
    assert_eq!(o, Outcome::Excluded);
    assert_eq!(why, "pre-release, not allowed by policy");
    let mut policy = Policy::new();
    policy.allow_prerelease(true, muster::Source::Flag);
    let chosen = Selector::new(&facts, &policy)
        .select::<dyn Greeter>()
        .unwrap();
    assert_eq!(chosen.greet(), "beta");
}

#[test]
fn pins_and_denies_exclude_with_their_source() {
    let facts = facts();
    let policy = Policy::from_flags(&["greeter=<0.10".parse().unwrap()], &[], &[], false).unwrap();
    let chosen = Selector::new(&facts, &policy)
        .select::<dyn Greeter>()
        .unwrap();
    assert_eq!(chosen.greet(), "nine");
    let (o, why) = outcome(chosen.report(), "0.10.0");
    assert_eq!(o, Outcome::Excluded);
    assert!(
        why.contains("outside pin greeter=<0.10") && why.contains("flag"),
        "{why}"
    );

    let policy = Policy::from_flags(&[], &["greeter@0.10.0".parse().unwrap()], &[], false).unwrap();
    let chosen = Selector::new(&facts, &policy)
        .select::<dyn Greeter>()
        .unwrap();
    assert_eq!(chosen.greet(), "nine");
    let (o, why) = outcome(chosen.report(), "0.10.0");
    assert_eq!(o, Outcome::Excluded);
    assert!(why.contains("denied by greeter@0.10.0"), "{why}");
}

#[test]
fn nothing_acceptable_lists_every_candidate() {
    let facts = facts();
    let policy = Policy::from_flags(
        &[],
        &[
            "greeter@0.10.0".parse().unwrap(),
            "greeter@0.9.0".parse().unwrap(),
        ],
        &[],
        false,
    )
    .unwrap();
    let err = Selector::new(&facts, &policy)
        .select::<dyn Greeter>()
        .unwrap_err();
    assert!(err.report.selected.is_none());
    let text = err.to_string();
    for v in [
        "1.0.0-beta.2",
        "0.13.0",
        "0.12.0",
        "0.11.0",
        "0.10.0",
        "0.9.0",
    ] {
        assert!(text.contains(v), "{v} missing from {text}");
    }
    assert!(
        err.report
            .candidates()
            .iter()
            .all(|c| c.outcome != Outcome::Selected && c.outcome != Outcome::NotTried)
    );
}

/// (code, fact) of `version` in `report`.
fn code(report: &muster::SlotReport, version: &str) -> (ReasonCode, Option<String>) {
    let c = report
        .candidates()
        .into_iter()
        .find(|c| c.version == version)
        .unwrap();
    (c.code, c.fact.as_deref().map(str::to_owned))
}

#[test]
fn every_candidate_carries_a_reason_code_that_agrees_with_its_outcome() {
    let mut facts = facts();
    let policy = Policy::new();
    let report = Selector::new(&facts, &policy).explain::<dyn Greeter>();
    assert_eq!(code(&report, "1.0.0-beta.2").0, ReasonCode::Prerelease);
    assert_eq!(code(&report, "0.13.0").0, ReasonCode::ConstructorPanicked);
    assert_eq!(code(&report, "0.12.0").0, ReasonCode::HookRejected);
    assert_eq!(
        code(&report, "0.11.0"),
        (ReasonCode::RequirementUnmet, Some("labels.tier".to_owned()))
    );
    assert_eq!(code(&report, "0.10.0"), (ReasonCode::Selected, None));
    assert_eq!(code(&report, "0.9.0").0, ReasonCode::NewerSelected);
    facts.labels.insert("twelve".into(), "panic".into());
    let report = Selector::new(&facts, &policy).explain::<dyn Greeter>();
    assert_eq!(code(&report, "0.12.0").0, ReasonCode::HookPanicked);

    let facts = self::facts();
    let policy = Policy::from_flags(
        &["greeter=<0.10".parse().unwrap()],
        &["greeter@0.9.0".parse().unwrap()],
        &[],
        false,
    )
    .unwrap();
    let report = Selector::new(&facts, &policy).explain::<dyn Greeter>();
    assert_eq!(code(&report, "0.10.0").0, ReasonCode::PinMismatch);
    assert_eq!(code(&report, "0.9.0").0, ReasonCode::Denied);
    let mut quarantine = Quarantine::new();
    quarantine.add("greeter", semver::Version::new(0, 10, 0), "panicked: test");
    let policy = Policy::new();
    let report = Selector::new(&facts, &policy)
        .with_quarantine(&quarantine)
        .explain::<dyn Greeter>();
    assert_eq!(code(&report, "0.10.0").0, ReasonCode::Quarantined);
    assert_eq!(code(&report, "0.9.0").0, ReasonCode::Selected);
    // The code's documented outcome is the candidate's outcome, for every candidate.
    for c in &report.candidates() {
        let (_, outcome, _) = ReasonCode::ALL
            .iter()
            .find(|(code, ..)| *code == c.code)
            .unwrap();
        assert_eq!(*outcome, c.outcome.to_string(), "{report}");
    }
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["candidates"][0]["code"], "prerelease");
    assert!(json["candidates"][0].get("fact").is_none());
}

#[test]
fn erased_listing_sees_the_slot() {
    let slots = muster::slots();
    let greeter = slots.iter().find(|s| s.name == "greeter").unwrap();
    let plugins = greeter.plugins();
    assert_eq!(plugins.len(), 6);
    assert_eq!(plugins[4].name(), "ten");
    assert_eq!(plugins[5].team(), Some("core"));
    assert_eq!(
        plugins[5].name(),
        "muster-rt",
        "default name is the package name"
    );
    assert_eq!(plugins[5].crate_name(), "selection");
    let facts = facts();
    let policy = Policy::new();
    let report = Selector::new(&facts, &policy).explain_all();
    assert!(
        report
            .slots
            .iter()
            .any(|s| s.slot == "greeter" && s.selected.is_some())
    );
}

#[test]
fn policy_rules_naming_unknown_slots_or_versions_are_reported() {
    let policy = Policy::from_flags(
        &["nosuch=^1".parse().unwrap(), "greeter=^5".parse().unwrap()],
        &["greeter@0.4.0".parse().unwrap()],
        &[],
        false,
    )
    .unwrap();
    let warnings = policy.unknown_rules();
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    // Each names the rule, its source and what is compiled in.
    for expected in [
        "pin greeter=^5 (flag): slot `greeter` has no version matching ^5 compiled in (versions: 1.0.0-beta.2, 0.13.0, 0.12.0, 0.11.0, 0.10.0, 0.9.0)",
        "pin nosuch=^1 (flag): no slot `nosuch` is compiled in (slots: ",
        "deny greeter@0.4.0 (flag): slot `greeter` has no version 0.4.0 compiled in (versions: 1.0.0-beta.2, 0.13.0, 0.12.0, 0.11.0, 0.10.0, 0.9.0)",
    ] {
        assert!(
            warnings.iter().any(|w| w.starts_with(expected)),
            "{expected}\nin {warnings:#?}"
        );
    }
}
