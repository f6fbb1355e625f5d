//! The xtask's contract scanner and the `#[muster::slot]` macro name slots alike: the
//! same source is compiled here (the macro registers the slots) and read by the
//! scanner (`muster_xtask::slot_names_in`); the two lists must be equal.
#![allow(unsafe_code)] // linkme's registration statics in a crate that declares slots.

/// The slot traits the test compiles.
pub mod contract {
    include!("fixtures/slot_names_contract.rs");
}

#[test]
fn the_scanner_names_slots_as_the_macro_does() {
    let source = include_str!("fixtures/slot_names_contract.rs");
    let mut scanned = muster_xtask::slot_names_in(source).unwrap();
    scanned.sort();
    let mut registered: Vec<String> = muster::slots().iter().map(|s| s.name.to_string()).collect();
    registered.sort();
    assert_eq!(scanned, registered);
    assert!(scanned.contains(&"http_client".to_string()), "{scanned:?}");
}
