//! Issue 16: grad! bodies call `#[differentiable]` functions.
//!
//! Every expected gradient is derived by hand in a comment, or checked
//! against a central finite difference and against `compare!`'s `Value`
//! engine (which replays the same calls on the graph).

use micrograd::{assert_grad, compare, differentiable, grad, grad_fn};

/// A relative and absolute tolerance for hand-derived values.
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * (1.0 + b.abs())
}

/// A central finite difference of `f` at `x` in coordinate `i`.
fn fd(f: impl Fn(&[f64]) -> f64, x: &[f64], i: usize) -> f64 {
    let h = 1e-6 * (1.0 + x[i].abs());
    let (mut a, mut b) = (x.to_vec(), x.to_vec());
    a[i] += h;
    b[i] -= h;
    (f(&a) - f(&b)) / (2.0 * h)
}

#[differentiable]
fn square(x: f64) -> f64 {
    x * x
}

#[differentiable]
fn softplus2(x: f64) -> f64 {
    // ln(1 + e^(x^2)): calls square
    square(x).exp().ln_1p()
}

#[differentiable]
fn outer(x: f64, y: f64) -> f64 {
    // three deep: outer -> softplus2 -> square
    softplus2(x) * y
}

pub mod nn {
    use micrograd::differentiable;

    /// tanh(w . x + b) over fixed-size arrays.
    #[differentiable]
    pub fn neuron(w: &[f64; 3], x: &[f64; 3], b: f64) -> f64 {
        let mut s = b;
        for i in 0..3 {
            s += w[i] * x[i];
        }
        s.tanh()
    }

    /// The sum of squares of a slice.
    #[differentiable]
    pub fn sum_sq(x: &[f64]) -> f64 {
        let mut s = 0.0;
        for i in 0..x.len() {
            s += x[i] * x[i];
        }
        s
    }

    pub mod deep {
        use micrograd::differentiable;
        #[differentiable]
        pub fn scaled(x: f64, k: f64) -> f64 {
            super::super::square(x) * k
        }
    }
}

use nn::deep::scaled as renamed_scaled;
use nn::neuron;

#[test]
fn nested_three_deep() {
    // f = ln(1 + e^(x^2)) y; df/dx = sigmoid(x^2) 2x y; df/dy = ln(1 + e^(x^2))
    let f = grad!(|x, y| outer(x, y));
    let (x, y) = (0.7, -1.3);
    let (v, [dx, dy]) = f(x, y);
    let s = (x * x).exp() / (1.0 + (x * x).exp());
    assert!(close(v, (1.0 + (x * x).exp()).ln() * y));
    assert!(close(dx, s * 2.0 * x * y), "{dx}");
    assert!(close(dy, (1.0 + (x * x).exp()).ln()));
    assert_grad!(|x, y| outer(x, y), [0.7, -1.3]);
}

#[test]
fn fan_out_through_a_call() {
    // g = square(x * y) + square(x): dg/dx = 2 x y^2 + 2 x, dg/dy = 2 x^2 y
    let f = grad!(|x, y| {
        let a = x * y;
        square(a) + square(x) * square(a)
    });
    let (x, y) = (1.5, -0.5);
    let (v, [dx, dy]) = f(x, y);
    // v = a^2 + x^2 a^2 with a = x y: dv/dx = 2 a y + 2 x a^2 + x^2 2 a y
    let a = x * y;
    assert!(close(v, a * a + x * x * a * a));
    assert!(close(
        dx,
        2.0 * a * y + 2.0 * x * a * a + x * x * 2.0 * a * y
    ));
    assert!(close(dy, 2.0 * a * x + x * x * 2.0 * a * x));
    assert_grad!(
        |x, y| {
            let a = x * y;
            square(a) + square(x) * square(a)
        },
        [1.5, -0.5]
    );
}

