// Checks: integer variables cannot be reassigned: `let j = i + 1; j = 2;` and `let mut k: usize`.
use micrograd::grad;

fn main() {
    let _ = grad!(|x| {
        let mut s = 0.0;
        for i in 0..3 {
            let j = i + 1;
            j = 2;
            s += x * (j as f64);
        }
        s
    });
    let _ = grad!(|x| {
        let mut k: usize = 0;
        k += 1;
        x * (k as f64)
    });
}
