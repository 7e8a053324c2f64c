//! `Value::max`, `Value::min` and `Value::clamp` as selections (`OPS.md`
//! rows 17-19): the whole gradient goes to the operand whose value is
//! returned, ties go to the receiver, `clamp` keeps `x` on the closed
//! interval, and no node is recorded. Every gradient is checked against a
//! hand-derived formula (stated beside it) and, away from switch points,
//! against a central difference of plain `f64` code.

use micrograd::{Op, Value, graph_len, scope};

/// Step of the central difference (f(x+h) - f(x-h)) / 2h.
const H: f64 = 1e-6;
/// Tolerance against the finite difference: the functions below are
/// quadratic or tanh of moderate arguments, so truncation (h^2 f''' / 6)
/// and rounding (eps |f| / h) errors are both under 1e-9.
const FD_TOL: f64 = 1e-7;

fn close(got: f64, want: f64, tol: f64) -> bool {
    (got - want).abs() <= tol * want.abs().max(1.0)
}

/// `f` on two leaves: the value and both gradients from `backward`.
fn grad2(f: impl Fn(Value, Value) -> Value, a: f64, b: f64) -> (f64, f64, f64) {
    scope(|| {
        let (av, bv) = (Value::new(a), Value::new(b));
        let y = f(av, bv);
        y.backward();
        (y.data(), av.grad(), bv.grad())
    })
}

/// Central differences of a plain-`f64` function of two variables.
fn fd2(f: impl Fn(f64, f64) -> f64, a: f64, b: f64) -> (f64, f64) {
    (
        (f(a + H, b) - f(a - H, b)) / (2.0 * H),
        (f(a, b + H) - f(a, b - H)) / (2.0 * H),
    )
}

#[test]
fn max_gives_the_gradient_to_the_larger_operand_on_either_side() {
    // y = max(a, b)^2: a > b gives y = a^2, dy/da = 2a, dy/db = 0;
    // a < b gives y = b^2, dy/da = 0, dy/db = 2b.
    let dynamic = |a: Value, b: Value| a.max(b).powi(2);
    let plain = |a: f64, b: f64| a.max(b).powi(2);
    for (a, b, want_da, want_db) in [(3.0, 1.0, 6.0, 0.0), (1.0, 3.0, 0.0, 6.0)] {
        let (y, da, db) = grad2(dynamic, a, b);
        assert_eq!(y, 9.0);
        assert_eq!((da, db), (want_da, want_db), "a = {a}, b = {b}");
        let (fa, fb) = fd2(plain, a, b);
        assert!(close(da, fa, FD_TOL) && close(db, fb, FD_TOL), "{fa} {fb}");
    }
}

#[test]
fn min_gives_the_gradient_to_the_smaller_operand_on_either_side() {
    // y = min(a, b) * a: a < b gives y = a^2, dy/da = 2a, dy/db = 0;
    // a > b gives y = b a, dy/da = b, dy/db = a.
    let dynamic = |a: Value, b: Value| a.min(b) * a;
    let plain = |a: f64, b: f64| a.min(b) * a;
    for (a, b, want_da, want_db) in [(2.0, 5.0, 4.0, 0.0), (5.0, 2.0, 2.0, 5.0)] {
        let (_, da, db) = grad2(dynamic, a, b);
        assert_eq!((da, db), (want_da, want_db), "a = {a}, b = {b}");
        let (fa, fb) = fd2(plain, a, b);
        assert!(close(da, fa, FD_TOL) && close(db, fb, FD_TOL), "{fa} {fb}");
    }
}

#[test]
fn a_smooth_function_through_max_and_min_matches_the_finite_difference() {
    // y = tanh(max(a, b) * min(a, b) / 4 + a / 3) = tanh(ab/4 + a/3)
    // whichever is larger: dy/da = (1 - y^2)(b/4 + 1/3), dy/db = (1 - y^2) a/4.
    let dynamic = |a: Value, b: Value| (a.max(b) * a.min(b) / 4.0 + a / 3.0).tanh();
    let plain = |a: f64, b: f64| (a.max(b) * a.min(b) / 4.0 + a / 3.0).tanh();
    for (a, b) in [(0.7, -1.2), (-1.2, 0.7), (1.5, 0.4)] {
        let (y, da, db) = grad2(dynamic, a, b);
        let d = 1.0 - y * y;
        assert!(close(da, d * (b / 4.0 + 1.0 / 3.0), 1e-12), "{da}");
        assert!(close(db, d * a / 4.0, 1e-12), "{db}");
        let (fa, fb) = fd2(plain, a, b);
        assert!(close(da, fa, FD_TOL) && close(db, fb, FD_TOL), "{fa} {fb}");
    }
}

