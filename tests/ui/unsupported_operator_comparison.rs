// Checks: comparisons such as `<` are rejected: a gradient needs a number, not a bool.
use micrograd::grad;

fn main() {
    let _ = grad!(|x, y| x < y);
}
