//! Issue 14's edges of `optim` and `loss`, each from the smallest
//! input: schedules run past their length, labels outside a loss's
//! convention, Adam on a schedule, and the two cross-entropy losses at
//! extreme logits (exact, against the hand formula) and moderate ones
//! (against the formula and a central finite difference).

use micrograd::loss::{
    accuracy, binary_cross_entropy_with_logits, max_margin, softmax_cross_entropy,
};
use micrograd::optim::{Adam, LrSchedule, Optimizer, Sgd};
use micrograd::{Value, scope};

fn values(xs: &[f64]) -> Vec<Value> {
    xs.iter().map(|&x| Value::new(x)).collect()
}

/// `a` and `b` agree to `tol`, relative to `b`'s size when above 1.
fn assert_close(a: f64, b: f64, tol: f64, what: &str) {
    assert!(
        (a - b).abs() <= tol * (1.0 + b.abs()),
        "{what}: {a} vs {b} (tol {tol})"
    );
}

/// Reference logistic function, in the same overflow-free form as the op.
fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        x.exp() / (1.0 + x.exp())
    }
}

/// Central difference of `f` in each coordinate of `x`, step `h`.
fn finite_difference(f: impl Fn(&[f64]) -> f64, x: &[f64], h: f64) -> Vec<f64> {
    (0..x.len())
        .map(|i| {
            let (mut up, mut down) = (x.to_vec(), x.to_vec());
            up[i] += h;
            down[i] -= h;
            (f(&up) - f(&down)) / (2.0 * h)
        })
        .collect()
}

// ---- 1. Schedules past their length -------------------------------------

#[test]
fn micrograd_schedule_past_its_length_stays_at_its_final_rate() {
    // Issue 14: micrograd(100).at(200) was 1 - 0.9 * 200/100 = -0.8.
    // Now k is clamped to the length: at(200) = at(100) = 1 - 0.9 = 0.1.
    let s = LrSchedule::micrograd(100);
    assert_eq!(s.at(200), s.at(100));
    assert_close(s.at(200), 0.1, 1e-15, "at(200)");
    assert_eq!(s.at(usize::MAX), s.at(100));
    // Before the end it is the line: at(99) = 1 - 0.891 = 0.109.
    assert_close(s.at(99), 0.109, 1e-15, "at(99)");
    // Never negative, never growing, over three lengths.
    let rates: Vec<f64> = (0..300).map(|k| s.at(k)).collect();
    assert!(rates.iter().all(|&r| r > 0.0));
    assert!(rates.windows(2).all(|w| w[1] <= w[0]));
}

#[test]
fn linear_decay_of_length_zero_is_its_final_rate_from_the_start() {
    // steps = 0: the decay is already done, lr0 * (1 - 0.9) = 0.1 lr0 at
    // every step, with no division by 0 (no NaN, no inf).
    let s = LrSchedule::LinearDecay { lr0: 0.5, steps: 0 };
    for k in [0, 1, 2, 1000] {
        assert_close(s.at(k), 0.05, 1e-15, "steps 0");
    }
    // steps = 1: lr0 at k = 0, then 0.1 lr0 for good.
    let s = LrSchedule::LinearDecay { lr0: 0.5, steps: 1 };
    assert_eq!(s.at(0), 0.5);
    assert_close(s.at(1), 0.05, 1e-15, "steps 1, k 1");
    assert_eq!(s.at(7), s.at(1));
    // The constant schedule is constant everywhere, and an f64 is one.
    assert_eq!(LrSchedule::Constant(0.3).at(usize::MAX), 0.3);
    assert_eq!(LrSchedule::from(0.3), LrSchedule::Constant(0.3));
}

