//! `hessian!` (forward-over-reverse over `Dual<N>`) against num-dual's
//! `hessian` (second-order forward dual numbers `Dual2SVec64<N>`, `O(N^2)`
//! work per op) on the same functions at N = 2, 5, 20, and `hvp!` against
//! one `grad!` gradient.
//!
//! Run: `cargo bench --bench hessian -- --warm-up-time 1 --measurement-time 3`
//!
//! Each pair is checked to agree (1e-12 relative) before timing.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use micrograd::{grad, hessian, hvp};
use nalgebra::SVector;
use num_dual::{Dual2SVec64, DualNum};

/// sum_i 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2, for num-dual.
fn rosenbrock<const N: usize>(v: &SVector<Dual2SVec64<N>, N>) -> Dual2SVec64<N> {
    let mut s = Dual2SVec64::<N>::from(0.0);
    for i in 0..N - 1 {
        s += (v[i + 1] - v[i] * v[i]).powi(2) * 100.0 + (-v[i] + 1.0).powi(2);
    }
    s
}

/// The lecture neuron for num-dual.
fn neuron<D: DualNum + Copy>(v: &SVector<D, 5>) -> D {
    (v[0] * v[2] + v[1] * v[3] + v[4]).tanh()
}

fn theirs<const N: usize>(
    f: impl Fn(&SVector<Dual2SVec64<N>, N>) -> Dual2SVec64<N>,
    x: [f64; N],
) -> (f64, SVector<f64, N>, nalgebra::SMatrix<f64, N, N>) {
    num_dual::hessian(|v: SVector<Dual2SVec64<N>, N>| f(&v), &SVector::from(x))
}

/// Panics unless the two agree to 1e-12 relative.
fn check<const N: usize>(
    name: &str,
    ours: (f64, [f64; N], [[f64; N]; N]),
    theirs: (f64, SVector<f64, N>, nalgebra::SMatrix<f64, N, N>),
) {
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0);
    assert!(close(ours.0, theirs.0), "{name}: value");
    for i in 0..N {
        assert!(close(ours.1[i], theirs.1[i]), "{name}: gradient {i}");
        for j in 0..N {
            assert!(close(ours.2[i][j], theirs.2[(i, j)]), "{name}: h[{i}][{j}]");
        }
    }
}

fn point<const N: usize>() -> [f64; N] {
    std::array::from_fn(|i| 0.5 + 0.3 * ((i * 7 % 5) as f64) - 0.2 * (i % 3) as f64)
}

fn bench(c: &mut Criterion) {
    let h2 = hessian!(|x: [f64; 2]| {
        let mut s = 0.0;
        for i in 0..1 {
            s += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2);
        }
        s
    });
    let h2s = hessian!(|x, y| 100.0 * (y - x * x).powi(2) + (1.0 - x).powi(2));
    let h5 = hessian!(|x: [f64; 5]| {
        let mut s = 0.0;
        for i in 0..4 {
            s += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2);
        }
        s
    });
    let h20 = hessian!(|x: [f64; 20]| {
        let mut s = 0.0;
        for i in 0..19 {
            s += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2);
        }
        s
    });
    let hn = hessian!(|x1, x2, w1, w2, b| (x1 * w1 + x2 * w2 + b).tanh());

    let (p2, p5, p20) = (point::<2>(), point::<5>(), point::<20>());
    check("rosenbrock 2", h2(p2), theirs(rosenbrock::<2>, p2));
    check(
        "rosenbrock 2 (scalars)",
        h2s(p2[0], p2[1]),
        theirs(rosenbrock::<2>, p2),
    );
    check("rosenbrock 5", h5(p5), theirs(rosenbrock::<5>, p5));
    check("rosenbrock 20", h20(p20), theirs(rosenbrock::<20>, p20));
    let pn = [0.3, -0.7, 0.9, 0.4, -0.1];
    check(
        "neuron",
        hn(pn[0], pn[1], pn[2], pn[3], pn[4]),
        theirs(neuron, pn),
    );

    let mut group = c.benchmark_group("hessian");
    group.bench_function("rosenbrock/2/hessian!", |b| b.iter(|| h2(black_box(p2))));
    group.bench_function("rosenbrock/2/hessian! scalars", |b| {
        b.iter(|| h2s(black_box(p2[0]), black_box(p2[1])))
    });
    group.bench_function("rosenbrock/2/num-dual", |b| {
        b.iter(|| theirs(rosenbrock::<2>, black_box(p2)))
    });
    group.bench_function("rosenbrock/5/hessian!", |b| b.iter(|| h5(black_box(p5))));
    group.bench_function("rosenbrock/5/num-dual", |b| {
        b.iter(|| theirs(rosenbrock::<5>, black_box(p5)))
    });
    group.bench_function("neuron/5/hessian!", |b| {
        b.iter(|| {
            let p = black_box(pn);
            hn(p[0], p[1], p[2], p[3], p[4])
        })
    });
    group.bench_function("neuron/5/num-dual", |b| {
        b.iter(|| theirs(neuron, black_box(pn)))
    });
    group.bench_function("rosenbrock/20/hessian!", |b| b.iter(|| h20(black_box(p20))));
    group.bench_function("rosenbrock/20/num-dual", |b| {
        b.iter(|| theirs(rosenbrock::<20>, black_box(p20)))
    });
    group.finish();

    // hvp! against one gradient, on a slice (the large-N use).
    let g = grad!(|x: &[f64]| {
        let mut s = 0.0;
        for i in 0..x.len() - 1 {
            s += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2);
        }
        s
    });
    let hv = hvp!(|x: &[f64]| {
        let mut s = 0.0;
        for i in 0..x.len() - 1 {
            s += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2);
        }
        s
    });
    let mut group = c.benchmark_group("hvp");
    for n in [20usize, 1000, 100_000] {
        let x: Vec<f64> = (0..n).map(|i| 0.5 + 0.1 * (i % 7) as f64).collect();
        let v: Vec<f64> = (0..n).map(|i| 1.0 - 0.05 * (i % 11) as f64).collect();
        // H v against the 20-dimensional Hessian.
        if n == 20 {
            let (_, _, h) = h20(std::array::from_fn(|i| x[i]));
            let (_, gr, hvv) = hv(&x, &v);
            assert_eq!(gr, g(&x).1);
            for i in 0..20 {
                let want: f64 = (0..20).map(|j| h[i][j] * v[j]).sum();
                assert!((hvv[i] - want).abs() <= 1e-12 * want.abs().max(1.0));
            }
        }
        group.bench_function(format!("rosenbrock/{n}/grad!"), |b| {
            b.iter(|| g(black_box(&x)))
        });
        group.bench_function(format!("rosenbrock/{n}/hvp!"), |b| {
            b.iter(|| hv(black_box(&x), black_box(&v)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
