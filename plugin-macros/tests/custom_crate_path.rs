//! `crate = path`: the macros reach the runtime only through the given path.
//!
//! Cargo refuses one package depending on `muster` under two names (this crate's
//! trybuild cases need it as `muster`), so the runtime is renamed here with
//! `extern crate ... as renamed`, and every macro is named and configured through
//! `renamed` only. That `::muster` appears nowhere in an expansion with `crate =`
//! is checked on the tokens by the unit tests in `src/krate.rs`.

// The slot and its plugins share this crate, so linkme's element macro is local.
#![allow(unsafe_code)]

extern crate muster as renamed;

use renamed::{Facts, Policy, Rejection, Selector, Slot};

/// Greets through a renamed runtime.
#[renamed::slot(name = "renamed_greeter", crate = ::renamed)]
pub trait Greeter: Send + Sync {
    /// The greeting.
    fn greet(&self) -> String;
}

#[derive(Default)]
#[renamed::plugin(slot = Greeter, version = "1.0.0", crate = ::renamed)]
struct Old;

impl Greeter for Old {
    fn greet(&self) -> String {
        "old".to_owned()
    }
}

#[derive(Default)]
#[renamed::plugin(
    slot = Greeter,
    version = "2.0.0",
    requires = [label(greeter = "new")],
    crate = ::renamed,
)]
struct New;

impl Greeter for New {
    fn greet(&self) -> String {
        "new".to_owned()
    }

    fn is_acceptable(&self, _facts: &Facts) -> Result<(), Rejection> {
        Ok(())
    }
}

fn facts(labels: &str) -> Facts {
    let json = format!(
        r#"{{"hostname":"h","os":"linux","arch":"x86_64","cpu_features":[],"logical_cores":1,"memory_mb":0,"labels":{{{labels}}}}}"#
    );
    Facts::from_json(&json, "test").unwrap()
}

#[test]
fn selects_through_the_renamed_crate() {
    assert_eq!(<dyn Greeter as Slot>::NAME, "renamed_greeter");
    assert_eq!(<dyn Greeter>::index().len(), 2);
    let policy = Policy::new();

    let with_label = facts(r#""greeter":"new""#);
    let chosen = Selector::new(&with_label, &policy)
        .select::<dyn Greeter>()
        .unwrap();
    assert_eq!(chosen.greet(), "new");

    let without = facts("");
    let chosen = Selector::new(&without, &policy)
        .select::<dyn Greeter>()
        .unwrap();
    assert_eq!(chosen.greet(), "old");
    assert!(renamed::slots().iter().any(|s| s.name == "renamed_greeter"));
}
