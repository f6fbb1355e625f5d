//! Panics in plugin code that the selector catches, and keeping them quiet.
//!
//! A caught panic rejects a version and is explained in the [`SlotReport`]; it is not
//! a crash. Rust's panic hook still runs first, though, and the default one prints
//! `thread 'main' panicked at ...` (and a backtrace with `RUST_BACKTRACE`). muster
//! does not change the process-wide hook on its own: a host opts in with
//! [`silence_caught_panics`], or installs its own hook and asks
//! [`is_catching_plugin_panic`].
//!
//! [`SlotReport`]: crate::SlotReport

use std::cell::Cell;
use std::panic::{UnwindSafe, catch_unwind};
use std::sync::Once;

thread_local! {
    /// How many [`catch_plugin_panic`] calls are running on this thread.
    static CATCHING: Cell<usize> = const { Cell::new(0) };
}

/// Decrements [`CATCHING`] when the catch region ends, however it ends.
struct Region;

impl Region {
    fn enter() -> Region {
        CATCHING.with(|c| c.set(c.get() + 1));
        Region
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        CATCHING.with(|c| c.set(c.get().saturating_sub(1)));
    }
}

/// Runs plugin code, catching a panic: `Err` holds its message. While `f` runs,
/// [`is_catching_plugin_panic`] is true on this thread, so a panic hook can tell a
/// caught plugin panic from a crash.
pub(crate) fn catch_plugin_panic<R>(f: impl FnOnce() -> R + UnwindSafe) -> Result<R, String> {
    let _region = Region::enter();
    catch_unwind(f).map_err(|payload| panic_message(payload.as_ref()))
}

/// Whether this thread is inside muster's catch of a plugin call (a constructor or a
/// hook): a panic now will be caught and reported by muster (for a host's panic hook).
pub fn is_catching_plugin_panic() -> bool {
    CATCHING.with(|c| c.get() > 0)
}

/// Installs (once) a panic hook that prints nothing for panics muster catches and
/// hands every other panic to the hook that was installed before (by default,
/// Rust's, which prints the message and, with `RUST_BACKTRACE`, a backtrace).
///
/// This changes process-wide state, so muster never calls it itself: a host calls it
/// at start, before selecting. A hook the host installs later replaces it.
pub fn silence_caught_panics() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !is_catching_plugin_panic() {
                previous(info);
            }
        }));
    });
}

/// The message of a caught panic payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use crate::caught::{catch_plugin_panic, is_catching_plugin_panic};

    #[test]
    fn the_region_covers_exactly_the_plugin_call() {
        assert!(!is_catching_plugin_panic());
        assert_eq!(catch_plugin_panic(is_catching_plugin_panic), Ok(true));
        let err = catch_plugin_panic(|| -> () { panic!("boom {}", 1) }).unwrap_err();
        assert_eq!(err, "boom 1");
        assert!(!is_catching_plugin_panic(), "left after a panic");
        // Nested regions (a hook that selects another slot) unwind correctly.
        let inner = catch_plugin_panic(|| {
            let r = catch_plugin_panic(|| -> () { panic!("inner") });
            (r, is_catching_plugin_panic())
        });
        assert_eq!(inner, Ok((Err("inner".to_owned()), true)));
        assert!(!is_catching_plugin_panic());
    }
}
