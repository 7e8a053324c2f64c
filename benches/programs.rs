//! `grad!` on programs (issue 12): loops over slices and arrays, at N = 10,
//! 1,000 and 100,000, against the plain `f64` forward loop (the floor; value
//! only), the same gradient written by hand in reverse mode, and num-dual's
//! forward mode (O(N^2): N <= 1,000 only).
//!
//! Two functions, each as a user would write it for `grad!`:
//! - Rosenbrock, f(x) = sum_{i<N-1} 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2;
//! - a dot product with captured data, f(w) = sum_i w[i] xs[i].
//!
//! Each on `&[f64]` at every N, and on `[f64; 10]` at N = 10.
//!
//! Run (under three minutes; prints the table at the end):
//! `cargo bench --bench programs -- --warm-up-time 1 --measurement-time 3`,
//! medians of one id with `bash benches/medians.sh rosenbrock/grad/slice_1000`.
//!
//! Before anything is timed, `check` asserts, for every function and N,
//! that `grad!`'s value equals the forward loop's exactly (same operations
//! in the same order) and that `grad!`, the hand-written gradient and
//! num-dual agree to 1e-12 relative.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{BenchmarkId, Criterion};
use micrograd::grad;
use nalgebra::{DVector, SVector};
use num_dual::{DualDVec64, DualNum, DualSVec64, gradient};

/// The slice lengths timed; num-dual only up to `DUAL_MAX`.
const NS: [usize; 3] = [10, 1_000, 100_000];
const DUAL_MAX: usize = 1_000;

/// The point: x[i] in (0.1, 0.9), where Rosenbrock's terms are all of
/// comparable size (no gradient entry is a cancellation to zero).
fn point(n: usize) -> Vec<f64> {
    (0..n).map(|i| 0.5 + 0.4 * (0.7 * i as f64).sin()).collect()
}

/// The captured data of the dot product, long enough for every N.
fn data(n: usize) -> Vec<f64> {
    (0..n).map(|i| (0.3 * i as f64).cos()).collect()
}

// (a) The floor: the forward loops, value only, written as for `grad!`.

#[inline]
fn rosenbrock(x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        s += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2);
    }
    s
}

#[inline]
fn dot(w: &[f64], xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..w.len() {
        s += w[i] * xs[i];
    }
    s
}

// (c) Reverse mode by hand: a forward sweep for the value, then a reversed
// loop that recomputes what it needs and accumulates into `g`. Indexing is
// checked, as in the generated code; the wrappers below allocate the
// gradient as `grad!` does (a `Vec` for a slice, an array for an array).

/// With a = x[i+1] - x[i]^2 and b = 1 - x[i], term i is 100 a^2 + b^2:
/// d/da = 200 a, d/db = 2 b; da/dx[i+1] = 1, da/dx[i] = -2 x[i], db/dx[i] = -1.
#[inline(always)]
fn rosenbrock_reverse(x: &[f64], g: &mut [f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        let b = 1.0 - x[i];
        s += 100.0 * a * a + b * b;
    }
    for i in (0..x.len() - 1).rev() {
        let a = x[i + 1] - x[i] * x[i];
        let b = 1.0 - x[i];
        let (da, db) = (200.0 * a, 2.0 * b);
        g[i + 1] += da;
        g[i] += -2.0 * x[i] * da - db;
    }
    s
}

