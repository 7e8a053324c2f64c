//! The same MLP on both engines (issue 15's first step): micrograd's moons
//! network as one `grad!` program (`examples/shared/moons_static.rs`)
//! against the `Value` engine's `Mlp`, from the same weights, at every
//! step of a training run.

#[path = "../examples/shared/moons_static.rs"]
mod moons_static;

use micrograd::check::disagreement;
use micrograd::data::moons;
use micrograd::loss::{accuracy, l2, max_margin};
use micrograd::nn::Mlp;
use micrograd::optim::{LrSchedule, Optimizer, Sgd};
use micrograd::{Value, scope};
use moons_static::{PARAMS, SIZES, loss_and_gradient};

const ALPHA: f64 = 1e-4;

/// Trains `mlp` for 100 SGD steps on the `Value` engine with `schedule`;
/// before each step, the static loss and gradient at the same parameters
/// (`static_fn` over `Mlp::parameters_f64`) must agree with the `Value`
/// engine's (`dynamic_loss`, then backward) to 1e-12, entry by entry.
/// Returns the largest disagreement seen.
fn agree_while_training(
    mlp: &Mlp,
    schedule: LrSchedule,
    static_fn: impl Fn(&[f64]) -> (f64, Vec<f64>),
    dynamic_loss: impl Fn(&Mlp, &[Value]) -> Value,
) -> f64 {
    let params = mlp.parameters();
    let mut opt = Sgd::new(params.clone(), schedule);
    let mut worst: f64 = 0.0;
    for step in 0..100 {
        let (static_loss, static_grad) = static_fn(&mlp.parameters_f64());
        let dynamic = scope(|| {
            let loss = dynamic_loss(mlp, &params);
            opt.zero_grad();
            loss.backward();
            loss.data()
        });
        worst = worst.max(disagreement(static_loss, dynamic));
        for (i, (s, v)) in static_grad.iter().zip(&params).enumerate() {
            let e = disagreement(*s, v.grad());
            assert!(
                e <= 1e-12,
                "step {step}, parameter {i}: {s} vs {}",
                v.grad()
            );
            worst = worst.max(e);
        }
        opt.step();
    }
    worst
}

#[test]
fn both_engines_give_the_same_gradient_at_every_step() {
    // 100 SGD steps of micrograd's demo on the Value engine; at each step's
    // parameters the grad! program's loss and all 337 gradient entries
    // agree with backward's. They differ only in summation order (the
    // fused neuron sums in four lanes, the program left to right), so the
    // bound is a few thousand ulps, not 0; the largest is printed.
    let d = moons(100, 0.1, 0);
    let xs: Vec<[f64; 2]> = d.xs.iter().map(|x| [x[0], x[1]]).collect();
    let mlp = Mlp::demo(SIZES[0], &SIZES[1..], 0);
    let params = mlp.parameters();
    assert_eq!(params.len(), PARAMS);
    let worst = agree_while_training(
        &mlp,
        LrSchedule::micrograd(100),
        |p| loss_and_gradient(p, &xs, &d.ys, ALPHA),
        |mlp, params| {
            let s: Vec<Value> = d.xs.iter().map(|x| mlp.forward_f64(x)[0]).collect();
            max_margin(&s, &d.ys) + l2(params, ALPHA)
        },
    );
    println!("largest static vs dynamic disagreement over 100 steps: {worst:e}");
    assert!(worst <= 1e-12);
}

#[test]
fn the_static_program_alone_trains_to_full_accuracy() {
    // The grad! gradient drives plain SGD on a Vec<f64> with micrograd's
    // schedule; the network it ends with classifies every training point.
    let d = moons(100, 0.1, 0);
    let xs: Vec<[f64; 2]> = d.xs.iter().map(|x| [x[0], x[1]]).collect();
    let mlp = Mlp::demo(SIZES[0], &SIZES[1..], 0);
    let mut p = mlp.parameters_f64();
    let schedule = LrSchedule::micrograd(100);
    let (first, _) = loss_and_gradient(&p, &xs, &d.ys, ALPHA);
    for k in 0..100 {
        let (_, g) = loss_and_gradient(&p, &xs, &d.ys, ALPHA);
        let lr = schedule.at(k);
        for (w, dw) in p.iter_mut().zip(&g) {
            *w -= lr * dw;
        }
    }
    let (last, _) = loss_and_gradient(&p, &xs, &d.ys, ALPHA);
    mlp.set_parameters_f64(&p);
    let scores: Vec<f64> = d.xs.iter().map(|x| mlp.predict(x)[0]).collect();
    assert_eq!(accuracy(&scores, &d.ys), 1.0);
    assert!(last < 0.1 * first, "loss {first} -> {last}");
}

