//! Reverse-mode automatic differentiation, two ways.
#![forbid(unsafe_code)]

pub use micrograd_macros::*;
pub use micrograd_runtime::*;
