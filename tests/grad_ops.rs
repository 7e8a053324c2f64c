//! Every op of OPS.md, in the table's order: the value and the gradient of
//! `grad!` against a hand-derived formula (maths in the comments) and
//! against a central finite difference, at points away from kinks.

use micrograd::grad;

/// Formula checks: the hand-derived value is exact maths evaluated in f64,
/// so only rounding separates it from the generated code.
const FORMULA_TOL: f64 = 1e-12;
/// Central difference with h = 1e-5: truncation error ~ h^2 |f'''| / 6 plus
/// rounding ~ eps |f| / h, both well under 1e-7 for the functions below.
const FD_TOL: f64 = 1e-7;
const H: f64 = 1e-5;

fn close(actual: f64, expected: f64, tol: f64) -> bool {
    (actual - expected).abs() <= tol * (1.0 + expected.abs())
}

/// Checks a one-parameter closure at `x`.
fn check1(f: impl Fn(f64) -> (f64, [f64; 1]), x: f64, value: f64, d: f64) {
    let (y, [g]) = f(x);
    assert!(close(y, value, FORMULA_TOL), "value {y} vs formula {value}");
    assert!(close(g, d, FORMULA_TOL), "grad {g} vs formula {d}");
    let fd = (f(x + H).0 - f(x - H).0) / (2.0 * H);
    assert!(close(g, fd, FD_TOL), "grad {g} vs finite difference {fd}");
}

/// Checks a two-parameter closure at `(a, b)`.
fn check2(f: impl Fn(f64, f64) -> (f64, [f64; 2]), a: f64, b: f64, value: f64, d: [f64; 2]) {
    let (y, g) = f(a, b);
    assert!(close(y, value, FORMULA_TOL), "value {y} vs formula {value}");
    let fd = [
        (f(a + H, b).0 - f(a - H, b).0) / (2.0 * H),
        (f(a, b + H).0 - f(a, b - H).0) / (2.0 * H),
    ];
    for i in 0..2 {
        assert!(
            close(g[i], d[i], FORMULA_TOL),
            "grad[{i}] {} vs formula {}",
            g[i],
            d[i]
        );
        assert!(
            close(g[i], fd[i], FD_TOL),
            "grad[{i}] {} vs finite difference {}",
            g[i],
            fd[i]
        );
    }
}

#[test]
fn op01_add() {
    // y = a + b; dy/da = 1, dy/db = 1
    check2(grad!(|a, b| a + b), 1.5, -2.5, -1.0, [1.0, 1.0]);
}

#[test]
fn op02_sub() {
    // y = a - b; dy/da = 1, dy/db = -1
    check2(grad!(|a, b| a - b), 1.5, -2.5, 4.0, [1.0, -1.0]);
}

#[test]
fn op03_mul() {
    // y = a b; dy/da = b, dy/db = a
    check2(grad!(|a, b| a * b), 1.5, -2.5, -3.75, [-2.5, 1.5]);
}

#[test]
fn op04_div() {
    // y = a / b; dy/da = 1/b, dy/db = -a/b^2
    let (a, b) = (1.5, -2.5);
    check2(grad!(|a, b| a / b), a, b, a / b, [1.0 / b, -a / (b * b)]);
}

#[test]
fn op05_neg() {
    // y = -x; dy/dx = -1
    check1(grad!(|x| -x), 0.75, -0.75, -1.0);
}

#[test]
fn op06_exp() {
    // y = e^x; dy/dx = e^x
    let x: f64 = 0.7;
    check1(grad!(|x| x.exp()), x, x.exp(), x.exp());
}

#[test]
fn op07_ln() {
    // y = ln x; dy/dx = 1/x
    let x: f64 = 1.7;
    check1(grad!(|x| x.ln()), x, x.ln(), 1.0 / x);
}

#[test]
fn op08_sqrt() {
    // y = sqrt(x); dy/dx = 1 / (2 sqrt(x))
    let x: f64 = 2.3;
    check1(grad!(|x| x.sqrt()), x, x.sqrt(), 1.0 / (2.0 * x.sqrt()));
}

#[test]
fn op09_tanh() {
    // y = tanh x; dy/dx = 1 / cosh^2 x (sech^2, independent of the 1 - y^2 form)
    let x: f64 = 0.4;
    check1(
        grad!(|x| x.tanh()),
        x,
        x.tanh(),
        1.0 / (x.cosh() * x.cosh()),
    );
}

#[test]
fn op10_sin() {
    // y = sin x; dy/dx = cos x
    let x: f64 = 1.1;
    check1(grad!(|x| x.sin()), x, x.sin(), x.cos());
}

#[test]
fn op11_cos() {
    // y = cos x; dy/dx = -sin x
    let x: f64 = 1.1;
    check1(grad!(|x| x.cos()), x, x.cos(), -x.sin());
}

