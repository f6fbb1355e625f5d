//! The benchmark driver (stub).
fn main() {}
