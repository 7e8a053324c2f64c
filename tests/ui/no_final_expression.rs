// Checks: a body that ends with `let` has no value to differentiate.
use micrograd::grad;

fn main() {
    let _ = grad!(|x| {
        let a = x * 2.0;
    });
}
