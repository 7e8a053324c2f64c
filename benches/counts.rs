//! Workloads for counting instructions, the one measurement this shared,
//! noisy machine repeats exactly (`valgrind --tool=callgrind` counts the
//! same total for the same binary whatever else runs).
//!
//! `bash benches/count-instructions.sh` runs each workload under callgrind
//! twice, with `reps` and with 0 repetitions, and divides the difference,
//! so start-up, set-up and the first, buffer-growing repetition cancel
//! out. By hand: `cargo bench --bench counts --no-run`, then
//! `valgrind --tool=callgrind <that binary> <workload> <reps>`.
//!
//! The workloads are those criterion times, from `benches/workloads/`:
//! `expr30` (the 30-node expression of `benches/value.rs`, in a scope),
//! `chain` and `chain_build` (a 200,002-node mul/add chain with and
//! without backward), `train` (the fused moons step of `benches/train.rs`)
//! `hand` (that step's hand-written f64 baseline, also from there),
//! `hand_flat` (the same step reversed by hand over the `grad!` program's
//! loops) and `program` (the same step as the `grad!` program of
//! `examples/shared/moons_static.rs`).

use std::hint::black_box;

#[allow(dead_code)]
#[path = "../tests/nn_handwritten.rs"]
mod handwritten;
use handwritten::{HandMlp, NIN, flat_loss_grad};

#[allow(dead_code)]
#[path = "../examples/shared/moons_static.rs"]
mod moons_static;
mod workloads;

#[path = "calls/programs.rs"]
mod calls;
use workloads::{ALPHA, Demo, LECTURE, expr30_value, mul_add_chain};

/// Mul/add steps of the chain workloads: 2 nodes each, plus 3 leaves.
const CHAIN_STEPS: usize = 100_000;

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
            black_box(expr30_value(black_box(LECTURE)));
        }),
        "chain" => (0..reps).for_each(|_| {
            black_box(mul_add_chain(CHAIN_STEPS, true));
        }),
        "calls_straight_helpers" | "calls_straight_inline" => {
            let (w0, w1, b, v, c) = calls::STRAIGHT_AT;
            if workload.ends_with("helpers") {
                let f = calls::straight_helpers();
                (0..reps).for_each(|_| {
                    black_box(f(
                        black_box(w0),
                        black_box(w1),
                        black_box(b),
                        black_box(v),
                        black_box(c),
                    ));
                });
            } else {
                let f = calls::straight_inline();
                (0..reps).for_each(|_| {
                    black_box(f(
                        black_box(w0),
                        black_box(w1),
                        black_box(b),
                        black_box(v),
                        black_box(c),
                    ));
                });
            }
        }
        "calls_loop_helpers" | "calls_loop_inline" => {
            let (w, b) = calls::LOOP_AT;
            if workload.ends_with("helpers") {
                let f = calls::loop_helpers();
                (0..reps).for_each(|_| {
                    black_box(f(black_box(w), black_box(b)));
                });
            } else {
                let f = calls::loop_inline();
                (0..reps).for_each(|_| {
                    black_box(f(black_box(w), black_box(b)));
                });
            }
        }
        "chain_build" => (0..reps).for_each(|_| {
            black_box(mul_add_chain(CHAIN_STEPS, false));
        }),
        "train" => {
            let mut demo = Demo::new(1.0);
            (0..reps).for_each(|_| {
                black_box(demo.step(true));
            });
        }
        "hand" => {
            // As `benches/train.rs` times it.
            let demo = Demo::new(1.0);
            let xs: Vec<[f64; NIN]> = demo.data.xs.iter().map(|x| [x[0], x[1]]).collect();
            let init = HandMlp::from_params(&demo.init);
            let (mut net, mut g) = (init.clone(), HandMlp::zeros());
            (0..reps).for_each(|_| {
                net.clone_from(&init);
                black_box(net.step(black_box(&xs), &demo.data.ys, ALPHA, 1.0, &mut g));
            });
        }
        "hand_flat" => {
            // The grad! program's own loops, reversed by hand.
            let demo = Demo::new(1.0);
            let xs: Vec<[f64; NIN]> = demo.data.xs.iter().map(|x| [x[0], x[1]]).collect();
            let (mut p, mut g) = (demo.init.clone(), vec![0.0; demo.init.len()]);
            (0..reps).for_each(|_| {
                p.clone_from(&demo.init);
                let loss = flat_loss_grad(black_box(&p), &xs, &demo.data.ys, ALPHA, &mut g);
                for (w, dw) in p.iter_mut().zip(&g) {
                    *w -= dw;
                }
                black_box(loss);
            });
        }
        "program" => {
            // As `benches/train.rs` times it: loss and gradient, then SGD.
            let demo = Demo::new(1.0);
            let xs: Vec<[f64; NIN]> = demo.data.xs.iter().map(|x| [x[0], x[1]]).collect();
            let mut p = demo.init.clone();
            (0..reps).for_each(|_| {
                p.clone_from(&demo.init);
                let (loss, g) =
                    moons_static::loss_and_gradient(black_box(&p), &xs, &demo.data.ys, ALPHA);
                for (w, dw) in p.iter_mut().zip(&g) {
                    *w -= dw;
                }
                black_box(loss);
            });
        }
        other => {
            panic!(
                "unknown workload {other:?}: expr30, chain, chain_build, train, hand, hand_flat or program"
            )
        }
    }
}