#[test]
fn sgd_run_three_times_past_its_schedule_does_not_diverge() {
    // L = w^2 / 4, dL/dw = w / 2: one step maps w to w (1 - lr_k / 2), a
    // contraction for every lr_k in (0, 4). With the old schedule lr_k
    // went to -0.8 at k = 200 and -1.7 at k = 300, and w grew as
    // prod (1 + 0.9 k/100 / 2 - 0.5) past k = 112.
    let w = Value::new(1.0);
    let mut opt = Sgd::new(vec![w], LrSchedule::micrograd(100));
    let mut want = 1.0;
    for k in 0..300 {
        scope(|| (w * w * 0.25).backward());
        let lr = opt.lr();
        assert!(lr > 0.0, "lr at step {k} is {lr}");
        want *= 1.0 - lr / 2.0;
        opt.step();
        opt.zero_grad();
    }
    assert_close(w.data(), want, 1e-12, "w after 300 steps");
    assert!(w.data().abs() < 1e-6, "w = {}", w.data());
    assert_close(opt.lr(), 0.1, 1e-15, "final rate");
}

// ---- 3. Adam takes the same schedules ------------------------------------

#[test]
fn adam_follows_a_schedule_step_by_step() {
    // Adam, b1 = 0.9, b2 = 0.999, eps = 1e-8, on L = w^2 from w = 1, with
    // lr_k = LinearDecay { lr0: 0.1, steps: 1 }: 0.1 at k = 0, 0.01 after.
    // Step 1: g = 2; m = 0.2, v = 0.004; mhat = 0.2/0.1 = 2,
    //   vhat = 0.004/0.001 = 4; w1 = 1 - 0.1 * 2 / (2 + 1e-8).
    // Step 2: g = 2 w1; m = 0.18 + 0.2 w1, v = 0.003996 + 0.004 w1^2;
    //   w2 = w1 - 0.01 * (m / 0.19) / (sqrt(v / 0.001999) + 1e-8).
    let w = Value::new(1.0);
    let mut opt = Adam::new(vec![w], LrSchedule::LinearDecay { lr0: 0.1, steps: 1 });
    assert_eq!(opt.lr(), 0.1);
    scope(|| (w * w).backward());
    opt.step();
    opt.zero_grad();
    let w1 = 1.0 - 0.1 * 2.0 / (2.0 + 1e-8);
    assert_close(w.data(), w1, 1e-15, "w1");
    assert_close(opt.lr(), 0.01, 1e-15, "lr after one step");
    assert_eq!(opt.steps_taken(), 1);
    scope(|| (w * w).backward());
    opt.step();
    let g = 2.0 * w1;
    let m = 0.9 * 0.2 + 0.1 * g;
    let v = 0.999 * 0.004 + 0.001 * g * g;
    let (c1, c2) = (1.0 - 0.9f64.powi(2), 1.0 - 0.999f64.powi(2));
    let w2 = w1 - 0.01 * (m / c1) / ((v / c2).sqrt() + 1e-8);
    assert_close(w.data(), w2, 1e-14, "w2");
    // The rate past the schedule's end stays at its final value.
    assert_close(opt.lr(), 0.01, 1e-15, "lr after two steps");
}

#[test]
fn an_f64_rate_is_a_constant_schedule_for_both_optimizers() {
    // Existing callers pass an f64 to Adam and an LrSchedule to Sgd; both
    // accept either, and a run with 0.1 equals one with Constant(0.1) to
    // the last bit.
    let run = |make: &dyn Fn(Vec<Value>) -> Box<dyn Optimizer>| {
        let w = Value::new(1.5);
        let mut opt = make(vec![w]);
        for _ in 0..5 {
            scope(|| (w * w * w).backward()); // dL/dw = 3 w^2
            opt.step();
            opt.zero_grad();
        }
        (w.data(), opt.lr())
    };
    assert_eq!(
        run(&|p| Box::new(Adam::new(p, 0.1))),
        run(&|p| Box::new(Adam::new(p, LrSchedule::Constant(0.1))))
    );
    assert_eq!(
        run(&|p| Box::new(Adam::with_hyper(p, 0.1, 0.8, 0.99, 1e-6))),
        run(&|p| Box::new(Adam::with_hyper(
            p,
            LrSchedule::Constant(0.1),
            0.8,
            0.99,
            1e-6
        ))),
    );
    assert_eq!(
        run(&|p| Box::new(Sgd::new(p, 0.01))),
        run(&|p| Box::new(Sgd::new(p, LrSchedule::Constant(0.01))))
    );
}

