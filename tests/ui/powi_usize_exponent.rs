// Checks: `powi` with an integer loop variable needs `as i32`: `x.powi(i)` is rejected, suggesting `i as i32`.
use micrograd::grad;

fn main() {
    let _ = grad!(|x| {
        let mut s = 0.0;
        for i in 0..3 {
            s += x.powi(i);
        }
        s
    });
}
