//! Workloads for counting instructions, the one measurement this shared,
//! noisy machine repeats exactly (`valgrind --tool=callgrind` counts the
//! same total for the same binary whatever else runs).
//!
//! `bash benches/count-instructions.sh` runs each workload under callgrind
//! twice, with `reps` and with 0 repetitions, and divides the difference,
//! so start-up, set-up and the first, buffer-growing repetition cancel out. By hand:
//! `cargo bench --bench counts --no-run`, then
//! `valgrind --tool=callgrind <that binary> <workload> <reps>`.
//!
//! Workloads: `expr30` (the 30-node expression of `benches/value.rs`, in a
//! scope), `chain` and `chain_build` (a 200,002-node mul/add chain with
//! and without backward), `train` (one moons step of `benches/train.rs`).

use std::hint::black_box;

use micrograd::data::moons;
use micrograd::loss::{l2, max_margin};
use micrograd::nn::Mlp;
use micrograd::optim::{LrSchedule, Optimizer, Sgd};
use micrograd::{Value, scope};

/// Mul/add steps of the chain workloads: 2 nodes each, plus 3 leaves.
const CHAIN_STEPS: usize = 100_000;

fn expr30() -> f64 {
    scope(|| {
        let leaves = [2.0, 0.0, -3.0, 1.0, 6.881_373_587_019_543].map(|x| Value::new(black_box(x)));
        let [x1, x2, w1, w2, b] = leaves;
        let mut o = x1;
        for _ in 0..5 {
            o = (o * w1 + x2 * w2 + b).tanh();
        }
        o.backward();
        leaves.map(Value::grad).iter().sum()
    })
}

fn chain(backward: bool) -> f64 {
    scope(|| {
        let (w, x) = (Value::new(black_box(0.999)), Value::new(black_box(0.1)));
        let y0 = Value::new(black_box(0.5));
        let mut y = y0;
        for _ in 0..CHAIN_STEPS {
            y = y * w + x;
        }
        if backward {
            y.backward();
            y0.grad()
        } else {
            y.data()
        }
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo bench` runs bench binaries with `--bench`: nothing to do then.
    let (Some(workload), Some(reps)) = (args.get(1), args.get(2)) else {
        return;
    };
    // One more than asked: the first grows the tape's buffers, and the
    // script subtracts a run with 0 (that is, just this one).
    let reps = 1 + reps.parse::<usize>().expect("reps: a whole number");
    match workload.as_str() {
        "expr30" => (0..reps).for_each(|_| {
            black_box(expr30());
        }),
        "chain" => (0..reps).for_each(|_| {
            black_box(chain(true));
        }),
        "chain_build" => (0..reps).for_each(|_| {
            black_box(chain(false));
        }),
        "train" => {
            let data = moons(100, 0.1, 0);
            let mlp = Mlp::demo(2, &[16, 16, 1], 0);
            let params = mlp.parameters();
            let init: Vec<f64> = params.iter().map(|p| p.data()).collect();
            let mut opt = Sgd::new(params.clone(), LrSchedule::Constant(1.0));
            for _ in 0..reps {
                // Every repetition is the same first step, as in benches/train.rs.
                for (p, &v) in params.iter().zip(&init) {
                    p.set_data(v);
                }
                scope(|| {
                    let scores: Vec<Value> =
                        data.xs.iter().map(|x| mlp.forward_f64(x)[0]).collect();
                    let loss = max_margin(&scores, &data.ys) + l2(&params, 1e-4);
                    opt.zero_grad();
                    loss.backward();
                    opt.step();
                    black_box(loss.data())
                });
            }
        }
        other => panic!("unknown workload {other:?}: expr30, chain, chain_build or train"),
    }
}
