//! Compile-fail: three independent mistakes in one attribute, each reported once.

#[muster::slot]
pub trait Greeter: Send + Sync {}

#[derive(Default)]
#[muster::plugin(slot = Greeter, version = "1.0", team = "", name = "a", name = "b")]
struct Plain;

impl Greeter for Plain {}

fn main() {}
