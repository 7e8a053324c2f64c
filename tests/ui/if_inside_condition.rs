// Checks: an `if` expression inside an `if` condition is rejected (a documented restriction).
use micrograd::grad;

fn main() {
    let _ = grad!(|x| if (if x > 0.0 { 1.0 } else { 2.0 }) > 1.0 {
        x
    } else {
        -x
    });
}
