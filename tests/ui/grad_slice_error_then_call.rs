// Checks: a `grad!` over a slice with an error in the body gives that one error and nothing
// else: calling the result and using its `Vec<f64>` gradient adds no type error or warning.
#![deny(warnings)]
use micrograd::grad;

fn main() {
    let f = grad!(|w: &[f64]| w[0].erf() + w[1]);
    let (v, gw) = f(&[1.0, 2.0]);
    println!("{v} {gw:?} {}", gw.len());
}
