//! Compile-fail tests: one file per error message under `tests/ui/`, each
//! with the reviewed compiler output beside it (`.stderr`).

#[test]
fn ui() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
