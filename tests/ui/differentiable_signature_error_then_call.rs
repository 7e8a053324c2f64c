#![deny(warnings)]
// A signature the attribute rejects is reported once, by the attribute:
// the function's calls (plain and inside grad!) add no errors of their own.
use micrograd::{differentiable, grad};

#[differentiable]
fn shifted(mut x: f64) -> f64 {
    x += 1.0;
    x
}

#[differentiable]
fn constant() -> f64 {
    2.0
}

fn main() {
    let _ = shifted(1.0) + constant();
    let f = grad!(|x| shifted(x) * constant() * x);
    let _ = f(1.0);
    let g = grad!(|x: [f64; 2]| shifted(x[0], x[1]) + constant());
    let _ = g([1.0, 2.0]);
}
