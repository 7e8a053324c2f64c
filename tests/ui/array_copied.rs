// Checks: an array parameter cannot be copied whole with `let v = w;`; index its elements instead.
use micrograd::grad;

fn main() {
    let _ = grad!(|w: [f64; 2]| {
        let v = w;
        v[0] * v[1]
    });
}
