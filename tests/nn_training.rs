//! Training end to end: the `Value` engine against the hand-written
//! baseline, the two reference runs, and memory staying flat.

use micrograd::data::{moons, notebook};
use micrograd::loss::{accuracy, l2, max_margin, squared_error_sum};
use micrograd::nn::Mlp;
use micrograd::optim::{LrSchedule, Optimizer, Sgd};
use micrograd::{Value, graph_len, scope};

#[allow(dead_code)]
#[path = "nn_handwritten.rs"]
mod handwritten;
use handwritten::HandMlp;

const ALPHA: f64 = 1e-4;

/// micrograd's demo step: returns (loss, accuracy) before the update.
fn moons_step(
    mlp: &Mlp,
    params: &[Value],
    opt: &mut Sgd,
    xs: &[Vec<f64>],
    ys: &[f64],
) -> (f64, f64) {
    scope(|| {
        let scores: Vec<Value> = xs.iter().map(|x| mlp.forward_f64(x)[0]).collect();
        let loss = max_margin(&scores, ys) + l2(params, ALPHA);
        opt.zero_grad();
        loss.backward();
        opt.step();
        let s: Vec<f64> = scores.iter().map(|v| v.data()).collect();
        (loss.data(), accuracy(&s, ys))
    })
}

#[test]
fn value_engine_matches_the_handwritten_baseline() {
    // Same parameters, same data: loss and all 337 gradients agree up to
    // summation order, over a few SGD steps (so relu patterns change too).
    let d = moons(100, 0.1, 11);
    let mlp = Mlp::demo(2, &[16, 16, 1], 11);
    let params = mlp.parameters();
    let mut hand = HandMlp::from_params(&params.iter().map(|p| p.data()).collect::<Vec<_>>());
    let xs: Vec<[f64; 2]> = d.xs.iter().map(|x| [x[0], x[1]]).collect();
    let mut g = HandMlp::zeros();
    for k in 0..5 {
        let lr = 1.0 - 0.9 * k as f64 / 100.0;
        let (hand_loss, hand_acc) = hand.loss_grad(&xs, &d.ys, ALPHA, &mut g);
        let mut opt = Sgd::new(params.clone(), LrSchedule::Constant(lr));
        let (loss, acc) = scope(|| {
            let scores: Vec<Value> = d.xs.iter().map(|x| mlp.forward_f64(x)[0]).collect();
            let loss = max_margin(&scores, &d.ys) + l2(&params, ALPHA);
            opt.zero_grad();
            loss.backward();
            let s: Vec<f64> = scores.iter().map(|v| v.data()).collect();
            (loss.data(), accuracy(&s, &d.ys))
        });
        assert!(
            (loss - hand_loss).abs() < 1e-12,
            "step {k}: {loss} vs {hand_loss}"
        );
        assert_eq!(acc, hand_acc);
        for (i, (p, h)) in params.iter().zip(g.to_params()).enumerate() {
            assert!(
                (p.grad() - h).abs() < 1e-12,
                "step {k} param {i}: {} vs {h}",
                p.grad()
            );
        }
        opt.step();
        hand.sgd(&g, lr);
    }
}

#[test]
fn micrograd_demo_reaches_full_training_accuracy() {
    // The example's default run: seed 0, 100 points, noise 0.1, 100 steps
    // with lr = 1 - 0.9 k / 100.
    let d = moons(100, 0.1, 0);
    let mlp = Mlp::demo(2, &[16, 16, 1], 0);
    let params = mlp.parameters();
    let mut opt = Sgd::new(params.clone(), LrSchedule::micrograd(100));
    let mut first = None;
    for _ in 0..100 {
        let (loss, _) = moons_step(&mlp, &params, &mut opt, &d.xs, &d.ys);
        first.get_or_insert(loss);
    }
    let scores: Vec<f64> =
        d.xs.iter()
            .map(|x| scope(|| mlp.forward_f64(x)[0].data()))
            .collect();
    assert_eq!(accuracy(&scores, &d.ys), 1.0);
    let last = scope(|| {
        let s: Vec<Value> = d.xs.iter().map(|x| mlp.forward_f64(x)[0]).collect();
        (max_margin(&s, &d.ys) + l2(&params, ALPHA)).data()
    });
    assert!(last < 0.1 * first.unwrap(), "loss {first:?} -> {last}");
}

