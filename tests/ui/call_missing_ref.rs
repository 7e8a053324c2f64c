#![deny(warnings)]
// An array passed by value to a `&[f64; N]` parameter: one error at the
// argument (the help shows the `&`).
use micrograd::{differentiable, grad};

#[differentiable]
fn f(x: &[f64; 2]) -> f64 {
    x[0] * x[1]
}

fn main() {
    let _ = grad!(|x: [f64; 2]| f(x));
}
