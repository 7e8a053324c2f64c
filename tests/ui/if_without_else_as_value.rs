// Checks: an `if` used as a value needs an `else` branch.
use micrograd::grad;

fn main() {
    let _ = grad!(|x| {
        let y = if x > 0.0 {
            x
        };
        y
    });
}
