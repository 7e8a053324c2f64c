//! Every op of `OPS.md` on `Value`: the gradient from `backward` against a
//! hand-derived derivative and against a central finite difference of the
//! engine's own forward values.

use micrograd::Value;

/// Step of the central difference (f(x+h) - f(x-h)) / 2h; its truncation
/// error is O(h^2 f''') and its rounding error O(eps |f| / h), both well
/// under the tolerance below for the smooth, moderate functions used here.
const H: f64 = 1e-6;
/// Relative tolerance against the finite difference.
const FD_TOL: f64 = 1e-6;
/// Relative tolerance against the hand-derived formula (a few ulps).
const EXACT_TOL: f64 = 1e-12;

fn close(got: f64, want: f64, tol: f64) -> bool {
    (got - want).abs() <= tol * want.abs().max(1.0)
}

/// Gradient of a one-input function at `x` through `backward`.
fn grad1(f: fn(Value) -> Value, x: f64) -> (f64, f64) {
    let xv = Value::new(x);
    let y = f(xv);
    y.backward();
    (y.data(), xv.grad())
}

/// Central finite difference of a one-input function, on the engine's forward.
fn fd1(f: fn(Value) -> Value, x: f64) -> f64 {
    (f(Value::new(x + H)).data() - f(Value::new(x - H)).data()) / (2.0 * H)
}

type Unary = (
    &'static str,
    fn(Value) -> Value,
    fn(f64) -> f64,
    &'static [f64],
);

/// (name, op, hand-derived derivative, points away from kinks and domain edges)
const UNARY: &[Unary] = &[
    // y = -x, dy/dx = -1
    ("neg", |x| -x, |_| -1.0, &[-1.5, 0.3, 2.0]),
    // y = e^x, dy/dx = e^x
    ("exp", |x| x.exp(), |x| x.exp(), &[-2.0, 0.0, 1.5]),
    // y = ln x, dy/dx = 1/x
    ("ln", |x| x.ln(), |x| 1.0 / x, &[0.5, 1.0, 3.0]),
    // y = sqrt x, dy/dx = 1 / (2 sqrt x)
    (
        "sqrt",
        |x| x.sqrt(),
        |x| 1.0 / (2.0 * x.sqrt()),
        &[0.25, 1.0, 9.0],
    ),
    // y = tanh x, dy/dx = sech^2 x = 1 / cosh^2 x
    (
        "tanh",
        |x| x.tanh(),
        |x| 1.0 / x.cosh().powi(2),
        &[-1.2, 0.0, 0.8814],
    ),
    // y = sin x, dy/dx = cos x
    ("sin", |x| x.sin(), |x| x.cos(), &[-1.0, 0.0, 2.5]),
    // y = cos x, dy/dx = -sin x
    ("cos", |x| x.cos(), |x| -x.sin(), &[-1.0, 0.5, 2.5]),
    // y = |x|, dy/dx = sign x (away from 0)
    ("abs", |x| x.abs(), |x| x.signum(), &[-2.0, 0.7]),
    // y = max(x, 0), dy/dx = 1 for x > 0, 0 for x < 0
    (
        "relu",
        |x| x.relu(),
        |x| if x > 0.0 { 1.0 } else { 0.0 },
        &[-2.0, 0.7],
    ),
    // y = 1/(1+e^-x), dy/dx = e^-x / (1+e^-x)^2
    (
        "sigmoid",
        |x| x.sigmoid(),
        |x| (-x).exp() / (1.0 + (-x).exp()).powi(2),
        &[-3.0, 0.0, 2.0],
    ),
    // y = x^3, dy/dx = 3x^2
    ("powi(3)", |x| x.powi(3), |x| 3.0 * x * x, &[-1.5, 0.5, 2.0]),
    // y = x^-2, dy/dx = -2 x^-3
    (
        "powi(-2)",
        |x| x.powi(-2),
        |x| -2.0 / (x * x * x),
        &[-1.5, 0.5, 2.0],
    ),
    // y = x^1, dy/dx = 1
    ("powi(1)", |x| x.powi(1), |_| 1.0, &[-1.5, 2.0]),
    // y = x^0 = 1, dy/dx = 0
    ("powi(0)", |x| x.powi(0), |_| 0.0, &[-1.5, 2.0]),
    // y = x^2.5 (constant exponent), dy/dx = 2.5 x^1.5
    (
        "powf(2.5)",
        |x| x.powf(2.5),
        |x| 2.5 * x.powf(1.5),
        &[0.5, 2.0],
    ),
];

