//! The from-scratch engine of `examples/shared/from_scratch.rs` against the
//! real `Value` engine and `grad!`: the notebook's expressions and the
//! lecture neuron to 1e-12 (values and every gradient), a graph deeper than
//! any recursion would survive, the picture's DOT records, and the MLP's
//! losses and weights over the notebook's 20 training steps from the same
//! starting weights.

#[allow(dead_code)]
#[path = "../examples/shared/from_scratch.rs"]
mod from_scratch;

use from_scratch as scratch;
use micrograd::data::notebook;
use micrograd::loss::squared_error_sum;
use micrograd::nn::Mlp;
use micrograd::optim::{LrSchedule, Optimizer, Sgd};
use micrograd::{Value, grad, scope};

const TOL: f64 = 1e-12;

fn close(what: &str, got: f64, want: f64) {
    let scale = want.abs().max(1.0);
    assert!(
        (got - want).abs() <= TOL * scale,
        "{what}: from scratch {got}, expected {want}"
    );
}

/// `body` run by `grad!` and by the real `Value` engine (the same text, as
/// `compare!` does), at the point `[x..]`: (value, gradient) from each.
macro_rules! real_and_static {
    (|$($p:ident),*| $body:expr, [$($x:expr),*]) => {{
        let f = grad!(|$($p),*| $body);
        let (value, gradient) = f($($x),*);
        let ($($p,)*) = ($(Value::new($x),)*);
        let out = $body;
        out.backward();
        ((value, gradient.to_vec()), (out.data(), vec![$($p.grad()),*]))
    }};
}

/// The scratch engine's value and gradient at `x` of `f` (built on leaves).
fn scratch_grad(x: &[f64], f: impl Fn(&[scratch::Value]) -> scratch::Value) -> (f64, Vec<f64>) {
    let leaves: Vec<scratch::Value> = x.iter().map(|&x| scratch::Value::new(x)).collect();
    let out = f(&leaves);
    out.backward();
    (
        out.data(),
        leaves.iter().map(scratch::Value::grad).collect(),
    )
}

fn agree(what: &str, ours: (f64, Vec<f64>), (stat, real): ((f64, Vec<f64>), (f64, Vec<f64>))) {
    for (engine, (value, gradient)) in [("grad!", stat), ("Value", real)] {
        close(&format!("{what}: value vs {engine}"), ours.0, value);
        assert_eq!(ours.1.len(), gradient.len());
        for (i, (g, want)) in ours.1.iter().zip(&gradient).enumerate() {
            close(&format!("{what}: d/dx{i} vs {engine}"), *g, *want);
        }
    }
}

#[test]
fn notebook_expressions_agree_with_value_and_grad_macro() {
    // f(x) = 3x^2 - 4x + 5; f'(x) = 6x - 4 (checked by hand too).
    for x in [-3.0, 0.0, 2.0 / 3.0, 3.0] {
        let ours = scratch_grad(&[x], |v| &v[0].powf(2.0) * 3.0 - &v[0] * 4.0 + 5.0);
        close("f'(x) = 6x - 4", ours.1[0], 6.0 * x - 4.0);
        agree(
            "3x^2 - 4x + 5",
            ours,
            real_and_static!(|x| 3.0 * x.powf(2.0) - 4.0 * x + 5.0, [x]),
        );
    }
    // d = a*b + c; dd/da = b, dd/db = a, dd/dc = 1.
    let ours = scratch_grad(&[2.0, -3.0, 10.0], |v| &v[0] * &v[1] + &v[2]);
    agree(
        "a*b + c",
        ours,
        real_and_static!(|a, b, c| a * b + c, [2.0, -3.0, 10.0]),
    );
    // L = (a*b + c) * f
    let p = [2.0, -3.0, 10.0, -2.0];
    let ours = scratch_grad(&p, |v| (&v[0] * &v[1] + &v[2]) * &v[3]);
    let both = real_and_static!(|a, b, c, f| (a * b + c) * f, [p[0], p[1], p[2], p[3]]);
    agree("(a*b + c) * f", ours, both);
    // A value used twice: b = a + a (db/da = 2), and the lecture's
    // d = a*b, e = a + b, f = d*e, where a and b each feed two ops.
    agree(
        "a + a",
        scratch_grad(&[3.0], |v| &v[0] + &v[0]),
        real_and_static!(|a| a + a, [3.0]),
    );
    let ours = scratch_grad(&[-2.0, 3.0], |v| (&v[0] * &v[1]) * (&v[0] + &v[1]));
    agree(
        "(a*b)*(a+b)",
        ours,
        real_and_static!(|a, b| (a * b) * (a + b), [-2.0, 3.0]),
    );
    // Subtraction and division are built from +, * and powf(-1) here.
    let ours = scratch_grad(&[1.5, -0.75], |v| {
        (&v[0] - &v[1]) / (&v[0] * &v[1]) - -&v[1]
    });
    agree(
        "(a-b)/(a*b) - -b",
        ours,
        real_and_static!(|a, b| (a - b) / (a * b) - -b, [1.5, -0.75]),
    );
}

