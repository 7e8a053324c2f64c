// Checks: bit operators such as `^` are rejected, not read as powers.
use micrograd::grad;

fn main() {
    let _ = grad!(|x| x ^ 2);
}
