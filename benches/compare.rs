//! Time per gradient, one table from one run: `grad!`-generated code, a
//! hand-written derivative of the same function, and the `Value` graph
//! (build + backward inside `scope`), on three expressions of growing size;
//! then one training step on moons, where `grad!` does not apply (its
//! closures take scalars, a training step takes arrays), so the `Value`
//! step stands beside the hand-written f64 step.
//!
//! Run (about a minute; prints the table at the end):
//! `cargo bench --bench compare -- --warm-up-time 1 --measurement-time 3`
//!
//! The `grad!` and `Value` columns come from one `compare!` per expression:
//! `static_grad` is the `grad!` closure (behind an array-taking wrapper,
//! inlined away), `dynamic_grad` builds the same ops on `Value`s in a scope,
//! runs `backward` and reads the gradients. Every function is checked
//! against the others before it is timed.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::Criterion;
use micrograd::compare;

#[allow(dead_code)]
#[path = "../tests/nn_handwritten.rs"]
mod handwritten;
use handwritten::{HandMlp, NIN};

#[allow(dead_code)]
mod workloads;
use workloads::{ALPHA, Demo};

const GROUP: &str = "compare";

/// The lecture neuron o = tanh(x1 w1 + x2 w2 + b), by hand: do/dn = 1 - o^2,
/// then each input gets its partner times that.
fn neuron_hand([x1, x2, w1, w2, b]: [f64; 5]) -> (f64, [f64; 5]) {
    let o = (x1 * w1 + x2 * w2 + b).tanh();
    let dn = 1.0 - o * o;
    (o, [w1 * dn, w2 * dn, x1 * dn, x2 * dn, dn])
}

/// `R` rounds of o_k = tanh(o_{k-1} w1 + x2 w2 + b), o_0 = x1, by hand:
/// the forward pass keeps every o_k, the backward pass walks them back,
/// carrying d = d o_R / d n_k (n_k the pre-activation of round k) and
/// summing the shared inputs' contributions.
fn chain_hand<const R: usize>([x1, x2, w1, w2, b]: [f64; 5]) -> (f64, [f64; 5]) {
    let c = x2 * w2;
    let mut o = [0.0; R];
    let mut prev = x1;
    for ok in o.iter_mut() {
        *ok = (prev * w1 + c + b).tanh();
        prev = *ok;
    }
    let (mut dw1, mut dc) = (0.0, 0.0);
    let mut d = 1.0 - o[R - 1] * o[R - 1];
    for k in (0..R).rev() {
        let input = if k == 0 { x1 } else { o[k - 1] };
        dw1 += d * input;
        dc += d;
        if k > 0 {
            d *= w1 * (1.0 - input * input);
        }
    }
    (o[R - 1], [d * w1, dc * w2, dw1, dc * x2, dc])
}

/// Panics unless the three functions agree at `p` (to 1e-12 relative).
/// A gradient function of the five parameters.
type GradFn<'a> = &'a dyn Fn([f64; 5]) -> (f64, [f64; 5]);

fn agree(p: [f64; 5], fs: [GradFn; 3]) {
    let want = fs[0](p);
    for f in &fs[1..] {
        let got = f(p);
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(1.0);
        assert!(close(got.0, want.0), "{got:?} vs {want:?}");
        assert!(
            got.1.iter().zip(&want.1).all(|(&a, &b)| close(a, b)),
            "{got:?} vs {want:?}"
        );
    }
}

