// A call with the wrong number of arguments: one error at the call, naming
// the function and the count, not also the types of the generated code.
use micrograd::{differentiable, grad};

#[differentiable]
fn scaled(x: f64, k: f64) -> f64 {
    x * k
}

fn main() {
    let _ = grad!(|x| scaled(x) * 2.0);
}
