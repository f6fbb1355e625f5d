//! Compile-fail: a slot method returning `Self`: not dyn-compatible.

#[muster::slot]
pub trait Greeter: Send + Sync {
    fn twin(&self) -> Self;
}

fn main() {}
