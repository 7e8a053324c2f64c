//! micrograd-style sanity checks of `compare!` and `assert_grad!`: literal
//! values, with the maths that gives them in comments, on both engines.

use micrograd::{assert_grad, compare};

/// `|a - b| <= tol`, with both numbers in the message.
fn close(got: f64, want: f64, tol: f64) {
    assert!((got - want).abs() <= tol, "got {got}, want {want}");
}

#[test]
fn micrograd_sanity_check() {
    // micrograd's test_engine.py `test_sanity_check`, at x = -4:
    //   z = 2x + 2 + x = 3x + 2 = -10          (dz/dx = 3)
    //   q = relu(z) + z x = 0 + 40 = 40          (z < 0: dq/dx = 3x + z = 6x + 2 = -22)
    //   h = relu(z z) = z^2 = 100                (dh/dx = 2 z * 3 = -60)
    //   y = h + q + q x = 100 + 40 - 160 = -20
    //   dy/dx = h' + q' + q' x + q = -60 - 22 + 88 + 40 = 46
    let report = assert_grad!(
        |x| {
            let z = 2 * x + 2 + x;
            let q = z.relu() + z * x;
            let h = (z * z).relu();
            h + q + q * x
        },
        [-4.0]
    );
    close(report.value, -20.0, 1e-12);
    close(report.dynamic_value, -20.0, 1e-12);
    close(report.static_grad[0], 46.0, 1e-12);
    close(report.dynamic_grad[0], 46.0, 1e-12);
}

#[test]
fn micrograd_more_ops() {
    // micrograd's `test_more_ops` at a = -4, b = 2. With the relu branches
    // fixed at this point (a + b = -2 < 0 is cut, b - a = 6 > 0 passes):
    //   c = a + b; c += c + 1; c += 1 + c + (-a)   =>  c = 3a + 4b + 3 = -1
    //   d = a b + b^3; d += 2d + relu(b + a)       =>  d = 3(a b + b^3)
    //   d += 3d + relu(b - a)                      =>  d = 12 a b + 12 b^3 + b - a = 6
    //   e = c - d = 4a + 3b + 3 - 12 a b - 12 b^3 = -7
    //   f = e^2 = 49; g = f / 2 + 10 / f = 49/2 + 10/49
    //   dg/de = (1/2 - 10/f^2) 2e = -7 + 140/2401
    //   de/da = 4 - 12 b = -20; de/db = 3 - 12 a - 36 b^2 = -93
    // so dg/da = 140 - 2800/2401 = 138.8338..., dg/db = 651 - 13020/2401 = 645.5772...
    // (micrograd's test checks the same numbers against PyTorch).
    let report = assert_grad!(
        |a, b| {
            let mut c = a + b;
            let mut d = a * b + b.powi(3);
            c += c + 1;
            c += 1 + c + (-a);
            d += d * 2 + (b + a).relu();
            d += 3 * d + (b - a).relu();
            let e = c - d;
            let f = e.powi(2);
            let mut g = f / 2.0;
            g += 10.0 / f;
            g
        },
        [-4.0, 2.0]
    );
    let want = [140.0 - 2800.0 / 2401.0, 651.0 - 13020.0 / 2401.0];
    close(report.value, 49.0 / 2.0 + 10.0 / 49.0, 1e-12);
    for grad in [&report.static_grad, &report.dynamic_grad] {
        // 1e-12 relative to gradients of size ~100-600.
        close(grad[0], want[0], 1e-12 * want[0]);
        close(grad[1], want[1], 1e-12 * want[1]);
    }
}

#[test]
fn lecture_neuron() {
    // o = tanh(n), n = x1 w1 + x2 w2 + b = -6 + 0 + 6.88137... = asinh(1),
    // so o = 1/sqrt(2) and do/dn = 1 - o^2 = 1/2; each input gets its
    // partner times 1/2: x1 -> w1/2 = -1.5, w1 -> x1/2 = 1, x2 -> w2/2 = 0.5,
    // w2 -> x2/2 = 0, b -> 1/2.
    let report = compare!(
        |x1, x2, w1, w2, b| (x1 * w1 + x2 * w2 + b).tanh(),
        [2.0, 0.0, -3.0, 1.0, 6.881_373_587_019_543]
    );
    let want = [-1.5, 0.5, 1.0, 0.0, 0.5];
    close(report.value, 0.5f64.sqrt(), 1e-12);
    for (i, want) in want.into_iter().enumerate() {
        close(report.static_grad[i], want, 1e-12);
        close(report.dynamic_grad[i], want, 1e-12);
    }
    // No value is used twice, so the two sweeps do the same float
    // operations in the same order: bitwise equal.
    assert_eq!(report.static_grad, report.dynamic_grad);
    assert_eq!(report.params, ["x1", "x2", "w1", "w2", "b"]);
}