// ---- 2. Label conventions -------------------------------------------------

#[test]
#[should_panic(expected = "accuracy: label 0 at index 1 is not -1 or +1; \
                           accuracy takes labels in {-1, +1} (map 0/1 labels with 2y - 1)")]
fn accuracy_rejects_zero_one_labels() {
    // Issue 14: this was 0.5, the 0 label scored as a -1.
    accuracy(&[0.9, 0.1], &[1.0, 0.0]);
}

#[test]
#[should_panic(expected = "accuracy: label NaN at index 0 is not -1 or +1")]
fn accuracy_rejects_a_nan_label() {
    accuracy(&[0.9], &[f64::NAN]);
}

#[test]
fn accuracy_of_plus_minus_one_labels_is_unchanged() {
    // signs +, - against labels +1, -1: both right.
    assert_eq!(accuracy(&[0.9, -0.1], &[1.0, -1.0]), 1.0);
    assert_eq!(accuracy(&[], &[]), 0.0);
}

#[test]
#[should_panic(expected = "binary_cross_entropy_with_logits: label -1 at index 1 is not in [0, 1]")]
fn binary_cross_entropy_rejects_plus_minus_one_labels() {
    scope(|| binary_cross_entropy_with_logits(&values(&[0.9, 0.1]), &[1.0, -1.0]));
}

#[test]
#[should_panic(expected = "softmax_cross_entropy: class 3 of row 0 is out of range; \
                           classes are indices in 0..3")]
fn softmax_cross_entropy_rejects_a_class_out_of_range() {
    scope(|| softmax_cross_entropy(&[values(&[0.1, 0.2, 0.3])], &[3]));
}

#[test]
#[should_panic(expected = "softmax_cross_entropy: row 1 has 2 logits but row 0 has 3")]
fn softmax_cross_entropy_rejects_ragged_rows() {
    scope(|| softmax_cross_entropy(&[values(&[0.1, 0.2, 0.3]), values(&[0.1, 0.2])], &[0, 0]));
}

#[test]
#[should_panic(expected = "softmax_cross_entropy: 1 predictions but 2 targets")]
fn softmax_cross_entropy_names_both_lengths() {
    scope(|| softmax_cross_entropy(&[values(&[0.1, 0.2])], &[0, 1]));
}

#[test]
fn max_margin_with_plus_minus_one_labels_still_works() {
    // s = [0.9, 0.1], y = [1, -1]: relu(1 - 0.9) = 0.1, relu(1 + 0.1) = 1.1,
    // mean 0.6; dL/ds = -y / 2 on both (both margins active): [-0.5, 0.5].
    scope(|| {
        let s = values(&[0.9, 0.1]);
        let l = max_margin(&s, &[1.0, -1.0]);
        l.backward();
        assert_close(l.data(), 0.6, 1e-15, "loss");
        assert_eq!((s[0].grad(), s[1].grad()), (-0.5, 0.5));
    });
}

// ---- 4. Binary cross-entropy on logits ------------------------------------

