// Checks: a loop bound made from a differentiated value (`x as usize`) is rejected at the bound.
use micrograd::grad;

fn main() {
    let _ = grad!(|x| {
        let mut s = 0.0;
        for i in 0..(x as usize) {
            s += x * (i as f64);
        }
        s
    });
}
