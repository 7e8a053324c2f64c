//! One training step of the notebook's network (Mlp 3 -> 4 -> 4 -> 1, tanh
//! everywhere, its four samples, summed squared error, SGD lr 0.1) on the
//! from-scratch engine of `examples/shared/from_scratch.rs` and on the real
//! `Value` engine, in the same run. Python micrograd's time for the same
//! step is `notebook_step` in `benches/reference/micrograd_python.py`.
//!
//! Both start from the same weights (`Mlp::lecture(3, &[4, 4, 1], 42)`) and
//! every timed iteration first restores them, so each sample measures the
//! same step.
//!
//! A second group times one step of an MNIST-sized network (784 -> 128
//! tanh -> 10, softmax cross-entropy, a batch of 64 random "images") on the
//! `Value` engine: the README's "When to move on" divides it by the step's
//! 13.09 million multiply-adds.
//!
//! `cargo bench --bench scratch`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use micrograd::data::notebook;
use micrograd::loss::{softmax_cross_entropy, squared_error_sum};
use micrograd::nn::{Activation, Init, Mlp};
use micrograd::optim::{LrSchedule, Optimizer, Sgd};
use micrograd::{Value, scope};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[allow(dead_code)]
#[path = "../examples/shared/from_scratch.rs"]
mod from_scratch;

const LR: f64 = 0.1;

fn bench_notebook_step(c: &mut Criterion) {
    let data = notebook();
    let real = Mlp::lecture(3, &[4, 4, 1], 42);
    let init = real.parameters_f64();
    let mut w = init.iter().copied();
    let ours = from_scratch::Mlp::new(3, &[4, 4, 1], &mut || w.next().unwrap());
    let ours_params = ours.parameters();

    let mut group = c.benchmark_group("notebook_step_3-4-4-1");
    group.bench_function("from_scratch", |b| {
        b.iter(|| {
            for (p, &v) in ours_params.iter().zip(&init) {
                p.set_data(v);
            }
            black_box(from_scratch::train_step(
                &ours,
                black_box(&data.xs),
                &data.ys,
                LR,
            ))
        })
    });

    // The real engine as examples/notebook.rs trains it: fused neurons
    // (`forward_f64`), and the node-per-op graph the notebook draws.
    let mut opt = Sgd::new(real.parameters(), LrSchedule::Constant(LR));
    for fused in [true, false] {
        let name = if fused {
            "value_graph"
        } else {
            "value_graph_unfused"
        };
        group.bench_function(name, |b| {
            b.iter(|| {
                real.set_parameters_f64(&init);
                scope(|| {
                    let preds: Vec<Value> = black_box(&data.xs)
                        .iter()
                        .map(|x| {
                            if fused {
                                real.forward_f64(x)[0]
                            } else {
                                let x: Vec<Value> = x.iter().map(|&v| Value::new(v)).collect();
                                real.forward_unfused(&x)[0]
                            }
                        })
                        .collect();
                    let loss = squared_error_sum(&preds, &data.ys);
                    opt.zero_grad();
                    loss.backward();
                    opt.step();
                    black_box(loss.data())
                })
            })
        });
    }
    group.finish();
}

/// One SGD step of a 784 -> 128 -> 10 MLP on a batch of 64. Multiply-adds:
/// forward 64 * (784*128 + 128*10) = 6,504,448; the weights' gradients as
/// many again; the hidden layer's input gradients 64 * 128*10 = 81,920 (the
/// pixels need none): 13,090,816 in all. tanh, not relu, so that every
/// neuron passes its gradient back (an inactive relu would skip its share).
fn bench_mnist_sized_step(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let images: Vec<Vec<f64>> = (0..64)
        .map(|_| (0..784).map(|_| rng.random::<f64>()).collect())
        .collect();
    let classes: Vec<usize> = (0..64).map(|i| i % 10).collect();
    let layers = [(128, Activation::Tanh), (10, Activation::Linear)];
    let mlp = Mlp::new(784, &layers, Init::seeded(0));
    let init = mlp.parameters_f64();
    let mut opt = Sgd::new(mlp.parameters(), LrSchedule::Constant(0.01));
    let mut group = c.benchmark_group("mlp_step_784-128-10_batch64");
    group.sample_size(20);
    group.bench_function("value_graph", |b| {
        b.iter(|| {
            mlp.set_parameters_f64(&init);
            scope(|| {
                let logits: Vec<Vec<Value>> = images
                    .iter()
                    .map(|x| mlp.forward_f64(black_box(x)))
                    .collect();
                let loss = softmax_cross_entropy(&logits, &classes);
                opt.zero_grad();
                loss.backward();
                opt.step();
                black_box(loss.data())
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench_notebook_step, bench_mnist_sized_step);
criterion_main!(benches);
