//! IR -> Graphviz DOT: the static expression graph for `grad_dot!`.
//!
//! Same picture as micrograd's `draw_dot` (and the runtime's graph): left to
//! right, one record `{ label | data ... | grad ... }` per value and a small
//! node per op between its operands and its result. At compile time there
//! are no numbers, so `data` and `grad` name the generated variables that
//! will hold them (`__mg_v3`, `__mg_g3`, the names `grad_code!` shows);
//! constants say `const` and have no gradient. The label is the `let` or
//! parameter name when there is one, else the source text.

use crate::diff;
use crate::ir::{Const, Operand, Program};

/// Escapes text for a record label, where `{}|<>"` and `\` are syntax.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (chars, c) in text.chars().enumerate() {
        if chars == 40 {
            out.push_str("...");
            break;
        }
        if matches!(c, '{' | '}' | '|' | '<' | '>' | '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn node_id(operand: Operand) -> String {
    match operand {
        Operand::Param(i) => format!("p{i}"),
        Operand::Const(i) => format!("c{i}"),
        Operand::Inst(i) => format!("v{i}"),
    }
}

/// The DOT text of `program`'s graph, live values only.
pub fn dot(program: &Program) -> String {
    let backward = diff::backward(program);
    let mut reached = vec![false; program.insts.len()];
    for step in &backward.steps {
        if let Operand::Inst(j) = step.target {
            reached[j] = true;
        }
    }
    if let Operand::Inst(i) = program.output {
        reached[i] = true;
    }
    let mut out = String::from("digraph grad {\n  rankdir=LR;\n  node [shape=record];\n");
    for (i, p) in program.params.iter().enumerate() {
        let grad = if program.output == Operand::Param(i) {
            "1".to_owned()
        } else if backward.param_reached[i] {
            format!("__mg_gp{i}")
        } else {
            "0".to_owned()
        };
        out.push_str(&format!(
            "  p{i} [label=\"{{ {} | data __mg_p{i} | grad {grad} }}\"];\n",
            escape(&p.ident.to_string())
        ));
    }
    let mut const_used = vec![false; program.consts.len()];
    for (i, inst) in program.insts.iter().enumerate() {
        if backward.live[i] {
            for arg in &inst.args[..inst.op.arity()] {
                if let Operand::Const(c) = *arg {
                    const_used[c] = true;
                }
            }
        }
    }
    if let Operand::Const(c) = program.output {
        const_used[c] = true;
    }
    for (i, c) in program.consts.iter().enumerate() {
        if !const_used[i] {
            continue;
        }
        let text = match c.value {
            Const::Literal(v) if c.text.is_empty() => format!("{v:?}"),
            _ => c.text.clone(),
        };
        out.push_str(&format!(
            "  c{i} [label=\"{{ {} | data const | grad none }}\"];\n",
            escape(&text)
        ));
    }
    for (i, inst) in program.insts.iter().enumerate() {
        if !backward.live[i] {
            continue;
        }
        let label = inst.name.clone().unwrap_or_else(|| inst.text.clone());
        let grad = if !inst.active {
            "none".to_owned()
        } else if program.output == Operand::Inst(i) {
            "1".to_owned()
        } else if reached[i] {
            format!("__mg_g{i}")
        } else {
            "0".to_owned()
        };
        out.push_str(&format!(
            "  v{i} [label=\"{{ {} | data __mg_v{i} | grad {grad} }}\"];\n",
            escape(&label)
        ));
        out.push_str(&format!(
            "  v{i}_op [label=\"{}\", tooltip=\"{}\", shape=ellipse];\n",
            escape(&inst.op.symbol()),
            inst.op.name()
        ));
        for arg in &inst.args[..inst.op.arity()] {
            out.push_str(&format!("  {} -> v{i}_op;\n", node_id(*arg)));
        }
        out.push_str(&format!("  v{i}_op -> v{i};\n"));
    }
    out.push_str("}\n");
    out
}
