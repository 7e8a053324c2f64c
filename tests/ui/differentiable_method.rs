#![deny(warnings)]
// `#[differentiable]` on a method: one error at `self` (the companion, a
// struct, cannot go in an `impl`), and the method still compiles.
use micrograd::differentiable;

struct Scale(f64);

impl Scale {
    #[differentiable]
    fn apply(&self, x: f64) -> f64 {
        self.0 * x
    }
}

fn main() {
    let _ = Scale(2.0).apply(1.0);
}
