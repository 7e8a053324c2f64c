// Checks: a scalar parameter type other than `f64` (here `f32`) is rejected at the type.
use micrograd::grad;

fn main() {
    let _ = grad!(|x: f32, y| x * y);
}
