// Checks: an `if` condition must be a comparison: a bare f64 and an arithmetic expression are rejected.
use micrograd::grad;

fn main() {
    let _ = grad!(|x| if x { x } else { -x });
    let _ = grad!(|x| if x + 1.0 { x } else { -x });
}
