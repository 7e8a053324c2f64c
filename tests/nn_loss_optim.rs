//! Each loss against a hand computation, and one SGD and one Adam step
//! against the update formula worked by hand.

use micrograd::loss::{accuracy, l2, max_margin, squared_error_mean, squared_error_sum};
use micrograd::optim::{Adam, LrSchedule, Optimizer, Sgd};
use micrograd::{Value, scope};

const TOL: f64 = 1e-12;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= TOL * (1.0 + b.abs())
}

fn values(xs: &[f64]) -> Vec<Value> {
    xs.iter().map(|&x| Value::new(x)).collect()
}

#[test]
fn squared_error_sum_and_mean() {
    scope(|| {
        // p = [0.5, -0.2, 2], y = [1, -1, 1]
        // residuals p - y = [-0.5, 0.8, 1]; squares [0.25, 0.64, 1]
        // sum = 1.89, mean = 0.63; d(sum)/dp_i = 2 (p_i - y_i) = [-1, 1.6, 2]
        let p = values(&[0.5, -0.2, 2.0]);
        let y = [1.0, -1.0, 1.0];
        let s = squared_error_sum(&p, &y);
        assert!(close(s.data(), 1.89));
        s.backward();
        for (pi, want) in p.iter().zip([-1.0, 1.6, 2.0]) {
            assert!(close(pi.grad(), want), "{} vs {want}", pi.grad());
        }
        let q = values(&[0.5, -0.2, 2.0]);
        let m = squared_error_mean(&q, &y);
        assert!(close(m.data(), 0.63));
        m.backward();
        // the mean divides every gradient by n = 3
        for (qi, want) in q.iter().zip([-1.0 / 3.0, 1.6 / 3.0, 2.0 / 3.0]) {
            assert!(close(qi.grad(), want));
        }
    });
}

#[test]
fn max_margin_loss() {
    scope(|| {
        // s = [2, 0.3, -0.4, 0.5], y = [1, 1, -1, -1]
        // 1 - y s = [-1, 0.7, 0.6, 1.5] -> relu [0, 0.7, 0.6, 1.5], mean 2.8/4 = 0.7
        // dL/ds_i = -y_i / 4 where the margin is active, else 0:
        // [0, -0.25, 0.25, 0.25]
        let s = values(&[2.0, 0.3, -0.4, 0.5]);
        let l = max_margin(&s, &[1.0, 1.0, -1.0, -1.0]);
        assert!(close(l.data(), 0.7));
        l.backward();
        for (si, want) in s.iter().zip([0.0, -0.25, 0.25, 0.25]) {
            assert!(close(si.grad(), want), "{} vs {want}", si.grad());
        }
    });
}

#[test]
fn l2_regularization() {
    scope(|| {
        // alpha = 1e-4, p = [0.5, -2, 3]: alpha * (0.25 + 4 + 9) = 1.325e-3
        // d/dp = 2 alpha p = [1e-4, -4e-4, 6e-4]
        let p = values(&[0.5, -2.0, 3.0]);
        let r = l2(&p, 1e-4);
        assert!(close(r.data(), 1.325e-3));
        r.backward();
        for (pi, want) in p.iter().zip([1e-4, -4e-4, 6e-4]) {
            assert!(close(pi.grad(), want), "{} vs {want}", pi.grad());
        }
    });
}

#[test]
fn accuracy_counts_matching_signs() {
    // signs of s: +, -, -, +, 0 (counts as -); labels +, +, -, -, -
    // matches: yes, no, yes, no, yes -> 3/5
    assert!(close(
        accuracy(&[0.1, -3.0, -0.2, 4.0, 0.0], &[1.0, 1.0, -1.0, -1.0, -1.0]),
        0.6
    ));
}

#[test]
#[should_panic(expected = "max_margin: 2 predictions but 3 targets")]
fn losses_name_both_lengths() {
    scope(|| max_margin(&values(&[1.0, 2.0]), &[1.0, 1.0, 1.0]));
}

