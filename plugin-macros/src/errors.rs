//! Collects every mistake of one attribute so all are reported at once.

use syn::Error;

/// Adds `error` to the combined `errors`.
pub(crate) fn push(errors: &mut Option<Error>, error: Error) {
    match errors {
        Some(all) => all.combine(error),
        None => *errors = Some(error),
    }
}