fn bench_expressions(c: &mut Criterion) {
    let neuron = compare!(|x1, x2, w1, w2, b| (x1 * w1 + x2 * w2 + b).tanh());
    let chain5 = compare!(|x1, x2, w1, w2, b| {
        let mut o = x1;
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o
    });
    // 60 rounds of 5 ops: 300 operations.
    let chain60 = compare!(|x1, x2, w1, w2, b| {
        let mut o = x1;
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o
    });
    let p = [0.3, -0.7, 0.9, 0.4, -0.1];
    agree(p, [&neuron.static_grad, &neuron_hand, &neuron.dynamic_grad]);
    agree(
        p,
        [&chain5.static_grad, &chain_hand::<5>, &chain5.dynamic_grad],
    );
    agree(
        p,
        [
            &chain60.static_grad,
            &chain_hand::<60>,
            &chain60.dynamic_grad,
        ],
    );

    let mut g = c.benchmark_group(GROUP);
    g.bench_function("neuron/grad!", |b| {
        b.iter(|| (neuron.static_grad)(black_box(p)))
    });
    g.bench_function("neuron/hand", |b| b.iter(|| neuron_hand(black_box(p))));
    g.bench_function("neuron/Value", |b| {
        b.iter(|| (neuron.dynamic_grad)(black_box(p)))
    });
    g.bench_function("chain30/grad!", |b| {
        b.iter(|| (chain5.static_grad)(black_box(p)))
    });
    g.bench_function("chain30/hand", |b| b.iter(|| chain_hand::<5>(black_box(p))));
    g.bench_function("chain30/Value", |b| {
        b.iter(|| (chain5.dynamic_grad)(black_box(p)))
    });
    g.bench_function("chain300/grad!", |b| {
        b.iter(|| (chain60.static_grad)(black_box(p)))
    });
    g.bench_function("chain300/hand", |b| {
        b.iter(|| chain_hand::<60>(black_box(p)))
    });
    g.bench_function("chain300/Value", |b| {
        b.iter(|| (chain60.dynamic_grad)(black_box(p)))
    });
    g.finish();
}

/// micrograd's demo step, the workload `benches/train.rs` times: 100 moons
/// points, Mlp 2 -> 16 -> 16 -> 1, max-margin loss + 1e-4 sum(p^2), SGD
/// with lr 1, every iteration from the same parameters.
fn bench_train_step(c: &mut Criterion) {
    const LR: f64 = 1.0;
    let mut demo = Demo::new(LR);
    let xs: Vec<[f64; NIN]> = demo.data.xs.iter().map(|x| [x[0], x[1]]).collect();
    let ys = demo.data.ys.clone();
    let hand_init = HandMlp::from_params(&demo.init);
    let (mut net, mut grads) = (hand_init.clone(), HandMlp::zeros());

    let mut g = c.benchmark_group(GROUP);
    g.bench_function("moons-step/Value", |b| {
        b.iter(|| black_box(demo.step(true)))
    });
    g.bench_function("moons-step/hand", |b| {
        b.iter(|| {
            net.clone_from(&hand_init);
            black_box(net.step(black_box(&xs), black_box(&ys), ALPHA, LR, &mut grads))
        })
    });
    g.finish();
}

/// The median of one benchmark from criterion's `estimates.json`, in ns.
fn median_ns(dir: &Path, id: &str) -> Option<f64> {
    let path = dir
        .join(GROUP)
        .join(id.replace('/', "_"))
        .join("new/estimates.json");
    let json = std::fs::read_to_string(path).ok()?;
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

/// The table of this run's medians, with ratios to the hand-written code.
fn print_table() {
    let Some(dir) = criterion_dir() else { return };
    let ns = |id: &str| median_ns(&dir, id);
    let cell = |t: Option<f64>| match t {
        Some(t) if t >= 1e4 => format!("{:.1} µs", t / 1e3),
        Some(t) => format!("{t:.1} ns"),
        None => "n/a".into(),
    };
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => format!("{:.2}x", a / b),
        _ => "n/a".into(),
    };
    println!(
        "\n| workload | grad! | hand-written | Value | grad! / hand | Value / hand | Value / grad! |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (name, key) in [
        ("lecture neuron (5 ops)", "neuron"),
        ("tanh chain, 5 rounds (~30 nodes)", "chain30"),
        ("tanh chain, 60 rounds (300 ops)", "chain300"),
        ("moons training step (2-16-16-1, 100 points)", "moons-step"),
    ] {
        let (s, h, d) = (
            ns(&format!("{key}/grad!")),
            ns(&format!("{key}/hand")),
            ns(&format!("{key}/Value")),
        );
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} |",
            cell(s),
            cell(h),
            cell(d),
            ratio(s, h),
            ratio(d, h),
            ratio(d, s)
        );
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench_expressions(&mut c);
    bench_train_step(&mut c);
    c.final_summary();
    print_table();
}
