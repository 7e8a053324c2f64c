// Checks: several problems in one body are all reported at once.
use micrograd::grad;

fn main() {
    let _ = grad!(|x, y| x % y + x.erf() + x.powi(y));
}