#[test]
fn op12_abs() {
    // y = |x|; dy/dx = -1 for x < 0, 1 for x > 0
    check1(grad!(|x| x.abs()), -1.3, 1.3, -1.0);
    check1(grad!(|x| x.abs()), 2.0, 2.0, 1.0);
    // Kink convention abs'(0) = 0 (a central difference gives 0 there too).
    assert_eq!(grad!(|x| x.abs())(0.0), (0.0, [0.0]));
}

#[test]
fn op13_relu() {
    // y = max(x, 0); dy/dx = 1 for x > 0, 0 for x < 0
    check1(grad!(|x| x.relu()), 1.3, 1.3, 1.0);
    check1(grad!(|x| x.relu()), -0.4, 0.0, 0.0);
    // Kink convention relu'(0) = 0 (a central difference would give 0.5).
    assert_eq!(grad!(|x| x.relu())(0.0), (0.0, [0.0]));
}

#[test]
fn op14_sigmoid() {
    // y = 1 / (1 + e^-x); dy/dx = e^-x / (1 + e^-x)^2
    for x in [0.3_f64, -2.1] {
        let e = (-x).exp();
        check1(
            grad!(|x| x.sigmoid()),
            x,
            1.0 / (1.0 + e),
            e / ((1.0 + e) * (1.0 + e)),
        );
    }
}

#[test]
fn op14_sigmoid_tails_are_finite() {
    // e^800 overflows f64: the form e^x / (1 + e^x) would give inf/inf = NaN
    // at x = 800, and 1 / (1 + e^-x) relies on 1/inf = 0 at x = -800. The
    // rule picks the form whose exponential cannot overflow on each side:
    // sigma(800) = 1, sigma(-800) = 0 (underflows), derivative y(1 - y) = 0.
    let f = grad!(|x| x.sigmoid());
    let (hi, [dhi]) = f(800.0);
    let (lo, [dlo]) = f(-800.0);
    assert!(hi.is_finite() && lo.is_finite() && dhi.is_finite() && dlo.is_finite());
    assert!(close(hi, 1.0, FORMULA_TOL) && lo.abs() < 1e-300);
    assert!(dhi.abs() < 1e-300 && dlo.abs() < 1e-300);
}

#[test]
fn op15_powi() {
    // y = x^3; dy/dx = 3 x^2
    let x: f64 = 1.2;
    check1(grad!(|x| x.powi(3)), x, x * x * x, 3.0 * x * x);
    // y = x^-2; dy/dx = -2 x^-3
    check1(grad!(|x| x.powi(-2)), x, 1.0 / (x * x), -2.0 / (x * x * x));
    // y = x^0 = 1; dy/dx = 0
    check1(grad!(|x| x.powi(0)), x, 1.0, 0.0);
}

#[test]
fn op16_powf() {
    // y = x^2.5 with a constant exponent; dy/dx = 2.5 x^1.5
    let x: f64 = 1.3;
    check1(grad!(|x| x.powf(2.5)), x, x.powf(2.5), 2.5 * x.powf(1.5));
    // y = a^b; dy/da = b a^(b-1), dy/db = a^b ln a
    let (a, b): (f64, f64) = (1.3, 0.7);
    check2(
        grad!(|a, b| a.powf(b)),
        a,
        b,
        a.powf(b),
        [b * a.powf(b - 1.0), a.powf(b) * a.ln()],
    );
}

#[test]
fn op16_powf_at_zero_base() {
    // y = 0^b = 0 for b > 0; dy/db = y ln 0 = 0 * -inf, which the table
    // defines as 0 (the limit as a -> 0+); dy/da = b 0^(b-1) = 0 for b = 2.
    let (y, [da, db]) = grad!(|a, b| a.powf(b))(0.0, 2.0);
    assert_eq!((y, da, db), (0.0, 0.0, 0.0));
}

#[test]
fn chain_of_every_op() {
    // One expression through all 16 ops, checked against finite differences
    // only (its hand derivative would be a page long).
    let f = grad!(|a, b| {
        let u = (a * b + a / b - (-a)).exp().ln();
        let v = (u.sqrt() + u.tanh()).sin().cos().abs() + b.relu().sigmoid();
        v.powi(2).powf(b)
    });
    let (a, b) = (1.7, 0.9);
    let (_, g) = f(a, b);
    let fd = [
        (f(a + H, b).0 - f(a - H, b).0) / (2.0 * H),
        (f(a, b + H).0 - f(a, b - H).0) / (2.0 * H),
    ];
    for i in 0..2 {
        assert!(
            close(g[i], fd[i], FD_TOL),
            "grad[{i}] {} vs finite difference {}",
            g[i],
            fd[i]
        );
    }
}
