//! The dynamic engine of the `micrograd` crate. Use it through `micrograd`.
