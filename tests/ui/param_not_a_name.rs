// Checks: a parameter must be a plain name, not a tuple pattern.
use micrograd::grad;

fn main() {
    let _ = grad!(|(a, b)| a * b);
}
