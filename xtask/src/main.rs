//! `cargo xtask`: the binary; everything lives in the `xtask` library.

fn main() -> std::process::ExitCode {
    xtask::main()
}
