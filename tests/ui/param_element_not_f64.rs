// Checks: an array parameter must hold f64: `[f32; 3]` is rejected at the type.
use micrograd::grad;

fn main() {
    let _ = grad!(|w: [f32; 3]| w[0] * w[1]);
}