#[test]
fn binary_cross_entropy_at_extreme_logits_is_exact() {
    // loss_i = max(z, 0) - z y + ln(1 + e^-|z|), dL/dz_i = (sigmoid(z) - y) / n.
    // At |z| = 800, e^-800 underflows to 0, so ln(1 + e^-800) = 0 and
    // sigmoid(800) = 1, sigmoid(-800) = 0 exactly:
    //   z =  800, y = 1: 800 - 800 + 0 = 0,  grad (1 - 1) / 4 = 0
    //   z = -800, y = 1:   0 + 800 + 0 = 800, grad (0 - 1) / 4 = -0.25
    //   z =  800, y = 0: 800 -   0 + 0 = 800, grad (1 - 0) / 4 = 0.25
    //   z = -800, y = 0:   0 -   0 + 0 = 0,  grad (0 - 0) / 4 = 0
    // mean loss (0 + 800 + 800 + 0) / 4 = 400.
    scope(|| {
        let zs = [800.0, -800.0, 800.0, -800.0];
        let ys = [1.0, 1.0, 0.0, 0.0];
        let z = values(&zs);
        let l = binary_cross_entropy_with_logits(&z, &ys);
        l.backward();
        assert_eq!(l.data(), 400.0);
        for ((zi, &z0), &y) in z.iter().zip(&zs).zip(&ys) {
            let want = (sigmoid(z0) - y) / 4.0;
            assert!(zi.grad().is_finite());
            assert_eq!(zi.grad(), want, "z = {z0}, y = {y}");
        }
        assert_eq!(
            z.iter().map(|v| v.grad()).collect::<Vec<_>>(),
            [0.0, -0.25, 0.25, 0.0]
        );
    });
}

#[test]
fn binary_cross_entropy_at_moderate_logits_matches_the_formula_and_a_finite_difference() {
    // z = [0.7, -1.3, 2.1, 30], y = [1, 0, 0.3, 1]: each term is
    // softplus(z) - z y, e.g. softplus(0.7) - 0.7 = ln(1 + e^-0.7) = 0.40318;
    // the last is ln(1 + e^-30) = 9.357623e-14, kept to full precision.
    let zs = [0.7, -1.3, 2.1, 30.0];
    let ys = [1.0, 0.0, 0.3, 1.0];
    let softplus = |x: f64| x.max(0.0) + (-x.abs()).exp().ln_1p();
    let loss_f64 = |z: &[f64]| scope(|| binary_cross_entropy_with_logits(&values(z), &ys).data());
    let want: f64 = zs
        .iter()
        .zip(&ys)
        .map(|(&z, &y)| softplus(z) - z * y)
        .sum::<f64>()
        / 4.0;
    assert_close(loss_f64(&zs), want, 1e-15, "loss");
    // The y = 1, z = 30 term alone: relative precision, not absolute.
    let tiny = scope(|| binary_cross_entropy_with_logits(&values(&[30.0]), &[1.0]).data());
    let tiny_want = (-30f64).exp().ln_1p();
    assert!(
        ((tiny - tiny_want) / tiny_want).abs() < 1e-14,
        "{tiny} vs {tiny_want}"
    );
    let grads = scope(|| {
        let z = values(&zs);
        binary_cross_entropy_with_logits(&z, &ys).backward();
        z.iter().map(|v| v.grad()).collect::<Vec<_>>()
    });
    let fd = finite_difference(loss_f64, &zs, 1e-5);
    for i in 0..4 {
        let formula = (sigmoid(zs[i]) - ys[i]) / 4.0;
        assert_close(grads[i], formula, 1e-15, "formula");
        assert_close(grads[i], fd[i], 1e-8, "finite difference");
    }
}

// ---- 4. Softmax cross-entropy ----------------------------------------------

