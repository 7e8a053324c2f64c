// Checks: a comparison such as `<` outside an `if` condition is rejected: a gradient needs a number, not a bool.
use micrograd::grad;

fn main() {
    let _ = grad!(|x, y| x < y);
}
