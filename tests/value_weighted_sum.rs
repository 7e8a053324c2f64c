//! `Value::weighted_sum` has two internal forms: operands that are runs of
//! consecutive nodes (a neuron's weights, a layer's outputs) are stored as
//! two run starts and swept as slices; anything else is gathered handle by
//! handle. Both must give the same bits, and every freed handle must still
//! panic.

use micrograd::{Value, last_backward_work, scope};

/// Bits of `y = 1.7 * tanh(sum_k w_k x_k + b)`'s value and of the
/// gradients of all `w`, `x` and `b`, built with leaves laid out as
/// `interleave` says: consecutive runs (`false`) or `w_k, x_k` alternating
/// (`true`, so neither operand list is a run).
fn bits(w: &[f64], x: &[f64], b: f64, interleave: bool) -> Vec<u64> {
    scope(|| {
        let (ws, xs): (Vec<Value>, Vec<Value>) = if interleave {
            w.iter()
                .zip(x)
                .map(|(&w, &x)| (Value::new(w), Value::new(x)))
                .unzip()
        } else {
            let ws = w.iter().map(|&v| Value::new(v)).collect();
            (ws, x.iter().map(|&v| Value::new(v)).collect())
        };
        let bv = Value::new(b);
        let y = Value::weighted_sum(&ws, &xs, bv).tanh() * 1.7;
        y.backward();
        let mut out = vec![y.data().to_bits()];
        out.extend(
            ws.iter()
                .chain(&xs)
                .chain([&bv])
                .map(|v| v.grad().to_bits()),
        );
        out
    })
}

/// `n` values in (-1.3, 1.3) that are not round numbers, so that sums
/// in another order would round differently.
fn values(n: usize, seed: f64) -> Vec<f64> {
    (0..n)
        .map(|k| 1.3 * (seed + 0.77 * k as f64).sin())
        .collect()
}

#[test]
fn run_and_gather_forms_give_the_same_bits() {
    // Lengths around the 4 partial sums of the forward, and a neuron's 16.
    for n in [2, 3, 4, 5, 7, 8, 16, 17, 33] {
        let (w, x) = (values(n, 0.1), values(n, 2.9));
        let (run, gather) = (bits(&w, &x, 0.37, false), bits(&w, &x, 0.37, true));
        assert_eq!(run, gather, "n = {n}");
    }
}

#[test]
fn sum_of_squares_in_both_forms_gives_the_same_bits() {
    // y = sum_k p_k^2 (one run passed as weights and inputs, as `l2` does):
    // dy/dp_k = 2 p_k, arriving as p_k (as a weight) plus p_k (as an input).
    let p = values(19, 0.5);
    let run = scope(|| {
        let ps: Vec<Value> = p.iter().map(|&v| Value::new(v)).collect();
        let y = Value::weighted_sum(&ps, &ps, Value::new(0.0));
        y.backward();
        let grads: Vec<f64> = ps.iter().map(|v| v.grad()).collect();
        (y.data(), grads)
    });
    let gather = scope(|| {
        // A constant after each parameter breaks the run.
        let ps: Vec<Value> = p
            .iter()
            .map(|&v| {
                let pv = Value::new(v);
                let _gap = Value::new(0.0);
                pv
            })
            .collect();
        let y = Value::weighted_sum(&ps, &ps, Value::new(0.0));
        y.backward();
        let grads: Vec<f64> = ps.iter().map(|v| v.grad()).collect();
        (y.data(), grads)
    });
    assert_eq!(run.0.to_bits(), gather.0.to_bits());
    for ((a, b), p) in run.1.iter().zip(&gather.1).zip(&p) {
        assert_eq!(a.to_bits(), b.to_bits());
        assert!((a - 2.0 * p).abs() <= 1e-15 * p.abs().max(1.0));
    }
    let sum: f64 = p.iter().map(|p| p * p).sum();
    assert!((run.0 - sum).abs() <= 1e-14);
}

#[test]
fn runs_that_partly_overlap_get_the_right_gradients() {
    // y = sum_{k<4} v_k v_{k+1} + b over five consecutive leaves (inputs are
    // the weights shifted by one): dy/dv_j = v_{j-1} + v_{j+1}, with the
    // missing neighbour taken as 0 at both ends.
    let v = [0.5, -1.25, 2.0, 0.75, -0.3];
    let vs: Vec<Value> = v.iter().map(|&x| Value::new(x)).collect();
    let b = Value::new(0.1);
    let y = Value::weighted_sum(&vs[..4], &vs[1..], b);
    y.backward();
    let want_y: f64 = (0..4).map(|k| v[k] * v[k + 1]).sum::<f64>() + 0.1;
    assert!((y.data() - want_y).abs() < 1e-14);
    for j in 0..5 {
        let left = if j > 0 { v[j - 1] } else { 0.0 };
        let right = if j < 4 { v[j + 1] } else { 0.0 };
        assert!((vs[j].grad() - (left + right)).abs() < 1e-14, "dv{j}");
    }
}

