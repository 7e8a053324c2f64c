// Checks: a `grad!` over an array and a scalar with an error in the body gives that one error
// and nothing else: calling the result and destructuring its gradient adds no type error or warning.
#![deny(warnings)]
use micrograd::grad;

fn main() {
    let f = grad!(|w: [f64; 2], b: f64| w[0].erf() + w[1] * b);
    let (v, (gw, gb)) = f([1.0, 2.0], 0.5);
    println!("{v} {gw:?} {gb}");
}