#[test]
fn unary_ops_match_hand_derivatives_and_finite_differences() {
    for &(name, f, df, points) in UNARY {
        for &x in points {
            let (_, g) = grad1(f, x);
            let want = df(x);
            assert!(
                close(g, want, EXACT_TOL),
                "{name} at {x}: backward {g}, formula {want}"
            );
            let fd = fd1(f, x);
            assert!(
                close(g, fd, FD_TOL),
                "{name} at {x}: backward {g}, finite difference {fd}"
            );
        }
    }
}

type Binary = (
    &'static str,
    fn(Value, Value) -> Value,
    fn(f64, f64) -> (f64, f64),
    &'static [(f64, f64)],
);

const BINARY: &[Binary] = &[
    // y = a + b: (1, 1)
    (
        "add",
        |a, b| a + b,
        |_, _| (1.0, 1.0),
        &[(1.0, 2.0), (-3.0, 0.5)],
    ),
    // y = a - b: (1, -1)
    (
        "sub",
        |a, b| a - b,
        |_, _| (1.0, -1.0),
        &[(1.0, 2.0), (-3.0, 0.5)],
    ),
    // y = a b: (b, a)
    (
        "mul",
        |a, b| a * b,
        |a, b| (b, a),
        &[(1.0, 2.0), (-3.0, 0.5)],
    ),
    // y = a / b: (1/b, -a/b^2)
    (
        "div",
        |a, b| a / b,
        |a, b| (1.0 / b, -a / (b * b)),
        &[(1.0, 2.0), (-3.0, 0.5)],
    ),
    // y = a^b: (b a^(b-1), a^b ln a)
    (
        "powf",
        |a, b| a.powf(b),
        |a, b| (b * a.powf(b - 1.0), a.powf(b) * a.ln()),
        &[(2.0, 3.0), (0.5, -1.5), (3.0, 0.5)],
    ),
];

#[test]
fn binary_ops_match_hand_derivatives_and_finite_differences() {
    for &(name, f, df, points) in BINARY {
        for &(a, b) in points {
            let (av, bv) = (Value::new(a), Value::new(b));
            f(av, bv).backward();
            let (da, db) = df(a, b);
            let fd_a = (f(Value::new(a + H), Value::new(b)).data()
                - f(Value::new(a - H), Value::new(b)).data())
                / (2.0 * H);
            let fd_b = (f(Value::new(a), Value::new(b + H)).data()
                - f(Value::new(a), Value::new(b - H)).data())
                / (2.0 * H);
            for (which, got, want, fd) in [("a", av.grad(), da, fd_a), ("b", bv.grad(), db, fd_b)] {
                assert!(
                    close(got, want, EXACT_TOL),
                    "{name}({a}, {b}) d{which}: {got} vs formula {want}"
                );
                assert!(
                    close(got, fd, FD_TOL),
                    "{name}({a}, {b}) d{which}: {got} vs finite difference {fd}"
                );
            }
        }
    }
}

