//! Constants and zero adjoints on the `Value` engine (issue 13; OPS.md):
//! an `f64` operand carries no gradient and raises no alarm, and an
//! adjoint of exactly 0 contributes nothing.

use micrograd::{Op, Value, scope};

/// `x op c` or `c op x` for each operator: the `f64` side is a constant.
#[test]
fn an_f64_operand_is_a_constant_in_every_operator_and_method() {
    scope(|| {
        let x = Value::new(3.0);
        let ops: [(&str, Value); 12] = [
            ("x + 2", x + 2.0),
            ("2 + x", 2.0 + x),
            ("x - 2", x - 2.0),
            ("2 - x", 2.0 - x),
            ("x * 2", x * 2.0),
            ("2 * x", 2.0 * x),
            ("x / 2", x / 2.0),
            ("2 / x", 2.0 / x),
            ("x.powf(2)", x.powf(2.0)),
            ("x.max(5)", x.max(5.0)),
            ("x.min(1)", x.min(1.0)),
            ("x.clamp(4, 5)", x.clamp(4.0, 5.0)),
        ];
        for (name, y) in ops {
            let constants = match y.op() {
                // A selection returns the constant itself.
                Op::Const => 1,
                _ => y.children().iter().filter(|c| c.op() == Op::Const).count(),
            };
            assert_eq!(constants, 1, "{name}");
        }
        let mut y = x;
        y += 1.0;
        y *= 2.0;
        assert_eq!(y.children()[1].op(), Op::Const);
        let empty: Value = std::iter::empty::<Value>().sum();
        assert_eq!(empty.op(), Op::Const);
        // `Value::new` and `From<f64>` stay leaves: parameters.
        let p: Value = 0.5.into();
        assert_eq!((Value::new(1.0).op(), p.op()), (Op::Leaf, Op::Leaf));
    });
}

#[test]
fn the_exponent_of_powf_is_a_constant_and_raises_no_alarm() {
    // The input: y = x^3 at x = -2, dy/dx = 3 x^2 = 12; the
    // exponent's derivative y ln(x) would be NaN, but 3.0 is a constant.
    scope(|| {
        let x = Value::new(-2.0);
        let y = x.powf(3.0);
        assert_eq!(y.backward_checked(), Ok(()));
        assert_eq!((y.data(), x.grad()), (-8.0, 12.0));
    });
    // A `Value` exponent is still differentiated, and still reported.
    scope(|| {
        let (x, e) = (Value::new(-2.0), Value::new(3.0));
        let err = x.powf(e).backward_checked().unwrap_err();
        assert_eq!(err.op, Op::Leaf);
        assert!(e.grad().is_nan());
    });
}

#[test]
fn a_constant_with_a_non_finite_adjoint_is_not_reported() {
    // y = (x * 1e-300) * 1e10 at x = 1e300: y = 1e10 and dy/dx = 1e-290,
    // all finite; the constant 1e-300's adjoint 1e10 * x overflows.
    scope(|| {
        let x = Value::new(1e300);
        let y = (x * 1e-300) * 1e10;
        assert_eq!(y.backward_checked(), Ok(()));
        assert!((x.grad() - 1e-290).abs() <= 1e-290 * 1e-12);
    });
    // y = x / 1e-300 at x = 1e-10: y = 1e290, dy/dx = 1e300; the
    // divisor's adjoint -y / 1e-300 overflows.
    scope(|| {
        let x = Value::new(1e-10);
        let y = x / 1e-300;
        assert_eq!(y.backward_checked(), Ok(()));
        assert!((x.grad() - 1e300).abs() <= 1e300 * 1e-12);
    });
    // c - x, c / x, c + x, c * x: the constant on the left.
    scope(|| {
        let x = Value::new(4.0);
        let y = (2.0 - x) + (8.0 / x) + (1.0 + x) * 3.0;
        // dy/dx = -1 - 8 / x^2 + 3 = 1.5
        assert_eq!(y.backward_checked(), Ok(()));
        assert_eq!(x.grad(), 1.5);
    });
}

#[test]
fn an_adjoint_of_zero_contributes_nothing() {
    // x * y with y = 0: x's adjoint is 0, and x's own local derivative is
    // infinite. d(sqrt(a) * y)/da = 0.5 / sqrt(a) * y = 0 * inf at a = 0
    // without the convention; the true derivative of sqrt(a) * 0 is 0.
    scope(|| {
        let (a, y) = (Value::new(0.0), Value::new(0.0));
        let x = a.sqrt();
        let out = x * y;
        assert_eq!(out.backward_checked(), Ok(()));
        assert_eq!((a.grad(), y.grad()), (0.0, 0.0)); // dy = sqrt(0) = 0
    });
    // The same through powf(0.5) at 0, and powi(-1) of a tiny number
    // (x^-1 = 1e200 is finite, its derivative -x^-2 = -1e400 is not).
    scope(|| {
        let (a, b, y) = (Value::new(0.0), Value::new(1e-200), Value::new(0.0));
        let out = a.powf(0.5) * y + b.powi(-1) * y;
        assert_eq!(out.backward_checked(), Ok(()));
        assert_eq!((a.grad(), b.grad()), (0.0, 0.0));
        assert_eq!(y.grad(), 1e200); // 0^0.5 + 1e200
    });
    // An exp(1000)-style input: a huge finite value times a zero adjoint.
    // d/da [exp(a) * 0 + a] = 1 at a = 709 (exp(709) = 8.2e307).
    scope(|| {
        let a = Value::new(709.0);
        let big = a.exp();
        let out = big * 0.0 + a;
        assert_eq!(out.backward_checked(), Ok(()));
        assert_eq!(a.grad(), 1.0);
    });
    // A node whose adjoint is 0 because its user is a relu at rest:
    // q = -1e-10 / 1e-300 = -1e290 is finite, its rule's db = -q / d
    // = 1e590 is not.
    scope(|| {
        let (n, d) = (Value::new(-1e-10), Value::new(1e-300));
        let q = n / d;
        let out = q.relu(); // relu'(q) = 0: q's adjoint is 0
        assert_eq!(out.backward_checked(), Ok(()));
        assert_eq!((n.grad(), d.grad()), (0.0, 0.0));
    });
}
