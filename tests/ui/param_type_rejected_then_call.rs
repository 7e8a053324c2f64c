// A rejected parameter type: the one error, and the closure still has the
// types the user wrote, so calling it as written adds no type error.
#![deny(warnings)]
use micrograd::grad;

fn main() {
    let f = grad!(|w: [f32; 2], b: f64| w[0] * b);
    let (v, (gw, gb)) = f([1.0, 2.0], 0.5);
    let h = grad!(|w: &[f32]| w[0]);
    let (u, gh) = h(&[1.0f32, 2.0]);
    println!("{v} {gw:?} {gb} {u} {gh:?}");
}
