// A block that ends in a `for` loop has no value (in Rust it is `()`), so
// it cannot be the closure's result or a `let`'s value.
use micrograd::grad;

fn main() {
    let _ = grad!(|x| {
        let mut s = 0.0;
        for _ in 0..3 {
            s += x;
        }
    });
    let _ = grad!(|x| {
        let mut s = 0.0;
        let y = {
            for _ in 0..3 {
                s += x;
            }
        };
        y + s
    });
}
