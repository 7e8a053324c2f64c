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
//! `cargo bench --bench scratch`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use micrograd::data::notebook;
use micrograd::loss::squared_error_sum;
use micrograd::nn::Mlp;
use micrograd::optim::{LrSchedule, Optimizer, Sgd};
use micrograd::{Value, scope};

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

criterion_group!(benches, bench_notebook_step);
criterion_main!(benches);
