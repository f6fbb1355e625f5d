//! Pass: a slot with every argument and plugins using every `#[plugin]` key.

use muster::{Facts, Policy, Rejection, Selector, Slot};

/// Greets visitors.
#[muster::slot(name = "greeter", description = "says hello", crate = ::muster)]
pub trait Greeter: Send + Sync {
    /// The greeting.
    fn greet(&self) -> String;
}

#[derive(Default)]
#[muster::plugin(
    slot = Greeter,
    version = "1.2.3",
    name = "everything",
    team = "storefront",
    description = "uses every key",
    requires = [
        os = "linux",
        arch = "x86_64",
        cpu = "sse4.2",
        min_cores = 2,
        min_memory_mb = 512,
        label(network = "online"),
    ],
    new = Everything::new,
    crate = ::muster,
)]
pub struct Everything {
    text: &'static str,
}

impl Everything {
    fn new() -> Self {
        Everything { text: "everything" }
    }
}

impl Greeter for Everything {
    fn greet(&self) -> String {
        self.text.to_owned()
    }
}

#[derive(Default)]
#[muster::plugin(slot = Greeter, version = "1.0.0", name = "plain", team = "storefront")]
pub enum Plain {
    #[default]
    Only,
}

impl Greeter for Plain {
    fn greet(&self) -> String {
        "plain".to_owned()
    }

    fn is_acceptable(&self, facts: &Facts) -> Result<(), Rejection> {
        match facts.labels.get("plain") {
            Some(v) if v == "no" => Err(Rejection::new("label plain=no")),
            _ => Ok(()),
        }
    }
}

fn facts(labels: &str) -> Facts {
    let json = format!(
        r#"{{"hostname":"h","os":"linux","arch":"x86_64","cpu_features":["sse4.2"],"logical_cores":4,"memory_mb":4096,"labels":{{{labels}}}}}"#
    );
    Facts::from_json(&json, "test").unwrap()
}

fn main() {
    assert_eq!(<dyn Greeter as Slot>::NAME, "greeter");
    assert_eq!(<dyn Greeter as Slot>::DESCRIPTION, "says hello");
    let policy = Policy::new();

    let online = facts(r#""network":"online""#);
    let chosen = Selector::new(&online, &policy).select::<dyn Greeter>().unwrap();
    assert_eq!(chosen.greet(), "everything");
    let meta = chosen.registration().meta();
    assert_eq!(meta.name(), "everything");
    assert_eq!(meta.team(), Some("storefront"));
    assert_eq!(meta.description(), Some("uses every key"));
    assert_eq!(meta.requires().len(), 6);

    let offline = facts("");
    let chosen = Selector::new(&offline, &policy).select::<dyn Greeter>().unwrap();
    assert_eq!(chosen.greet(), "plain");

    let refused = facts(r#""plain":"no""#);
    let err = Selector::new(&refused, &policy).select::<dyn Greeter>().unwrap_err();
    assert!(err.to_string().contains("label plain=no"), "{err}");
}
