//! Procedural macros of the `micrograd` crate. Use them through `micrograd`.
