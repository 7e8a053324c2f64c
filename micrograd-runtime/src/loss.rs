//! Losses on [`Value`] scores, and accuracy for +-1 labels.
//!
//! Every function takes predictions as `Value`s and targets as plain `f64`s
//! (or class indices; targets carry no gradient) and returns one `Value` to
//! call `backward` on.
//!
//! Label conventions differ by function, and each is checked, never
//! guessed: a label outside a function's convention is a panic naming it
//! (see each `# Panics`), because a 0/1 label fed where -1/+1 is expected,
//! or the other way round, otherwise trains and scores silently wrong.
//!
//! | function | predictions | targets |
//! |---|---|---|
//! | [`squared_error_sum`], [`squared_error_mean`] | `n` values | `n` reals |
//! | [`max_margin`] | `n` scores | `n` labels in {-1, +1} |
//! | [`accuracy`] | `n` scores (`f64`) | `n` labels in {-1, +1} |
//! | [`binary_cross_entropy_with_logits`] | `n` logits | `n` probabilities in [0, 1] (labels 0/1) |
//! | [`softmax_cross_entropy`] | `n` rows of `c` logits | `n` class indices in `0..c` |

use crate::Value;
use crate::op::Code;
use crate::tape;

fn check_lengths(what: &str, preds: usize, targets: usize) {
    assert!(
        preds == targets,
        "{what}: {preds} predictions but {targets} targets"
    );
}

/// `sum_i (p_i - y_i)^2`, the lecture's loss.
///
/// # Panics
/// If the two slices differ in length.
///
/// ```
/// use micrograd_runtime::{Value, loss::squared_error_sum};
/// let p = [Value::new(0.5), Value::new(-1.0)];
/// let l = squared_error_sum(&p, &[1.0, 1.0]);
/// assert_eq!(l.data(), 0.25 + 4.0);
/// ```
pub fn squared_error_sum(preds: &[Value], targets: &[f64]) -> Value {
    check_lengths("squared_error_sum", preds.len(), targets.len());
    preds
        .iter()
        .zip(targets)
        .map(|(&p, &y)| (p - y).powi(2))
        .sum()
}

/// `mean_i (p_i - y_i)^2`.
///
/// # Panics
/// If the two slices differ in length or are empty.
///
/// ```
/// use micrograd_runtime::{Value, loss::squared_error_mean};
/// let p = [Value::new(0.5), Value::new(-1.0)];
/// assert_eq!(squared_error_mean(&p, &[1.0, 1.0]).data(), (0.25 + 4.0) / 2.0);
/// ```
pub fn squared_error_mean(preds: &[Value], targets: &[f64]) -> Value {
    assert!(!preds.is_empty(), "squared_error_mean: no predictions");
    squared_error_sum(preds, targets) * (1.0 / preds.len() as f64)
}

/// The SVM max-margin (hinge) loss `mean_i relu(1 - y_i s_i)` for labels
/// `y_i` in {-1, +1}: zero for a point scored on the right side with margin
/// at least 1, linear in the score otherwise.
///
/// # Panics
/// If the two slices differ in length or are empty, or if a label is not
/// -1 or +1 (a 0 label would otherwise give a constant loss of 1 and no
/// gradient, silently).
///
/// ```
/// use micrograd_runtime::{Value, loss::max_margin};
/// let s = [Value::new(2.0), Value::new(0.5)];
/// // relu(1 - 2) = 0 and relu(1 + 0.5) = 1.5, mean 0.75
/// assert_eq!(max_margin(&s, &[1.0, -1.0]).data(), 0.75);
/// ```
pub fn max_margin(scores: &[Value], labels: &[f64]) -> Value {
    check_lengths("max_margin", scores.len(), labels.len());
    assert!(!scores.is_empty(), "max_margin: no scores");
    check_pm1_labels("max_margin", labels);
    // The graph of `sum_i (1.0 - s_i * y_i).relu()` summed left to right,
    // recorded in one tape borrow instead of ~8 per point, and with one
    // constant leaf per distinct label and one for the 1.0 rather than a
    // leaf per use: constants carry no gradient (OPS.md), so sharing them
    // changes no value and no gradient that matters, only the node count.
    let total = tape::with(|t| {
        let one = t.push(1.0, Code::Const, 0, 0).idx;
        // Labels are nearly always +-1: a tiny list, searched linearly and
        // capped, so real-valued labels cost a leaf each, not a quadratic search.
        const SHARED_LABELS: usize = 8;
        let mut consts: Vec<(u64, u32)> = Vec::with_capacity(SHARED_LABELS);
        let mut total: Option<Value> = None;
        for (&s, &y) in scores.iter().zip(labels) {
            let si = t.index(s) as u32;
            let yi = match consts.iter().find(|c| c.0 == y.to_bits()) {
                Some(&(_, i)) => i,
                None => {
                    let i = t.push(y, Code::Const, 0, 0).idx;
                    if consts.len() < SHARED_LABELS {
                        consts.push((y.to_bits(), i));
                    }
                    i
                }
            };
            let sy = t.push_binary_live(Code::Mul, si, yi).idx;
            let margin = t.push_binary_live(Code::Sub, one, sy);
            let hinge = t.push_unary_live(Code::Relu, margin.idx, 0);
            total = Some(match total {
                None => hinge,
                Some(acc) => t.push_binary_live(Code::Add, acc.idx, hinge.idx),
            });
        }
        total.expect("max_margin: no scores, checked above")
    });
    total * (1.0 / scores.len() as f64)
}

