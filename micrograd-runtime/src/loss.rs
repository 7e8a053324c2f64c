//! Losses on [`Value`] scores, and accuracy for +-1 labels.
//!
//! Every function takes predictions as `Value`s and targets as plain `f64`s
//! (targets carry no gradient) and returns one `Value` to call `backward`
//! on.

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
/// If the two slices differ in length or are empty.
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

/// The fraction of points whose score has the label's sign, counting a
/// score of exactly 0 as a vote for -1 (micrograd's `(y > 0) == (s > 0)`).
///
/// # Panics
/// If the two slices differ in length.
///
/// ```
/// use micrograd_runtime::loss::accuracy;
/// assert_eq!(accuracy(&[0.3, -2.0, 0.0, 1.0], &[1.0, -1.0, 1.0, -1.0]), 0.5);
/// ```
pub fn accuracy(scores: &[f64], labels: &[f64]) -> f64 {
    check_lengths("accuracy", scores.len(), labels.len());
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
