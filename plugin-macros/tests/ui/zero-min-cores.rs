//! Compile-fail: `min_cores = 0`, a requirement every host meets.

#[muster::slot]
pub trait Greeter: Send + Sync {}

#[derive(Default)]
#[muster::plugin(slot = Greeter, version = "1.0.0", requires = [min_cores = 0])]
struct Plain;

impl Greeter for Plain {}

fn main() {}
