//! DOT to SVG without Graphviz, through the pure-Rust `layout-rs` crate.

use layout::backends::svg::SVGWriter;
use layout::gv::{DotParser, GraphBuilder};

/// Lays out and renders a DOT graph produced by `to_dot`.
///
/// `to_dot` only emits what `layout-rs` parses (records, ellipses, `rankdir`,
/// escaped labels), so a parse failure is a bug in this crate.
pub(crate) fn render(dot: &str) -> String {
    let graph = DotParser::new(dot)
        .process()
        .unwrap_or_else(|e| panic!("to_dot produced DOT that layout-rs cannot parse: {e}"));
    let mut builder = GraphBuilder::new();
    builder.visit_graph(&graph);
    let mut visual = builder.get();
    let mut svg = SVGWriter::new();
    visual.do_it(false, false, false, &mut svg);
    svg.finalize()
}
