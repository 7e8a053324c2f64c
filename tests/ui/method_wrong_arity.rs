// Checks: a supported method with the wrong number of arguments (`exp` takes none).
use micrograd::grad;

fn main() {
    let _ = grad!(|x| x.exp(2.0));
}
