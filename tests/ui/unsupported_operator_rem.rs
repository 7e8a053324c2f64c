// Checks: `%` on f64 values is rejected (it is an integer operator only); the error points at `%`.
use micrograd::grad;

fn main() {
    let _ = grad!(|x, y| x % y);
}