#[test]
fn array_argument_in_a_loop() {
    // L = sum_k (neuron(w, xs[k], b) - ys[k])^2 over captured data.
    let xs = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.5], [-1.0, 1.0, 0.0]];
    let ys = [0.3, -0.2, 0.9];
    let f = grad!(|w: [f64; 3], b: f64| {
        let mut loss = 0.0;
        for k in 0..3 {
            loss += (neuron(&w, &xs[k], b) - ys[k]).powi(2);
        }
        loss
    });
    let w = [0.2, -0.4, 0.3];
    let b = 0.1;
    let (v, (dw, db)) = f(w, b);
    let plain = |p: &[f64]| {
        let mut loss = 0.0;
        for k in 0..3 {
            let s = p[3] + (0..3).map(|i| p[i] * xs[k][i]).sum::<f64>();
            loss += (s.tanh() - ys[k]).powi(2);
        }
        loss
    };
    let p = [w[0], w[1], w[2], b];
    assert!(close(v, plain(&p)));
    for (i, dwi) in dw.iter().enumerate() {
        assert!((dwi - fd(plain, &p, i)).abs() < 1e-7, "{i}");
    }
    assert!((db - fd(plain, &p, 3)).abs() < 1e-7);
    assert_grad!(
        |w: [f64; 3], b: f64| {
            let mut loss = 0.0;
            for k in 0..3 {
                loss += (neuron(&w, &xs[k], b) - ys[k]).powi(2);
            }
            loss
        },
        ([0.2, -0.4, 0.3], 0.1)
    );
}

#[test]
fn slices_and_cross_module_paths() {
    // h = sum_sq(x) * 0.5 + nn::deep::scaled(x[0], 3): dh/dx_i = x_i + 6 x_0 [i = 0]
    let f = grad!(|x: &[f64]| nn::sum_sq(x) * 0.5 + renamed_scaled(x[0], 3.0));
    let (v, g) = f(&[1.0, -2.0, 0.5]);
    assert!(close(v, 0.5 * (1.0 + 4.0 + 0.25) + 3.0));
    assert!(close(g[0], 1.0 + 6.0) && close(g[1], -2.0) && close(g[2], 0.5));
    assert_grad!(
        |x: &[f64]| nn::sum_sq(x) * 0.5 + renamed_scaled(x[0], 3.0),
        vec![1.0, -2.0, 0.5]
    );
}

/// A gradient clip: the derivative of `x^3 / 3` is `x^2`, clipped at 1.
#[differentiable(pullback = clipped_cube_pullback)]
fn clipped_cube(x: f64) -> f64 {
    x * x * x / 3.0
}

fn clipped_cube_pullback(x: f64, gy: f64) -> [f64; 1] {
    [gy * (x * x).min(1.0)]
}

#[test]
fn custom_derivative_is_honoured_by_both_engines() {
    // At x = 2 the automatic derivative would be 4 (times y = 3 gives 12);
    // the clip gives 1 * y = 3. d/dy = x^3 / 3 = 8/3.
    let f = grad!(|x, y| clipped_cube(x) * y);
    let (v, [dx, dy]) = f(2.0, 3.0);
    assert!(close(v, 8.0));
    assert_eq!(dx, 3.0);
    assert!(close(dy, 8.0 / 3.0));
    let report = compare!(|x, y| clipped_cube(x) * y, [2.0, 3.0]);
    assert_eq!(report.dynamic_grad, vec![3.0, 8.0 / 3.0]);
    assert_eq!(report.dynamic_value, 8.0);
    // The finite difference sees the real slope, 12: the rule is custom.
    assert!((report.finite_diff[0] - 12.0).abs() < 1e-6);
    // Below the clip the rule is the real derivative: both agree with fd.
    assert_grad!(|x, y| clipped_cube(x) * y, [0.5, 3.0]);
}

#[grad_fn]
fn attr_form(x: f64, w: &[f64; 2]) -> f64 {
    (x * w[0] + w[1]).sin()
}

#[test]
fn grad_fn_matches_grad() {
    // d/dx = cos(z) w0, d/dw = cos(z) (x, 1), z = x w0 + w1
    let (v, (dx, dw)) = attr_form_grad(0.5, &[2.0, -1.0]);
    let z: f64 = 0.5 * 2.0 - 1.0;
    assert!(close(v, z.sin()) && v == attr_form(0.5, &[2.0, -1.0]));
    assert!(close(dx, z.cos() * 2.0));
    assert!(close(dw[0], z.cos() * 0.5) && close(dw[1], z.cos()));
    let same = grad!(|x, w: [f64; 2]| (x * w[0] + w[1]).sin());
    assert_eq!(same(0.5, [2.0, -1.0]), (v, (dx, dw)));
}

