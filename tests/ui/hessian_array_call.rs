// hessian! does not differentiate through calls of functions that return
// arrays yet (calls of functions of `f64` work): one error at the call.
use micrograd::{differentiable, hessian};

#[differentiable]
fn pair(x: f64) -> [f64; 2] {
    [x, x * x]
}

fn main() {
    let _ = hessian!(|x| {
        let y = pair(x);
        y[0] * y[1]
    });
}
