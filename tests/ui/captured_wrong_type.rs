// Checks: a captured outer variable must be f64; the type error lands on the user's token.
use micrograd::grad;

fn main() {
    let n: i32 = 2;
    let _ = grad!(|x| n * x);
}
