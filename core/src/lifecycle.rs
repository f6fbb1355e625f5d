//! The hooks every plugin type has (`is_acceptable`, `start`, `stop`), reached
//! through one vtable entry: what selection calls, and what `#[plugin]` implements
//! (through `__private`).

use crate::Facts;

/// A lifecycle hook of a plugin, called through the slot's one vtable entry for
/// all three (the hooks themselves are `where Self: Sized`).
#[derive(Clone, Copy)]
pub enum Hook<'a> {
    /// `is_acceptable(facts)`.
    Accept(&'a Facts),
    /// `start()`.
    Start,
    /// `stop()`.
    Stop,
}

/// The three hooks of a plugin type through one vtable entry: a supertrait of every
/// slot trait, implemented for each plugin type by `#[plugin]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` implements a slot trait but is not a registered plugin",
    note = "mark the type with `#[muster::plugin(slot = ..., version = \"x.y.z\")]`"
)]
pub trait Lifecycle {
    /// Runs `hook` on the plugin (by default, none: for a type `#[plugin]` rejected,
    /// so that only its own error is reported).
    fn __muster_hook(&mut self, hook: Hook<'_>) -> Result<(), crate::Rejection> {
        let _ = hook;
        Ok(())
    }
}
