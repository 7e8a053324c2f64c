//! The lecture's neuron as a picture: builds o = tanh(x1*w1 + x2*w2 + b),
//! runs `backward`, prints every gradient, and writes the graph as DOT and
//! as SVG (rendered in pure Rust, no Graphviz needed).
//!
//! Run: `cargo run --example graph` (writes `out/graph/neuron.{dot,svg}`).

use std::error::Error;
use std::fs;
use std::path::Path;

use micrograd::Value;

fn main() -> Result<(), Box<dyn Error>> {
    println!("Building the neuron o = tanh(x1*w1 + x2*w2 + b) from the micrograd lecture.");
    let x1 = Value::new(2.0).with_label("x1");
    let x2 = Value::new(0.0).with_label("x2");
    let w1 = Value::new(-3.0).with_label("w1");
    let w2 = Value::new(1.0).with_label("w2");
    let b = Value::new(6.881_373_587_019_543).with_label("b");
    let x1w1 = (x1 * w1).with_label("x1*w1");
    let x2w2 = (x2 * w2).with_label("x2*w2");
    let x1w1x2w2 = (x1w1 + x2w2).with_label("x1*w1 + x2*w2");
    let n = (x1w1x2w2 + b).with_label("n");
    let o = n.tanh().with_label("o");
    println!(
        "Forward: n = {:.4}, o = tanh(n) = {:.4}",
        n.data(),
        o.data()
    );

    println!("Backward: o.backward() fills do/dv for every value v in the graph.");
    o.backward();
    for v in o.topological_order() {
        let label = v.label().unwrap_or_default();
        println!(
            "  {label:>14}  data {:>8.4}  grad {:>8.4}",
            v.data(),
            v.grad()
        );
    }

    let dir = Path::new("out/graph");
    fs::create_dir_all(dir)?;
    fs::write(dir.join("neuron.dot"), o.to_dot())?;
    fs::write(dir.join("neuron.svg"), o.to_svg())?;
    println!(
        "Wrote neuron.dot and neuron.svg to {}",
        dir.canonicalize()?.display()
    );
    println!("With Graphviz installed: dot -Tsvg out/graph/neuron.dot > neuron.svg");
    Ok(())
}