#[test]
fn f64_paths_stay_ops() {
    // f64::exp(x) is x.exp(); f64::max(a, b) is a.max(b).
    let f = grad!(|x, y| f64::exp(x) + f64::max(x, y));
    let (v, [dx, dy]) = f(0.5, 1.0);
    assert!(close(v, 0.5f64.exp() + 1.0));
    assert!(close(dx, 0.5f64.exp()) && dy == 1.0);
}

#[test]
fn calls_in_branches_and_conditions() {
    // if square(x) > 1 { square(y) x } else { y }: the branch taken decides.
    // At (2, 3): 4 > 1, f = 9 * 2 = 18, df/dx = y^2 = 9, df/dy = 2 y x = 12.
    // At (0.5, 3): f = y = 3, df = (0, 1).
    let f = grad!(|x, y| if square(x) > 1.0 { square(y) * x } else { y });
    assert_eq!(f(2.0, 3.0), (18.0, [9.0, 12.0]));
    assert_eq!(f(0.5, 3.0), (3.0, [0.0, 1.0]));
    assert_grad!(
        |x, y| if square(x) > 1.0 { square(y) * x } else { y },
        [2.0, 3.0]
    );
    assert_grad!(
        |x, y| if square(x) > 1.0 { square(y) * x } else { y },
        [0.5, 3.0]
    );
}

#[test]
fn a_call_of_constants_is_a_constant() {
    // square(3) does not depend on x: f = 9 x, df/dx = 9.
    let f = grad!(|x| square(3.0) * x);
    assert_eq!(f(2.0), (18.0, [9.0]));
}

#[test]
fn functions_declared_in_a_block() {
    // Items inside a function body are found as at module level.
    #[differentiable]
    fn cube(x: f64) -> f64 {
        x * x * x
    }
    let f = grad!(|x| cube(x) + square(x));
    // d/dx = 3 x^2 + 2 x = 12 + 4 at x = 2
    assert_eq!(f(2.0), (12.0, [16.0]));
}

/// Mutual recursion: even(x, n) = x * odd(x, n - 1), odd(x, n) = x + even(x, n - 1).
#[differentiable]
fn even(x: f64, n: f64) -> f64 {
    if n > 0.5 { x * odd(x, n - 1.0) } else { 1.0 }
}

#[differentiable]
fn odd(x: f64, n: f64) -> f64 {
    if n > 0.5 { x + even(x, n - 1.0) } else { 0.0 }
}

#[test]
fn mutual_recursion_runs_like_the_functions() {
    // even(x, 3) = x (x + x (0 + ... )): n = 3: x * odd(x, 2) = x * (x + even(x, 1))
    // = x * (x + x * odd(x, 0)) = x * (x + 0) = x^2; d/dx = 2x.
    let f = grad!(|x| even(x, 3.0));
    let (v, [dx]) = f(1.5);
    assert!(close(v, 2.25) && close(dx, 3.0));
    assert_grad!(|x| even(x, 4.0), [1.5]);
}

#[test]
fn grad_code_and_grad_dot_show_calls() {
    let code = micrograd::grad_code!(|x| square(x) * 2.0);
    assert!(code.contains("__mg_f0 = square"), "{code}");
    // The forward keeps square's residuals; the backward runs its reverse
    // code at the call's adjoint (2, the derivative of `* 2.0`).
    assert!(code.contains("__mg_f0::__mg_fwd((__mg_p0,))"), "{code}");
    assert!(
        code.contains("__mg_f0::__mg_bwd(__mg_R0, __mg_g0)"),
        "{code}"
    );
    let dot = micrograd::grad_dot!(|x| square(x) * 2.0);
    assert!(dot.contains("square()"), "{dot}");
}

/// relu, sigmoid and softplus, which `f64` lacks: the attribute imports
/// `micrograd::ops::F64Ops`, so the body compiles as plain Rust.
#[differentiable]
fn gate(x: f64, y: f64) -> f64 {
    (x * y).relu() + x.sigmoid() * y.softplus()
}

/// The other methods `f64` lacks, in a loop.
#[differentiable]
fn smooth_acts(w: &[f64; 3], x: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..3 {
        s += (w[i] * x).leaky_relu(0.1) + (w[i] - x).gelu() * (w[i] + x).silu();
    }
    s + x.log_sigmoid()
}

