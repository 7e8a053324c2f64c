// Checks: direct recursion in a #[differentiable] function is one error at
// the recursive call.
#![deny(warnings)]
use micrograd::differentiable;

#[differentiable]
fn power(x: f64, n: f64) -> f64 {
    if n > 0.0 { x * power(x, n - 1.0) } else { 1.0 }
}

fn main() {
    let _ = power(2.0, 3.0);
}
