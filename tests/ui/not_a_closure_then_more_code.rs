// Input that is not a closure at all: one error per macro, and no
// `unreachable statement` warning on the code after it.
#![deny(warnings)]
use micrograd::{compare, grad};

fn main() {
    let x = 1.0;
    let _f = grad!(x * 2.0);
    let _e = compare!(x * 2.0);
    println!("{x}");
}
