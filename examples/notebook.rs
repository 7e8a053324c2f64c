//! The micrograd notebook, in Rust, top to bottom: a derivative by nudging
//! the input, the same by the chain rule on a `Value` graph, the same again
//! by `grad!`'s generated code, a neuron and its picture, and a small MLP
//! that learns four samples.
//!
//! Run: `cargo run --example notebook` (no arguments). It prints as it goes
//! and writes its pictures under `out/notebook/`.

use std::error::Error;
use std::fs;
use std::path::Path;

use micrograd::check::central_difference;
use micrograd::data::notebook;
use micrograd::loss::squared_error_sum;
use micrograd::nn::Mlp;
use micrograd::optim::{LrSchedule, Optimizer, Sgd};
use micrograd::{Value, compare, grad, scope};
use plotters::prelude::*;

const OUT: &str = "out/notebook";

fn main() -> Result<(), Box<dyn Error>> {
    fs::create_dir_all(OUT)?;
    derivative_by_nudging()?;
    chain_rule_on_values()?;
    same_with_grad_macro();
    neuron_and_its_picture()?;
    fit_four_samples();
    println!(
        "\nPictures are in {}",
        Path::new(OUT).canonicalize()?.display()
    );
    Ok(())
}

/// The function of the notebook's first cells.
fn f(x: f64) -> f64 {
    3.0 * x * x - 4.0 * x + 5.0
}

/// Step 1: What a derivative is: nudge x by a small h and see how much f moves.
fn derivative_by_nudging() -> Result<(), Box<dyn Error>> {
    println!("== 1. A derivative by nudging the input: f(x) = 3x^2 - 4x + 5");
    println!("The slope is (f(x + h) - f(x)) / h for a small h. By hand, f'(x) = 6x - 4.");
    println!(
        "{:>8} {:>10} {:>22} {:>22} {:>10}",
        "x", "f(x)", "(f(x+h)-f(x))/h, h=1e-4", "central difference", "6x - 4"
    );
    for x in [-3.0, 0.0, 2.0 / 3.0, 3.0] {
        let h = 1e-4; // the notebook's step
        let forward = (f(x + h) - f(x)) / h;
        // The central difference (f(x+h) - f(x-h)) / 2h is exact up to
        // h^2 instead of h; `check` also picks h to balance rounding.
        let (central, _) = central_difference(|[x]: [f64; 1]| f(x), [x]);
        println!(
            "{x:>8.4} {:>10.4} {forward:>22.6} {:>22.6} {:>10.4}",
            f(x),
            central[0],
            6.0 * x - 4.0
        );
    }
    println!("At x = 2/3 the slope is 0: the bottom of the parabola.");

    // A picture of f and its slope over [-5, 5].
    let path = Path::new(OUT).join("f_and_slope.svg");
    let root = SVGBackend::new(&path, (640, 400)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("f(x) = 3x^2 - 4x + 5 and its slope", ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(35)
        .y_label_area_size(50)
        .build_cartesian_2d(-5.0..5.0, -40.0..110.0)?;
    chart.configure_mesh().x_desc("x").draw()?;
    let xs = (0..=200).map(|i| -5.0 + 0.05 * f64::from(i));
    chart
        .draw_series(LineSeries::new(
            xs.clone().map(|x| (x, f(x))),
            BLUE.stroke_width(2),
        ))?
        .label("f(x)")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLUE));
    let slope = |x: f64| central_difference(|[x]: [f64; 1]| f(x), [x]).0[0];
    chart
        .draw_series(LineSeries::new(
            xs.map(|x| (x, slope(x))),
            RED.stroke_width(2),
        ))?
        .label("numerical slope (= 6x - 4)")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], RED));
    chart
        .configure_series_labels()
        .border_style(BLACK)
        .background_style(WHITE)
        .draw()?;
    root.present()?;
    println!("Plotted f and its slope: {}\n", path.display());
    Ok(())
}

