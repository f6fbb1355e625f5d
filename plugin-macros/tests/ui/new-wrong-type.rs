//! Compile-fail: a `new = path` constructor that does not return the plugin type.

#[muster::slot]
pub trait Greeter: Send + Sync {}

fn make() -> u32 {
    7
}

#[muster::plugin(slot = Greeter, version = "1.0.0", new = make)]
struct Plain;

impl Greeter for Plain {}

fn main() {}