/// `alpha * sum_p p^2`, micrograd's weight decay. The sum of squares is one
/// fused [`Value::weighted_sum`] of the parameters with themselves (each
/// `p` is both weight and input, so its gradient `2p` arrives in two
/// halves), one node instead of two per parameter.
///
/// ```
/// use micrograd_runtime::{Value, loss::l2};
/// let p = [Value::new(3.0), Value::new(-4.0)];
/// let r = l2(&p, 0.5);
/// r.backward();
/// assert_eq!(r.data(), 0.5 * 25.0);
/// assert_eq!(p[1].grad(), 2.0 * 0.5 * -4.0); // d/dp alpha p^2 = 2 alpha p
/// ```
pub fn l2(params: &[Value], alpha: f64) -> Value {
    Value::weighted_sum(params, params, Value::new(0.0)) * alpha
}

/// Panics unless every label is -1 or +1, naming the first that is not.
fn check_pm1_labels(what: &str, labels: &[f64]) {
    if let Some((i, y)) = labels
        .iter()
        .enumerate()
        .find(|&(_, &y)| y != 1.0 && y != -1.0)
    {
        panic!(
            "{what}: label {y} at index {i} is not -1 or +1; {what} takes labels in {{-1, +1}} \
             (map 0/1 labels with 2y - 1)"
        );
    }
}

/// The fraction of points whose score has the label's sign, counting a
/// score of exactly 0 as a vote for -1 (micrograd's `(y > 0) == (s > 0)`).
/// The fraction of an empty slice is 0.
///
/// # Panics
/// If the two slices differ in length, or if a label is not -1 or +1 (0/1
/// labels would otherwise be scored as if 0 were -1, silently).
///
/// ```
/// use micrograd_runtime::loss::accuracy;
/// assert_eq!(accuracy(&[0.3, -2.0, 0.0, 1.0], &[1.0, -1.0, 1.0, -1.0]), 0.5);
/// ```
///
/// ```should_panic
/// // 0/1 labels: "accuracy: label 0 at index 1 is not -1 or +1; ..."
/// micrograd_runtime::loss::accuracy(&[0.9, 0.1], &[1.0, 0.0]);
/// ```
pub fn accuracy(scores: &[f64], labels: &[f64]) -> f64 {
    check_lengths("accuracy", scores.len(), labels.len());
    check_pm1_labels("accuracy", labels);
    if scores.is_empty() {
        return 0.0;
    }
    let correct = scores
        .iter()
        .zip(labels)
        .filter(|&(&s, &y)| (s > 0.0) == (y > 0.0))
        .count();
    correct as f64 / scores.len() as f64
}

