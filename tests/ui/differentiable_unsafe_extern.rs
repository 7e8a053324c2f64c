#![deny(warnings)]
// `unsafe fn` and `extern "C" fn`: one error each, at the keyword (a call
// inside grad! would run them outside the caller's `unsafe` block), and
// their calls add none.
use micrograd::{differentiable, grad};

#[differentiable]
unsafe fn twice(x: f64) -> f64 {
    2.0 * x
}

#[differentiable]
extern "C" fn thrice(x: f64) -> f64 {
    3.0 * x
}

fn main() {
    let f = grad!(|x| twice(x) + thrice(x));
    let _ = f(1.0);
    let _ = unsafe { twice(1.0) } + thrice(1.0);
}
