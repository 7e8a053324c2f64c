//! Issue 17 with issue 16: `hessian!` and `hvp!` differentiate through
//! calls of `#[differentiable]` functions (their companions' second-order
//! code, `__mg_dual_value` and `__mg_dual_vjp`). Each program is checked
//! against the same program inlined by hand in `hessian!`, and against
//! `compare_hessian!`'s finite differences of `grad!`'s gradient.

// Hessians are matrices indexed by (i, j): index loops read like the maths.
#![allow(clippy::needless_range_loop)]

use micrograd::{compare_hessian, differentiable, hessian, hvp};

/// The tolerance against finite differences of the gradient (the same
/// as tests/hessian.rs's `FD`, justified there).
const FD: f64 = 1e-6;

/// `|a - b| <= tol * max(|a|, |b|, 1)` for every entry.
fn assert_close<const N: usize>(got: &[[f64; N]; N], want: &[[f64; N]; N], tol: f64) {
    for i in 0..N {
        for j in 0..N {
            let (a, b) = (got[i][j], want[i][j]);
            assert!(
                (a - b).abs() <= tol * a.abs().max(b.abs()).max(1.0),
                "h[{i}][{j}]: {a} vs {b}\n{got:?}\n{want:?}"
            );
        }
    }
}

#[differentiable]
fn softplus(x: f64) -> f64 {
    (1.0 + x.exp()).ln()
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[test]
fn softplus_times_y() {
    // f(x, y) = softplus(x) y, softplus(x) = ln(1 + e^x).
    // softplus'(x) = e^x / (1 + e^x) = sigmoid(x) = s;
    // softplus''(x) = s' = e^x / (1 + e^x)^2 = s (1 - s).
    // So f_x = s y, f_y = softplus(x), f_xx = s (1 - s) y, f_xy = s, f_yy = 0.
    let f = hessian!(|x, y| softplus(x) * y);
    let inline = hessian!(|x, y| (1.0 + x.exp()).ln() * y);
    for (x, y) in [(1.0, 2.0), (-0.7, 0.3), (3.5, -1.25)] {
        let (v, g, h) = f(x, y);
        let (vi, gi, hi) = inline(x, y);
        assert_eq!((v, g), (vi, gi));
        assert_close(&h, &hi, 1e-12);
        let s = sigmoid(x);
        let want = [[s * (1.0 - s) * y, s], [s, 0.0]];
        assert_close(&h, &want, 1e-12);
        compare_hessian!(|x, y| softplus(x) * y, [x, y]).assert_agree(FD);
    }
}

#[differentiable]
fn inner(x: f64, y: f64) -> f64 {
    x * y.sin() + softplus(x - y)
}

#[differentiable]
fn middle(x: f64, y: f64) -> f64 {
    let t = inner(x, y);
    t * t + x.exp() * inner(y, x)
}

#[differentiable]
fn outer(x: f64, y: f64, z: f64) -> f64 {
    // A loop and a branch in the callee: its second-order code keeps
    // what its reverse sweep reads on tapes.
    let mut s = 0.0;
    for k in 0..3 {
        let w = (k as f64) * 0.5;
        if s < 2.0 {
            s += middle(x * w, y) * z;
        } else {
            s -= 0.1 * s * s;
        }
    }
    s.tanh()
}

#[test]
fn nested_calls_three_deep() {
    // outer -> middle -> inner -> softplus: four levels.
    let f = hessian!(|x, y, z| outer(x, y, z) + z * z);
    let inline = hessian!(|x, y, z| {
        let mut s = 0.0;
        for k in 0..3 {
            let w = (k as f64) * 0.5;
            if s < 2.0 {
                let a = x * w;
                let b = y;
                let t = a * b.sin() + (1.0 + (a - b).exp()).ln();
                let u = b * a.sin() + (1.0 + (b - a).exp()).ln();
                s += (t * t + a.exp() * u) * z;
            } else {
                s -= 0.1 * s * s;
            }
        }
        s.tanh() + z * z
    });
    for p in [[0.3, -0.4, 0.7], [1.1, 0.2, -0.5], [-0.6, 0.9, 0.25]] {
        let (v, g, h) = f(p[0], p[1], p[2]);
        let (vi, gi, hi) = inline(p[0], p[1], p[2]);
        assert!((v - vi).abs() <= 1e-12 * vi.abs().max(1.0), "{v} {vi}");
        for (a, b) in g.iter().zip(gi.iter()) {
            assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{g:?} {gi:?}");
        }
        assert_close(&h, &hi, 1e-12);
        compare_hessian!(|x, y, z| outer(x, y, z) + z * z, p).assert_agree(FD);
    }
}

#[differentiable]
fn neuron(w: &[f64; 3], x: &[f64; 3], b: f64) -> f64 {
    let mut s = b;
    for i in 0..3 {
        s += w[i] * x[i];
    }
    s.tanh()
}

#[test]
fn array_argument_called_in_a_loop() {
    // Parameters (w, b) passed as arrays and numbers, captured data rows
    // as the other array; the loss sums over the data.
    let xs = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.5], [-0.3, 0.8, 0.1]];
    let ys = [0.2, -0.4, 0.9];
    let f = hessian!(|w: [f64; 3], b| {
        let mut loss = 0.0;
        for k in 0..3 {
            let d = neuron(&w, &xs[k], b) - ys[k];
            loss += d * d;
        }
        loss
    });
    let inline = hessian!(|w: [f64; 3], b| {
        let mut loss = 0.0;
        for k in 0..3 {
            let mut s = b;
            for i in 0..3 {
                s += w[i] * xs[k][i];
            }
            let d = s.tanh() - ys[k];
            loss += d * d;
        }
        loss
    });
    for (w, b) in [([0.1, -0.2, 0.3], 0.05), ([-0.7, 0.4, 0.2], -0.3)] {
        let (v, g, h) = f(w, b);
        let (vi, gi, hi) = inline(w, b);
        assert!((v - vi).abs() <= 1e-12 * vi.abs().max(1.0));
        for i in 0..3 {
            assert!((g.0[i] - gi.0[i]).abs() <= 1e-12 * gi.0[i].abs().max(1.0));
        }
        assert!((g.1 - gi.1).abs() <= 1e-12 * gi.1.abs().max(1.0));
        assert_close(&h, &hi, 1e-12);
        compare_hessian!(
            |w: [f64; 3], b| {
                let mut loss = 0.0;
                for k in 0..3 {
                    let d = neuron(&w, &xs[k], b) - ys[k];
                    loss += d * d;
                }
                loss
            },
            (w, b)
        )
        .assert_agree(FD);
    }
}

