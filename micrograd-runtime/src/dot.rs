//! Graphviz pictures of a value's graph, in the style of micrograd's
//! `draw_dot`: a record `{ label | data | grad }` per value and a small
//! node per op between a value and its operands, laid out left to right.

use std::fmt::Write;

use crate::op::Op;
use crate::tape::Value;
use crate::tape::{self, Tape};

/// Escapes the characters that are special inside a record label
/// (`{ } | < >`), inside a quoted DOT string (`"`, `\`), and newlines.
fn escape(label: &str) -> String {
    let mut out = String::with_capacity(label.len());
    for c in label.chars() {
        match c {
            '{' | '}' | '|' | '<' | '>' | '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out
}

/// For `layout-rs`, whose record parser does not read backslash escapes:
/// record metacharacters become look-alikes, and quotes, backslashes and
/// newlines become `'`, `/` and spaces so no escape is needed at all.
#[cfg(feature = "svg")]
fn look_alike(label: &str) -> String {
    label
        .chars()
        .map(|c| match c {
            '|' => '¦',
            '{' => '(',
            '}' => ')',
            '<' => '‹',
            '>' => '›',
            '"' => '\'',
            '\\' => '/',
            '\n' => ' ',
            c => c,
        })
        .collect()
}

impl Tape {
    fn dot(&mut self, out: usize, escape: fn(&str) -> String) -> String {
        let order = self.collect(out);
        let mut dot = String::from(
            "digraph micrograd {\n  rankdir=LR;\n  node [shape=record, fontname=\"Helvetica\"];\n",
        );
        for &i in &order {
            let i = i as usize;
            let (data, grad, rec) = (self.data[i], self.grad(i), self.recs[i]);
            let label = self.label(i).map(escape).unwrap_or_default();
            // Writing to a String cannot fail.
            let _ = writeln!(
                dot,
                "  v{i} [label=\"{{ {label} | data {:.4} | grad {:.4} }}\"];",
                data, grad
            );
            let op = crate::op::public_op(rec, &self.side);
            if !matches!(op, Op::Leaf | Op::Const) {
                let _ = writeln!(
                    dot,
                    "  v{i}_op [label=\"{}\", shape=ellipse];",
                    escape(&op.to_string())
                );
                let _ = writeln!(dot, "  v{i}_op -> v{i};");
                for c in self.children(i) {
                    let _ = writeln!(dot, "  v{c} -> v{i}_op;");
                }
            }
        }
        dot.push_str("}\n");
        dot
    }
}

impl Value {
    /// The graph that produced this value as Graphviz DOT: a record
    /// `{ label | data | grad }` per value (4 decimals) and an ellipse per
    /// op, left to right, as in micrograd's `draw_dot`. Call it after
    /// [`backward`](Value::backward) to see the gradients.
    ///
    /// Where Graphviz is installed, render it with
    /// `dot -Tsvg graph.dot > graph.svg`; without it, use
    /// [`to_svg`](Value::to_svg).
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let a = Value::new(2.0).with_label("a");
    /// let b = (a * 3.0).with_label("b");
    /// b.backward();
    /// let dot = b.to_dot();
    /// assert!(dot.contains("rankdir=LR"));
    /// assert!(dot.contains("{ a | data 2.0000 | grad 3.0000 }"));
    /// assert!(dot.contains("[label=\"*\", shape=ellipse]"));
    /// ```
    pub fn to_dot(self) -> String {
        tape::with(|t| {
            let out = t.index(self);
            t.dot(out, escape)
        })
    }

    /// The same picture as [`to_dot`](Value::to_dot), laid out and rendered
    /// to SVG in pure Rust by the `layout-rs` crate, so no Graphviz install
    /// is needed. Behind the default `svg` feature.
    ///
    /// `layout-rs` draws records and left-to-right ranks; its layout is
    /// simpler than Graphviz's, so for large graphs prefer `dot`. It does
    /// not read escapes inside record labels, so label characters that are
    /// record syntax (`| { } < >`) are drawn as look-alikes (`¦ ( ) ‹ ›`).
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(0.5).with_label("x");
    /// let y = x.tanh().with_label("y");
    /// y.backward();
    /// let svg = y.to_svg();
    /// assert!(svg.contains("<svg") && svg.contains("tanh"));
    /// ```
    ///
    /// Layout time grows about 8x per doubling of the graph (measured in
    /// release builds: 100 values 0.03 s, 200 values 0.18 s, 400 values
    /// 1.9 s), so a graph of more than [`SVG_MAX_VALUES`] values is not
    /// laid out: the picture is a short message that says how many values
    /// the graph has and to render [`to_dot`](Value::to_dot) with Graphviz
    /// (`dot -Tsvg`), which lays out thousands in a second.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(0.5);
    /// let mut y = x;
    /// for _ in 0..400 {
    ///     y = y * 0.9;
    /// }
    /// let svg = y.to_svg();
    /// assert!(svg.contains("<svg") && svg.contains("to_dot"));
    /// ```
    #[cfg(feature = "svg")]
    pub fn to_svg(self) -> String {
        let dot = tape::with(|t| {
            let out = t.index(self);
            t.dot(out, look_alike)
        });
        let values = dot.matches("[label=\"{").count();
        if values > SVG_MAX_VALUES {
            return too_large_svg(values);
        }
        crate::svg::render(&dot)
    }
}

/// The most values [`Value::to_svg`] lays out; above it returns a message
/// picture (layout time grows about 8x per doubling: 400 values take ~2 s).
#[cfg(feature = "svg")]
pub const SVG_MAX_VALUES: usize = 300;

/// A small SVG that says the graph is too large to lay out here.
#[cfg(feature = "svg")]
fn too_large_svg(values: usize) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" height=\"60\">\
         <text x=\"10\" y=\"25\" font-family=\"monospace\" font-size=\"14\">\
         graph of {values} values: over to_svg's limit of {SVG_MAX_VALUES} (layout time \
         grows ~8x per doubling)</text>\
         <text x=\"10\" y=\"45\" font-family=\"monospace\" font-size=\"14\">\
         render value.to_dot() with Graphviz instead: dot -Tsvg graph.dot</text></svg>"
    )
}
