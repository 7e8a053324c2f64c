// Checks: `compare!` with an unsupported method gives that one error and nothing else:
// no `unreachable statement` warning and no type error on the lines that use the result.
#![deny(warnings)]
use micrograd::compare;

fn main() {
    let e = compare!(|x| x.erf());
    let r = e.check([1.0]);
    println!("{r}");
}
