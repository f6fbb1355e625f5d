//! Compile-fail: an operating system muster does not know (`plan9`).

#[muster::slot]
pub trait Greeter: Send + Sync {}

#[derive(Default)]
#[muster::plugin(slot = Greeter, version = "1.0.0", requires = [os = "plan9"])]
struct Plain;

impl Greeter for Plain {}

fn main() {}
