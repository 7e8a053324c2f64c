// Checks: `hvp!` gives `grad!`'s error for an unknown method and nothing else: the
// placeholder takes the point and the direction and returns gradient-shaped results.
#![deny(warnings)]
use micrograd::hvp;

fn main() {
    let f = hvp!(|w: [f64; 2], x| w[0].erf() + x);
    let (v, g, hv) = f([1.0, 2.0], 3.0, [0.0, 1.0], 0.0);
    println!("{v} {:?} {:?} {} {}", g.0, hv.0, g.1, hv.1);
}
