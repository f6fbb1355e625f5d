//! Compile-fail: a plugin argument muster does not know (`owner`, not `team`).

#[muster::slot]
pub trait Greeter: Send + Sync {}

#[derive(Default)]
#[muster::plugin(slot = Greeter, version = "1.0.0", owner = "storefront")]
struct Plain;

impl Greeter for Plain {}

fn main() {}
