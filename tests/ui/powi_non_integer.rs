// Checks: `powi` needs an integer exponent (a literal or `k as i32`); a real literal gets the `powf` suggestion.
use micrograd::grad;

fn main() {
    let _ = grad!(|x| x.powi(2.5));
}
