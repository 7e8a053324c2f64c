// Checks: an unknown method is rejected at its name, listing the supported ones.
use micrograd::grad;

fn main() {
    let _ = grad!(|x| x.erf());
}
