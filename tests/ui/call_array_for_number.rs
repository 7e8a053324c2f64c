#![deny(warnings)]
// An array passed for a number: one error at the argument, saying what
// the function takes there, not the types of the generated code.
use micrograd::{differentiable, grad};

#[differentiable]
fn f(x: f64, y: f64) -> f64 {
    x * y
}

fn main() {
    let _ = grad!(|x: [f64; 2]| f(x, 1.0));
}
