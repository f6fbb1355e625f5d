//! Compile-fail: a plugin naming a slot that does not exist.

#[derive(Default)]
#[muster::plugin(slot = Greeter, version = "1.0.0")]
struct Plain;

fn main() {}
