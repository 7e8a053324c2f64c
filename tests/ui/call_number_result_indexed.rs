// A function that returns a number, whose result is indexed: one error at
// the call.
use micrograd::{differentiable, grad};

#[differentiable]
fn square(x: f64) -> f64 {
    x * x
}

fn main() {
    let _ = grad!(|x| {
        let y = square(x);
        y[0] * 2.0
    });
}