/// The same, with the one change a careful hand makes: x[i+1]'s adjoint
/// from the term above is carried in a register, so each g[i] is written
/// once. The `+=` form above reads g[i] back right after storing it; LLVM
/// pairs its two stores into one 16-byte store and the next iteration's
/// 16-byte load overlaps half of it, which stalls store-to-load
/// forwarding (about 4x slower on this machine). `grad!`'s code happens
/// to load only the half it stored, so this is the stricter baseline.
#[inline(always)]
fn rosenbrock_reverse_carried(x: &[f64], g: &mut [f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() - 1 {
        let a = x[i + 1] - x[i] * x[i];
        let b = 1.0 - x[i];
        s += 100.0 * a * a + b * b;
    }
    // What the terms above i give x[i+1] (none above the last).
    let mut above = 0.0;
    for i in (0..x.len() - 1).rev() {
        let a = x[i + 1] - x[i] * x[i];
        let b = 1.0 - x[i];
        let (da, db) = (200.0 * a, 2.0 * b);
        g[i + 1] = above + da;
        above = -2.0 * x[i] * da - db;
    }
    g[0] = above;
    s
}

/// df/dw[i] = xs[i].
#[inline(always)]
fn dot_reverse(w: &[f64], xs: &[f64], g: &mut [f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..w.len() {
        s += w[i] * xs[i];
    }
    for i in (0..w.len()).rev() {
        g[i] += xs[i];
    }
    s
}

fn rosenbrock_hand(x: &[f64]) -> (f64, Vec<f64>) {
    let mut g = vec![0.0; x.len()];
    (rosenbrock_reverse(x, &mut g), g)
}

fn rosenbrock_hand10(x: [f64; 10]) -> (f64, [f64; 10]) {
    let mut g = [0.0; 10];
    (rosenbrock_reverse(&x, &mut g), g)
}

fn rosenbrock_carried(x: &[f64]) -> (f64, Vec<f64>) {
    let mut g = vec![0.0; x.len()];
    (rosenbrock_reverse_carried(x, &mut g), g)
}

fn rosenbrock_carried10(x: [f64; 10]) -> (f64, [f64; 10]) {
    let mut g = [0.0; 10];
    (rosenbrock_reverse_carried(&x, &mut g), g)
}

fn dot_hand(w: &[f64], xs: &[f64]) -> (f64, Vec<f64>) {
    let mut g = vec![0.0; w.len()];
    (dot_reverse(w, xs, &mut g), g)
}

fn dot_hand10(w: [f64; 10], xs: &[f64]) -> (f64, [f64; 10]) {
    let mut g = [0.0; 10];
    (dot_reverse(&w, xs, &mut g), g)
}

// (d) num-dual: the same loops over its dual numbers, `DualDVec64` (N
// partials on the heap) for slices, `DualSVec64<10>` for the array.

fn rosenbrock_dual<D: DualNum<Primitive = f64>>(x: &[D]) -> D {
    let mut s = D::from(0.0);
    for i in 0..x.len() - 1 {
        let a = x[i + 1].clone() - x[i].clone() * &x[i];
        let b = D::from(1.0) - &x[i];
        s += a.powi(2) * 100.0 + b.powi(2);
    }
    s
}

fn dot_dual<D: DualNum<Primitive = f64>>(w: &[D], xs: &[f64]) -> D {
    let mut s = D::from(0.0);
    for i in 0..w.len() {
        s += w[i].clone() * xs[i];
    }
    s
}

/// Panics unless the gradients agree to 1e-12 relative to the larger
/// magnitude, or to 1e-12 absolute below 1 (as `benches/peers.rs`).
fn agree(what: &str, (v0, g0): (f64, &[f64]), (v1, g1): (f64, &[f64])) {
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0);
    assert!(close(v0, v1), "{what}: value {v0} vs {v1}");
    assert_eq!(g0.len(), g1.len(), "{what}: gradient length");
    for (i, (a, b)) in g0.iter().zip(g1).enumerate() {
        assert!(close(*a, *b), "{what}: d/dx[{i}] {a} vs {b}");
    }
}

/// `grad!` as a user writes it, per function and parameter type. A macro
/// because each `grad!` closure has its own type. The type is passed as
/// tokens: `grad!` rejects a `$param:ty` fragment (syn's `Type::Group`).
macro_rules! rosenbrock_grad {
    ($($param:tt)*) => {
        grad!(|x: $($param)*| {
            let mut s = 0.0;
            for i in 0..x.len() - 1 {
                s += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2);
            }
            s
        })
    };
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let xs_data = data(*NS.iter().max().unwrap());
    // A reference: the `move` closure of `grad!` copies it.
    let xs: &[f64] = &xs_data;

    let rosen_grad = rosenbrock_grad!(&[f64]);
    let rosen_grad10 = rosenbrock_grad!([f64; 10]);
    let dot_grad = grad!(|w: &[f64]| {
        let mut s = 0.0;
        for i in 0..w.len() {
            s += w[i] * xs[i];
        }
        s
    });
    let dot_grad10 = grad!(|w: [f64; 10]| {
        let mut s = 0.0;
        for i in 0..w.len() {
            s += w[i] * xs[i];
        }
        s
    });
    let rosen_dual =
        |x: &DVector<f64>| gradient(|d: DVector<DualDVec64>| rosenbrock_dual(d.as_slice()), x);
    let rosen_dual10 = |x: &SVector<f64, 10>| {
        gradient(
            |d: SVector<DualSVec64<10>, 10>| rosenbrock_dual(d.as_slice()),
            x,
        )
    };
    let dot_dual_dyn =
        |w: &DVector<f64>| gradient(|d: DVector<DualDVec64>| dot_dual(d.as_slice(), xs), w);
    let dot_dual10 = |w: &SVector<f64, 10>| {
        gradient(
            |d: SVector<DualSVec64<10>, 10>| dot_dual(d.as_slice(), xs),
            w,
        )
    };

    // The checks: before timing, so a wrong benchmark cannot pass.
    for n in NS {
        let x = point(n);
        for (f, value, ours, hand, dual) in [
            (
                "rosenbrock",
                rosenbrock(&x),
                rosen_grad(&x),
                rosenbrock_hand(&x),
                (n <= DUAL_MAX).then(|| rosen_dual(&DVector::from_column_slice(&x))),
            ),
            (
                "dot",
                dot(&x, xs),
                dot_grad(&x),
                dot_hand(&x, xs),
                (n <= DUAL_MAX).then(|| dot_dual_dyn(&DVector::from_column_slice(&x))),
            ),
        ] {
            // Exact: the same operations in the same order.
            assert!(
                ours.0 == value,
                "{f}/{n}: grad! value {} vs forward {value}",
                ours.0
            );
            agree(
                &format!("{f}/{n}: hand"),
                (ours.0, &ours.1),
                (hand.0, &hand.1),
            );
            if let Some((v, g)) = dual {
                agree(
                    &format!("{f}/{n}: num-dual"),
                    (ours.0, &ours.1),
                    (v, g.as_slice()),
                );
            }
        }
    }
    let x10: [f64; 10] = point(10).try_into().unwrap();
    let s10 = SVector::from(x10);
    for n in NS {
        let x = point(n);
        let (ours, (v, g)) = (rosen_grad(&x), rosenbrock_carried(&x));
        agree(
            &format!("rosenbrock/{n}: carried"),
            (ours.0, &ours.1),
            (v, &g),
        );
    }
    let (ours, (v, g)) = (rosen_grad10(x10), rosenbrock_carried10(x10));
    agree("rosenbrock/array: carried", (ours.0, &ours.1), (v, &g));
    for (f, value, ours, hand, dual) in [
        (
            "rosenbrock",
            rosenbrock(&x10),
            rosen_grad10(x10),
            rosenbrock_hand10(x10),
            rosen_dual10(&s10),
        ),
        (
            "dot",
            dot(&x10, xs),
            dot_grad10(x10),
            dot_hand10(x10, xs),
            dot_dual10(&s10),
        ),
    ] {
        assert!(
            ours.0 == value,
            "{f}/array: grad! value {} vs forward {value}",
            ours.0
        );
        agree(
            &format!("{f}/array: hand"),
            (ours.0, &ours.1),
            (hand.0, &hand.1),
        );
        agree(
            &format!("{f}/array: num-dual"),
            (ours.0, &ours.1),
            (dual.0, dual.1.as_slice()),
        );
    }

    // Rosenbrock.
    let mut g = c.benchmark_group("rosenbrock");
    for n in NS {
        let x = point(n);
        let id = |kind: &str| BenchmarkId::new(kind, format!("slice_{n}"));
        g.bench_function(id("forward"), |b| b.iter(|| rosenbrock(black_box(&x))));
        g.bench_function(id("grad"), |b| b.iter(|| rosen_grad(black_box(&x))));
        g.bench_function(id("hand"), |b| b.iter(|| rosenbrock_hand(black_box(&x))));
        g.bench_function(id("hand_carried"), |b| {
            b.iter(|| rosenbrock_carried(black_box(&x)))
        });
        if n <= DUAL_MAX {
            let xd = DVector::from_column_slice(&x);
            g.bench_function(id("num_dual"), |b| b.iter(|| rosen_dual(black_box(&xd))));
        }
    }
    let id = |kind: &str| BenchmarkId::new(kind, "array_10");
    g.bench_function(id("forward"), |b| b.iter(|| rosenbrock(&black_box(x10))));
    g.bench_function(id("grad"), |b| b.iter(|| rosen_grad10(black_box(x10))));
    g.bench_function(id("hand"), |b| b.iter(|| rosenbrock_hand10(black_box(x10))));
    g.bench_function(id("hand_carried"), |b| {
        b.iter(|| rosenbrock_carried10(black_box(x10)))
    });
    g.bench_function(id("num_dual"), |b| b.iter(|| rosen_dual10(black_box(&s10))));
    g.finish();

    // Dot product with captured data.
    let mut g = c.benchmark_group("dot");
    for n in NS {
        let w = point(n);
        let id = |kind: &str| BenchmarkId::new(kind, format!("slice_{n}"));
        g.bench_function(id("forward"), |b| {
            b.iter(|| dot(black_box(&w), black_box(xs)))
        });
        g.bench_function(id("grad"), |b| b.iter(|| dot_grad(black_box(&w))));
        g.bench_function(id("hand"), |b| {
            b.iter(|| dot_hand(black_box(&w), black_box(xs)))
        });
        if n <= DUAL_MAX {
            let wd = DVector::from_column_slice(&w);
            g.bench_function(id("num_dual"), |b| b.iter(|| dot_dual_dyn(black_box(&wd))));
        }
    }
    let id = |kind: &str| BenchmarkId::new(kind, "array_10");
    g.bench_function(id("forward"), |b| {
        b.iter(|| dot(&black_box(x10), black_box(xs)))
    });
    g.bench_function(id("grad"), |b| b.iter(|| dot_grad10(black_box(x10))));
    g.bench_function(id("hand"), |b| {
        b.iter(|| dot_hand10(black_box(x10), black_box(xs)))
    });
    g.bench_function(id("num_dual"), |b| b.iter(|| dot_dual10(black_box(&s10))));
    g.finish();

    c.final_summary();
    print_table();
}

