//! Fuzz target: `Facts::from_json`, the `--facts` and fleet file parser.
//!
//! Invariants beyond "no panic": accepted facts describe a possible host
//! (`validate` passes) and round-trip exactly through `to_json`; every error
//! names the origin.

#![no_main]

use libfuzzer_sys::fuzz_target;
use muster::Facts;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Facts::from_json(text, "fuzz/host.json") {
        Ok(facts) => {
            assert_eq!(facts.validate(), Ok(()));
            let written = facts.to_json();
            let back = Facts::from_json(&written, "round-trip")
                .unwrap_or_else(|e| panic!("{text:?} written as {written:?} does not parse: {e}"));
            assert_eq!(back, facts);
        }
        Err(e) => assert!(e.to_string().contains("fuzz/host.json"), "{e}"),
    }
});
