//! Pass: a plugin built by `new = path` instead of `Default`.

use muster::{Facts, Policy, Selector};

/// Counts.
#[muster::slot]
pub trait Counter: Send + Sync {
    /// The current count.
    fn count(&self) -> u32;
}

mod build {
    pub(crate) fn counter() -> crate::Seeded {
        crate::Seeded { start: 41 }
    }
}

#[muster::plugin(slot = Counter, version = "0.1.0", new = build::counter)]
pub struct Seeded {
    start: u32,
}

impl Counter for Seeded {
    fn count(&self) -> u32 {
        self.start + 1
    }
}

fn main() {
    let facts = Facts::probe();
    let policy = Policy::new();
    let counter = Selector::new(&facts, &policy).select::<dyn Counter>().unwrap();
    assert_eq!(counter.count(), 42);
}