#[test]
fn consecutive_indices_from_two_scopes_are_not_a_run() {
    // `a` is created before the scope and `b` as the scope's first node:
    // consecutive slots of different segments. y = 2a + 3b: da = 2, db = 3.
    let a = Value::new(1.5);
    let (da, db) = scope(|| {
        let b = Value::new(-0.5);
        let c = [Value::new(2.0), Value::new(3.0)];
        let y = Value::weighted_sum(&[a, b], &c, Value::new(0.0));
        assert_eq!(y.data(), 2.0 * 1.5 + 3.0 * -0.5);
        y.backward();
        (a.grad(), b.grad())
    });
    assert_eq!((da, db), (2.0, 3.0));
}

#[test]
fn run_operands_far_down_the_tape_get_the_same_bits() {
    // The same function built twice, once compactly and once with 2,000
    // unrelated nodes between the weights and the rest, so the backward
    // sweep gives up on the dense pass and reaches the runs from a heap.
    fn build(junk: usize) -> Vec<u64> {
        scope(|| {
            let ws: Vec<Value> = values(8, 1.0).into_iter().map(Value::new).collect();
            let xs: Vec<Value> = values(8, 4.0).into_iter().map(Value::new).collect();
            let noise = Value::new(1.0);
            for _ in 0..junk {
                let _ = noise * 2.0;
            }
            let h: Vec<Value> = (0..8)
                .map(|k| Value::weighted_sum(&ws, &xs, xs[k]).tanh())
                .collect();
            let y = Value::weighted_sum(&ws, &h, ws[0]);
            y.backward();
            ws.iter().chain(&xs).map(|v| v.grad().to_bits()).collect()
        })
    }
    let (dense, sparse) = (build(0), build(2000));
    assert_eq!(dense, sparse);
    assert!(last_backward_work() < 500); // not the 4,000 slots of junk
}

#[test]
#[should_panic(expected = "this Value was freed when the `scope` that created it returned")]
fn freed_run_panics_even_when_its_slots_hold_a_new_run() {
    let ws = scope(|| vec![Value::new(1.0), Value::new(2.0), Value::new(3.0)]);
    // These take the freed slots: same indices, another segment.
    let xs = [Value::new(4.0), Value::new(5.0), Value::new(6.0)];
    let _ = Value::weighted_sum(&ws, &xs, Value::new(0.0));
}

#[test]
#[should_panic(expected = "this Value was freed when the `scope` that created it returned")]
fn freed_run_panics_when_only_its_inputs_are_freed() {
    let ws = [Value::new(1.0), Value::new(2.0)];
    let xs = scope(|| vec![Value::new(4.0), Value::new(5.0)]);
    let _ = Value::weighted_sum(&ws, &xs, Value::new(0.0));
}

/// d out / d (x, w, b) for `out = k * x + (w * k + b)` with `k = 3 x`, the
/// weighted sum recorded between `k` and `k * x`, and `gap` unrelated
/// nodes before `out` (enough to send the sweep into its sparse phase).
fn grads_through_a_sum_and_a_product(x: f64, w: f64, b: f64, gap: usize) -> [f64; 3] {
    scope(|| {
        let (xv, wv, bv) = (Value::new(x), Value::new(w), Value::new(b));
        let k = xv * 3.0;
        let sum = Value::weighted_sum(&[wv], &[k], bv);
        let product = k * xv;
        for _ in 0..gap {
            Value::new(0.0);
        }
        let out = product + sum;
        out.backward();
        [xv.grad(), wv.grad(), bv.grad()]
    })
}

#[test]
fn a_node_reached_through_a_product_and_a_weighted_sum_gets_both_shares() {
    // The sweep adds `k * x`'s share to k, then the weighted sum adds its
    // own in bulk, then handles k: its adjoint must hold both.
    // out = 3x^2 + 3wx + b: d/dx = 6x + 3w, d/dw = 3x, d/db = 1.
    let (x, w, b) = (2.0, 5.0, 0.5);
    for gap in [0, 1_000] {
        let [gx, gw, gb] = grads_through_a_sum_and_a_product(x, w, b, gap);
        assert_eq!((gx, gw, gb), (6.0 * x + 3.0 * w, 3.0 * x, 1.0), "gap {gap}");
    }
}
