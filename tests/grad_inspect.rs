//! `grad_code!` and `grad_dot!`: the generated code and the expression graph
//! as strings, checked for the structure a reader relies on.

use micrograd::{grad_code, grad_dot};

#[test]
fn code_shows_forward_then_backward() {
    // f = x y + tanh x: three forward ops, then adjoints in reverse order,
    // with x's two contributions accumulated (tanh' first, then y).
    let code = grad_code!(|x, y| x * y + x.tanh());
    let order = [
        "let __mg_v0 = __mg_p0 * __mg_p1;",
        "let __mg_v1 = __mg_p0.tanh();",
        "let __mg_v2 = __mg_v0 + __mg_v1;",
        "let mut __mg_gp0 = __mg_g1 * (1.0 - __mg_v1 * __mg_v1);",
        "__mg_gp0 += __mg_g0 * __mg_p1;",
        "(__mg_v2, [__mg_gp0, __mg_gp1])",
    ];
    let mut rest: &str = code;
    for line in order {
        let at = rest
            .find(line)
            .unwrap_or_else(|| panic!("`{line}` missing or out of order in\n{code}"));
        rest = &rest[at + line.len()..];
    }
    // The legend maps generated names back to the user's.
    assert!(code.contains("// __mg_p0 = x"), "{code}");
    assert!(code.contains("// __mg_p1 = y"), "{code}");
}

/// The lines of a DOT string that declare nodes (`id [label=...]`).
fn nodes(dot: &str) -> Vec<&str> {
    dot.lines()
        .map(str::trim)
        .filter(|l| l.contains("[label="))
        .collect()
}

/// The lines that are edges (`a -> b;`).
fn edges(dot: &str) -> Vec<&str> {
    dot.lines()
        .map(str::trim)
        .filter(|l| l.contains(" -> "))
        .collect()
}

#[test]
fn dot_has_a_record_per_value_and_a_node_per_op() {
    // o = tanh(x w + b): values x, w, b (params), x*w, x*w + b, o;
    // ops *, +, tanh; edges: 2 into `*`, 2 into `+`, 1 into tanh, 3 op -> value.
    let dot = grad_dot!(|x, w, b| {
        let n = x * w + b;
        n.tanh()
    });
    assert!(dot.starts_with("digraph"), "{dot}");
    assert!(dot.contains("rankdir=LR"), "{dot}");
    let nodes = nodes(dot);
    let records: Vec<&&str> = nodes.iter().filter(|l| l.contains("label=\"{")).collect();
    let ops: Vec<&&str> = nodes.iter().filter(|l| l.contains("_op [")).collect();
    assert_eq!(records.len(), 6, "{dot}");
    assert_eq!(ops.len(), 3, "{dot}");
    assert_eq!(edges(dot).len(), 2 + 2 + 1 + 3, "{dot}");
    // Parameters and `let` names label their records; data and grad name
    // the generated variables; the output's grad is the seed 1.
    assert!(
        dot.contains(r#"p0 [label="{ x | data __mg_p0 | grad __mg_gp0 }"]"#),
        "{dot}"
    );
    assert!(
        dot.contains(r#"v1 [label="{ n | data __mg_v1 | grad __mg_g1 }"]"#),
        "{dot}"
    );
    assert!(
        dot.contains(r#"v2 [label="{ n.tanh() | data __mg_v2 | grad 1 }"]"#),
        "{dot}"
    );
    assert!(dot.contains(r#"v2_op [label="tanh""#), "{dot}");
    assert!(
        dot.contains("v1 -> v2_op;") && dot.contains("v2_op -> v2;"),
        "{dot}"
    );
}

#[test]
fn dot_marks_constants_and_escapes_labels() {
    // w is captured, 2 is a literal: both are `data const | grad none`.
    // The source text `{ ... }` of a block must be escaped in a record label.
    let w = 3.0;
    let dot = grad_dot!(|x| w * x + { 2.0 });
    assert!(
        dot.contains(r#"[label="{ w | data const | grad none }"]"#),
        "{dot}"
    );
    assert!(
        dot.contains(r#"[label="{ 2.0 | data const | grad none }"]"#),
        "{dot}"
    );
    let escaped = grad_dot!(|x| x * { x });
    assert!(escaped.contains(r"x * \{ x \}"), "{escaped}");
}
