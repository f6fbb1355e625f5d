//! The start-up floor: a hello world built with the same profile as `bench-host`.

fn main() {
    println!("hello");
}
