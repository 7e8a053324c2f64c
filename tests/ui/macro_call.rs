// Checks: macro calls inside the body are rejected.
use micrograd::grad;

fn main() {
    let _ = grad!(|x| x * dbg!(2.0));
}
