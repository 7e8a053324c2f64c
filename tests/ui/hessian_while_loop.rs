// Checks: `hessian!` rejects what `grad!` rejects with the same error (`while`, at its keyword):
// both go through the same `lower`.
use micrograd::hessian;

fn main() {
    let _ = hessian!(|x| {
        let mut s = x;
        while s < 10.0 {
            s *= 2.0;
        }
        s
    });
}
