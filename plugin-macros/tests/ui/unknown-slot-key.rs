//! Compile-fail: a slot argument muster does not know (`version`).

#[muster::slot(version = "1.0.0")]
pub trait Greeter: Send + Sync {}

fn main() {}