#[test]
fn one_sgd_step_by_hand() {
    // L = w1^2 * w2 at w = (3, -2): dL/dw1 = 2 w1 w2 = -12, dL/dw2 = w1^2 = 9
    // micrograd's schedule at k = 0 of 10: lr = 1 - 0.9 * 0/10 = 1.0
    // then k = 1: lr = 1 - 0.09 = 0.91
    let (w1, w2) = (Value::new(3.0), Value::new(-2.0));
    let mut opt = Sgd::new(vec![w1, w2], LrSchedule::micrograd(10));
    assert!(close(opt.lr(), 1.0));
    scope(|| (w1.powi(2) * w2).backward());
    opt.step();
    assert!(close(w1.data(), 3.0 - 1.0 * -12.0)); // 15
    assert!(close(w2.data(), -2.0 - 1.0 * 9.0)); // -11
    assert!(close(opt.lr(), 0.91));
    assert_eq!(opt.steps_taken(), 1);
    opt.zero_grad();
    assert_eq!((w1.grad(), w2.grad()), (0.0, 0.0));
    // Constant schedule and a scaled decay.
    assert!(close(LrSchedule::Constant(0.05).at(99), 0.05));
    assert!(close(
        LrSchedule::LinearDecay {
            lr0: 0.5,
            steps: 100
        }
        .at(50),
        0.5 * 0.55
    ));
}

#[test]
fn two_adam_steps_by_hand() {
    // Adam, lr = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-8, on L = w^2 from w = 1.
    // Step 1: g = 2; m = 0.2, v = 0.004; mhat = 0.2/0.1 = 2,
    //   vhat = 0.004/0.001 = 4; w = 1 - 0.1 * 2 / (2 + 1e-8)
    let w = Value::new(1.0);
    let mut opt = Adam::new(vec![w], 0.1);
    scope(|| (w * w).backward());
    opt.step();
    let w_1 = 1.0 - 0.1 * 2.0 / (2.0 + 1e-8);
    assert!(close(w.data(), w_1));
    // Step 2: g = 2 w_1; m = 0.9*0.2 + 0.1 g; v = 0.999*0.004 + 0.001 g^2;
    //   mhat = m / (1 - 0.81), vhat = v / (1 - 0.998001)
    opt.zero_grad();
    scope(|| (w * w).backward());
    opt.step();
    let g = 2.0 * w_1;
    let m = 0.9 * 0.2 + 0.1 * g;
    let v = 0.999 * 0.004 + 0.001 * g * g;
    let (mhat, vhat) = (m / (1.0 - 0.81), v / (1.0 - 0.998001));
    let w_2 = w_1 - 0.1 * mhat / (vhat.sqrt() + 1e-8);
    assert!(close(w.data(), w_2), "{} vs {w_2}", w.data());
}

#[test]
fn adam_with_custom_hyperparameters() {
    // b1 = 0.5, b2 = 0.5, eps = 0, lr = 1, L = 4w so g = 4 at any w:
    // m = 2, v = 8, mhat = 4, vhat = 16, step = 4 / 4 = 1
    let w = Value::new(0.0);
    let mut opt = Adam::with_hyper(vec![w], 1.0, 0.5, 0.5, 0.0);
    scope(|| (w * 4.0).backward());
    opt.step();
    assert!(close(w.data(), -1.0));
}

/// A plain-f64 Adam step for one parameter, the update formula written
/// out independently of the optimizer's bulk tape path.
fn adam_ref(x: f64, g: f64, m: &mut f64, v: &mut f64, t: i32, lr: f64) -> f64 {
    let (b1, b2, eps) = (0.9_f64, 0.999_f64, 1e-8);
    *m = b1 * *m + (1.0 - b1) * g;
    *v = b2 * *v + (1.0 - b2) * g * g;
    x - lr * (*m / (1.0 - b1.powi(t))) / ((*v / (1.0 - b2.powi(t))).sqrt() + eps)
}

