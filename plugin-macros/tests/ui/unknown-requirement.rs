//! Compile-fail: a requirement kind muster does not know (`gpu`).

#[muster::slot]
pub trait Greeter: Send + Sync {}

#[derive(Default)]
#[muster::plugin(slot = Greeter, version = "1.0.0", requires = [gpu = "nvidia"])]
struct Plain;

impl Greeter for Plain {}

fn main() {}