#[differentiable]
fn bilinear(x: f64, y: f64) -> f64 {
    x * y + (x - y).powi(3)
}

#[test]
fn fan_out_through_a_call() {
    // The same function called three times on shared inputs.
    let f = hessian!(|x, y| {
        let a = bilinear(x, y);
        let b = bilinear(y, x);
        a * b + bilinear(x, x)
    });
    let inline = hessian!(|x, y| {
        let a = x * y + (x - y).powi(3);
        let b = y * x + (y - x).powi(3);
        a * b + (x * x + (x - x).powi(3))
    });
    for (x, y) in [(0.5, -1.5), (2.0, 0.75), (-1.0, -0.25)] {
        let (v, g, h) = f(x, y);
        let (vi, gi, hi) = inline(x, y);
        assert!((v - vi).abs() <= 1e-12 * vi.abs().max(1.0));
        for i in 0..2 {
            assert!((g[i] - gi[i]).abs() <= 1e-12 * gi[i].abs().max(1.0));
        }
        assert_close(&h, &hi, 1e-12);
        compare_hessian!(
            |x, y| {
                let a = bilinear(x, y);
                let b = bilinear(y, x);
                a * b + bilinear(x, x)
            },
            [x, y]
        )
        .assert_agree(FD);
    }
}

#[test]
fn a_call_of_constants_stays_a_number() {
    // softplus(0.5) does not depend on x or y: f = c x y, f_xy = c.
    let f = hessian!(|x, y| softplus(0.5) * x * y);
    let c = (1.0 + 0.5f64.exp()).ln();
    let (_, _, h) = f(2.0, 3.0);
    assert_close(&h, &[[0.0, c], [c, 0.0]], 1e-15);
}

#[test]
fn hvp_through_a_call_is_the_hessian_times_v() {
    let xs = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]];
    let h = hessian!(|w: [f64; 3], b| {
        let mut s = 0.0;
        for k in 0..2 {
            s += softplus(neuron(&w, &xs[k], b)) * b;
        }
        s
    });
    let hv = hvp!(|w: [f64; 3], b| {
        let mut s = 0.0;
        for k in 0..2 {
            s += softplus(neuron(&w, &xs[k], b)) * b;
        }
        s
    });
    let (w, b) = ([0.3, -0.6, 0.2], 0.4);
    let (dw, db) = ([1.0, -2.0, 0.5], 3.0);
    let (value, gradient, hm) = h(w, b);
    let (value2, gradient2, (hv_w, hv_b)) = hv(w, b, dw, db);
    assert_eq!((value, gradient), (value2, gradient2));
    let v = [dw[0], dw[1], dw[2], db];
    let got = [hv_w[0], hv_w[1], hv_w[2], hv_b];
    for i in 0..4 {
        let want: f64 = (0..4).map(|j| hm[i][j] * v[j]).sum();
        assert!(
            (got[i] - want).abs() <= 1e-12 * want.abs().max(1.0),
            "{i}: {} vs {want}",
            got[i]
        );
    }
}

