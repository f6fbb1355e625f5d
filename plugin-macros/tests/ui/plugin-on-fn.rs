//! Compile-fail: `#[plugin]` on a function instead of a struct, enum or union.

#[muster::slot]
pub trait Greeter: Send + Sync {}

#[muster::plugin(slot = Greeter, version = "1.0.0")]
fn plain() {}

fn main() {}
