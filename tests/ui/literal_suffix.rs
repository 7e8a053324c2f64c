// Checks: an integer literal with a non-f64 suffix is rejected (plain `2` means 2.0).
use micrograd::grad;

fn main() {
    let _ = grad!(|x| 2i32 * x);
}