/// Binary cross-entropy on logits, `mean_i [softplus(z_i) - z_i y_i]`, the
/// mean over `i` of `-(y ln sigmoid(z) + (1 - y) ln(1 - sigmoid(z)))`
/// (PyTorch's `BCEWithLogitsLoss` with its default mean), computed in the
/// stable form `max(z, 0) - z y + ln(1 + e^-|z|)` that neither overflows
/// nor takes the log of a rounded-off probability, so logits of any size
/// give a finite loss and gradient. The gradient is
/// `dL/dz_i = (sigmoid(z_i) - y_i) / n`.
///
/// `logits` are raw scores (no sigmoid applied); `labels` are `y_i` in {0,
/// 1}, or a target probability in [0, 1] (soft labels).
///
/// # Panics
/// If the two slices differ in length or are empty, or if a label is not in
/// [0, 1] (a -1/+1 label, [`max_margin`]'s convention, is rejected here).
///
/// ```
/// use micrograd_runtime::{Value, loss::binary_cross_entropy_with_logits};
/// let z = [Value::new(0.0)];
/// let l = binary_cross_entropy_with_logits(&z, &[1.0]);
/// l.backward();
/// assert!((l.data() - 2f64.ln()).abs() < 1e-15); // -ln sigmoid(0) = ln 2
/// assert_eq!(z[0].grad(), -0.5); // sigmoid(0) - 1
/// // A confident mistake costs its logit, not inf: z = -800, y = 1.
/// let z = [Value::new(-800.0)];
/// assert_eq!(binary_cross_entropy_with_logits(&z, &[1.0]).data(), 800.0);
/// ```
pub fn binary_cross_entropy_with_logits(logits: &[Value], labels: &[f64]) -> Value {
    const WHAT: &str = "binary_cross_entropy_with_logits";
    check_lengths(WHAT, logits.len(), labels.len());
    assert!(!logits.is_empty(), "{WHAT}: no logits");
    if let Some((i, y)) = labels
        .iter()
        .enumerate()
        .find(|&(_, y)| !(0.0..=1.0).contains(y))
    {
        panic!(
            "{WHAT}: label {y} at index {i} is not in [0, 1]; {WHAT} takes labels 0/1 \
             (or probabilities) (map -1/+1 labels with (y + 1) / 2)"
        );
    }
    // softplus(z) - z y is the stable form; for the common hard labels the
    // terms are taken so that nothing cancels: y = 0 is softplus(z), and
    // y = 1 is softplus(z) - z = -log_sigmoid(z), which keeps the digits
    // of a small loss (softplus(30) - 30 would round 9.4e-14 away).
    // Their gradients are sigmoid(z) and -sigmoid(-z) = sigmoid(z) - 1.
    let total: Value = logits
        .iter()
        .zip(labels)
        .map(|(&z, &y)| {
            if y == 1.0 {
                -z.log_sigmoid()
            } else if y == 0.0 {
                z.softplus()
            } else {
                z.softplus() - z * y
            }
        })
        .sum();
    total * (1.0 / logits.len() as f64)
}

/// Softmax cross-entropy for multi-class classification,
/// `mean_i [logsumexp(z_i) - z_i[c_i]]`: the mean over examples `i` of
/// `-ln softmax(z_i)[c_i]` (PyTorch's `CrossEntropyLoss` on class
/// indices, with its default mean). The gradient is
/// `dL/dz_i[j] = (softmax(z_i)[j] - [j == c_i]) / n`.
///
/// `logits` holds one row per example, each the `c` raw scores of that
/// example (any `AsRef<[Value]>`: a `Vec<Value>` from `Mlp::forward`, an
/// array); `classes` holds the true class `c_i` of each, an index in
/// `0..c`. The log-sum-exp is the stable `m + ln sum_j e^(z_j - m)` with
/// `m = max_j z_j`, so logits of any size give a finite loss and gradient;
/// `m` is recorded as a constant, which is exact (logsumexp is
/// shift-invariant: its derivative in `m` is 0).
///
/// # Panics
/// If `logits` and `classes` differ in length or are empty, if a row is
/// empty or its length differs from the first row's, or if a class index
/// is not below the row length.
///
/// ```
/// use micrograd_runtime::{Value, loss::softmax_cross_entropy};
/// let z = [Value::new(0.0), Value::new(0.0)];
/// let l = softmax_cross_entropy(&[z], &[1]);
/// l.backward();
/// assert!((l.data() - 2f64.ln()).abs() < 1e-15); // -ln(1/2)
/// assert_eq!((z[0].grad(), z[1].grad()), (0.5, -0.5)); // softmax - onehot
/// ```
pub fn softmax_cross_entropy<R: AsRef<[Value]>>(logits: &[R], classes: &[usize]) -> Value {
    const WHAT: &str = "softmax_cross_entropy";
    check_lengths(WHAT, logits.len(), classes.len());
    assert!(!logits.is_empty(), "{WHAT}: no examples");
    let c = logits[0].as_ref().len();
    assert!(c > 0, "{WHAT}: row 0 has no logits");
    let total: Value = logits
        .iter()
        .zip(classes)
        .enumerate()
        .map(|(i, (row, &class))| {
            let z = row.as_ref();
            assert!(
                z.len() == c,
                "{WHAT}: row {i} has {} logits but row 0 has {c}",
                z.len()
            );
            assert!(
                class < c,
                "{WHAT}: class {class} of row {i} is out of range; classes are indices in 0..{c}"
            );
            let m = z.iter().map(|v| v.data()).fold(f64::NEG_INFINITY, f64::max);
            let sum_exp: Value = z.iter().map(|&zj| (zj - m).exp()).sum();
            sum_exp.ln() + m - z[class]
        })
        .sum();
    total * (1.0 / logits.len() as f64)
}
