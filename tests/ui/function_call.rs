// Checks: function calls are rejected in favour of method syntax.
use micrograd::grad;

fn main() {
    let _ = grad!(|x| f64::exp(x));
}
