//! Compile-fail: a requirement missing its `=` (`os "linux"`).

#[muster::slot]
pub trait Greeter: Send + Sync {}

#[derive(Default)]
#[muster::plugin(slot = Greeter, version = "1.0.0", requires = [os "linux"])]
struct Plain;

impl Greeter for Plain {}

fn main() {}
