// Checks: the input must be a closure.
use micrograd::grad;

fn main() {
    let x = 1.0;
    let _ = grad!(x * 2.0);
}
