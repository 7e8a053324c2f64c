//! Issue 16: calls of `#[differentiable]` functions defined in another
//! crate (`micrograd-test-fns`, tests/helper-crate), through `use`, a
//! module path and renames, in `grad!` and `compare!`.
//!
//! Expected values are derived by hand in comments, and checked against
//! finite differences and the `Value` engine (`assert_grad!`).

use micrograd::{assert_grad, compare, grad};
use micrograd_test_fns::nn::clipped_square as clip_sq;
use micrograd_test_fns::nn::layer as dense;
use micrograd_test_fns::nn::neuron;
use micrograd_test_fns::soft;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * (1.0 + b.abs())
}

#[test]
fn neuron_from_another_crate() {
    // f = tanh(w . x + b) with x = (1, -2, 0.5) captured:
    // df/dw_i = (1 - f^2) x_i, df/db = 1 - f^2
    let x = [1.0, -2.0, 0.5];
    let f = grad!(|w: [f64; 3], b: f64| neuron(&w, &x, b));
    let (w, b) = ([0.3, 0.1, -0.4], 0.2);
    let (v, (dw, db)) = f(w, b);
    let z: f64 = 0.3 - 0.2 - 0.2 + 0.2;
    assert!(close(v, z.tanh()));
    let d = 1.0 - z.tanh() * z.tanh();
    for i in 0..3 {
        assert!(close(dw[i], d * x[i]), "{i}");
    }
    assert!(close(db, d));
    // The full path works as well as the `use`.
    let g = grad!(|w: [f64; 3], b: f64| micrograd_test_fns::nn::neuron(&w, &x, b));
    assert_eq!(g(w, b), (v, (dw, db)));
    assert_grad!(|w: [f64; 3], b: f64| neuron(&w, &x, b) * soft(b), (w, b));
}

#[test]
fn renamed_array_result_from_another_crate() {
    // y = v . relu(W x): dy/dv_j = h_j, dy/dW_ji = v_j x_i [W_j . x > 0]
    let x = [0.5, -1.0, 2.0];
    let f = grad!(|w: [[f64; 3]; 2], v: [f64; 2]| {
        let h = dense(&w, &x);
        v[0] * h[0] + v[1] * h[1]
    });
    let w = [[1.0, 0.5, 0.25], [-1.0, 1.0, 0.0]];
    let v = [2.0, 3.0];
    let (y, (dw, dv)) = f(w, v);
    // W_0 . x = 0.5 - 0.5 + 0.5 = 0.5 (on); W_1 . x = -0.5 - 1 = -1.5 (off)
    assert!(close(y, 2.0 * 0.5));
    assert_eq!(dv, [0.5, 0.0]);
    // dW_0 = v_0 x = 2 (0.5, -1, 2)
    assert_eq!(dw, [[1.0, -2.0, 4.0], [0.0; 3]]);
    assert_grad!(
        |w: [[f64; 3]; 2], v: [f64; 2]| {
            let h = dense(&w, &x);
            (v[0] * h[0] + v[1] * h[1]).tanh()
        },
        (w, v)
    );
}

#[test]
fn custom_pullback_from_another_crate() {
    // clip_sq(x) = x^2 with slope clamp(2x, -1, 1): at x = 3, slope 1 (not 6)
    let f = grad!(|x, y| clip_sq(x) * y + soft(y));
    let (x, y) = (3.0, 0.5);
    let (v, [dx, dy]) = f(x, y);
    let sp = (1.0 + y.exp()).ln();
    let sig = 1.0 / (1.0 + (-y).exp());
    assert!(close(v, 9.0 * y + sp));
    assert!(close(dx, y), "{dx}");
    assert!(close(dy, 9.0 + sig), "{dy}");
    // Both engines honour the rule; the finite difference sees slope 6.
    let report = compare!(|x, y| clip_sq(x) * y + soft(y), [3.0, 0.5]);
    assert!(close(report.dynamic_grad[0], 0.5));
    assert!(close(report.dynamic_grad[1], dy));
    assert!((report.finite_diff[0] - 3.0).abs() < 1e-6);
}
