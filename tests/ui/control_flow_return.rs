// Checks: `return` is rejected: the final expression is the result.
use micrograd::grad;

fn main() {
    let _ = grad!(|x| {
        return x;
    });
}
