// Checks: a slice parameter must be `&[f64]`: `&[f32]` is rejected at the type.
use micrograd::grad;

fn main() {
    let _ = grad!(|w: &[f32]| w[0] * w[1]);
}
