// Checks: `hvp!` does not pass a slice parameter to a function yet (its
// slices are never made dual numbers): one error at the call.
#![deny(warnings)]
use micrograd::{differentiable, hvp};

#[differentiable]
fn total(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i] * x[i];
    }
    s
}

fn main() {
    let f = hvp!(|x: &[f64]| total(x) * x[0]);
    let (v, g, hv) = f(&[1.0, 2.0], &[1.0, 0.0]);
    println!("{v} {g:?} {hv:?}");
}
