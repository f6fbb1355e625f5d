//! Fuzz target: `Policy::from_toml`, the `--policy` file parser.
//!
//! Invariant beyond "no panic": an accepted policy, written back as TOML from its
//! parsed rules (pins, denies, rollouts with shares, labels and salts, every
//! top-level key), parses to the same policy (rules, versions and sources).

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use muster::Policy;

fn to_toml(policy: &Policy) -> String {
    let mut doc = toml::value::Table::new();
    if let Some((allow, _)) = &policy.allow_prerelease {
        doc.insert("allow_prerelease".into(), toml::Value::Boolean(*allow));
    }
    if let Some((seconds, _)) = &policy.quarantine_seconds {
        let seconds = i64::try_from(*seconds).expect("parsed from a TOML integer");
        doc.insert("quarantine_seconds".into(), toml::Value::Integer(seconds));
    }
    if let Some((strikes, _)) = &policy.quarantine_strikes {
        doc.insert(
            "quarantine_strikes".into(),
            toml::Value::Integer(i64::from(*strikes)),
        );
    }
    if let Some((file, _)) = &policy.metrics_file {
        let file = file.to_str().expect("parsed from a TOML string");
        doc.insert("metrics_file".into(), toml::Value::String(file.to_owned()));
    }
    if let Some((seconds, _)) = &policy.metrics_interval_seconds {
        let seconds = i64::try_from(*seconds).expect("parsed from a TOML integer");
        doc.insert("metrics_interval_seconds".into(), toml::Value::Integer(seconds));
    }
    let pins: toml::value::Table = policy
        .pins
        .iter()
        .map(|(slot, pin)| (slot.clone(), toml::Value::String(pin.req.to_string())))
        .collect();
    doc.insert("pin".into(), toml::Value::Table(pins));
    let denies: toml::value::Table = policy
        .denies
        .iter()
        .map(|(slot, denies)| {
            let versions = denies
                .iter()
                .map(|d| toml::Value::String(d.version.to_string()))
                .collect();
            (slot.clone(), toml::Value::Array(versions))
        })
        .collect();
    doc.insert("deny".into(), toml::Value::Table(denies));
    if let Some((salt, _)) = &policy.rollout_salt {
        doc.insert("rollout_salt".into(), toml::Value::String(salt.clone()));
    }
    let rollouts = policy
        .rollouts
        .iter()
        .map(|r| {
            let mut t = toml::value::Table::new();
            t.insert("slot".into(), toml::Value::String(r.slot.clone()));
            t.insert("version".into(), toml::Value::String(r.target.to_string()));
            t.insert("share".into(), toml::Value::Float(r.share.percent()));
            let labels = r
                .labels
                .iter()
                .map(|(k, v)| (k.clone(), toml::Value::String(v.clone())))
                .collect();
            t.insert("labels".into(), toml::Value::Table(labels));
            if let Some(salt) = &r.salt {
                t.insert("salt".into(), toml::Value::String(salt.clone()));
            }
            toml::Value::Table(t)
        })
        .collect();
    doc.insert("rollout".into(), toml::Value::Array(rollouts));
    toml::to_string(&doc).expect("a table serializes")
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("fuzz/policy.toml");
    match Policy::from_toml(text, path) {
        Ok(policy) => {
            let written = to_toml(&policy);
            let back = Policy::from_toml(&written, path)
                .unwrap_or_else(|e| panic!("{text:?} written as {written:?} does not parse: {e}"));
            assert_eq!(back, policy, "{text:?} written as {written:?}");
        }
        Err(e) => {
            // Every error names the file.
            assert!(e.to_string().contains("fuzz/policy.toml"), "{e}");
        }
    }
});