#[test]
fn an_f64_operand_is_a_constant() {
    // y = max(x, 2) * x: x = 3 gives y = x^2, dy/dx = 2x = 6; x = 1 gives
    // y = 2x, dy/dx = 2.
    for (x, want) in [(3.0, 6.0), (1.0, 2.0)] {
        let (y, dx, _) = grad2(|x, _| x.max(2.0) * x, x, 0.0);
        assert_eq!(y, x.max(2.0) * x);
        assert_eq!(dx, want, "x = {x}");
    }
    // y = min(x, 2) * x: x = 3 gives y = 2x, dy/dx = 2; x = 1 gives x^2, 2x = 2.
    for (x, want) in [(3.0, 2.0), (1.0, 2.0)] {
        let (_, dx, _) = grad2(|x, _| x.min(2.0) * x, x, 0.0);
        assert_eq!(dx, want, "x = {x}");
    }
    // A `&Value` operand works like a `Value` (the borrow is the point).
    #[allow(clippy::needless_borrows_for_generic_args)]
    let (_, da, db) = grad2(|a, b| a.max(&b), 1.0, 2.0);
    assert_eq!((da, db), (0.0, 1.0));
}

#[test]
fn ties_go_to_the_receiver() {
    // a == b: a.max(b) and a.min(b) are `a`, so da = 1, db = 0; with the
    // operands swapped the receiver is b.
    assert_eq!(grad2(|a, b| a.max(b), 2.0, 2.0), (2.0, 1.0, 0.0));
    assert_eq!(grad2(|a, b| a.min(b), 2.0, 2.0), (2.0, 1.0, 0.0));
    assert_eq!(grad2(|a, b| b.max(a), 2.0, 2.0), (2.0, 0.0, 1.0));
    assert_eq!(grad2(|a, b| b.min(a), 2.0, 2.0), (2.0, 0.0, 1.0));
    // Signed zeros compare equal: still a tie, still the receiver.
    assert_eq!(grad2(|a, b| a.max(b), -0.0, 0.0).1, 1.0);
    assert_eq!(grad2(|a, b| a.min(b), 0.0, -0.0).1, 1.0);
    // A tie with a constant: the receiver x gets dx = 1.
    assert_eq!(grad2(|x, _| x.max(2.0), 2.0, 0.0).1, 1.0);
    assert_eq!(grad2(|x, _| x.min(2.0), 2.0, 0.0).1, 1.0);
}

#[test]
fn a_nan_operand_is_passed_over() {
    let nan = f64::NAN;
    // As f64::max/min: the non-NaN operand is selected, wherever it is.
    let selections: [fn(Value, Value) -> Value; 2] = [|a, b| a.max(b), |a, b| a.min(b)];
    for select in selections {
        let (y, da, db) = grad2(select, nan, 2.0);
        assert_eq!((y, da, db), (2.0, 0.0, 1.0));
        let (y, da, db) = grad2(select, 2.0, nan);
        assert_eq!((y, da, db), (2.0, 1.0, 0.0));
        // Both NaN: `b`, the documented choice.
        let (y, da, db) = grad2(select, nan, nan);
        assert!(y.is_nan());
        assert_eq!((da, db), (0.0, 1.0));
    }
    assert_eq!(nan.max(2.0), 2.0);
    assert_eq!(2.0f64.min(nan), 2.0);
}

#[test]
fn clamp_gives_the_gradient_to_the_bound_outside_and_to_x_inside() {
    // y = clamp(x, lo, hi) * 3 with lo = -1, hi = 1 as Values:
    // x < lo: y = 3 lo (dlo = 3); x > hi: y = 3 hi (dhi = 3); else dx = 3.
    let run = |x: f64| {
        scope(|| {
            let (xv, lo, hi) = (Value::new(x), Value::new(-1.0), Value::new(1.0));
            let y = xv.clamp(lo, hi) * 3.0;
            y.backward();
            (y.data(), xv.grad(), lo.grad(), hi.grad())
        })
    };
    assert_eq!(run(-2.0), (-3.0, 0.0, 3.0, 0.0));
    assert_eq!(run(2.0), (3.0, 0.0, 0.0, 3.0));
    assert_eq!(run(0.5), (1.5, 3.0, 0.0, 0.0));
    // At either bound the interval is closed: x keeps the gradient.
    assert_eq!(run(-1.0), (-3.0, 3.0, 0.0, 0.0));
    assert_eq!(run(1.0), (3.0, 3.0, 0.0, 0.0));
    // lo == hi: every x inside is at both bounds, and keeps it.
    let (_, dx, _) = grad2(|x, _| x.clamp(1.0, 1.0), 1.0, 0.0);
    assert_eq!(dx, 1.0);
}

