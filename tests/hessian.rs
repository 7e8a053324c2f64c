//! `hessian!`, `hvp!` and `compare_hessian!`.
use micrograd::{compare_hessian, grad, hessian, hvp};

#[test]
fn smoke() {
    let f = hessian!(|x, y| x * x * y + y.powi(3));
    let (v, g, h) = f(3.0, 2.0);
    assert_eq!(v, 26.0);
    assert_eq!(g, [12.0, 21.0]);
    assert_eq!(h, [[4.0, 6.0], [6.0, 12.0]]);
    let r = hessian!(|x: [f64; 3]| x[0] * x[1]);
    let _ = r;
}
