// Checks: `for` must run over a range: iterating an array directly (`for v in xs`) is rejected.
use micrograd::grad;

fn main() {
    let xs = [1.0, 2.0, 3.0];
    let _ = grad!(|x| {
        let mut s = 0.0;
        for v in xs {
            s += v * x;
        }
        s
    });
}