#[test]
fn lecture_notebook_loss_drops_below_a_hundredth() {
    // The example's `--dataset notebook` run: 3 -> 4 -> 4 -> 1 tanh, squared
    // error summed over the 4 samples, 100 SGD steps at constant lr 0.1.
    let d = notebook();
    let mlp = Mlp::lecture(3, &[4, 4, 1], 0);
    let mut opt = Sgd::new(mlp.parameters(), LrSchedule::Constant(0.1));
    let loss_now = |mlp: &Mlp| {
        scope(|| {
            let p: Vec<Value> = d.xs.iter().map(|x| mlp.forward_f64(x)[0]).collect();
            squared_error_sum(&p, &d.ys).data()
        })
    };
    let first = loss_now(&mlp);
    let mut after_20 = 0.0;
    for k in 0..100 {
        scope(|| {
            let p: Vec<Value> = d.xs.iter().map(|x| mlp.forward_f64(x)[0]).collect();
            let loss = squared_error_sum(&p, &d.ys);
            opt.zero_grad();
            loss.backward();
            opt.step();
        });
        if k == 19 {
            after_20 = loss_now(&mlp);
        }
    }
    let last = loss_now(&mlp);
    assert!(
        after_20 < first,
        "a short run lowers the loss: {first} -> {after_20}"
    );
    assert!(last < 0.01, "final loss {last}");
}

#[test]
fn graph_returns_to_its_size_after_every_step() {
    // Parameters live outside `scope`; each step's nodes are freed, so the
    // live node count is the same after 2,000 steps as after one.
    let d = moons(20, 0.1, 1);
    let mlp = Mlp::demo(2, &[8, 8, 1], 1);
    let params = mlp.parameters();
    let mut opt = Sgd::new(params.clone(), LrSchedule::Constant(0.1));
    let base = graph_len();
    moons_step(&mlp, &params, &mut opt, &d.xs, &d.ys);
    assert_eq!(graph_len(), base);
    for _ in 0..2000 {
        moons_step(&mlp, &params, &mut opt, &d.xs, &d.ys);
    }
    assert_eq!(graph_len(), base);
}

#[test]
fn training_is_deterministic_for_a_seed() {
    let run = |seed: u64| {
        let d = moons(30, 0.1, seed);
        let mlp = Mlp::demo(2, &[8, 8, 1], seed);
        let params = mlp.parameters();
        let mut opt = Sgd::new(params.clone(), LrSchedule::micrograd(20));
        let losses: Vec<f64> = (0..20)
            .map(|_| moons_step(&mlp, &params, &mut opt, &d.xs, &d.ys).0)
            .collect();
        (losses, params.iter().map(|p| p.data()).collect::<Vec<_>>())
    };
    // Bit-for-bit equality is the point: same seed, same arithmetic.
    assert_eq!(run(5), run(5));
    assert_ne!(run(5).0, run(6).0);
}

#[test]
fn samples_that_met_their_margin_do_not_slow_the_sweep() {
    // As training proceeds, samples meet their margin and pass no adjoint
    // back: their ~40 nodes each are slots the backward sweep skips. It
    // must keep its dense pass (examining each slot once: work at most the
    // graph's size) rather than fall back to the heap, which examined
    // 6,300-7,400 slots of a 4,246-node graph here and took 4x as long
    // (`backward.rs`, DENSE and SLACK).
    let d = moons(100, 0.1, 0);
    let mlp = Mlp::demo(2, &[16, 16, 1], 0);
    let params = mlp.parameters();
    let mut opt = Sgd::new(params.clone(), LrSchedule::Constant(1.0));
    for step in 0..40 {
        let (work, nodes) = scope(|| {
            let scores: Vec<Value> = d.xs.iter().map(|x| mlp.forward_f64(x)[0]).collect();
            let loss = max_margin(&scores, &d.ys) + l2(&params, ALPHA);
            opt.zero_grad();
            loss.backward();
            opt.step();
            (micrograd::last_backward_work(), graph_len())
        });
        assert!(work <= nodes, "step {step}: {work} slots for {nodes} nodes");
    }
}
