// Checks: loops are rejected at their keyword.
use micrograd::grad;

fn main() {
    let _ = grad!(|x| {
        let mut s = x;
        for _ in 0..3 {
            s *= x;
        }
        s
    });
}
