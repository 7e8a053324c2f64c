// Checks: `&&` outside an `if` condition is rejected as an unsupported operator.
use micrograd::grad;

fn main() {
    let _ = grad!(|x, y| x && y);
}
