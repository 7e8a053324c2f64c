// Checks: `loop` is rejected at its keyword: only `for` loops over ranges are supported.
use micrograd::grad;

fn main() {
    let _ = grad!(|x| {
        let mut s = x;
        loop {
            s *= 2.0;
        }
        s
    });
}
