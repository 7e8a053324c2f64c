//! Graph pictures: DOT structure and the pure-Rust SVG rendering.

use micrograd::Value;

/// The lecture neuron after backward, labelled as in the notebook.
fn neuron() -> Value {
    let x1 = Value::new(2.0).with_label("x1");
    let x2 = Value::new(0.0).with_label("x2");
    let w1 = Value::new(-3.0).with_label("w1");
    let w2 = Value::new(1.0).with_label("w2");
    let b = Value::new(6.881_373_587_019_543).with_label("b");
    let n = (x1 * w1 + x2 * w2 + b).with_label("n");
    let o = n.tanh().with_label("o");
    o.backward();
    o
}

#[test]
fn dot_has_a_record_per_value_and_an_ellipse_per_op() {
    let o = neuron();
    let dot = o.to_dot();
    // 5 leaves + 2 mul + 2 add + 1 tanh = 10 values, 5 of them ops.
    assert_eq!(dot.matches("| data ").count(), 10);
    assert_eq!(dot.matches("shape=ellipse").count(), 5);
    // Edges: one op -> value per op, plus one operand -> op per operand
    // (2 + 2 + 2 + 2 + 1 = 9).
    assert_eq!(dot.matches(" -> ").count(), 5 + 9);
    assert!(dot.starts_with("digraph") && dot.contains("rankdir=LR"));
    // do/dx1 = w1 (1 - o^2) = -3 * 0.5 = -1.5, printed with 4 decimals
    assert!(dot.contains("{ x1 | data 2.0000 | grad -1.5000 }"), "{dot}");
    assert!(dot.contains("{ o | data 0.7071 | grad 1.0000 }"), "{dot}");
    assert!(dot.contains("[label=\"tanh\", shape=ellipse]"));
}

#[test]
fn record_special_characters_in_labels_are_escaped() {
    let v = Value::new(1.0).with_label("a|b {c} <d> \"e\"");
    let dot = v.to_dot();
    assert!(dot.contains(r#"a\|b \{c\} \<d\> \"e\""#), "{dot}");
}

#[test]
fn svg_renders_without_graphviz() {
    let svg = neuron().to_svg();
    assert!(svg.contains("<svg"));
    for text in ["x1", "w1", "tanh", "grad -1.5000", "data 0.7071"] {
        assert!(svg.contains(text), "missing {text:?}");
    }
    // layout-rs reads no escapes in records: metacharacters are drawn as
    // look-alikes instead of splitting the record.
    let odd = (Value::new(2.0).with_label("a|b") * 3.0).with_label("{x}");
    let svg = odd.to_svg();
    assert!(svg.contains("a¦b") && svg.contains("(x)"), "{svg}");
}
