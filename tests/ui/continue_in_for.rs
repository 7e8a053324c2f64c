// Checks: `continue` inside a `for` loop is rejected at its keyword.
use micrograd::grad;

fn main() {
    let _ = grad!(|x| {
        let mut s = x;
        for _ in 0..3 {
            continue;
            s *= x;
        }
        s
    });
}
