//! Compile-fail: a slot method named like one of muster's hooks (`start`).

#[muster::slot]
pub trait Greeter: Send + Sync {
    fn start(&mut self);
}

fn main() {}
