//! `grad!` beside a peer users compare it with: num-dual's forward-mode
//! vector dual numbers (`DualSVec64<5>`, one pass carrying all five partial
//! derivatives), on the lecture neuron and the 30-node tanh chain.
//!
//! Run: `cargo bench --bench peers -- --warm-up-time 1 --measurement-time 3`
//!
//! Both compute the same gradient; the benchmark checks that before timing.
//! Python micrograd is timed by `benches/reference/micrograd_python.py`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use micrograd::grad;
use nalgebra::SVector;
use num_dual::{DualNum, DualSVec64, gradient};

const P: [f64; 5] = [0.3, -0.7, 0.9, 0.4, -0.1];

/// o = tanh(x1 w1 + x2 w2 + b), generic over num-dual's number types.
fn neuron<D: DualNum + Copy>(v: &SVector<D, 5>) -> D {
    (v[0] * v[2] + v[1] * v[3] + v[4]).tanh()
}

/// o_k = tanh(o_{k-1} w1 + x2 w2 + b), k = 1..5, o_0 = x1.
fn chain30<D: DualNum + Copy>(v: &SVector<D, 5>) -> D {
    let mut o = v[0];
    for _ in 0..5 {
        o = (o * v[2] + v[1] * v[3] + v[4]).tanh();
    }
    o
}

/// Panics unless num-dual's gradient equals `grad!`'s to 1e-12.
fn check(name: &str, ours: (f64, [f64; 5]), theirs: (f64, SVector<f64, 5>)) {
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(1.0);
    assert!(close(ours.0, theirs.0), "{name}: value differs");
    for i in 0..5 {
        assert!(close(ours.1[i], theirs.1[i]), "{name}: d/dp{i} differs");
    }
}

fn bench(c: &mut Criterion) {
    let g_neuron = grad!(|x1, x2, w1, w2, b| (x1 * w1 + x2 * w2 + b).tanh());
    let g_chain = grad!(|x1, x2, w1, w2, b| {
        let mut o = x1;
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o
    });
    let call = |f: &dyn Fn(f64, f64, f64, f64, f64) -> (f64, [f64; 5]), p: [f64; 5]| {
        f(p[0], p[1], p[2], p[3], p[4])
    };
    let x = SVector::from(P);
    let dual_neuron = |v: SVector<f64, 5>| gradient(|d: SVector<DualSVec64<5>, 5>| neuron(&d), &v);
    let dual_chain = |v: SVector<f64, 5>| gradient(|d: SVector<DualSVec64<5>, 5>| chain30(&d), &v);
    check("neuron", call(&g_neuron, P), dual_neuron(x));
    check("chain30", call(&g_chain, P), dual_chain(x));

    let mut g = c.benchmark_group("peers");
    g.bench_function("neuron/grad!", |b| {
        b.iter(|| {
            let p = black_box(P);
            g_neuron(p[0], p[1], p[2], p[3], p[4])
        })
    });
    g.bench_function("neuron/num-dual", |b| b.iter(|| dual_neuron(black_box(x))));
    g.bench_function("chain30/grad!", |b| {
        b.iter(|| {
            let p = black_box(P);
            g_chain(p[0], p[1], p[2], p[3], p[4])
        })
    });
    g.bench_function("chain30/num-dual", |b| b.iter(|| dual_chain(black_box(x))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
