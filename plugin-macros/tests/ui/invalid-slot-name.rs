//! Compile-fail: a slot name with uppercase letters and a space.

#[muster::slot(name = "Greeter Slot")]
pub trait Greeter: Send + Sync {}

fn main() {}
