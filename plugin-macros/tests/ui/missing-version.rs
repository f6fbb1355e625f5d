//! Compile-fail: a plugin without the required `version` argument.

#[muster::slot]
pub trait Greeter: Send + Sync {}

#[derive(Default)]
#[muster::plugin(slot = Greeter)]
struct Plain;

impl Greeter for Plain {}

fn main() {}
