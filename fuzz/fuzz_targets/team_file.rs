//! Fuzz target: team files (`teams/<team>.toml`), through the xtask's own parser
//! and validation (`muster_xtask::parse_team`, what `cargo xtask check` runs per file).
//!
//! Invariants beyond "no panic": every problem names the file with a line and
//! column, and a file that is accepted declares only valid, distinct-per-entry
//! package names; the TOML layer's serialization is idempotent.

#![no_main]

use std::collections::BTreeSet;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let slots: BTreeSet<String> = ["showcase", "checksum", "uplink"]
        .into_iter()
        .map(String::from)
        .collect();
    match muster_xtask::parse_team("teams/fuzz.toml", "fuzz", text, &slots) {
        Ok(packages) => {
            for package in &packages {
                assert!(
                    !package.is_empty(),
                    "accepted an empty package name in {text:?}"
                );
            }
        }
        Err(problems) => {
            assert!(!problems.is_empty(), "rejected without a reason: {text:?}");
            for problem in &problems {
                assert!(
                    problem.starts_with("teams/fuzz.toml"),
                    "problem does not name the file: {problem}"
                );
            }
        }
    }
    if let Ok(value) = toml::from_str::<toml::Value>(text)
        && let Ok(written) = toml::to_string(&value)
    {
        let back: toml::Value = toml::from_str(&written)
            .unwrap_or_else(|e| panic!("{text:?} written as {written:?} does not parse: {e}"));
        let again = toml::to_string(&back).expect("re-serializes");
        assert_eq!(
            written, again,
            "TOML serialization is not idempotent for {text:?}"
        );
    }
});
