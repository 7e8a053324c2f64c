// Checks: `match` is rejected at its keyword.
use micrograd::grad;

fn main() {
    let _ = grad!(|x| match 1 {
        _ => x,
    });
}
