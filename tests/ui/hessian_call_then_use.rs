// Checks: `hessian!` through a call of a function with a custom pullback is
// one error at the call (a custom derivative has no second-derivative rule),
// and the closure still has the right type.
#![deny(warnings)]
use micrograd::{differentiable, hessian};

#[differentiable(pullback = clipped_pullback)]
fn clipped(x: f64) -> f64 {
    x * x * x / 3.0
}

fn clipped_pullback(x: f64, gy: f64) -> [f64; 1] {
    [gy * (x * x).min(1.0)]
}

fn main() {
    let f = hessian!(|x, y| clipped(x) * y);
    let (v, g, h) = f(1.0, 2.0);
    println!("{v} {g:?} {h:?}");
}