#[test]
fn lecture_neuron_agrees_with_tanh_and_with_exp() {
    let p = [2.0, 0.0, -3.0, 1.0, 6.881_373_587_019_543];
    let n = |v: &[scratch::Value]| &v[0] * &v[2] + &v[1] * &v[3] + &v[4];
    let both = || {
        real_and_static!(
            |x1, x2, w1, w2, b| (x1 * w1 + x2 * w2 + b).tanh(),
            [p[0], p[1], p[2], p[3], p[4]]
        )
    };
    let ours = scratch_grad(&p, |v| n(v).tanh());
    close("o = 1/sqrt(2)", ours.0, 0.5_f64.sqrt());
    agree("neuron, tanh", ours, both());
    // tanh(n) = (e^2n - 1) / (e^2n + 1), through exp, - and /.
    let ours = scratch_grad(&p, |v| {
        let e = (n(v) * 2.0).exp();
        (&e - 1.0) / (&e + 1.0)
    });
    agree("neuron, exp form", ours, both());
    let exp_form = real_and_static!(
        |x1, x2, w1, w2, b| {
            let e = (2.0 * (x1 * w1 + x2 * w2 + b)).exp();
            (e - 1.0) / (e + 1.0)
        },
        [p[0], p[1], p[2], p[3], p[4]]
    );
    agree(
        "neuron, exp form vs its own text",
        scratch_grad(&p, |v| n(v).tanh()),
        exp_form,
    );
}

#[test]
fn a_graph_deeper_than_recursion_allows() {
    // 100,000 links (300,000 nodes) in a chain: a recursive topological sort (or a
    // recursive drop) would overflow a test thread's 2 MB stack.
    let depth = 100_000;
    let x = scratch::Value::new(0.5);
    let mut y = x.clone();
    for _ in 0..depth {
        y = &y + (&y * 1e-5).tanh(); // each y feeds two ops
    }
    y.backward();
    let real = Value::new(0.5);
    let mut z = real;
    scope(|| {
        for _ in 0..depth {
            z = z + (z * 1e-5).tanh();
        }
        z.backward();
        close("deep chain value", y.data(), z.data());
        close("deep chain gradient", x.grad(), real.grad());
        // dy/dx is about e^(1e-5 * depth) = e: not vanished, so it checks something.
        assert!((x.grad() - 1f64.exp()).abs() < 1e-3, "dy/dx = {}", x.grad());
    });
    drop(y); // unlinking 300,000 nodes, by a loop
}

/// The DOT lines that say what is drawn, without the node numbering.
fn records(dot: &str) -> Vec<String> {
    let mut lines: Vec<String> = dot
        .lines()
        .map(|l| match l.find("[label") {
            Some(i) => l[i..].to_string(),
            None if l.contains("->") => "edge".to_string(),
            None => l.to_string(),
        })
        .collect();
    lines.sort();
    lines
}

#[test]
fn picture_has_the_records_of_to_dot() {
    let (a, b, c, f) = (
        Value::new(2.0),
        Value::new(-3.0),
        Value::new(10.0),
        Value::new(-2.0),
    );
    let l = ((a.with_label("a") * b.with_label("b")).with_label("e") + c.with_label("c"))
        .with_label("d")
        * f.with_label("f");
    let l = l.with_label("L");
    l.backward();
    let s = |x: f64, name: &str| scratch::Value::new(x).with_label(name);
    let e = (s(2.0, "a") * s(-3.0, "b")).with_label("e");
    let ours = ((e + s(10.0, "c")).with_label("d") * s(-2.0, "f")).with_label("L");
    ours.backward();
    assert_eq!(records(&ours.to_dot()), records(&l.to_dot()));
    assert!(ours.to_dot().contains("{ a | data 2.0000 | grad 6.0000 }"));
}

#[test]
fn mlp_training_matches_the_real_engine_from_the_same_weights() {
    let data = notebook();
    let (steps, lr) = (20, 0.1);
    let real = Mlp::lecture(3, &[4, 4, 1], 42);
    let start = real.parameters_f64();
    let mut w = start.iter().copied();
    let ours = scratch::Mlp::new(3, &[4, 4, 1], &mut || w.next().unwrap());
    assert_eq!(w.next(), None, "the scratch Mlp takes every parameter");

    // The real engine, fused (one node per neuron) and node-per-op.
    for fused in [true, false] {
        real.set_parameters_f64(&start);
        for p in ours.parameters().iter().zip(&start) {
            p.0.set_data(*p.1);
        }
        let mut opt = Sgd::new(real.parameters(), LrSchedule::Constant(lr));
        for k in 0..steps {
            let want = scope(|| {
                let preds: Vec<Value> = data
                    .xs
                    .iter()
                    .map(|x| {
                        let x: Vec<Value> = x.iter().map(|&x| Value::new(x)).collect();
                        if fused {
                            real.forward(&x)[0]
                        } else {
                            real.forward_unfused(&x)[0]
                        }
                    })
                    .collect();
                let loss = squared_error_sum(&preds, &data.ys);
                opt.zero_grad();
                loss.backward();
                opt.step();
                loss.data()
            });
            let got = scratch::train_step(&ours, &data.xs, &data.ys, lr);
            close(&format!("loss at step {k} (fused {fused})"), got, want);
        }
        let ours_after: Vec<f64> = ours.parameters().iter().map(scratch::Value::data).collect();
        for (i, (got, want)) in ours_after.iter().zip(real.parameters_f64()).enumerate() {
            close(
                &format!("parameter {i} after training (fused {fused})"),
                *got,
                want,
            );
        }
        // And the loss the trained networks give now.
        let final_loss = |p: &dyn Fn(&[f64]) -> f64| -> f64 {
            data.xs
                .iter()
                .zip(&data.ys)
                .map(|(x, y)| (p(x) - y).powi(2))
                .sum()
        };
        let got = final_loss(&|x| ours.call(x)[0].data());
        let want = final_loss(&|x| real.predict(x)[0]);
        close("loss after training", got, want);
        assert!(got < 0.1, "20 steps fit the four samples: loss {got}");
    }
}