#[test]
fn softmax_cross_entropy_at_extreme_logits_is_exact() {
    // Row 0: z = [800, -800, 0], class 1. m = 800; e^(z - m) = [1, e^-1600,
    // e^-800] = [1, 0, 0], S = 1: loss = ln 1 + 800 - (-800) = 1600;
    // softmax - onehot = [1, 0 - 1, 0] = [1, -1, 0].
    // Row 1: z = [800, 800, -800], class 0. e^(z - m) = [1, 1, 0], S = 2:
    // loss = ln 2 + 800 - 800 = ln 2; softmax - onehot = [-0.5, 0.5, 0].
    // Mean over 2 rows: loss (1600 + ln 2) / 2, gradients halved.
    scope(|| {
        let rows = [
            values(&[800.0, -800.0, 0.0]),
            values(&[800.0, 800.0, -800.0]),
        ];
        let l = softmax_cross_entropy(&rows, &[1, 0]);
        l.backward();
        // ln 2 + 800 - 800 loses ln 2's last bits to the 800: 1e-13.
        assert_close(l.data(), (1600.0 + 2f64.ln()) / 2.0, 1e-15, "loss");
        let grads: Vec<Vec<f64>> = rows
            .iter()
            .map(|r| r.iter().map(|v| v.grad()).collect())
            .collect();
        assert_eq!(grads, [[0.5, -0.5, 0.0], [-0.25, 0.25, 0.0]]);
        // The right class with a huge margin costs exactly nothing.
        let z = values(&[800.0, -800.0, 0.0]);
        let l = softmax_cross_entropy(std::slice::from_ref(&z), &[0]);
        l.backward();
        assert_eq!(l.data(), 0.0);
        assert_eq!(z.iter().map(|v| v.grad()).collect::<Vec<_>>(), [0.0; 3]);
    });
}

#[test]
fn softmax_cross_entropy_at_moderate_logits_matches_the_formula_and_a_finite_difference() {
    // L = mean_i [ln sum_j e^z_ij - z_i c_i], dL/dz_ij = (softmax_ij - [j == c_i]) / 2.
    let zs = [0.2, -1.0, 1.5, 2.0, 0.1, -0.3];
    let classes = [2, 1];
    let loss_f64 = |z: &[f64]| {
        scope(|| {
            let rows = [values(&z[..3]), values(&z[3..])];
            softmax_cross_entropy(&rows, &classes).data()
        })
    };
    let reference = |z: &[f64], c: usize| -> (f64, Vec<f64>) {
        let s: f64 = z.iter().map(|x| x.exp()).sum();
        let loss = s.ln() - z[c];
        let grad = (0..z.len())
            .map(|j| z[j].exp() / s - if j == c { 1.0 } else { 0.0 })
            .collect();
        (loss, grad)
    };
    let (l0, g0) = reference(&zs[..3], 2);
    let (l1, g1) = reference(&zs[3..], 1);
    assert_close(loss_f64(&zs), (l0 + l1) / 2.0, 1e-14, "loss");
    let grads = scope(|| {
        let rows = [values(&zs[..3]), values(&zs[3..])];
        softmax_cross_entropy(&rows, &classes).backward();
        rows.iter()
            .flat_map(|r| r.iter().map(|v| v.grad()))
            .collect::<Vec<_>>()
    });
    let fd = finite_difference(loss_f64, &zs, 1e-5);
    for (i, &formula) in g0.iter().chain(&g1).enumerate() {
        assert_close(grads[i], formula / 2.0, 1e-15, "formula");
        assert_close(grads[i], fd[i], 1e-8, "finite difference");
    }
}

#[test]
fn softmax_cross_entropy_takes_arrays_and_vecs() {
    // Two classes at z = [0, 0], class 1: -ln(1/2) = ln 2, grad [0.5, -0.5].
    scope(|| {
        let z = [Value::new(0.0), Value::new(0.0)];
        let l = softmax_cross_entropy(&[z], &[1]);
        l.backward();
        assert_close(l.data(), 2f64.ln(), 1e-15, "loss");
        assert_eq!((z[0].grad(), z[1].grad()), (0.5, -0.5));
    });
}

#[test]
#[should_panic(expected = "max_margin: label 0 at index 1 is not -1 or +1; \
                           max_margin takes labels in {-1, +1} (map 0/1 labels with 2y - 1)")]
fn max_margin_rejects_zero_one_labels() {
    // relu(1 - 0 s) = 1 whatever s: a 0 label was a constant loss, no gradient.
    scope(|| max_margin(&values(&[0.9, 0.1]), &[1.0, 0.0]));
}
