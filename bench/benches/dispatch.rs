//! Dispatch benchmark (stub).
fn main() {}
