// A function that returns an array, used as a number: one error at the
// call, saying to bind the result with `let` and index it.
use micrograd::{differentiable, grad};

#[differentiable]
fn pair(x: f64) -> [f64; 2] {
    [x, 2.0 * x]
}

fn main() {
    let _ = grad!(|w: [f64; 2]| {
        let mut s = 0.0;
        for i in 0..2 {
            s += pair(w[i]) * 2.0;
        }
        s
    });
}
