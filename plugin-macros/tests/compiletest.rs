//! Compile-fail and pass cases of `#[slot]` and `#[plugin]`, checked with trybuild.
//!
//! Each `tests/ui/*.rs` holds one mistake and its expected diagnostics beside it
//! (`.stderr`). Regenerate with `TRYBUILD=overwrite cargo test -p muster-macros
//! --test compiletest` and review the diff. trybuild builds the cases in its own
//! project with `muster`'s default (`linkme`) backend, whichever backend this test
//! run enables, so the expected output does not depend on `muster-rt/inventory`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
