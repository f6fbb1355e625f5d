//! cargo xtask (temporary entry point on the `bench` branch: only `bench`).

mod bench;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("bench") => bench::Bench {
            quick: args.iter().any(|a| a == "--quick"),
        }
        .run(),
        _ => anyhow::bail!("usage: cargo xtask bench [--quick]"),
    }
}
