//! edge-agent.
fn main() {}
