//! Compile-fail: a cpu feature muster does not probe (`avx9000`).

#[muster::slot]
pub trait Greeter: Send + Sync {}

#[derive(Default)]
#[muster::plugin(slot = Greeter, version = "1.0.0", requires = [cpu = "avx9000"])]
struct Plain;

impl Greeter for Plain {}

fn main() {}
