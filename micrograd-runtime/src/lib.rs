//! The dynamic engine of the `micrograd` crate: a scalar [`Value`] graph
//! with reverse-mode [`Value::backward`]. Use it through `micrograd`.
//!
//! Every op on a `Value` appends a node to a thread-local tape; creation
//! order is a topological order, so `backward` is a loop, not a recursion.
//! Wrap loop bodies in [`scope`] to free their nodes:
//!
//! ```
//! use micrograd_runtime::{scope, Value};
//! let w = Value::new(1.0);
//! for _ in 0..100 {
//!     scope(|| {
//!         let loss = (w * 3.0 - 6.0).powi(2); // d/dw = 6 (3w - 6)
//!         loss.backward();
//!         w.set_data(w.data() - 0.01 * w.grad());
//!         w.zero_grad();
//!     });
//! }
//! assert!((w.data() - 2.0).abs() < 1e-6);
//! ```
//!
//! # Layers
//!
//! Each file uses only the files below it (doc links aside):
//!
//! ```text
//! nn  loss  optim  data  check        neural nets, training, compare!'s report
//! ----------------------------------  the engine, which knows nothing above:
//! value  arith  dot (svg)             Value's methods, operators, pictures
//! backward                            the reverse sweep (implements op::Adjoints)
//! dense                               recording fused neurons; slice kernels
//! tape                                the thread-local tape, Value handles, scope
//! op                                  the op table: Op, codes, forward and rules
//! rules                               edge-careful f64 rules, shared with grad!
//! ```
//!
//! `op.rs` is the one place an op is added: its code, forward and
//! derivative rule side by side. Its rules reach the sweep only through
//! the `Adjoints` trait, which `backward.rs` implements; `nn` gives the
//! tape its neurons through the `DenseNeuron` and `DenseLayer` traits.
#![deny(unsafe_code)]

mod arith;
mod backward;
mod dense;
mod dot;
mod op;
#[cfg(feature = "svg")]
mod svg;
mod tape;
mod value;

pub use backward::NonFiniteError;
#[cfg(feature = "svg")]
pub use dot::SVG_MAX_VALUES;
pub use op::Op;
pub use tape::Value;
pub use tape::{
    SCOPE_WARNING_NODES, graph_len, last_backward_work, scope, scope_warning_state,
    set_scope_warning,
};
pub use value::Operand;

// Neural nets and training, built on `Value`.
pub mod data;
pub mod loss;
pub mod nn;
pub mod optim;

// Static vs dynamic: the report of `compare!` and the finite differences
// it checks both engines against.
pub mod check;
pub use check::{Comparison, Flat, GradCheck};

// The derivative rules whose edges need care, shared with `grad!`, which
// emits calls to them: both engines run the same functions.
pub mod rules;
// `x.relu()`, `x.sigmoid()`, ... on `f64`: the ops `f64` lacks, for the
// bodies of `#[differentiable]` functions (which import it themselves).
pub mod ops;
// The reusable tapes of `grad!`'s reverse sweep.
pub mod saved;

// Dual numbers for `hessian!` and `hvp!` (second derivatives by
// forward-over-reverse), with the rules above over them.
pub mod dual;

// Calls of `#[differentiable]` functions: the trait behind the error for a
// plain function, gradient shapes, the node of a custom derivative.
pub mod differentiable;
