//! The micrograd notebook's engine, built from scratch and run step by step.
//! The engine is `examples/shared/from_scratch.rs` (360 lines, read it
//! first); this file walks through it in the notebook's order and prints
//! what each step shows.
//!
//! Run: `cargo run --example value_from_scratch` (no arguments). It writes
//! its graph pictures under `out/value_from_scratch/` and prints that folder.
//!
//! Why an example and a shared file rather than a module of the crate: it is
//! a lesson, not an API (the crate's `Value` is the engine to use), and a
//! test cannot import an example, so the engine sits in its own file that
//! this example, `tests/from_scratch.rs` and `benches/scratch.rs` include
//! with `#[path]`.

use std::error::Error;
use std::fs;
use std::path::Path;
use std::process::Command;

#[allow(dead_code)]
#[path = "shared/from_scratch.rs"]
mod from_scratch;
use from_scratch::{Mlp, Value, train_step};

const OUT: &str = "out/value_from_scratch";

fn main() -> Result<(), Box<dyn Error>> {
    fs::create_dir_all(OUT)?;
    let out = Path::new(OUT).canonicalize()?;
    println!("output folder: {}\n", out.display());
    a_value_remembers();
    let l = chain_rule();
    deep_graph();
    let o = neuron_two_ways();
    draw(&l, "L")?;
    draw(&o, "neuron")?;
    train();
    println!("\noutput folder: {}", out.display());
    Ok(())
}

fn show(v: &Value, name: &str) {
    println!(
        "  {name:>2}  data {:>8.4}  grad {:>8.4}",
        v.data(),
        v.grad()
    );
}

/// Step 1: a value remembers its data, its children and the op that made it.
fn a_value_remembers() {
    println!("== 1. A Value: data, grad, children, op");
    let a = Value::new(2.0).with_label("a");
    let b = Value::new(-3.0).with_label("b");
    let c = Value::new(10.0).with_label("c");
    let d = ((&a * &b).with_label("a*b") + &c).with_label("d");
    println!(
        "d = a*b + c = {}; d was made by '{}' from:",
        d.data(),
        d.op()
    );
    for (child, local) in d.children() {
        println!(
            "  {:>4} (op '{}', data {:>4}), local derivative dd/dchild = {local}",
            child.label(),
            child.op(),
            child.data()
        );
    }
    println!("The '*' child remembers a and b in turn: the graph is the history.\n");
}

/// Steps 2 and 3: `+` and `*` with their local derivatives, and backward.
fn chain_rule() -> Value {
    println!("== 2-3. Local derivatives and backward: L = (a*b + c) * f");
    let (a, b) = (
        Value::new(2.0).with_label("a"),
        Value::new(-3.0).with_label("b"),
    );
    let (c, f) = (
        Value::new(10.0).with_label("c"),
        Value::new(-2.0).with_label("f"),
    );
    let e = (&a * &b).with_label("e");
    let d = (&e + &c).with_label("d");
    let l = (&d * &f).with_label("L");
    l.backward();
    println!(
        "L = {}. By hand: dL/dd = f = -2, dL/df = d = 4; '+' hands",
        l.data()
    );
    println!("dL/dd on to e and c; '*' swaps, so dL/da = dL/de * b = 6, dL/db = -4.");
    for (v, name) in [
        (&a, "a"),
        (&b, "b"),
        (&c, "c"),
        (&e, "e"),
        (&d, "d"),
        (&f, "f"),
        (&l, "L"),
    ] {
        show(v, name);
    }
    let a = Value::new(3.0);
    let b = &a + &a;
    b.backward();
    println!(
        "b = a + a: a gets a share from each use, da = {} (gradients add up)\n",
        a.grad()
    );
    l
}

/// Step 3 again: a graph deeper than Python's recursion limit.
fn deep_graph() {
    println!("== 3b. A deep graph: y = x * 1.0001 * 1.0001 * ... (100,000 times)");
    let x = Value::new(1.0);
    let mut y = x.clone();
    for _ in 0..100_000 {
        y = y * 1.0001;
    }
    y.backward();
    println!(
        "dy/dx = {:.3} = 1.0001^100000 = {:.3}; a recursive sort would have hit \
         Python's limit of 1000 frames long before.\n",
        x.grad(),
        1.0001_f64.powi(100_000)
    );
}

