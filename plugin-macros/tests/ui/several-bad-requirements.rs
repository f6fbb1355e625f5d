//! Compile-fail: two bad `requires` entries (`os = "linx"`, `cpu = "sse9"`), both reported.

#[muster::slot]
pub trait Greeter: Send + Sync {}

#[derive(Default)]
#[muster::plugin(slot = Greeter, version = "1.0.0", requires = [os = "linx", min_cores = 2, cpu = "sse9"])]
struct Plain;

impl Greeter for Plain {}

fn main() {}