/// Step 2: The same by the chain rule: every op on a `Value` remembers its
/// inputs, and `backward` walks the graph from the output back.
fn chain_rule_on_values() -> Result<(), Box<dyn Error>> {
    println!("== 2. The chain rule on a Value graph");
    println!("a = 2, b = -3, c = 10, e = a*b, d = e + c, f = -2, L = d*f");
    let a = Value::new(2.0).with_label("a");
    let b = Value::new(-3.0).with_label("b");
    let c = Value::new(10.0).with_label("c");
    let e = (a * b).with_label("e");
    let d = (e + c).with_label("d");
    let f = Value::new(-2.0).with_label("f");
    let l = (d * f).with_label("L");
    println!("Forward: L = {}", l.data());
    l.backward();
    println!("Backward: each grad is dL/dvalue, built from local derivatives:");
    println!("  dL/dd = f and dL/df = d; a '+' passes the gradient on unchanged,");
    println!("  so dL/de = dL/dc = dL/dd; a '*' swaps: dL/da = dL/de * b.");
    for v in l.topological_order() {
        println!(
            "  {:>2}  data {:>6.1}  grad {:>6.1}",
            v.label().unwrap_or_default(),
            v.data(),
            v.grad()
        );
    }
    let path = Path::new(OUT).join("L.svg");
    fs::write(&path, l.to_svg())?;
    println!("The graph with data and grads: {}\n", path.display());
    Ok(())
}

/// Step 3: The same derivative without a graph: `grad!` reads the expression at
/// compile time and writes the forward and backward code out in full.
fn same_with_grad_macro() {
    println!("== 3. The same with grad!: no graph at run time");
    let loss = grad!(|a, b, c, f| {
        let e = a * b;
        let d = e + c;
        d * f
    });
    let (l, [da, db, dc, df]) = loss(2.0, -3.0, 10.0, -2.0);
    println!("L = {l}, dL/da = {da}, dL/db = {db}, dL/dc = {dc}, dL/df = {df}");
    println!("Both engines, and a finite difference, side by side:");
    let report = compare!(
        |a, b, c, f| {
            let e = a * b;
            let d = e + c;
            d * f
        },
        [2.0, -3.0, 10.0, -2.0]
    );
    println!("{report}\n");
}

/// Step 4: A neuron: inputs times weights plus a bias, squashed by tanh.
fn neuron_and_its_picture() -> Result<(), Box<dyn Error>> {
    println!("== 4. A neuron: o = tanh(x1*w1 + x2*w2 + b)");
    let x1 = Value::new(2.0).with_label("x1");
    let x2 = Value::new(0.0).with_label("x2");
    let w1 = Value::new(-3.0).with_label("w1");
    let w2 = Value::new(1.0).with_label("w2");
    // A bias chosen so that n = 0.8814 and o = tanh(n) = 0.7071.
    let b = Value::new(6.881_373_587_019_543).with_label("b");
    let n = (x1 * w1 + x2 * w2 + b).with_label("n");
    let o = n.tanh().with_label("o");
    o.backward();
    println!(
        "o = {:.4}; do/dn = 1 - o^2 = {:.4}",
        o.data(),
        1.0 - o.data() * o.data()
    );
    for v in [x1, w1, x2, w2, b] {
        println!(
            "  do/d{:<2} = {:>7.4}",
            v.label().unwrap_or_default(),
            v.grad()
        );
    }
    println!("x2 is 0, so w2 gets no gradient: changing w2 does not move o.");
    let path = Path::new(OUT).join("neuron.svg");
    fs::write(&path, o.to_svg())?;
    println!("The neuron's graph: {}\n", path.display());
    Ok(())
}

/// Step 5: An MLP of such neurons learns four samples by gradient descent.
fn fit_four_samples() {
    println!("== 5. An MLP 3 -> 4 -> 4 -> 1 (tanh) fits four samples");
    let data = notebook();
    let mlp = Mlp::lecture(3, &[4, 4, 1], 42);
    println!("{mlp}; targets {:?}", data.ys);
    let mut opt = Sgd::new(mlp.parameters(), LrSchedule::Constant(0.05));
    for step in 0..=100 {
        // Each step's graph lives in a scope and is freed at its end; the
        // parameters were created outside it and keep their values.
        let loss = scope(|| {
            let preds: Vec<Value> = data.xs.iter().map(|x| mlp.forward_f64(x)[0]).collect();
            let loss = squared_error_sum(&preds, &data.ys);
            opt.zero_grad();
            loss.backward();
            opt.step();
            loss.data()
        });
        if step % 20 == 0 {
            println!("  step {step:>3}: loss {loss:.6}");
        }
    }
    let preds: Vec<f64> = data
        .xs
        .iter()
        .map(|x| scope(|| mlp.forward_f64(x)[0].data()))
        .collect();
    println!("Predictions {preds:.3?} for targets {:?}", data.ys);
}
