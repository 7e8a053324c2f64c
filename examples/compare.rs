//! One expression, three gradients: `grad!`'s generated code, the `Value`
//! graph and a central finite difference, side by side, with the time each
//! engine takes per gradient.
//!
//! Run: `cargo run --release --example compare` (no arguments). Timings are
//! the median of 7 timed loops of `std::hint::black_box`ed calls; use
//! `--release`, a debug build measures the debug build.

use std::hint::black_box;
use std::time::{Duration, Instant};

use micrograd::check::central_difference;
use micrograd::data::moons;
use micrograd::nn::Mlp;
use micrograd::{Comparison, compare};

// The main job's network as a `grad!` program (its `with_moons_program!`).
#[allow(dead_code)]
#[path = "shared/moons_static.rs"]
mod moons_static;

/// Median time per call of `f` in nanoseconds, over 7 loops of about 20 ms.
fn time_per_call<T>(mut f: impl FnMut() -> T) -> f64 {
    let mut n = 1u32;
    loop {
        let start = Instant::now();
        for _ in 0..n {
            black_box(f());
        }
        if start.elapsed() > Duration::from_millis(20) || n >= 1 << 30 {
            break;
        }
        n *= 2;
    }
    let mut runs: Vec<f64> = (0..7)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..n {
                black_box(f());
            }
            start.elapsed().as_secs_f64() * 1e9 / f64::from(n)
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    runs[3]
}

/// Prints the report at `point`, then the time per gradient of each way.
fn show<const N: usize, S, D, V>(
    title: &str,
    engines: &Comparison<[f64; N], S, D, V>,
    point: [f64; N],
) where
    S: Fn([f64; N]) -> (f64, [f64; N]),
    D: Fn([f64; N]) -> (f64, [f64; N]),
    V: Fn([f64; N]) -> f64,
{
    println!("== {title}");
    let report = engines.check(point);
    println!("{report}");
    let t_static = time_per_call(|| (engines.static_grad)(black_box(point)));
    let t_dynamic = time_per_call(|| (engines.dynamic_grad)(black_box(point)));
    let t_fd = time_per_call(|| central_difference(&engines.value_fn, black_box(point)));
    println!(
        "time per gradient: grad! {:.1} ns, Value {:.1} ns ({:.1}x grad!), finite diff ({} forward passes) {:.1} ns\n",
        t_static,
        t_dynamic,
        t_dynamic / t_static,
        2 * N,
        t_fd,
    );
}

fn main() {
    // The neuron of the micrograd lecture: o = tanh(x1 w1 + x2 w2 + b).
    let neuron = compare!(|x1, x2, w1, w2, b| (x1 * w1 + x2 * w2 + b).tanh());
    show(
        "lecture neuron",
        &neuron,
        [2.0, 0.0, -3.0, 1.0, 6.881_373_587_019_543],
    );

    // Five rounds of o_k = tanh(o_{k-1} w1 + x2 w2 + b), o_0 = x1: about
    // 30 nodes, with every weight used five times (fan-out).
    let chain = compare!(|x1, x2, w1, w2, b| {
        let mut o = x1;
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o
    });
    show("tanh chain (30 nodes)", &chain, [0.3, -0.7, 0.9, 0.4, -0.1]);

    // A variable exponent: d/dx = y x^(y-1), d/dy = x^y ln x.
    let power = compare!(|x, y| x.powf(y) * (x * y).sin());
    show("x^y sin(xy)", &power, [1.7, 2.3]);

    // relu kinks at x = 0.5 and x = y. Away from them the three agree; at
    // 1e-7 from a kink, closer than the finite-difference step (~6e-6),
    // the difference straddles it and reads the average of both slopes,
    // while both engines give the slope of the side the point is on.
    let kinks = compare!(|x, y| (x - 0.5).relu() * y + (x - y).relu());
    show("relu kinks, away from them", &kinks, [0.8, 0.2]);
    show("relu kinks, 1e-7 from x = 0.5", &kinks, [0.5 + 1e-7, 2.0]);

    // The main job's network (2 -> 16 -> 16 -> 1, max-margin loss, 100
    // moons points), the same program text `--engine static` trains with,
    // at its starting weights: 337 rows, so the report leads with a
    // summary; `{:#}` prints every row.
    let data = moons(100, 0.1, 0);
    let xs: Vec<[f64; 2]> = data.xs.iter().map(|x| [x[0], x[1]]).collect();
    let (ys, alpha) = (&data.ys, 1e-4);
    let engines = crate::with_moons_program!(compare, xs, ys, alpha);
    let sizes = moons_static::SIZES;
    let start = Mlp::demo(sizes[0], &sizes[1..], 0).parameters_f64();
    println!(
        "== moons MLP, {} parameters, at its starting weights",
        start.len()
    );
    println!("{}", engines.check(start.clone()));
    let t_static = time_per_call(|| (engines.static_grad)(black_box(start.clone())));
    let t_dynamic = time_per_call(|| (engines.dynamic_grad)(black_box(start.clone())));
    println!(
        "time per gradient: grad! {:.1} us, Value replay of the same loops {:.1} us ({:.1}x grad!)",
        t_static / 1e3,
        t_dynamic / 1e3,
        t_dynamic / t_static
    );
}
