// Checks: field access is rejected; the message says to copy the field out first.
use micrograd::grad;

fn main() {
    struct P {
        w: f64,
    }
    let p = P { w: 2.0 };
    let _ = grad!(|x| p.w * x);
}
