// Checks: a `[[f64; 2]; 2]` parameter needs two indices: `m[0]` alone is rejected.
use micrograd::grad;

fn main() {
    let _ = grad!(|m: [[f64; 2]; 2]| m[0] * m[1][1]);
}
