//! Procedural macros of the `micrograd` crate. Use them through `micrograd`.
//!
//! Stages, one file each: `parse` (the closure), `lower` (syntax -> SSA IR,
//! the one place that rejects input), `ir`, `rules` (the derivative table of
//! `OPS.md`), `diff` (the reverse sweep), `codegen` and `dot` (outputs).
#![forbid(unsafe_code)]

mod codegen;
mod diff;
mod dot;
mod expand;
mod ir;
mod lower;
mod parse;
mod rules;

use proc_macro::TokenStream;

/// GRAD_DOC_PLACEHOLDER
#[proc_macro]
pub fn grad(input: TokenStream) -> TokenStream {
    expand::grad(input.into()).into()
}

/// The code that [`grad!`] generates for the same closure, as a formatted
/// `&'static str`, so learners can read the forward and backward passes
/// without an expansion tool.
///
/// ```
/// use micrograd_macros::grad_code;
/// let code: &str = grad_code!(|x, y| x * y);
/// assert!(code.contains("let __mg_v0 = __mg_p0 * __mg_p1;"));
/// ```
#[proc_macro]
pub fn grad_code(input: TokenStream) -> TokenStream {
    expand::grad_code(input.into()).into()
}

/// The static expression graph of the same closure as Graphviz DOT, a
/// `&'static str` in the record style of micrograd's `draw_dot`.
///
/// Each value is a record `{ label | data ... | grad ... }`. There are no
/// numbers at compile time, so `data` and `grad` name the generated
/// variables that hold them at run time (the names [`grad_code!`] shows);
/// constants read `data const | grad none`. Each op is a small node
/// between its operands and its result.
///
/// ```
/// use micrograd_macros::grad_dot;
/// let dot: &str = grad_dot!(|x, w| (x * w).tanh());
/// assert!(dot.starts_with("digraph"));
/// assert!(dot.contains("rankdir=LR"));
/// assert!(dot.contains(r#"[label="{ x | data __mg_p0 | grad __mg_gp0 }"]"#));
/// ```
#[proc_macro]
pub fn grad_dot(input: TokenStream) -> TokenStream {
    expand::grad_dot(input.into()).into()
}
