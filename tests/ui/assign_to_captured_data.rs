// Checks: captured data (an outer array) is constant: assigning to its element is rejected.
use micrograd::grad;

fn main() {
    let xs = [1.0, 2.0, 3.0];
    let _ = grad!(|x| {
        xs[0] = 1.0;
        xs[0] * x
    });
}
