//! Compile-fail: an empty plugin `name`.

#[muster::slot]
pub trait Greeter: Send + Sync {}

#[derive(Default)]
#[muster::plugin(slot = Greeter, version = "1.0.0", name = "")]
struct Plain;

impl Greeter for Plain {}

fn main() {}
