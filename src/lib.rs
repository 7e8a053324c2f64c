#![doc = include_str!("../README.md")]
//!
//! # The crates behind this facade
//!
//! - [`grad!`], [`grad_code!`] and [`grad_dot!`] come from `micrograd-macros`;
//!   [`grad!`]'s documentation shows what it expands to. Second
//!   derivatives: [`hessian!`], [`hvp!`], [`hessian_code!`], [`hvp_code!`]
//!   and [`compare_hessian!`], on the dual numbers of [`dual`].
//! - [`Value`], [`scope`], [`nn`], [`loss`], [`optim`] and [`data`] come from
//!   `micrograd-runtime`.
//!
//! The README above is this page, so its examples are doctests.
#![forbid(unsafe_code)]

pub use micrograd_macros::*;
pub use micrograd_runtime::*;
