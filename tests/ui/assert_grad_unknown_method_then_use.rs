// Checks: `assert_grad!` with an unsupported method gives that one error and nothing else:
// no `unreachable statement` warning on the following lines.
#![deny(warnings)]
use micrograd::assert_grad;

fn main() {
    assert_grad!(|x| x.erf(), [1.0]);
    let y = 2.0_f64;
    println!("{y}");
}
