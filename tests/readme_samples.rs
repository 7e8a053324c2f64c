//! The README's samples of output are what the code prints today: each is
//! computed here and must appear verbatim in README.md, so they cannot
//! drift from the library.

use micrograd::{assert_grad, grad, grad_code};

const README: &str = include_str!("../README.md");

fn assert_in_readme(text: &str) {
    assert!(
        README.contains(text),
        "README.md is stale: it should contain\n{text}"
    );
}

#[test]
fn grad_code_sample() {
    assert_in_readme(grad_code!(|x, y| x * y + x.tanh()));
}

#[test]
fn rosenbrock_sample() {
    let rosenbrock = grad!(|x: &[f64]| {
        let mut s = 0.0;
        for i in 0..x.len() - 1 {
            s += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2);
        }
        s
    });
    let (value, gradient) = rosenbrock(&[-1.2, 1.0, 1.0]);
    assert_in_readme(&format!("{value} {gradient:?}\n"));
}

#[test]
fn program_report_sample() {
    let xs = [[0.5, -1.0], [2.0, 0.25], [-1.5, 1.0]];
    let ys = [1.0, -1.0, 1.0];
    let report = assert_grad!(
        |w: [f64; 2], b: f64| {
            let mut loss = 0.0;
            for k in 0..xs.len() {
                let score = w[0] * xs[k][0] + w[1] * xs[k][1] + b;
                loss += (1.0 - ys[k] * score).max(0.0);
            }
            loss / xs.len() as f64
        },
        ([0.3, -0.2], 0.1)
    );
    // The table, from the line after the source on.
    let text = report.to_string();
    let table = &text[text.find("at w[0]").expect("a point line")..];
    assert_in_readme(table);
}

#[test]
fn compare_report_sample() {
    let report = micrograd::compare!(|x, y| x * y + x.tanh(), [1.0, 2.0]);
    assert_in_readme(&report.to_string());
}

#[test]
fn compare_example_block() {
    // The report part of `cargo run --release --example compare`'s first
    // block (its timing line varies from run to run).
    let report = micrograd::compare!(|x1, x2, w1, w2, b| (x1 * w1 + x2 * w2 + b).tanh());
    let text = report
        .check([2.0, 0.0, -3.0, 1.0, 6.881_373_587_019_543])
        .to_string();
    assert_in_readme(&text);
}

#[test]
fn train_example_sample() {
    // The deterministic parts of the README's first-run output of
    // `cargo run --release --example train` (the speeds vary): micrograd's
    // demo, seed 0, the loss and accuracy printed every 10 steps and at
    // the end, recomputed with the library the example uses.
    use micrograd::data::moons;
    use micrograd::loss::{accuracy, l2, max_margin};
    use micrograd::nn::Mlp;
    use micrograd::optim::{LrSchedule, Optimizer, Sgd};
    use micrograd::{Value, scope};
    let d = moons(100, 0.1, 0);
    let mlp = Mlp::demo(2, &[16, 16, 1], 0);
    let params = mlp.parameters();
    let mut opt = Sgd::new(params.clone(), LrSchedule::micrograd(100));
    let eval = |mlp: &Mlp| {
        scope(|| {
            let s: Vec<Value> = d.xs.iter().map(|x| mlp.forward_f64(x)[0]).collect();
            let loss = (max_margin(&s, &d.ys) + l2(&params, 1e-4)).data();
            let acc = accuracy(&s.iter().map(|v| v.data()).collect::<Vec<_>>(), &d.ys);
            (loss, acc)
        })
    };
    for step in 1..=100 {
        // The example prints each step's loss and accuracy, taken before
        // that step's update.
        let (loss, acc) = scope(|| {
            let s: Vec<Value> = d.xs.iter().map(|x| mlp.forward_f64(x)[0]).collect();
            let loss = max_margin(&s, &d.ys) + l2(&params, 1e-4);
            opt.zero_grad();
            loss.backward();
            opt.step();
            let s: Vec<f64> = s.iter().map(|v| v.data()).collect();
            (loss.data(), accuracy(&s, &d.ys))
        });
        if step == 10 || step == 20 || step == 100 {
            let line = format!(
                "step {step:>5}/100  loss {loss:.4}  accuracy {:>5.1}%",
                100.0 * acc
            );
            assert_in_readme(&line);
        }
    }
    let (loss, acc) = eval(&mlp);
    assert_in_readme(&format!(
        "final loss {loss:.6}, accuracy {:.1}%",
        100.0 * acc
    ));
}