#[test]
fn methods_f64_lacks_work_in_a_differentiable_body() {
    fn sigmoid(t: f64) -> f64 {
        1.0 / (1.0 + (-t).exp())
    }
    fn softplus(t: f64) -> f64 {
        (1.0 + t.exp()).ln()
    }
    let plain = |p: &[f64]| {
        let (x, y) = (p[0], p[1]);
        (x * y).max(0.0) + sigmoid(x) * softplus(y)
    };
    for (x, y) in [(0.7, 1.3), (-0.4, 2.0), (1.5, -0.5)] {
        // d/dx = y [x y > 0] + s(x) (1 - s(x)) softplus(y)
        // d/dy = x [x y > 0] + s(x) sigmoid(y)
        let on = if x * y > 0.0 { 1.0 } else { 0.0 };
        let s = sigmoid(x);
        let f = grad!(|x, y| gate(x, y) * 2.0);
        let (v, [dx, dy]) = f(x, y);
        assert!(close(v, 2.0 * plain(&[x, y])), "{v}");
        assert!(close(gate(x, y), plain(&[x, y])));
        assert!(
            close(dx, 2.0 * (y * on + s * (1.0 - s) * softplus(y))),
            "{dx}"
        );
        assert!(close(dy, 2.0 * (x * on + s * sigmoid(y))), "{dy}");
        assert!((dx - 2.0 * fd(plain, &[x, y], 0)).abs() < 1e-6);
        assert!((dy - 2.0 * fd(plain, &[x, y], 1)).abs() < 1e-6);
        // The Value engine replays the body with the same ops.
        let report = compare!(|x, y| gate(x, y) * 2.0, [x, y]);
        report.assert_agree(1e-12, 1e-6);
        assert_eq!(report.dynamic_value, v);
        assert!(close(report.dynamic_grad[0], dx) && close(report.dynamic_grad[1], dy));
    }
    assert_grad!(
        |w: [f64; 3], x: f64| smooth_acts(&w, x) * x,
        ([0.4, -1.2, 2.0], 0.6)
    );
}

/// A dense tanh layer: `h_j = tanh(b_j + sum_i w_ji x_i)`, returned whole.
#[differentiable]
fn layer(w: &[[f64; 3]; 4], b: &[f64; 4], x: &[f64; 3]) -> [f64; 4] {
    let mut h = [0.0; 4];
    for j in 0..4 {
        let mut s = b[j];
        for i in 0..3 {
            s += w[j][i] * x[i];
        }
        h[j] = s.tanh();
    }
    h
}

/// Straight-line, an array literal: `(x y, x + y, x^2)`.
#[differentiable]
fn pair_stats(x: f64, y: f64) -> [f64; 3] {
    [x * y, x + y, x * x]
}

/// Calls a function that returns an array and returns one too.
#[differentiable]
fn scaled_stats(x: f64, y: f64) -> [f64; 3] {
    let s = pair_stats(x, y);
    [2.0 * s[0], s[1], s[2] * y]
}

/// A nested array result: the outer product `a b^T`.
#[differentiable]
fn outer2(a: &[f64; 2], b: &[f64; 2]) -> [[f64; 2]; 2] {
    [[a[0] * b[0], a[0] * b[1]], [a[1] * b[0], a[1] * b[1]]]
}

#[test]
fn array_results_straight_line() {
    // f = s0 + 2 s1 s2 with s = (x y, x + y, x^2): f = x y + 2 (x + y) x^2
    // df/dx = y + 2 x^2 + 4 x (x + y), df/dy = x + 2 x^2
    let f = grad!(|x, y| {
        let s = pair_stats(x, y);
        s[0] + 2.0 * s[1] * s[2]
    });
    let (x, y) = (1.5, -0.5);
    let (v, [dx, dy]) = f(x, y);
    assert!(close(v, x * y + 2.0 * (x + y) * x * x));
    assert!(close(dx, y + 2.0 * x * x + 4.0 * x * (x + y)), "{dx}");
    assert!(close(dy, x + 2.0 * x * x), "{dy}");
    assert_eq!(pair_stats(x, y), [x * y, x + y, x * x]);
    // With a type on the `let`, and an array function calling another:
    // scaled = (2 x y, x + y, x^2 y); g = sum = 2 x y + x + y + x^2 y
    // dg/dx = 2 y + 1 + 2 x y, dg/dy = 2 x + 1 + x^2
    let g = grad!(|x, y| {
        let t: [f64; 3] = scaled_stats(x, y);
        t[0] + t[1] + t[2]
    });
    let (v, [dx, dy]) = g(x, y);
    assert!(close(v, 2.0 * x * y + x + y + x * x * y));
    assert!(close(dx, 2.0 * y + 1.0 + 2.0 * x * y), "{dx}");
    assert!(close(dy, 2.0 * x + 1.0 + x * x), "{dy}");
    assert_grad!(
        |x, y| {
            let t = scaled_stats(x, y);
            t[0] * t[1] - t[2]
        },
        [1.5, -0.5]
    );
}

