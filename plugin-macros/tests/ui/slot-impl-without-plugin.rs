//! Compile-fail: a type that implements a slot trait without `#[plugin]`.

#[muster::slot]
pub trait Greeter: Send + Sync {}

struct Unregistered;
impl Greeter for Unregistered {}

fn main() {}