#[test]
fn optimizers_update_every_parameter_with_its_own_gradient_and_state() {
    // L = sum_k c_k w_k^2 with distinct c_k, so dL/dw_k = 2 c_k w_k differs
    // per parameter: a mix-up of positions in the bulk path would show.
    let c = [0.5, -1.0, 2.0, 3.0];
    let w0 = [1.0, -2.0, 0.25, 4.0];
    let loss_of = |w: &[Value]| -> Value { w.iter().zip(&c).map(|(&w, &c)| w * w * c).sum() };

    let w = values(&w0);
    let mut sgd = Sgd::new(w.clone(), LrSchedule::Constant(0.1));
    for _ in 0..3 {
        let expect: Vec<f64> = scope(|| {
            sgd.zero_grad();
            loss_of(&w).backward();
            w.iter().map(|p| p.data() - 0.1 * p.grad()).collect()
        });
        sgd.step();
        for (p, e) in w.iter().zip(&expect) {
            assert_eq!(p.data(), *e, "same formula, so bit-equal");
        }
    }
    assert!(w.iter().all(|p| p.grad() != 0.0));
    sgd.zero_grad();
    assert!(w.iter().all(|p| p.grad() == 0.0));

    let w = values(&w0);
    let mut adam = Adam::new(w.clone(), 0.05);
    let (mut m, mut v) = ([0.0; 4], [0.0; 4]);
    for t in 1..=3 {
        let expect: Vec<f64> = scope(|| {
            adam.zero_grad();
            loss_of(&w).backward();
            (0..4)
                .map(|k| adam_ref(w[k].data(), w[k].grad(), &mut m[k], &mut v[k], t, 0.05))
                .collect()
        });
        adam.step();
        for (p, e) in w.iter().zip(&expect) {
            assert_eq!(p.data(), *e, "same formula, so bit-equal");
        }
    }
}

#[test]
#[should_panic(expected = "freed")]
fn an_optimizer_over_freed_parameters_panics() {
    let w = scope(|| values(&[1.0, 2.0]));
    let mut opt = Sgd::new(w, LrSchedule::Constant(0.1));
    opt.step();
}

#[test]
#[should_panic(expected = "freed")]
fn zero_grad_over_freed_parameters_panics() {
    let w = scope(|| values(&[1.0, 2.0]));
    Adam::new(w, 0.1).zero_grad();
}

/// Checks `max_margin` against the op-by-op definition, mean_i relu(1 - s_i
/// y_i) summed left to right with the public operators: max_margin records
/// the same ops on shared constants, so values and gradients agree exactly.
fn assert_max_margin_matches_op_by_op(s0: &[f64], ys: &[f64]) {
    let run = |reference: bool| {
        scope(|| {
            let s = values(s0);
            let l = if reference {
                let total: Value = s.iter().zip(ys).map(|(&s, &y)| (1.0 - s * y).relu()).sum();
                total * (1.0 / s.len() as f64)
            } else {
                max_margin(&s, ys)
            };
            l.backward();
            (l.data(), s.iter().map(|v| v.grad()).collect::<Vec<f64>>())
        })
    };
    let (l, g) = run(false);
    assert_eq!((l, g.clone()), run(true));
    // And against the hand formula: d/ds_i = -y_i / n where 1 - s_i y_i > 0.
    let n = s0.len() as f64;
    for ((&s, &y), &g) in s0.iter().zip(ys).zip(&g) {
        let expect = if 1.0 - s * y > 0.0 { -y / n } else { 0.0 };
        assert!(close(g, expect), "{g} vs {expect}");
    }
}

#[test]
fn max_margin_equals_its_op_by_op_graph_bit_for_bit() {
    // Repeated labels exercise the constant sharing (labels are -1 or +1:
    // max_margin panics on anything else, issue 14).
    assert_max_margin_matches_op_by_op(
        &[0.3, -2.0, 1.7, 0.05, -0.6, 4.0],
        &[1.0, -1.0, -1.0, 1.0, -1.0, 1.0],
    );
    let s0: Vec<f64> = (0..20).map(|i| 0.1 * f64::from(i) - 1.0).collect();
    let ys: Vec<f64> = (0..20)
        .map(|i| if i % 3 == 0 { 1.0 } else { -1.0 })
        .collect();
    assert_max_margin_matches_op_by_op(&s0, &ys);
}

#[test]
#[should_panic(expected = "freed")]
fn max_margin_on_a_freed_score_panics() {
    let s = scope(|| values(&[1.0]));
    max_margin(&s, &[1.0]);
}
