//! Compile-fail: a generic plugin type: a registration is one concrete type.

#[muster::slot]
pub trait Greeter: Send + Sync {}

#[derive(Default)]
#[muster::plugin(slot = Greeter, version = "1.0.0")]
struct Plain<T>(T);

impl<T: Send + Sync> Greeter for Plain<T> {}

fn main() {}
