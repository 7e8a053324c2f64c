// Checks: a closure with no parameters has nothing to differentiate.
use micrograd::grad;

fn main() {
    let _ = grad!(|| 1.0);
}
