// Checks: a #[differentiable] function calling a plain function is one
// error, at that call, with the same message as inside grad!.
#![deny(warnings)]
use micrograd::differentiable;

fn helper(x: f64) -> f64 {
    x + 1.0
}

#[differentiable]
fn outer(x: f64) -> f64 {
    helper(x) * x
}

fn main() {
    let _ = outer(1.0);
}
