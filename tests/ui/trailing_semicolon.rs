// Checks: a final expression followed by `;` is reported once, at the `;` fix.
use micrograd::grad;

fn main() {
    let _ = grad!(|x| {
        let a = x * 2.0;
        a;
    });
}
