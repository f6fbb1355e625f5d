//! Pass: one crate declaring two slots and registering several versions of each.

use muster::{Facts, Policy, Selector, Slot};

/// Greets.
#[muster::slot]
pub trait Greeter: Send + Sync {
    /// The greeting.
    fn greet(&self) -> String;
}

/// Checksums a buffer.
#[muster::slot(name = "checksum")]
pub trait Checksum: Send + Sync {
    /// The checksum of `data`.
    fn sum(&self, data: &[u8]) -> u32;
}

macro_rules! greeter {
    ($ty:ident, $version:literal) => {
        #[derive(Default)]
        #[muster::plugin(slot = Greeter, version = $version)]
        pub struct $ty;

        impl Greeter for $ty {
            fn greet(&self) -> String {
                $version.to_owned()
            }
        }
    };
}

greeter!(G090, "0.9.0");
greeter!(G0100, "0.10.0");
greeter!(G100Rc, "1.0.0-rc.1");

#[derive(Default)]
#[muster::plugin(slot = Checksum, version = "1.0.0")]
pub struct Sum;

impl Checksum for Sum {
    fn sum(&self, data: &[u8]) -> u32 {
        data.iter().map(|b| u32::from(*b)).sum()
    }
}

#[derive(Default)]
#[muster::plugin(slot = Checksum, version = "2.0.0", requires = [label(checksum = "xor")])]
pub struct Xor;

impl Checksum for Xor {
    fn sum(&self, data: &[u8]) -> u32 {
        data.iter().fold(0, |acc, b| acc ^ u32::from(*b))
    }
}

fn main() {
    let versions: Vec<String> = <dyn Greeter>::index()
        .iter()
        .map(|(_, v)| v.to_string())
        .collect();
    assert_eq!(versions, ["1.0.0-rc.1", "0.10.0", "0.9.0"]);
    assert_eq!(<dyn Checksum>::index().len(), 2);

    let facts = Facts::from_json(
        r#"{"hostname":"h","os":"linux","arch":"x86_64","cpu_features":[],"logical_cores":1,"memory_mb":0}"#,
        "test",
    )
    .unwrap();
    let policy = Policy::new();
    let selector = Selector::new(&facts, &policy);
    assert_eq!(selector.select::<dyn Greeter>().unwrap().greet(), "0.10.0");
    assert_eq!(selector.select::<dyn Checksum>().unwrap().sum(&[1, 2, 3]), 6);

    let names: Vec<&str> = muster::slots().iter().map(|s| s.name).collect();
    assert_eq!(names, ["checksum", "greeter"]);
    assert!(muster::registry_problems().is_empty());
}
