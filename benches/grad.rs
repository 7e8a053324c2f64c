//! `grad!`-generated code against a hand-written derivative of the same
//! function. Goal: generated within 1.10x of hand-written.
//!
//! Run: `cargo bench --bench grad -- --warm-up-time 1 --measurement-time 3`

use criterion::{Criterion, criterion_group, criterion_main};
use micrograd::grad;
use std::hint::black_box;

/// The lecture neuron o = tanh(x1 w1 + x2 w2 + b), differentiated by hand:
/// do/dn = 1 - o^2, then each input gets its partner weight times that.
fn neuron_hand(x1: f64, x2: f64, w1: f64, w2: f64, b: f64) -> (f64, [f64; 5]) {
    let n = x1 * w1 + x2 * w2 + b;
    let o = n.tanh();
    let dn = 1.0 - o * o;
    (o, [w1 * dn, w2 * dn, x1 * dn, x2 * dn, dn])
}

/// Five rounds of o_k = tanh(o_{k-1} w1 + x2 w2 + b), o_0 = x1, by hand the
/// way a careful person writes it: x2 w2 computed once, and the adjoints of
/// the shared inputs summed before a single multiplication.
fn chain_hand(x1: f64, x2: f64, w1: f64, w2: f64, b: f64) -> (f64, [f64; 5]) {
    let c = x2 * w2;
    let o1 = (x1 * w1 + c + b).tanh();
    let o2 = (o1 * w1 + c + b).tanh();
    let o3 = (o2 * w1 + c + b).tanh();
    let o4 = (o3 * w1 + c + b).tanh();
    let o5 = (o4 * w1 + c + b).tanh();
    // d_k = do5/dn_k where n_k is the pre-activation of round k.
    let d5 = 1.0 - o5 * o5;
    let d4 = d5 * w1 * (1.0 - o4 * o4);
    let d3 = d4 * w1 * (1.0 - o3 * o3);
    let d2 = d3 * w1 * (1.0 - o2 * o2);
    let d1 = d2 * w1 * (1.0 - o1 * o1);
    let dw1 = d5 * o4 + d4 * o3 + d3 * o2 + d2 * o1 + d1 * x1;
    let dc = d5 + d4 + d3 + d2 + d1;
    (o5, [d1 * w1, dc * w2, dw1, dc * x2, dc])
}

fn agree(a: (f64, [f64; 5]), b: (f64, [f64; 5])) {
    assert!((a.0 - b.0).abs() < 1e-12, "{a:?} vs {b:?}");
    for i in 0..5 {
        assert!((a.1[i] - b.1[i]).abs() < 1e-12, "{a:?} vs {b:?}");
    }
}

fn benches(c: &mut Criterion) {
    let neuron = grad!(|x1, x2, w1, w2, b| (x1 * w1 + x2 * w2 + b).tanh());
    let chain = grad!(|x1, x2, w1, w2, b| {
        let mut o = x1;
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o
    });
    let p = (2.0, 0.0, -3.0, 1.0, 6.881_373_587_019_543);
    let q = (0.3, -0.7, 0.9, 0.4, -0.1);
    // The hand-written baselines must compute the same thing.
    agree(
        neuron(p.0, p.1, p.2, p.3, p.4),
        neuron_hand(p.0, p.1, p.2, p.3, p.4),
    );
    agree(
        chain(q.0, q.1, q.2, q.3, q.4),
        chain_hand(q.0, q.1, q.2, q.3, q.4),
    );

    let mut group = c.benchmark_group("neuron");
    group.bench_function("grad!", |bench| {
        bench.iter(|| {
            let (x1, x2, w1, w2, b) = black_box(p);
            black_box(neuron(x1, x2, w1, w2, b))
        })
    });
    group.bench_function("hand", |bench| {
        bench.iter(|| {
            let (x1, x2, w1, w2, b) = black_box(p);
            black_box(neuron_hand(x1, x2, w1, w2, b))
        })
    });
    group.finish();

    let mut group = c.benchmark_group("chain5");
    group.bench_function("grad!", |bench| {
        bench.iter(|| {
            let (x1, x2, w1, w2, b) = black_box(q);
            black_box(chain(x1, x2, w1, w2, b))
        })
    });
    group.bench_function("hand", |bench| {
        bench.iter(|| {
            let (x1, x2, w1, w2, b) = black_box(q);
            black_box(chain_hand(x1, x2, w1, w2, b))
        })
    });
    group.finish();
}

criterion_group!(grad_benches, benches);
criterion_main!(grad_benches);
