//! Compile-fail: a generic slot trait: a slot is used as `dyn Trait`.

#[muster::slot]
pub trait Greeter<T>: Send + Sync {
    fn greet(&self, whom: T) -> String;
}

fn main() {}
