// Checks: an index must be an integer: an f64 parameter or an f64 `let` is rejected at the index.
use micrograd::grad;

fn main() {
    let _ = grad!(|w: [f64; 3], x: f64| w[x] * x);
    let _ = grad!(|w: [f64; 3]| {
        let t = 1.0;
        w[t]
    });
}