/// The lecture's neuron on fresh leaves [x1, w1, x2, w2, b], with tanh as
/// one op or spelled out as (e^2n - 1) / (e^2n + 1).
fn lecture_neuron(tanh_op: bool) -> (Value, Vec<Value>) {
    let (x1, x2) = (
        Value::new(2.0).with_label("x1"),
        Value::new(0.0).with_label("x2"),
    );
    let (w1, w2) = (
        Value::new(-3.0).with_label("w1"),
        Value::new(1.0).with_label("w2"),
    );
    // A bias chosen so that n = 0.8814 and o = tanh(n) = 1/sqrt(2).
    let b = Value::new(6.881_373_587_019_543).with_label("b");
    let n = (&x1 * &w1 + &x2 * &w2 + &b).with_label("n");
    let o = if tanh_op {
        n.tanh()
    } else {
        let e = (&n * 2.0).exp().with_label("e");
        (&e - 1.0) / (&e + 1.0)
    };
    (o.with_label("o"), vec![x1, w1, x2, w2, b])
}

/// Step 4: the lecture neuron with tanh, and with tanh spelled in exp, - and /.
fn neuron_two_ways() -> Value {
    println!("== 4. A neuron, o = tanh(x1*w1 + x2*w2 + b), two ways");
    let (o, leaves) = lecture_neuron(true);
    o.backward();
    println!(
        "with tanh: o = {:.4}, do/dn = 1 - o^2 = {:.4}",
        o.data(),
        1.0 - o.data().powi(2)
    );
    let (o2, leaves2) = lecture_neuron(false);
    o2.backward();
    println!(
        "with exp, - and /: o = {:.4}; gradients, tanh vs exp form:",
        o2.data()
    );
    for (v, v2) in leaves.iter().zip(&leaves2) {
        println!(
            "  do/d{:<2} {:>8.4} {:>8.4}",
            v.label(),
            v.grad(),
            v2.grad()
        );
    }
    println!("Same numbers: '-' and '/' needed no new derivative rules.\n");
    o
}

/// Step 5: the graph as a picture, in `draw_dot`'s record style.
fn draw(v: &Value, name: &str) -> Result<(), Box<dyn Error>> {
    let dot = Path::new(OUT).join(format!("{name}.dot"));
    fs::write(&dot, v.to_dot())?;
    // Graphviz draws it where installed; the DOT file is the picture's source.
    let svg = dot.with_extension("svg");
    match Command::new("dot")
        .arg("-Tsvg")
        .arg(&dot)
        .arg("-o")
        .arg(&svg)
        .status()
    {
        Ok(s) if s.success() => println!("== 5. graph of {name}: {}", svg.display()),
        _ => println!(
            "== 5. graph of {name}: {} (render: dot -Tsvg {0} -o {})",
            dot.display(),
            svg.display()
        ),
    }
    Ok(())
}

/// Steps 6 and 7: an MLP 3 -> 4 -> 4 -> 1 and the notebook's training loop.
fn train() {
    println!("\n== 6-7. Mlp 3 -> 4 -> 4 -> 1 (tanh) on the notebook's four samples");
    let data = micrograd::data::notebook();
    // The starting weights are the real engine's `Mlp::lecture(.., 42)`, so
    // the two can be compared (the notebook draws uniform(-1, 1) numbers).
    let real = micrograd::nn::Mlp::lecture(3, &[4, 4, 1], 42);
    let mut weights = real.parameters_f64().into_iter();
    let mlp = Mlp::new(3, &[4, 4, 1], &mut || weights.next().unwrap());
    println!(
        "{} parameters; targets {:?}",
        mlp.parameters().len(),
        data.ys
    );
    for k in 0..20 {
        let loss = train_step(&mlp, &data.xs, &data.ys, 0.1);
        if k % 4 == 0 || k == 19 {
            println!("  step {k:>2}: loss {loss:.6}");
        }
    }
    let preds: Vec<f64> = data.xs.iter().map(|x| mlp.call(x)[0].data()).collect();
    println!("predictions {preds:.3?} for targets {:?}", data.ys);
}
