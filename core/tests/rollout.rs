//! Staged rollouts over real registrations: the guarantees operators rely on
//! (stable, monotone in the share, accurate over a large fleet) and the documented
//! composition with pins, denies, pre-release rules and quarantine.

// The slot and its plugins share this crate, so linkme's element macro is local.
#![allow(unsafe_code)]

use std::path::Path;

use muster::bucketing::bucket;
use muster::{
    Facts, Outcome, Policy, Quarantine, ReasonCode, Rollout, Selector, Share, Source, VersionSpec,
};
use proptest::prelude::*;
use semver::Version;

/// Waves.
#[muster::slot(name = "wave")]
pub trait Wave: Send + Sync {
    /// Which version.
    fn which(&self) -> &'static str;
}

macro_rules! waves {
    ($($ty:ident $version:literal;)*) => {
        $(
            #[derive(Default)]
            #[muster::plugin(slot = Wave, version = $version)]
            struct $ty;
            impl Wave for $ty {
                fn which(&self) -> &'static str {
                    $version
                }
            }
        )*
    };
}

waves! {
    W100 "1.0.0";
    W110 "1.1.0";
    W200B "2.0.0-beta.1";
}

fn host(id: &str) -> Facts {
    let mut facts = Facts::from_json(
        r#"{"hostname":"h","os":"linux","arch":"x86_64","cpu_features":[],"logical_cores":2,"memory_mb":1024}"#,
        "test",
    )
    .unwrap();
    id.clone_into(&mut facts.host_id);
    facts
}

fn policy(toml: &str) -> Policy {
    Policy::from_toml(toml, Path::new("p.toml")).unwrap()
}

fn rollout_110(share: &str) -> String {
    format!("[[rollout]]\nslot = \"wave\"\nversion = \"1.1.0\"\nshare = {share}\n")
}

/// (selected version, code of 1.1.0).
fn decide(facts: &Facts, policy: &Policy) -> (String, ReasonCode) {
    let report = Selector::new(facts, policy).explain::<dyn Wave>();
    let code = report
        .candidates()
        .iter()
        .find(|c| c.version == "1.1.0")
        .unwrap()
        .code;
    (report.selected.unwrap().version.to_owned(), code)
}

