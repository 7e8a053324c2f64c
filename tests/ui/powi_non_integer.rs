// Checks: `powi` needs an integer literal exponent; the error suggests `powf`.
use micrograd::grad;

fn main() {
    let _ = grad!(|x| x.powi(2.5));
}
