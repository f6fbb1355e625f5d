//! Fuzz target: `--pin`/`--deny`/`--rollout` strings and the `MUSTER_*` policy
//! variables.
//!
//! Input: up to four fields separated by `\n` (pins, denies, pre-release switch,
//! rollouts), each also tried alone as a pin, a deny and a rollout. Invariants
//! beyond "no panic": an accepted pin, deny or rollout has a valid slot name and
//! round-trips through its `Display` form (a rollout's share stays within 0–100 %);
//! an accepted environment policy has only environment sources and no more rules
//! than comma-separated items.

#![no_main]

use libfuzzer_sys::fuzz_target;
use muster::{DenyFlag, PinFlag, Policy, RolloutFlag, Source};

fn valid_slot(slot: &str) -> bool {
    !slot.is_empty()
        && slot
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

fn check_pin(text: &str) {
    if let Ok(PinFlag { slot, req }) = text.parse::<PinFlag>() {
        assert!(valid_slot(&slot), "accepted slot {slot:?} from {text:?}");
        let shown = format!("{slot}={req}");
        let PinFlag { slot: slot2, req: req2 } = shown
            .parse::<PinFlag>()
            .unwrap_or_else(|e| panic!("pin {text:?} shown as {shown:?} does not parse: {e}"));
        assert_eq!(slot, slot2);
        assert_eq!(req, req2, "pin {text:?} shown as {shown:?}");
    }
}

fn check_deny(text: &str) {
    if let Ok(DenyFlag { slot, version }) = text.parse::<DenyFlag>() {
        assert!(valid_slot(&slot), "accepted slot {slot:?} from {text:?}");
        let shown = format!("{slot}@{version}");
        let DenyFlag { slot: slot2, version: version2 } = shown
            .parse::<DenyFlag>()
            .unwrap_or_else(|e| panic!("deny {text:?} shown as {shown:?} does not parse: {e}"));
        assert_eq!((slot, version), (slot2, version2), "deny {text:?}");
    }
}

fn check_rollout(text: &str) {
    if let Ok(RolloutFlag { slot, target, share }) = text.parse::<RolloutFlag>() {
        assert!(valid_slot(&slot), "accepted slot {slot:?} from {text:?}");
        assert!(share.basis_points() <= muster::bucketing::BUCKETS, "{text:?}");
        let shown = format!("{slot}@{target}={share}");
        let back = shown
            .parse::<RolloutFlag>()
            .unwrap_or_else(|e| panic!("rollout {text:?} shown as {shown:?} does not parse: {e}"));
        assert_eq!(back, RolloutFlag { slot, target, share }, "rollout {text:?} shown as {shown:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut fields = text.splitn(4, '\n');
    let (pins, denies, pre, rollouts) = (fields.next(), fields.next(), fields.next(), fields.next());
    for field in [pins, denies, pre, rollouts].into_iter().flatten() {
        check_pin(field);
        check_deny(field);
        check_rollout(field);
    }
    if let Some(rollouts) = rollouts {
        let mut policy = Policy::new();
        if policy.add_rollouts_env_value(rollouts).is_ok() {
            assert!(policy.rollouts.len() <= rollouts.split(',').count());
            for r in &policy.rollouts {
                assert_eq!(r.source, Source::Env("MUSTER_ROLLOUT".to_owned()));
            }
            // Layering a policy over itself changes nothing.
            assert_eq!(policy.clone().layered(policy.clone()), policy);
        }
    }
    if let Ok(policy) = Policy::from_env_values(pins, denies, pre) {
        let items = |s: Option<&str>| s.map_or(0, |s| s.split(',').count());
        assert!(policy.pins.len() <= items(pins));
        assert!(policy.denies.values().map(Vec::len).sum::<usize>() <= items(denies));
        for pin in policy.pins.values() {
            assert_eq!(pin.source, Source::Env("MUSTER_PIN".to_owned()));
        }
        for deny in policy.denies.values().flatten() {
            assert_eq!(deny.source, Source::Env("MUSTER_DENY".to_owned()));
        }
        assert_eq!(pre.is_some(), policy.allow_prerelease.is_some());
        // Layering a policy over itself changes nothing.
        assert_eq!(policy.clone().layered(policy.clone()), policy);
    }
});
