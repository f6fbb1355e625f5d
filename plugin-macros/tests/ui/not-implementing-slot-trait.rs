//! Compile-fail: a plugin type that does not implement its slot trait.

#[muster::slot]
pub trait Greeter: Send + Sync {}

#[derive(Default)]
#[muster::plugin(slot = Greeter, version = "1.0.0")]
struct Plain;

fn main() {}