#[test]
fn array_results_in_a_loop() {
    // L = sum_k (v . layer(w, b, xs[k]) - ys[k])^2 over captured samples.
    let xs = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.5], [-1.0, 1.0, 0.0]];
    let ys = [0.3, -0.2, 0.9];
    let f = grad!(|w: [[f64; 3]; 4], b: [f64; 4], v: [f64; 4]| {
        let mut loss = 0.0;
        for k in 0..3 {
            let h = layer(&w, &b, &xs[k]);
            let mut y = 0.0;
            for j in 0..4 {
                y += v[j] * h[j];
            }
            loss += (y - ys[k]).powi(2);
        }
        loss
    });
    let w = [
        [0.2, -0.4, 0.3],
        [0.1, 0.5, -0.2],
        [-0.3, 0.2, 0.4],
        [0.6, -0.1, 0.05],
    ];
    let b = [0.1, -0.2, 0.05, 0.0];
    let v = [0.7, -0.3, 0.5, 0.2];
    let (value, (dw, db, dv)) = f(w, b, v);
    // The same loss on a flat vector, for finite differences.
    let plain = |p: &[f64]| {
        let mut loss = 0.0;
        for k in 0..3 {
            let mut y = 0.0;
            for j in 0..4 {
                let s = p[12 + j] + (0..3).map(|i| p[3 * j + i] * xs[k][i]).sum::<f64>();
                y += p[16 + j] * s.tanh();
            }
            loss += (y - ys[k]).powi(2);
        }
        loss
    };
    let mut p: Vec<f64> = w.iter().flatten().copied().collect();
    p.extend(b);
    p.extend(v);
    assert!(close(value, plain(&p)));
    let flat: Vec<f64> = dw.iter().flatten().chain(&db).chain(&dv).copied().collect();
    for (i, g) in flat.iter().enumerate() {
        assert!((g - fd(plain, &p, i)).abs() < 1e-7, "{i}: {g}");
    }
    // The Value engine replays `layer` on the graph (its `Value` version).
    assert_grad!(
        |w: [[f64; 3]; 4], b: [f64; 4], v: [f64; 4]| {
            let mut loss = 0.0;
            for k in 0..3 {
                let h = layer(&w, &b, &xs[k]);
                let mut y = 0.0;
                for j in 0..4 {
                    y += v[j] * h[j];
                }
                loss += (y - ys[k]).powi(2);
            }
            loss
        },
        (w, b, v)
    );
}

#[test]
fn nested_array_results() {
    // f = sum_ij c_ij (a b^T)_ij with c = [[1, 2], [3, 4]]:
    // df/da_i = sum_j c_ij b_j, df/db_j = sum_i c_ij a_i
    let f = grad!(|a: [f64; 2], b: [f64; 2]| {
        let m = outer2(&a, &b);
        m[0][0] + 2.0 * m[0][1] + 3.0 * m[1][0] + 4.0 * m[1][1]
    });
    let (a, b) = ([0.5, -2.0], [1.5, 0.25]);
    let (_, (da, db)) = f(a, b);
    assert!(close(da[0], b[0] + 2.0 * b[1]) && close(da[1], 3.0 * b[0] + 4.0 * b[1]));
    assert!(close(db[0], a[0] + 3.0 * a[1]) && close(db[1], 2.0 * a[0] + 4.0 * a[1]));
    assert_grad!(
        |a: [f64; 2], b: [f64; 2]| {
            let m = outer2(&a, &b);
            (m[0][1] * m[1][0]).sin() + m[1][1]
        },
        ([0.5, -2.0], [1.5, 0.25])
    );
}

