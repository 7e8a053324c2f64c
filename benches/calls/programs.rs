//! The programs of `benches/calls.rs` and the `calls_*` workloads of
//! `benches/counts.rs`: each written twice, once calling
//! `#[differentiable]` helper functions and once with the helpers inlined
//! by hand in the `grad!` body (issue 16's goal: within 1.05x).

use micrograd::{differentiable, grad};

#[differentiable]
fn neuron2(w0: f64, w1: f64, b: f64, x0: f64, x1: f64) -> f64 {
    (w0 * x0 + w1 * x1 + b).tanh()
}

#[differentiable]
fn sq_err(y: f64, t: f64) -> f64 {
    (y - t) * (y - t)
}

#[differentiable]
fn neuron3(w: &[f64; 3], x: &[f64; 3], b: f64) -> f64 {
    (w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + b).tanh()
}

/// Straight-line: two neurons and two squared errors, four calls.
pub fn straight_helpers() -> impl Fn(f64, f64, f64, f64, f64) -> (f64, [f64; 5]) {
    grad!(|w0, w1, b, v, c| {
        let h1 = neuron2(w0, w1, b, 0.5, -1.0);
        let h2 = neuron2(w0, w1, b, -0.3, 0.8);
        let o = v * h1 + c * h2;
        sq_err(o, 0.7) + sq_err(h1, 0.1)
    })
}

/// The same, inlined by hand.
pub fn straight_inline() -> impl Fn(f64, f64, f64, f64, f64) -> (f64, [f64; 5]) {
    grad!(|w0, w1, b, v, c| {
        let h1 = (w0 * 0.5 + w1 * -1.0 + b).tanh();
        let h2 = (w0 * -0.3 + w1 * 0.8 + b).tanh();
        let o = v * h1 + c * h2;
        (o - 0.7) * (o - 0.7) + (h1 - 0.1) * (h1 - 0.1)
    })
}

/// The data of the loop programs: 16 samples of 3 features.
pub fn data() -> ([[f64; 3]; 16], [f64; 16]) {
    let mut xs = [[0.0; 3]; 16];
    let mut ys = [0.0; 16];
    for k in 0..16 {
        let t = k as f64 * 0.37;
        xs[k] = [t.sin(), (1.3 * t).cos(), 0.5 - (k % 3) as f64 * 0.25];
        ys[k] = (0.7 * t).sin() * 0.8;
    }
    (xs, ys)
}

/// A loop over the samples calling a neuron with array arguments.
pub fn loop_helpers() -> impl Fn([f64; 3], f64) -> (f64, ([f64; 3], f64)) {
    let (xs, ys) = data();
    grad!(|w: [f64; 3], b: f64| {
        let mut loss = 0.0;
        for k in 0..16 {
            loss += sq_err(neuron3(&w, &xs[k], b), ys[k]);
        }
        loss
    })
}

/// The same, inlined by hand.
pub fn loop_inline() -> impl Fn([f64; 3], f64) -> (f64, ([f64; 3], f64)) {
    let (xs, ys) = data();
    grad!(|w: [f64; 3], b: f64| {
        let mut loss = 0.0;
        for k in 0..16 {
            let y = (w[0] * xs[k][0] + w[1] * xs[k][1] + w[2] * xs[k][2] + b).tanh();
            loss += (y - ys[k]) * (y - ys[k]);
        }
        loss
    })
}

/// The points the benchmarks evaluate at.
pub const STRAIGHT_AT: (f64, f64, f64, f64, f64) = (0.3, -0.2, 0.1, 0.9, -0.4);
pub const LOOP_AT: ([f64; 3], f64) = ([0.2, -0.4, 0.3], 0.1);
