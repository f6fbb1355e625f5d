//! Compile-fail: `#[slot]` on a struct instead of a trait.

#[muster::slot]
pub struct Greeter;

fn main() {}
