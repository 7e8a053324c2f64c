// Checks: `compare_hessian!` gives `grad!`'s error for an unknown method and nothing else:
// the placeholder is an empty report.
#![deny(warnings)]
use micrograd::compare_hessian;

fn main() {
    let report = compare_hessian!(|x| x.erf(), [1.0]);
    println!("{}", report.fd_err());
}
