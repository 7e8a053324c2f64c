#![deny(warnings)]
// An array of the wrong length: one error at the argument.
use micrograd::{differentiable, grad};

#[differentiable]
fn f(x: [f64; 2]) -> f64 {
    x[0] * x[1]
}

fn main() {
    let _ = grad!(|x: [f64; 3]| f(x) + x[2]);
}