fn admitted(facts: &Facts, policy: &Policy) -> bool {
    decide(facts, policy).0 == "1.1.0"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The same host gets the same decision after a restart (a fresh parse of the
    /// same file) and across reloads that change other rules.
    #[test]
    fn decisions_are_stable_across_restarts_and_reloads(id in "[a-z0-9-]{1,40}", share in 0u32..=100) {
        let facts = host(&id);
        let first = policy(&rollout_110(&share.to_string()));
        let restarted = policy(&rollout_110(&share.to_string()));
        let reloaded = policy(&format!(
            "allow_prerelease = false\n[deny]\nother = [\"9.9.9\"]\n{}\n[[rollout]]\nslot = \"other\"\nversion = \"1.0.0\"\nshare = 3\n",
            rollout_110(&share.to_string())
        ));
        let decision = decide(&facts, &first);
        prop_assert_eq!(&decide(&facts, &restarted), &decision);
        prop_assert_eq!(&decide(&facts, &reloaded), &decision);
        prop_assert_eq!(decision.1 == ReasonCode::Rollout, decision.0 == "1.0.0");
    }

    /// Raising the share only adds hosts; lowering it only removes them.
    #[test]
    fn admission_is_monotone_in_the_share(id in "\\PC{1,64}", a in 0u32..=10_000, b in 0u32..=10_000) {
        prop_assume!(host(&id).validate().is_ok());
        let (low, high) = (a.min(b), a.max(b));
        let facts = host(&id);
        let at = |bp: u32| {
            let mut p = Policy::new();
            p.add_rollout(Rollout {
                slot: "wave".into(),
                target: VersionSpec::parse("1.1.0").unwrap(),
                share: Share::from_basis_points(bp).unwrap(),
                labels: Default::default(),
                salt: None,
                source: Source::Flag,
            }).unwrap();
            admitted(&facts, &p)
        };
        if at(low) {
            prop_assert!(at(high), "admitted at {} bp but not at {} bp", low, high);
        }
        prop_assert!(!at(0));
        prop_assert!(at(10_000));
    }

    /// A flag rule and its file twin decide alike (the salt is the rule, not its source).
    #[test]
    fn the_source_does_not_move_a_host(id in "[a-f0-9]{32}", share in 0u32..=100) {
        let facts = host(&id);
        let file = policy(&rollout_110(&share.to_string()));
        let rule = format!("wave@1.1.0={share}%").parse().unwrap();
        let flags = Policy::from_flags(&[], &[], &[rule], false).unwrap();
        prop_assert_eq!(decide(&facts, &file), decide(&facts, &flags));
    }
}

/// Over 100,000 synthetic hosts, the admitted share is within ±1 percentage point
/// of the rule, for several shares, for sequential names and for machine-id-like ids.
#[test]
fn a_large_fleet_admits_the_share_within_one_point() {
    const HOSTS: usize = 100_000;
    for (kind, ids) in [
        (
            "sequential",
            (0..HOSTS)
                .map(|i| format!("edge-{i:06}"))
                .collect::<Vec<_>>(),
        ),
        (
            "machine-id",
            (0..HOSTS)
                .map(|i| {
                    format!(
                        "{:032x}",
                        (i as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c)
                    )
                })
                .collect(),
        ),
    ] {
        let buckets: Vec<u32> = ids.iter().map(|id| bucket("wave@1.1.0", id).0).collect();
        for percent in [1u32, 5, 10, 25, 50, 75, 99] {
            let admitted = buckets.iter().filter(|&&b| b < percent * 100).count();
            let actual = admitted as f64 * 100.0 / HOSTS as f64;
            assert!(
                (actual - f64::from(percent)).abs() <= 1.0,
                "{kind}: {percent}% rule admitted {actual:.2}%"
            );
        }
    }
    // The selector agrees with the bucket arithmetic on a sample.
    let policy = policy(&rollout_110("10"));
    let sample: Vec<String> = (0..500).map(|i| format!("edge-{i:06}")).collect();
    for id in &sample {
        assert_eq!(
            admitted(&host(id), &policy),
            bucket("wave@1.1.0", id).0 < 1000,
            "{id}"
        );
    }
}

/// Different rollouts hit different hosts by default; a shared salt lines them up.
#[test]
fn salts_separate_rollouts_unless_shared() {
    let ids: Vec<String> = (0..2000).map(|i| format!("edge-{i}")).collect();
    let a: Vec<bool> = ids
        .iter()
        .map(|id| bucket("wave@1.1.0", id).0 < 5000)
        .collect();
    let b: Vec<bool> = ids
        .iter()
        .map(|id| bucket("other@2.0.0", id).0 < 5000)
        .collect();
    assert_ne!(a, b);
    let shared = policy(&format!("rollout_salt = \"ring\"\n{}", rollout_110("50")));
    for id in &ids[..200] {
        assert_eq!(
            admitted(&host(id), &shared),
            bucket("ring", id).0 < 5000,
            "{id}"
        );
    }
}

/// Label conditions: only matching hosts are eligible.
#[test]
fn label_conditions_restrict_the_rollout() {
    let p = policy(
        "[[rollout]]\nslot = \"wave\"\nversion = \"^1.1\"\nshare = 100\nlabels = { ring = \"canary\" }\n",
    );
    let mut canary = host("a");
    canary.labels.insert("ring".into(), "canary".into());
    assert_eq!(decide(&canary, &p), ("1.1.0".into(), ReasonCode::Selected));
    let mut prod = host("a");
    prod.labels.insert("ring".into(), "prod".into());
    assert_eq!(decide(&prod, &p), ("1.0.0".into(), ReasonCode::Rollout));
    let report = Selector::new(&prod, &p).explain::<dyn Wave>();
    let candidates = report.candidates();
    let why = candidates[1].reason.as_deref().unwrap();
    assert!(
        why.contains("wave@^1.1 on 100% if ring=canary")
            && why.contains("file p.toml")
            && why.contains("has ring=prod"),
        "{why}"
    );
}

/// The reason names the rule, the share and the host's bucket.
#[test]
fn the_exclusion_names_rule_share_and_bucket() {
    let id = (0..)
        .map(|i| format!("edge-{i}"))
        .find(|id| bucket("wave@1.1.0", id).0 >= 1000)
        .unwrap();
    let b = bucket("wave@1.1.0", &id);
    let report = Selector::new(&host(&id), &policy(&rollout_110("10"))).explain::<dyn Wave>();
    let c = &report.candidates()[1];
    assert_eq!(
        (c.outcome, c.code),
        (Outcome::Excluded, ReasonCode::Rollout)
    );
    let why = c.reason.as_deref().unwrap();
    assert!(
        why.contains("rollout wave@1.1.0 on 10% (file p.toml)")
            && why.contains(&format!("host bucket {b} is outside the 10% share")),
        "{why}"
    );
}

/// Documented order: deny, pin, rollout, pre-release, quarantine; the first that
/// excludes is the reported code, and a version must pass all of them.
#[test]
fn rollouts_compose_with_pins_denies_prereleases_and_quarantine() {
    let everyone = rollout_110("100");
    let nobody = rollout_110("0");
    let facts = host("edge-1");
    // A deny beats an admitting rollout.
    let p = policy(&format!("[deny]\nwave = [\"1.1.0\"]\n{everyone}"));
    assert_eq!(decide(&facts, &p), ("1.0.0".into(), ReasonCode::Denied));
    // A pin that excludes is reported before the rollout.
    let p = policy(&format!("[pin]\nwave = \"<1.1\"\n{nobody}"));
    assert_eq!(
        decide(&facts, &p),
        ("1.0.0".into(), ReasonCode::PinMismatch)
    );
    // A pin that matches does not bypass the rollout.
    let p = policy(&format!("[pin]\nwave = \"=1.1.0\"\n{nobody}"));
    let report = Selector::new(&facts, &p).explain::<dyn Wave>();
    assert!(report.selected.is_none(), "{report}");
    assert_eq!(report.candidates()[1].code, ReasonCode::Rollout);
    // Quarantine still applies to an admitted version.
    let mut quarantine = Quarantine::new();
    quarantine.add("wave", Version::new(1, 1, 0), "panicked: test");
    let p = policy(&everyone);
    let report = Selector::new(&facts, &p)
        .with_quarantine(&quarantine)
        .explain::<dyn Wave>();
    assert_eq!(report.candidates()[1].code, ReasonCode::Quarantined);
    // A pre-release: excluded without a rule naming it; a rollout naming it admits
    // it on its share (like a pin naming it), and excludes it elsewhere as `rollout`.
    let report = Selector::new(&facts, &Policy::new()).explain::<dyn Wave>();
    assert_eq!(report.candidates()[0].code, ReasonCode::Prerelease);
    let beta = |share: u32| {
        policy(&format!(
            "[[rollout]]\nslot = \"wave\"\nversion = \"2.0.0-beta.1\"\nshare = {share}\n"
        ))
    };
    let report = Selector::new(&facts, &beta(100)).explain::<dyn Wave>();
    assert_eq!(report.selected.unwrap().version, "2.0.0-beta.1");
    let report = Selector::new(&facts, &beta(0)).explain::<dyn Wave>();
    assert_eq!(report.candidates()[0].code, ReasonCode::Rollout);
    assert_eq!(report.selected.unwrap().version, "1.1.0");
    // A requirement rule that does not name a pre-release does not allow it.
    let p = policy("[[rollout]]\nslot = \"wave\"\nversion = \">=1\"\nshare = 100\n");
    let report = Selector::new(&facts, &p).explain::<dyn Wave>();
    assert_eq!(report.candidates()[0].code, ReasonCode::Prerelease);
}

/// Layering: a flag rule for the same slot and target replaces the file's (that is
/// how a share is raised from the command line); duplicates in one layer are errors.
#[test]
fn layers_replace_same_rules_and_one_layer_rejects_duplicates() {
    let file = policy(&rollout_110("10"));
    let flags = Policy::from_flags(&[], &[], &["wave@1.1.0=25%".parse().unwrap()], false).unwrap();
    let p = file.layered(flags);
    assert_eq!(p.rollouts.len(), 1);
    assert_eq!(p.rollouts[0].share.basis_points(), 2500);
    assert_eq!(p.rollouts[0].source, Source::Flag);
    let e = Policy::from_toml(
        &format!("{}{}", rollout_110("10"), rollout_110("20")),
        Path::new("p.toml"),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("p.toml") && e.contains("rollout[1]") && e.contains("duplicate"),
        "{e}"
    );
}
