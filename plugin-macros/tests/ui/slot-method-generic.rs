//! Compile-fail: a slot method with a type parameter: not dyn-compatible.

#[muster::slot]
pub trait Greeter: Send + Sync {
    fn greet<T: ToString>(&self, whom: T) -> String;
}

fn main() {}