/// Returns its parameter array: the result is the parameter itself.
#[differentiable]
fn identity2(x: [f64; 2]) -> [f64; 2] {
    x
}

/// Returns constants and a copy of `x`: part of the result has no gradient.
#[differentiable]
fn with_constants(x: f64) -> [f64; 3] {
    let c = [1.0, 2.0, 0.0];
    [c[0], x, c[1] * c[1]]
}

#[test]
fn array_results_of_parameters_and_constants() {
    // f = id(x)_0 * id(x)_1 + wc(y)_0 + wc(y)_1 wc(y)_2 = x0 x1 + 1 + 4 y
    // df/dx = (x1, x0), df/dy = 4
    let f = grad!(|x: [f64; 2], y: f64| {
        let a = identity2(x);
        let b = with_constants(y);
        a[0] * a[1] + b[0] + b[1] * b[2]
    });
    let (v, (dx, dy)) = f([3.0, -2.0], 0.5);
    assert_eq!((v, dx, dy), (-6.0 + 1.0 + 2.0, [-2.0, 3.0], 4.0));
    assert_grad!(
        |x: [f64; 2], y: f64| {
            let a = identity2(x);
            let b = with_constants(y);
            a[0] * a[1] + b[0] + b[1] * b[2]
        },
        ([3.0, -2.0], 0.5)
    );
    // grad_code! shows the whole-array call and its pullback.
    let code = micrograd::grad_code!(|y: f64| {
        let b = with_constants(y);
        b[1] * b[2]
    });
    assert!(code.contains("__mg_call_array"), "{code}");
    assert!(code.contains("__mg_vjp_array"), "{code}");
}

/// A weighted sum of a slice, so each element's adjoint differs.
#[differentiable]
fn weighted_total(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        s += (i as f64 + 1.0) * x[i] * x[i];
    }
    s
}

#[test]
fn array_passed_to_a_slice_parameter() {
    // An array parameter passed as `&x` to `fn(&[f64])`: the slice's
    // adjoint (a `Vec`) is added into the array's, element by element.
    let f = grad!(|x: [f64; 3]| weighted_total(&x) + x[1]);
    let x = [0.5, -1.5, 2.0];
    let (v, g) = f(x);
    assert_eq!(v, 0.25 + 2.0 * 2.25 + 3.0 * 4.0 - 1.5);
    assert_eq!(g, [1.0, 2.0 * 2.0 * -1.5 + 1.0, 3.0 * 2.0 * 2.0]);
    assert_grad!(|x: [f64; 3]| weighted_total(&x) * x[0], [0.5, -1.5, 2.0]);
    // A row of a matrix parameter, twice (fan-out through the same call).
    let f = grad!(|m: [[f64; 2]; 2]| weighted_total(&m[1]) * m[0][0] + weighted_total(&m[1]));
    let m = [[2.0, 3.0], [0.5, -1.0]];
    let (v, g) = f(m);
    let t = 0.25 + 2.0;
    assert_eq!(v, t * 2.0 + t);
    assert_eq!(g, [[t, 0.0], [1.0 * 3.0, -4.0 * 3.0]]);
    assert_grad!(
        |m: [[f64; 2]; 2]| weighted_total(&m[1]) * m[0][0] + weighted_total(&m[0]),
        [[2.0, 3.0], [0.5, -1.0]]
    );
    // And `compare!`'s `Value` replay agrees.
    compare!(|x: [f64; 3]| weighted_total(&x) + x[1], [0.5, -1.5, 2.0]).assert_agree(1e-12, 1e-6);
}

/// `const fn` is accepted: the function stays `const`, its companion's
/// functions are not.
#[differentiable]
const fn cubed(x: f64) -> f64 {
    x * x * x
}

#[test]
fn const_fn_is_differentiable() {
    const C: f64 = cubed(2.0);
    assert_eq!(C, 8.0);
    let f = grad!(|x| cubed(x) + x);
    assert_eq!(f(2.0), (10.0, [13.0]));
    assert_grad!(|x| cubed(x) * x, [0.7]);
}
