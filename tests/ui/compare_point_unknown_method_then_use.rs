// Checks: `compare!` at a point with an unsupported method gives that one error and nothing else:
// no `unreachable statement` warning and no type error on the line that uses the result.
#![deny(warnings)]
use micrograd::compare;

fn main() {
    let r = compare!(|x| x.erf(), [1.0]);
    println!("{r}");
}
