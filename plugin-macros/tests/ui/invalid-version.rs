//! Compile-fail: a plugin version that is not semver (`1.0` lacks the patch number).

#[muster::slot]
pub trait Greeter: Send + Sync {}

#[derive(Default)]
#[muster::plugin(slot = Greeter, version = "1.0")]
struct Plain;

impl Greeter for Plain {}

fn main() {}
