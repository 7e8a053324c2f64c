// Checks: `while` is rejected at its keyword: only `for` loops over ranges have a known trip count.
use micrograd::grad;

fn main() {
    let _ = grad!(|x| {
        let mut s = x;
        while s < 10.0 {
            s *= 2.0;
        }
        s
    });
}