#[test]
fn clamp_with_constant_bounds_matches_the_finite_difference() {
    // y = clamp(x, -1, 2)^2: dy/dx = 2x inside, 0 outside (a constant bound).
    let plain = |x: f64| x.clamp(-1.0, 2.0).powi(2);
    for (x, want) in [(-3.0, 0.0), (-0.5, -1.0), (1.5, 3.0), (4.0, 0.0)] {
        let (y, dx, _) = grad2(|x, _| x.clamp(-1.0, 2.0).powi(2), x, 0.0);
        assert_eq!(y, plain(x));
        assert_eq!(dx, want, "x = {x}");
        let fd = (plain(x + H) - plain(x - H)) / (2.0 * H);
        assert!(close(dx, fd, FD_TOL), "x = {x}: {fd}");
    }
}

#[test]
fn clamp_of_nan_stays_nan_and_keeps_the_gradient() {
    // f64::clamp returns a NaN x unchanged; the selection is x, dx = 1.
    let (y, dx, _) = grad2(|x, _| x.clamp(-1.0, 1.0), f64::NAN, 0.0);
    assert!(y.is_nan() && f64::NAN.clamp(-1.0, 1.0).is_nan());
    assert_eq!(dx, 1.0);
}

#[test]
#[should_panic(expected = "clamp needs lo <= hi and neither NaN, got lo = 1.0, hi = -1.0")]
fn clamp_panics_when_lo_exceeds_hi() {
    scope(|| {
        Value::new(0.0).clamp(1.0, -1.0);
    });
}

#[test]
#[should_panic(expected = "got lo = NaN, hi = 1.0")]
fn clamp_panics_on_a_nan_lower_bound() {
    scope(|| {
        Value::new(0.0).clamp(f64::NAN, 1.0);
    });
}

#[test]
#[should_panic(expected = "got lo = -1.0, hi = NaN")]
fn clamp_panics_on_a_nan_upper_bound() {
    scope(|| {
        Value::new(0.0).clamp(Value::new(-1.0), Value::new(f64::NAN));
    });
}

#[test]
fn max_with_zero_is_relu_away_from_zero() {
    // relu'(x) = 1 for x > 0, 0 for x < 0; x.max(0.0) selects x or the constant.
    for x in [-2.5, -1e-3, 1e-3, 0.7, 40.0] {
        let (y, dx, _) = grad2(|x, _| x.max(0.0), x, 0.0);
        let (relu_y, relu_dx, _) = grad2(|x, _| x.relu(), x, 0.0);
        let want = if x > 0.0 { 1.0 } else { 0.0 };
        assert_eq!((y, dx), (relu_y, relu_dx), "x = {x}");
        assert_eq!(dx, want, "x = {x}");
    }
    // At 0 they differ, as documented: the tie selects x (slope 1), while
    // relu'(0) = 0.
    assert_eq!(grad2(|x, _| x.max(0.0), 0.0, 0.0).1, 1.0);
    assert_eq!(grad2(|x, _| x.relu(), 0.0, 0.0).1, 0.0);
}

#[test]
fn a_selection_records_no_node_and_returns_the_operand() {
    scope(|| {
        // a = 1 > b = tanh(2) = 0.964
        let (a, b) = (Value::new(1.0), Value::new(2.0).tanh());
        let before = graph_len();
        let (hi, lo, mid) = (a.max(b), a.min(b), a.clamp(b, b));
        assert_eq!(graph_len(), before);
        // The chosen operands themselves: their ops, their data.
        assert_eq!((hi.op(), lo.op(), mid.op()), (Op::Leaf, Op::Tanh, Op::Tanh));
        assert_eq!(hi.data(), 1.0);
        // Writing through the result writes the operand.
        hi.set_data(5.0);
        assert_eq!(a.data(), 5.0);
        // An f64 operand is a constant leaf: one node each.
        let _ = a.max(3.0);
        assert_eq!(graph_len(), before + 1);
    });
}

#[test]
fn gradients_accumulate_through_selections() {
    // y = max(x, 1) * min(x, 2) at x = 1.5: both select x, y = x^2, dy/dx = 3;
    // at x = 3: y = x * 2, dy/dx = 2; at x = 0.5: y = 1 * x, dy/dx = 1.
    for (x, want) in [(1.5, 3.0), (3.0, 2.0), (0.5, 1.0)] {
        let (_, dx, _) = grad2(|x, _| x.max(1.0) * x.min(2.0), x, 0.0);
        assert_eq!(dx, want, "x = {x}");
    }
}
