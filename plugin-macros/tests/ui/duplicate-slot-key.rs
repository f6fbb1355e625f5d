//! Compile-fail: a slot argument given twice (`name`).

#[muster::slot(name = "greeter", name = "welcomer")]
pub trait Greeter: Send + Sync {}

fn main() {}
