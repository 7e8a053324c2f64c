// Checks: `hessian!` through a call of a `#[differentiable]` function is one
// error at the call (no second-order code for functions yet), and the
// placeholder closure still has the right type.
#![deny(warnings)]
use micrograd::{differentiable, hessian};

#[differentiable]
fn softplus(x: f64) -> f64 {
    (1.0 + x.exp()).ln()
}

fn main() {
    let f = hessian!(|x, y| softplus(x) * y);
    let (v, g, h) = f(1.0, 2.0);
    println!("{v} {g:?} {h:?}");
}
