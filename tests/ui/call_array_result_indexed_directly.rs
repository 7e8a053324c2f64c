// Indexing a call directly: bind the array with `let` first (one error).
use micrograd::{differentiable, grad};

#[differentiable]
fn pair(x: f64) -> [f64; 2] {
    [x, 2.0 * x]
}

fn main() {
    let _ = grad!(|x| pair(x)[0] * 2.0);
}
