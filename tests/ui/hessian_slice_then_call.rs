// Checks: `hessian!` rejects a slice parameter at its name (its run-time length cannot size
// the Hessian's type) and points to `hvp!`; calling the result adds no other diagnostic.
#![deny(warnings)]
use micrograd::hessian;

fn main() {
    let f = hessian!(|w: &[f64], b| w[0] * b);
    let (v, g, h) = f(&[1.0, 2.0], 3.0);
    println!("{v} {g:?} {h:?}");
}
