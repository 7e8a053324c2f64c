// Checks: an element of an array parameter cannot be assigned; copy it into a `let mut` array first.
use micrograd::grad;

fn main() {
    let _ = grad!(|w: [f64; 3]| {
        w[0] = 1.0;
        w[0] + w[1]
    });
}
