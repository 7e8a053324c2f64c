//! One full-batch training step of micrograd's demo setup (100 moons
//! points, Mlp 2 -> 16 -> 16 -> 1 relu/relu/linear, max-margin loss plus
//! 1e-4 * sum(p^2), SGD): the hand-written f64 baseline with no graph.
//!
//! Every timed iteration first restores the initial parameters, so each
//! sample measures the same step (from the same starting point) rather than
//! a step deeper and deeper into training, where fewer margins are active
//! and the backward pass does less work.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use micrograd::data::moons;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[allow(dead_code)]
#[path = "../tests/nn_handwritten.rs"]
mod handwritten;
use handwritten::{HandMlp, NIN};

const ALPHA: f64 = 1e-4;
const LR: f64 = 1.0;

fn bench_step(c: &mut Criterion) {
    let data = moons(100, 0.1, 0);
    let xs: Vec<[f64; NIN]> = data.xs.iter().map(|x| [x[0], x[1]]).collect();
    let ys = data.ys.clone();

    // Weights uniform in (-1, 1), biases 0, as `Mlp` initializes them.
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut init = HandMlp::zeros();
    for row in init.w1t.iter_mut().chain(init.w2t.iter_mut()) {
        row.iter_mut()
            .for_each(|w| *w = rng.random_range(-1.0..1.0));
    }
    init.w3
        .iter_mut()
        .for_each(|w| *w = rng.random_range(-1.0..1.0));

    let mut group = c.benchmark_group("train_step_moons100_2-16-16-1");
    let mut net = init.clone();
    let mut g = HandMlp::zeros();
    group.bench_function("handwritten_f64", |b| {
        b.iter(|| {
            net.clone_from(&init);
            black_box(net.step(black_box(&xs), black_box(&ys), ALPHA, LR, &mut g))
        })
    });
    group.finish();
}

criterion_group!(benches, bench_step);
criterion_main!(benches);
