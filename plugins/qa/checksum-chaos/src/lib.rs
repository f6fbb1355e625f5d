//! `crc32c` 1.9.0 from team qa: a **test-only** `checksum` plugin for failover
//! drills. It is never in a production set (only in `sets/chaos.toml`).
//!
//! It computes a correct CRC-32C (bitwise, slow on purpose), and faults on its
//! N-th call, N from `EDGE_CHAOS_PANIC_AT` (default 3; `0` never faults). The fault
//! is chosen by `EDGE_CHAOS_FAULT`:
//!
//! - `panic` (default): a panic the host can catch;
//! - `abort`: `std::process::abort()` (as a double panic or a native crash would);
//! - `stack-overflow`: unbounded recursion (the runtime aborts the process);
//! - `hang`: never returns (for watchdogs and `--plugin-timeout`);
//! - `alloc`: allocates `EDGE_CHAOS_ALLOC_BYTES` (default 1 TiB) at once; under a
//!   memory limit (`RLIMIT_AS`, a cgroup) the allocation fails and the process
//!   aborts.
//!
//! It requires the host label `chaos=on`, so even a binary that contains it selects
//! it only on hosts that opted in.
//!
//! Its lifecycle hooks are observable: with `EDGE_CHAOS_HOOK_LOG=FILE` it appends
//! `start` and `stop` lines to FILE, and with `EDGE_CHAOS_START=fail` its `start`
//! hook fails (`EDGE_CHAOS_START=panic`: panics; `abort`: aborts the process), so
//! the host must fall back to an older version. With `EDGE_CHAOS_CONSTRUCT=panic` its constructor panics.
#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicU64, Ordering};

use edge_contract::Checksum;
use muster::Rejection;

/// The chaos checksum: counts its calls.
#[derive(Debug)]
#[muster::plugin(
    slot = Checksum,
    version = "1.9.0",
    name = "crc32c",
    team = "qa",
    description = "test-only: faults on its N-th call (EDGE_CHAOS_PANIC_AT, default 3; EDGE_CHAOS_FAULT)",
    requires = [label(chaos = "on")],
)]
pub struct ChaosCrc32c {
    calls: AtomicU64,
}

/// What the faulty call does, from `EDGE_CHAOS_FAULT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    Panic,
    Abort,
    StackOverflow,
    Hang,
    Alloc,
}

fn fault() -> Fault {
    match std::env::var("EDGE_CHAOS_FAULT").as_deref().map(str::trim) {
        Ok("abort") => Fault::Abort,
        Ok("stack-overflow") => Fault::StackOverflow,
        Ok("hang") => Fault::Hang,
        Ok("alloc") => Fault::Alloc,
        _ => Fault::Panic,
    }
}

/// Recurses until the stack overflows; the frame is kept alive by `black_box`.
fn recurse(depth: u64) -> u64 {
    let frame = std::hint::black_box([depth; 512]);
    if std::hint::black_box(depth) == u64::MAX {
        return 0;
    }
    recurse(depth + 1).wrapping_add(frame[(depth % 512) as usize])
}

/// Commits the fault of call `call`.
fn commit(fault: Fault, call: u64, at: u64) {
    eprintln!("chaos: call {call} of checksum 1.9.0 faults on purpose ({fault:?})");
    match fault {
        Fault::Panic => panic!(
            "chaos: call {call} of checksum 1.9.0 panics on purpose (EDGE_CHAOS_PANIC_AT={at})"
        ),
        Fault::Abort => std::process::abort(),
        Fault::StackOverflow => {
            std::hint::black_box(recurse(0));
        }
        Fault::Hang => loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        },
        Fault::Alloc => {
            let bytes = std::env::var("EDGE_CHAOS_ALLOC_BYTES")
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(1usize << 40);
            let block = std::hint::black_box(vec![1u8; bytes]);
            std::hint::black_box(&block);
        }
    }
}

impl Default for ChaosCrc32c {
    fn default() -> ChaosCrc32c {
        if std::env::var("EDGE_CHAOS_CONSTRUCT").is_ok_and(|v| v == "panic") {
            panic!("chaos: the constructor panics on purpose (EDGE_CHAOS_CONSTRUCT=panic)");
        }
        ChaosCrc32c {
            calls: AtomicU64::new(0),
        }
    }
}

/// The call number that faults, from `EDGE_CHAOS_PANIC_AT`.
fn panic_at() -> u64 {
    std::env::var("EDGE_CHAOS_PANIC_AT")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(3)
}

impl Checksum for ChaosCrc32c {
    fn implementation(&self) -> &'static str {
        "chaos"
    }

    fn crc32c(&self, data: &[u8]) -> u32 {
        let call = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let at = panic_at();
        if at != 0 && call == at {
            commit(fault(), call, at);
        }
        edge_contract::conformance::reference_crc32c(data)
    }

    fn start(&mut self) -> Result<(), Rejection> {
        log_hook("start");
        match std::env::var("EDGE_CHAOS_START").as_deref() {
            Ok("fail") => {
                return Err(Rejection::new(
                    "chaos: start fails on purpose (EDGE_CHAOS_START=fail)",
                ));
            }
            Ok("panic") => panic!("chaos: start panics on purpose (EDGE_CHAOS_START=panic)"),
            Ok("abort") => std::process::abort(),
            _ => {}
        }
        Ok(())
    }

    fn stop(&mut self) {
        log_hook("stop");
    }
}

/// Appends `event` to the file named by `EDGE_CHAOS_HOOK_LOG`, if set.
fn log_hook(event: &str) {
    use std::io::Write;
    if let Some(path) = std::env::var_os("EDGE_CHAOS_HOOK_LOG")
        && let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
    {
        let _ = writeln!(f, "{event}");
    }
}

#[cfg(test)]
mod tests {
    use std::panic::catch_unwind;

    use edge_contract::Checksum;

    use crate::ChaosCrc32c;

    #[test]
    fn correct_until_the_nth_call_panics() {
        // The default N is 3 (the test environment does not set the variable).
        if std::env::var_os("EDGE_CHAOS_PANIC_AT").is_some() {
            return;
        }
        let c = ChaosCrc32c::default();
        assert_eq!(c.crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(c.crc32c(b""), 0);
        assert!(catch_unwind(|| c.crc32c(b"x")).is_err());
        assert_eq!(
            c.crc32c(&[0u8; 32]),
            0x8A91_36AA,
            "after the panic it works again"
        );
    }
}