#[test]
fn fan_out_accumulates_on_both_sides() {
    // b = a + a, c = b + b: c = 4a, dc/da = 4 (micrograd's classic bug
    // was overwriting instead of accumulating, giving 1 or 2).
    let report = assert_grad!(
        |a| {
            let b = a + a;
            b + b
        },
        [3.0]
    );
    assert_eq!(report.static_grad, [4.0]);
    assert_eq!(report.dynamic_grad, [4.0]);
    // y = x x x via let mut: d/dx = 3x^2 = 12 at x = 2.
    let report = assert_grad!(
        |x| {
            let mut y = x;
            y *= x;
            y *= x;
            y
        },
        [2.0]
    );
    close(report.static_grad[0], 12.0, 1e-12);
    close(report.dynamic_grad[0], 12.0, 1e-12);
}

#[test]
fn captured_values_and_paths_are_constants() {
    // y = k x + pi x^2: dy/dx = k + 2 pi x; k and PI carry no gradient.
    let k = 0.25;
    let report = assert_grad!(|x| k * x + core::f64::consts::PI * x * x, [1.5]);
    let want = 0.25 + 2.0 * std::f64::consts::PI * 1.5;
    close(report.static_grad[0], want, 1e-12 * want);
    close(report.dynamic_grad[0], want, 1e-12 * want);
}

#[test]
fn unused_and_constant_parts_get_zero() {
    // y is never read; a constant output has no gradient at all.
    let report = assert_grad!(|x, y| x.exp(), [0.0, 5.0]);
    assert_eq!(report.static_grad, [1.0, 0.0]); // exp(0) = 1
    assert_eq!(report.dynamic_grad, [1.0, 0.0]);
    let report = assert_grad!(|x| 2.0 * 3.0 + 1.0, [7.0]);
    assert_eq!((report.value, report.dynamic_value), (7.0, 7.0));
    assert_eq!(report.static_grad, [0.0]);
    assert_eq!(report.dynamic_grad, [0.0]);
}

#[test]
fn powf_with_constant_base_and_variable_exponent() {
    // y = 2^x: dy/dx = 2^x ln 2 = 8 ln 2 at x = 3. The dynamic side makes
    // the base a constant leaf.
    let report = assert_grad!(|x| 2.0.powf(x), [3.0]);
    let want = 8.0 * 2f64.ln();
    close(report.static_grad[0], want, 1e-12 * want);
    close(report.dynamic_grad[0], want, 1e-12 * want);
}

#[test]
fn kink_is_reported_with_the_table() {
    // relu'(0) = 0 on both engines, while the central difference averages
    // the two slopes: (h - 0) / 2h = 0.5. The assertion fails, and its
    // message shows the table.
    let report = compare!(|x| x.relu(), [0.0]);
    assert_eq!(report.static_grad, [0.0]);
    assert_eq!(report.dynamic_grad, [0.0]);
    close(report.finite_diff[0], 0.5, 1e-12);
    let panic = std::panic::catch_unwind(|| report.assert_agree(1e-12, 1e-6))
        .expect_err("a kink must fail the finite-difference check");
    let message = panic.downcast_ref::<String>().expect("a formatted message");
    assert!(message.contains("finite diff"), "{message}");
    assert!(message.contains("|x| x.relu()"), "{message}");
    assert!(message.contains("5.0e-1"), "{message}");
}

#[test]
fn engines_can_be_called_one_by_one() {
    // sigmoid(x) at 0 is 1/2, its slope y (1 - y) = 1/4; far out on the
    // tails both engines stay finite (no exp overflow).
    let engines = compare!(|x| x.sigmoid());
    assert_eq!((engines.static_grad)([0.0]), (0.5, [0.25]));
    assert_eq!((engines.dynamic_grad)([0.0]), (0.5, [0.25]));
    assert_eq!((engines.value_fn)([0.0]), 0.5);
    for x in [-800.0, 800.0] {
        let report = engines.check([x]);
        assert!(report.value.is_finite() && report.static_grad[0].is_finite());
        report.assert_agree(0.0, 1e-12);
    }
    assert_eq!((engines.names)(&[0.0]), ["x"]);
    assert_eq!(engines.source, "|x| x.sigmoid()");
}
