// Checks: a captured name used both as an integer (`0..n`) and as an f64 (`n * x`) is rejected.
use micrograd::grad;

fn main() {
    let n = 3;
    let _ = grad!(|x| {
        let mut s = 0.0;
        for _ in 0..n {
            s += n * x;
        }
        s
    });
}
