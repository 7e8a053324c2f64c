// Checks: closures inside the body are rejected.
use micrograd::grad;

fn main() {
    let _ = grad!(|x| {
        let sq = |t: f64| t * t;
        x
    });
}
