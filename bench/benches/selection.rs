//! Selection benchmark (stub).
fn main() {}
