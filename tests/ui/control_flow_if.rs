// Checks: `if` is rejected: grad! differentiates straight-line code.
use micrograd::grad;

fn main() {
    let _ = grad!(|x| if x > 0.0 { x } else { -x });
}
