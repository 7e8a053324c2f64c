// Checks: calling a plain function inside grad! is one error, at the call,
// saying how to fix it (no secondary diagnostics: `deny(warnings)`).
#![deny(warnings)]
use micrograd::grad;

fn plain(x: f64) -> f64 {
    x * x
}

fn main() {
    let f = grad!(|x| plain(x) + x);
    let _ = f(1.0);
}