#[test]
fn compare_checks_the_same_program_text_at_the_starting_weights() {
    // The program the training differentiates, handed to compare! by the
    // same macro: static vs dynamic (the Value replay of the same loops)
    // and a central finite difference for all 337 parameters; the report
    // prints a summary of the rows that disagree most.
    use micrograd::compare;
    let d = moons(100, 0.1, 0);
    let xs: Vec<[f64; 2]> = d.xs.iter().map(|x| [x[0], x[1]]).collect();
    let ys = &d.ys;
    let alpha = ALPHA;
    let engines = crate::with_moons_program!(compare, xs, ys, alpha);
    let p0 = Mlp::demo(SIZES[0], &SIZES[1..], 0).parameters_f64();
    let report = engines.check(p0);
    assert_eq!(report.params.len(), PARAMS);
    assert_eq!(report.params[3], "p[3]");
    assert!(report.static_dynamic() <= 1e-12, "{report}");
    // A relu within a finite-difference step of its kink would make a
    // column disagree by design; at these weights none is, and the
    // largest disagreement is the difference's own error.
    println!("static vs finite diff: {:e}", report.static_fd());
    assert!(report.static_fd() <= 1e-6, "{report}");
    let text = report.to_string();
    // The program's text, then at most 15 lines: point, value, header,
    // the 10 rows, the summary line and the largest disagreements.
    let source_lines = report.source.lines().count();
    assert!(text.lines().count() <= source_lines + 15, "{text}");
    assert!(text.contains("337 entries"), "{text}");
    assert_eq!(
        format!("{report:#}").lines().count(),
        text.lines().count() - 11 + 337
    );
}

#[test]
fn the_notebook_network_on_both_engines() {
    // The lecture's 3 -> 4 -> 4 -> 1 tanh network on its four samples, sum
    // of squared errors, 100 SGD steps at lr 0.1 (the train example's
    // `--dataset notebook`): at every step the grad! program (flat layout:
    // neuron j of layer 1 at 4 j, of layer 2 at 16 + 5 j, the output at 36)
    // and the Value engine give the same loss and 41 gradients to 1e-12.
    use micrograd::data::notebook;
    use micrograd::grad;
    use micrograd::loss::squared_error_sum;
    use micrograd::nn::{Activation, BiasInit, Init};
    let d = notebook();
    let xs: Vec<[f64; 3]> = d.xs.iter().map(|x| [x[0], x[1], x[2]]).collect();
    let ys = &d.ys;
    let f = grad!(|p: &[f64]| {
        let mut loss = 0.0;
        for k in 0..xs.len() {
            let mut h1 = [0.0; 4];
            for j in 0..4 {
                let mut z = p[4 * j + 3];
                for i in 0..3 {
                    z += p[4 * j + i] * xs[k][i];
                }
                h1[j] = z.tanh();
            }
            let mut h2 = [0.0; 4];
            for j in 0..4 {
                let mut z = p[16 + 5 * j + 4];
                for i in 0..4 {
                    z += p[16 + 5 * j + i] * h1[i];
                }
                h2[j] = z.tanh();
            }
            let mut z = p[40];
            for i in 0..4 {
                z += p[36 + i] * h2[i];
            }
            loss += (z.tanh() - ys[k]).powi(2);
        }
        loss
    });
    let layers = [
        (4, Activation::Tanh),
        (4, Activation::Tanh),
        (1, Activation::Tanh),
    ];
    let mlp = Mlp::new(3, &layers, Init::seeded(0).with_bias(BiasInit::Uniform));
    let params = mlp.parameters();
    assert_eq!(params.len(), 41);
    let worst = agree_while_training(&mlp, LrSchedule::Constant(0.1), f, |mlp, _| {
        let s: Vec<Value> = d.xs.iter().map(|x| mlp.forward_f64(x)[0]).collect();
        squared_error_sum(&s, &d.ys)
    });
    println!("notebook network: largest disagreement over 100 steps {worst:e}");
    assert!(worst <= 1e-12);
}

#[test]
fn two_independent_runs_drift_apart_only_by_rounding() {
    // The static run (SGD on a Vec<f64> with the grad! gradient) and the
    // dynamic run (the Mlp with its own SGD) from the same weights, each
    // on its own for 100 steps: their sums are in different orders (four
    // lanes in the fused neuron, left to right in the program), so the
    // parameters drift apart by rounding, amplified by the steps (a relu
    // whose input changes sign on one side only would make it jump).
    let d = moons(100, 0.1, 0);
    let xs: Vec<[f64; 2]> = d.xs.iter().map(|x| [x[0], x[1]]).collect();
    let mlp = Mlp::demo(SIZES[0], &SIZES[1..], 0);
    let mut p = mlp.parameters_f64();
    let schedule = LrSchedule::micrograd(100);
    let params = mlp.parameters();
    let mut opt = Sgd::new(params.clone(), LrSchedule::micrograd(100));
    for k in 0..100 {
        let (_, g) = loss_and_gradient(&p, &xs, &d.ys, ALPHA);
        let lr = schedule.at(k);
        for (w, dw) in p.iter_mut().zip(&g) {
            *w -= lr * dw;
        }
        scope(|| {
            let s: Vec<Value> = d.xs.iter().map(|x| mlp.forward_f64(x)[0]).collect();
            let loss = max_margin(&s, &d.ys) + l2(&params, ALPHA);
            opt.zero_grad();
            loss.backward();
            opt.step();
        });
    }
    let drift = p
        .iter()
        .zip(mlp.parameters_f64())
        .map(|(a, b)| disagreement(*a, b))
        .fold(0.0, f64::max);
    println!("largest parameter drift after 100 independent steps: {drift:e}");
    assert!(drift < 1e-12, "drift {drift:e}");
}
