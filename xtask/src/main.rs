//! `cargo xtask`: this workspace's thin binary; everything lives in `muster-xtask`.

fn main() -> std::process::ExitCode {
    muster_xtask::main()
}
