// Checks: a body whose last statement is an assignment still needs a final expression.
use micrograd::grad;

fn main() {
    let _ = grad!(|x| {
        let mut a = x;
        a *= 2.0;
    });
}
