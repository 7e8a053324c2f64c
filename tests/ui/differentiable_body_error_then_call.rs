// Checks: an error in a #[differentiable] body is reported once, and the
// function's calls (plain and inside grad!) add no errors of their own.
#![deny(warnings)]
use micrograd::{differentiable, grad};

#[differentiable]
fn bad(x: f64) -> f64 {
    x % 2.0
}

fn main() {
    let _ = bad(1.0);
    let f = grad!(|x| bad(x) * x);
    let _ = f(1.0);
}
