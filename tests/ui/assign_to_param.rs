// Checks: a parameter cannot be assigned; the message shows the `let mut` fix.
use micrograd::grad;

fn main() {
    let _ = grad!(|x| {
        x += 1.0;
        x
    });
}
