//! Compile-fail: a slot trait with an associated type: not dyn-compatible.

#[muster::slot]
pub trait Greeter: Send + Sync {
    type Output;
}

fn main() {}
