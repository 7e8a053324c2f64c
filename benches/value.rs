//! Speed of the dynamic `Value` engine (issue 3).
//!
//! `expr30`: build + backward of o_k = tanh(o_{k-1} w1 + x2 w2 + b), k = 1..5,
//! o_0 = x1 (5 leaves + 5 x 5 ops = 30 nodes), next to a hand-written f64
//! forward/reverse of the same function. `chain_1m`: build + backward of
//! 1,000,002-node graphs: `tanh` is y_k = tanh(y_{k-1} w + x) (libm's tanh
//! alone costs about as much per node as the engine, so `f64_forward`
//! times the plain-f64 forward of the same chain), `mul_add` is
//! y_k = y_{k-1} w + x (engine cost only), and `plain_vecs` the same chain
//! on two local vectors with none of the engine's checks (the floor for
//! a tape of this layout). `chain_20k`: the mul/add chain small enough to
//! stay in the core's cache.
//!
//! Run: `cargo bench --bench value -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use micrograd::{Value, scope};

#[allow(dead_code)]
mod workloads;
use workloads::{LECTURE, expr30_value, mul_add_chain};

/// The same gradients written out by hand: forward keeps o_k, reverse
/// applies dn_k = do_k (1 - o_k^2) and do_{k-1} = dn_k w1.
fn expr30_hand([x1, x2, w1, w2, b]: [f64; 5]) -> [f64; 5] {
    let mut o = [x1; 6];
    for k in 1..6 {
        o[k] = (o[k - 1] * w1 + x2 * w2 + b).tanh();
    }
    let (mut go, mut dx2, mut dw1, mut dw2, mut db) = (1.0, 0.0, 0.0, 0.0, 0.0);
    for k in (1..6).rev() {
        let dn = go * (1.0 - o[k] * o[k]);
        dw1 += dn * o[k - 1];
        dx2 += dn * w2;
        dw2 += dn * x2;
        db += dn;
        go = dn * w1;
    }
    [go, dx2, dw1, dw2, db]
}

fn expr30(c: &mut Criterion) {
    // Both sides must compute the same thing before we compare their speed.
    let (v, h) = (expr30_value(LECTURE), expr30_hand(LECTURE));
    for (v, h) in v.iter().zip(&h) {
        assert!((v - h).abs() <= 1e-12 * h.abs().max(1.0), "{v} vs {h}");
    }
    let mut g = c.benchmark_group("expr30");
    g.bench_function("value", |bn| bn.iter(|| expr30_value(black_box(LECTURE))));
    g.bench_function("hand_f64", |bn| bn.iter(|| expr30_hand(black_box(LECTURE))));
    g.finish();
}

const STEPS: usize = 333_333;
/// Two leaves, the start value, then 3 nodes (mul, add, tanh) per step.
const NODES: usize = 3 + 3 * STEPS;

fn chain_1m(c: &mut Criterion) {
    let mut g = c.benchmark_group("chain_1m");
    g.sample_size(10);
    g.throughput(Throughput::Elements(NODES as u64));
    g.bench_function("tanh", |bn| {
        bn.iter(|| {
            scope(|| {
                let (w, x) = (Value::new(black_box(0.9)), Value::new(black_box(0.1)));
                let y0 = Value::new(black_box(0.5));
                let mut y = y0;
                for _ in 0..STEPS {
                    y = (y * w + x).tanh();
                }
                y.backward();
                (y0.grad(), w.grad())
            })
        })
    });
    g.bench_function("tanh_f64_forward", |bn| {
        bn.iter(|| {
            let (w, x) = (black_box(0.9), black_box(0.1));
            let mut y: f64 = black_box(0.5);
            for _ in 0..STEPS {
                y = (y * w + x).tanh();
            }
            y
        })
    });
    // 2 nodes per step: as many steps as give the same node count.
    let steps = (NODES - 3) / 2;
    g.bench_function("mul_add", |bn| bn.iter(|| mul_add_chain(steps, true)));
    // The same without backward, to split the cost between the two passes.
    g.bench_function("mul_add_build_only", |bn| {
        bn.iter(|| mul_add_chain(steps, false))
    });
    let mut plain = Plain::default();
    let (v, p) = (mul_add_chain(steps, true), plain_chain(steps, &mut plain));
    assert_eq!(v, p, "the plain chain computes the same gradient");
    g.bench_function("plain_vecs", |bn| {
        bn.iter(|| plain_chain(steps, &mut plain))
    });
    g.finish();
}

/// Buffers of [`plain_chain`], reused across calls as the tape's are.
#[derive(Default)]
struct Plain {
    data: Vec<f64>,
    recs: Vec<(u32, u32, bool)>,
    grad: Vec<f64>,
}

/// The floor for a tape of this layout: the mul/add chain recorded into
/// two vectors (values; op and operands) and differentiated in reverse
/// into a zero-filled third, the adjoint kept in a register, with no
/// liveness checks, no marks and no scopes. Returns dy/dy_0, like
/// `mul_add_chain`.
fn plain_chain(steps: usize, p: &mut Plain) -> f64 {
    let Plain { data, recs, grad } = p;
    data.clear();
    recs.clear();
    for v in [0.999, 0.1, 0.5] {
        data.push(black_box(v));
        recs.push((0, 0, false));
    }
    let mut y = 2;
    for _ in 0..steps {
        for (x, is_mul) in [(0, true), (1, false)] {
            let v = if is_mul {
                data[y] * data[x]
            } else {
                data[y] + data[x]
            };
            recs.push((y as u32, x as u32, is_mul));
            data.push(v);
            y = data.len() - 1;
        }
    }
    grad.clear();
    grad.resize(data.len(), 0.0);
    let mut g = 1.0;
    for i in (3..data.len()).rev() {
        let (a, b, is_mul) = recs[i];
        let (a, b) = (a as usize, b as usize);
        let (da, db) = if is_mul {
            (g * data[b], g * data[a])
        } else {
            (g, g)
        };
        grad[b] += db;
        g = grad[a] + da;
        grad[a] = g;
    }
    grad[2]
}

/// The mul/add chain again at 20,003 nodes, whose 640 kB of tape stay in
/// the core's own cache: the engine's cost per node apart from the memory
/// traffic of a tape as large as the shared L3 (32 MB at 1M nodes).
fn chain_20k(c: &mut Criterion) {
    let steps = 10_000;
    let mut g = c.benchmark_group("chain_20k");
    g.throughput(Throughput::Elements(3 + 2 * steps as u64));
    g.bench_function("mul_add", |bn| bn.iter(|| mul_add_chain(steps, true)));
    let mut plain = Plain::default();
    g.bench_function("plain_vecs", |bn| {
        bn.iter(|| plain_chain(steps, &mut plain))
    });
    g.finish();
}

criterion_group!(benches, expr30, chain_1m, chain_20k);
criterion_main!(benches);
