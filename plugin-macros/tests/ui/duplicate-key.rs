//! Compile-fail: a plugin argument given twice (`version`).

#[muster::slot]
pub trait Greeter: Send + Sync {}

#[derive(Default)]
#[muster::plugin(slot = Greeter, version = "1.0.0", version = "1.1.0")]
struct Plain;

impl Greeter for Plain {}

fn main() {}
