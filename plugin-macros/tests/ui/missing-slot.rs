//! Compile-fail: a plugin without the required `slot` argument.

#[muster::slot]
pub trait Greeter: Send + Sync {}

#[derive(Default)]
#[muster::plugin(version = "1.0.0")]
struct Plain;

impl Greeter for Plain {}

fn main() {}
