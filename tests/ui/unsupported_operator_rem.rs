// Checks: `%` is not one of the supported operators; the error points at `%`.
use micrograd::grad;

fn main() {
    let _ = grad!(|x, y| x % y);
}
