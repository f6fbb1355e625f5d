//! Compile-fail: a plugin type with neither `Default` nor a `new = path` constructor.

#[muster::slot]
pub trait Greeter: Send + Sync {}

#[muster::plugin(slot = Greeter, version = "1.0.0")]
struct Plain;

impl Greeter for Plain {}

fn main() {}
