// Checks: indexing is rejected; the message says to copy the element out first.
use micrograd::grad;

fn main() {
    let w = [1.0, 2.0];
    let _ = grad!(|x| w[0] * x);
}