/// The median of one benchmark from criterion's `estimates.json`, in ns.
fn median_ns(dir: &Path, id: &str) -> Option<f64> {
    let json = std::fs::read_to_string(dir.join(id).join("new/estimates.json")).ok()?;
    let median = &json[json.find("\"median\"")?..];
    let value = &median[median.find("\"point_estimate\":")? + "\"point_estimate\":".len()..];
    let end = value.find([',', '}'])?;
    value[..end].trim().parse().ok()
}

/// Criterion's output folder: `<target>/criterion`, next to the `release`
/// folder that holds this benchmark's executable.
fn criterion_dir() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("CARGO_TARGET_DIR") {
        return Some(PathBuf::from(dir).join("criterion"));
    }
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.parent()?.parent()?.join("criterion"))
}

/// This run's medians, with the ratios of issue 12's goals.
fn print_table() {
    let Some(dir) = criterion_dir() else { return };
    let cell = |t: Option<f64>| match t {
        Some(t) if t >= 1e6 => format!("{:.2} ms", t / 1e6),
        Some(t) if t >= 1e4 => format!("{:.1} µs", t / 1e3),
        Some(t) => format!("{t:.1} ns"),
        None => "n/a".into(),
    };
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => format!("{:.2}x", a / b),
        _ => "n/a".into(),
    };
    println!(
        "\n| function | N | forward f64 | grad! | hand, `+=` | hand, carried | num-dual \
         | grad! / forward | grad! / hand `+=` | grad! / hand carried | num-dual / grad! |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (f, name) in [("rosenbrock", "Rosenbrock"), ("dot", "dot product")] {
        for (param, n) in [
            ("array_10", "10, `[f64; 10]`"),
            ("slice_10", "10"),
            ("slice_1000", "1,000"),
            ("slice_100000", "100,000"),
        ] {
            let ns = |kind: &str| median_ns(&dir, &format!("{f}/{kind}/{param}"));
            let (a, b, h) = (ns("forward"), ns("grad"), ns("hand"));
            let (hc, d) = (ns("hand_carried"), ns("num_dual"));
            println!(
                "| {name} | {n} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                cell(a),
                cell(b),
                cell(h),
                cell(hc),
                cell(d),
                ratio(b, a),
                ratio(b, h),
                ratio(b, hc),
                ratio(d, b)
            );
        }
    }
}