#[test]
fn hessian_code_shows_the_calls() {
    let code = micrograd::hessian_code!(|x, y| softplus(x) * y);
    assert!(code.contains("__mg_dual_value"), "{code}");
    assert!(code.contains("__mg_dual_vjp"), "{code}");
}

/// Mutual recursion (as in tests/differentiable.rs): even(x, n) = x odd(x, n - 1),
/// odd(x, n) = x + even(x, n - 1), even(x, 0) = 1, odd(x, 0) = 0.
#[differentiable]
fn even(x: f64, n: f64) -> f64 {
    if n > 0.5 { x * odd(x, n - 1.0) } else { 1.0 }
}

#[differentiable]
fn odd(x: f64, n: f64) -> f64 {
    if n > 0.5 { x + even(x, n - 1.0) } else { 0.0 }
}

#[test]
fn mutual_recursion() {
    // even(x, 4) = x odd(x, 3) = x (x + even(x, 2)) = x (x + x odd(x, 1))
    // = x (x + x (x + even(x, 0))) = x (x + x (x + 1)) = x^3 + 2 x^2;
    // times y: f_xx = (6x + 4) y, f_xy = 3x^2 + 4x, f_yy = 0.
    let f = hessian!(|x, y| even(x, 4.0) * y);
    let (x, y) = (1.5, -0.5);
    let (v, _, h) = f(x, y);
    assert!((v - (x * x * x + 2.0 * x * x) * y).abs() < 1e-12);
    let xy = 3.0 * x * x + 4.0 * x;
    assert_close(&h, &[[(6.0 * x + 4.0) * y, xy], [xy, 0.0]], 1e-12);
}

#[differentiable]
fn weighted(w: [f64; 2], m: &[[f64; 2]; 2], x: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..2 {
        for j in 0..2 {
            s += w[i] * m[i][j] * (x * (j as f64 + 1.0)).sin();
        }
    }
    s * s
}

#[test]
fn arrays_by_value_and_two_dimensional_arrays() {
    // w by value (a parameter), m a 2-D parameter by reference, then m
    // captured data; the same program inlined.
    let data = [[0.5, -1.0], [2.0, 0.25]];
    let f = hessian!(|w: [f64; 2], m: [[f64; 2]; 2], x| weighted(w, &m, x) + weighted(w, &data, x));
    let inline = hessian!(|w: [f64; 2], m: [[f64; 2]; 2], x| {
        let mut s = 0.0;
        let mut t = 0.0;
        for i in 0..2 {
            for j in 0..2 {
                s += w[i] * m[i][j] * (x * (j as f64 + 1.0)).sin();
                t += w[i] * data[i][j] * (x * (j as f64 + 1.0)).sin();
            }
        }
        s * s + t * t
    });
    let (w, m, x) = ([0.3, -0.8], [[1.0, 0.4], [-0.6, 0.9]], 0.7);
    let (v, _, h) = f(w, m, x);
    let (vi, _, hi) = inline(w, m, x);
    assert!((v - vi).abs() <= 1e-12 * vi.abs().max(1.0));
    assert_close(&h, &hi, 1e-12);
    compare_hessian!(
        |w: [f64; 2], m: [[f64; 2]; 2], x| weighted(w, &m, x) + weighted(w, &data, x),
        (w, m, x)
    )
    .assert_agree(FD);
}

#[test]
fn hvp_on_a_slice_whose_elements_are_passed() {
    // f(x) = sum_i softplus(x_i x_{i+1}); H v against hessian! on an array.
    let hv = hvp!(|x: &[f64]| {
        let mut s = 0.0;
        for i in 0..x.len() - 1 {
            s += softplus(x[i] * x[i + 1]);
        }
        s
    });
    let h = hessian!(|x: [f64; 4]| {
        let mut s = 0.0;
        for i in 0..3 {
            s += softplus(x[i] * x[i + 1]);
        }
        s
    });
    let x = [0.3, -1.2, 0.8, 0.5];
    let v = [1.0, 0.5, -2.0, 0.25];
    let (_, _, hm) = h(x);
    let (_, _, got) = hv(&x, &v);
    for i in 0..4 {
        let want: f64 = (0..4).map(|j| hm[i][j] * v[j]).sum();
        assert!((got[i] - want).abs() <= 1e-12 * want.abs().max(1.0));
    }
}

#[differentiable]
fn total(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += x[i] * x[i];
    }
    s
}

#[test]
fn a_constant_call_of_a_function_without_second_order_code() {
    // total(&data) = 1 + 4 = 5 does not depend on x: no second-order code
    // is needed (a slice parameter has none), the call stays an f64 call.
    let data = vec![1.0, 2.0];
    let f = hessian!(|x| total(&data) * x * x);
    let (v, g, h) = f(3.0);
    assert_eq!((v, g, h), (45.0, [30.0], [[10.0]]));
}
