//! One full-batch training step of micrograd's demo setup (100 moons
//! points, Mlp 2 -> 16 -> 16 -> 1 relu/relu/linear, max-margin loss plus
//! 1e-4 * sum(p^2), SGD): on the `Value` graph, as the `grad!` program of
//! `examples/shared/moons_static.rs`, and next to a hand-written f64
//! baseline with no graph, in the same run so their ratios are meaningful.
//!
//! Both start from the same parameters (`Mlp::demo(2, &[16, 16, 1], 0)`),
//! and every timed iteration first restores them, so each sample measures
//! the same step rather than a step deeper and deeper into training, where
//! fewer margins are active and the backward pass does less work.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

#[allow(dead_code)]
#[path = "../tests/nn_handwritten.rs"]
mod handwritten;
use handwritten::{HandMlp, NIN, flat_loss_grad};

#[allow(dead_code)]
mod workloads;

// The same network as one `grad!` program (issue 15).
#[allow(dead_code)]
#[path = "../examples/shared/moons_static.rs"]
mod moons_static;
use workloads::{ALPHA, Demo};

const LR: f64 = 1.0;

fn bench_step(c: &mut Criterion) {
    let mut demo = Demo::new(LR);
    let mut group = c.benchmark_group("train_step_moons100_2-16-16-1");

    // The fused forward (one node per neuron sum) is what training uses; the
    // node-per-op forward is timed too, to show what the fusion buys.
    for fused in [true, false] {
        let name = if fused {
            "value_graph"
        } else {
            "value_graph_unfused"
        };
        group.bench_function(name, |b| b.iter(|| black_box(demo.step(fused))));
    }

    let (data, init) = (&demo.data, &demo.init);
    let xs: Vec<[f64; NIN]> = data.xs.iter().map(|x| [x[0], x[1]]).collect();
    let hand_init = HandMlp::from_params(init);
    let mut net = hand_init.clone();
    let mut g = HandMlp::zeros();
    group.bench_function("handwritten_f64", |b| {
        b.iter(|| {
            net.clone_from(&hand_init);
            black_box(net.step(black_box(&xs), black_box(&data.ys), ALPHA, LR, &mut g))
        })
    });

    // The same loops as the grad! program, reversed by hand.
    let mut p = init.clone();
    let mut g = vec![0.0; p.len()];
    group.bench_function("handwritten_flat_loops", |b| {
        b.iter(|| {
            p.clone_from(init);
            let loss = flat_loss_grad(black_box(&p), black_box(&xs), &data.ys, ALPHA, &mut g);
            for (w, dw) in p.iter_mut().zip(&g) {
                *w -= LR * dw;
            }
            black_box(loss)
        })
    });

    // The grad! program: loss and gradient, then SGD on the flat vector.
    let mut p = init.clone();
    group.bench_function("grad_program", |b| {
        b.iter(|| {
            p.clone_from(init);
            let (loss, g) =
                moons_static::loss_and_gradient(black_box(&p), black_box(&xs), &data.ys, ALPHA);
            for (w, dw) in p.iter_mut().zip(&g) {
                *w -= LR * dw;
            }
            black_box(loss)
        })
    });
    group.finish();
}

criterion_group!(benches, bench_step);
criterion_main!(benches);