#[test]
fn same_operand_twice_gets_both_contributions() {
    // y = x * x: dy/dx = 2x; y = x / x = 1: dy/dx = 0; y = x - x: 0; y = x^x: x^x (ln x + 1)
    let x = Value::new(1.5);
    (x * x).backward();
    assert!(close(x.grad(), 3.0, EXACT_TOL));
    for (f, want) in [
        ((|x: Value| x / x) as fn(Value) -> Value, 0.0),
        (|x| x - x, 0.0),
        (|x| x.powf(x), 1.5f64.powf(1.5) * (1.5f64.ln() + 1.0)),
    ] {
        let x = Value::new(1.5);
        f(x).backward();
        assert!(
            close(x.grad(), want, EXACT_TOL),
            "got {}, want {want}",
            x.grad()
        );
    }
}

#[test]
fn weighted_sum_matches_formula_and_finite_differences() {
    // y = w0 x0 + w1 x1 + w2 x2 + b: dy/dw_i = x_i, dy/dx_i = w_i, dy/db = 1
    let w = [0.5, -1.25, 2.0];
    let x = [3.0, 0.25, -1.5];
    let b = 0.75;
    let wv: Vec<Value> = w.iter().map(|&v| Value::new(v)).collect();
    let xv: Vec<Value> = x.iter().map(|&v| Value::new(v)).collect();
    let bv = Value::new(b);
    let y = Value::weighted_sum(&wv, &xv, bv).tanh();
    y.backward();
    let n: f64 = w.iter().zip(&x).map(|(w, x)| w * x).sum::<f64>() + b;
    let dn = 1.0 - n.tanh().powi(2); // d tanh(n)/dn
    assert!(close(y.data(), n.tanh(), EXACT_TOL));
    assert!(close(bv.grad(), dn, EXACT_TOL));
    // Finite difference on each weight, through the same weighted_sum op.
    let f = |wi: usize, dw: f64| {
        let ws: Vec<Value> = (0..3)
            .map(|j| Value::new(w[j] + if j == wi { dw } else { 0.0 }))
            .collect();
        let xs: Vec<Value> = x.iter().map(|&v| Value::new(v)).collect();
        Value::weighted_sum(&ws, &xs, Value::new(b)).tanh().data()
    };
    for i in 0..3 {
        assert!(close(wv[i].grad(), dn * x[i], EXACT_TOL));
        assert!(close(xv[i].grad(), dn * w[i], EXACT_TOL));
        let fd = (f(i, H) - f(i, -H)) / (2.0 * H);
        assert!(
            close(wv[i].grad(), fd, FD_TOL),
            "dw{i}: {} vs {fd}",
            wv[i].grad()
        );
    }
}

#[test]
fn kinks_follow_the_ops_md_conventions() {
    // relu'(0) = 0 and abs'(0) = 0 by convention (OPS.md)
    for f in [(|x: Value| x.relu()) as fn(Value) -> Value, |x| x.abs()] {
        assert_eq!(grad1(f, 0.0).1, 0.0);
    }
    // powf: de = y ln x would be 0 * -inf = NaN at x = 0; the rule makes it 0.
    let (x, e) = (Value::new(0.0), Value::new(2.0));
    x.powf(e).backward();
    assert_eq!((x.grad(), e.grad()), (0.0, 0.0)); // dx = 2 * 0^1 = 0
}

#[test]
fn tails_stay_finite() {
    // sigmoid at +-800: e^800 overflows f64, the split formula never computes it.
    for (x, y) in [(800.0, 1.0), (-800.0, 0.0)] {
        let (data, g) = grad1(|x| x.sigmoid(), x);
        assert_eq!(data, y);
        assert_eq!(g, 0.0); // y (1 - y) = 0 at both limits
    }
    let (data, g) = grad1(|x| x.tanh(), -1000.0);
    assert_eq!((data, g), (-1.0, 0.0));
}

#[test]
fn outside_the_domain_gives_nan_like_f64() {
    assert!(Value::new(-1.0).ln().data().is_nan());
    assert!(Value::new(-1.0).sqrt().data().is_nan());
    assert!(Value::new(-8.0).powf(1.0 / 3.0).data().is_nan());
}
