#![deny(warnings)]
// Calling a local closure inside grad!: one error at the call, saying a
// closure is not a `#[differentiable]` function.
use micrograd::grad;

fn main() {
    let h = |x: f64| x * x;
    let f = grad!(|x| h(x) + x);
    let _ = f(1.0);
}
