// Checks: assignment to a `let` binding that is not `mut`.
use micrograd::grad;

fn main() {
    let _ = grad!(|x| {
        let a = x;
        a *= 2.0;
        a
    });
}
