//! IR -> Graphviz DOT: the static program graph for `grad_dot!`.
//!
//! Same picture as micrograd's `draw_dot` (and the runtime's graph): left to
//! right, one record `{ label | data ... | grad ... }` per value and a small
//! node per op between its operands and its result. At compile time there
//! are no numbers, so `data` and `grad` name the generated variables that
//! will hold them (`__mg_v3`, `__mg_g3`, the names `grad_code!` shows);
//! constants say `const` and have no gradient. The label is the `let` or
//! parameter name when there is one, else the source text.
//!
//! Loops are not unrolled in the picture either: a loop body is drawn once,
//! inside a box labelled with its range (`for i in 0..n`), and a branch as
//! two boxes (`if x > 0.0` and `else`). Arrays and storage are one record
//! each; loads and stores are edges to and from them, labelled with the
//! index (`[i]`).

use crate::diff;
use crate::ir::{Const, Kind, Operand, ParamTy, Program, Stmt, Target};
use std::fmt::Write as _;

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

fn target_id(target: Target) -> String {
    match target {
        Target::Param(i) => format!("p{i}"),
        Target::Var(k) => format!("x{k}"),
        Target::Data(d) => format!("d{d}"),
    }
}

struct Dot<'a> {
    program: &'a Program,
    live: crate::ir::Liveness,
    /// Which values have an adjoint variable.
    reached: Vec<bool>,
    out: String,
    /// Edges, written after all boxes: an edge inside a box would pull the
    /// nodes it names (parameters, storage) into that box.
    edges: String,
}

/// The DOT text of `program`'s graph, live values only.
pub fn dot(program: &Program) -> String {
    let mut reached = vec![false; program.insts.len()];
    let mut param_reached = vec![true; program.params.len()];
    if program.is_straight_line() {
        let backward = diff::backward(program);
        for step in &backward.steps {
            if let Operand::Inst(j) = step.target {
                reached[j] = true;
            }
        }
        param_reached = backward.param_reached;
    } else {
        let plan = diff::plan(program);
        for (i, r) in reached.iter_mut().enumerate() {
            *r = plan.live.insts[i] && program.insts[i].active && plan.in_region[i];
        }
    }
    if let Operand::Inst(i) = program.output {
        reached[i] = true;
    }
    let mut dot = Dot {
        program,
        live: program.live(),
        reached,
        out: String::from("digraph grad {\n  rankdir=LR;\n  node [shape=record];\n"),
        edges: String::new(),
    };
    for (i, p) in program.params.iter().enumerate() {
        let grad = if program.output == Operand::Param(i) {
            "1".to_owned()
        } else if param_reached[i] {
            format!("__mg_gp{i}")
        } else {
            "0".to_owned()
        };
        let shape = match &p.ty {
            ParamTy::Scalar => String::new(),
            ParamTy::Array(dims) => dims.iter().map(|d| format!("[{d}]")).collect(),
            ParamTy::Slice => "[..]".into(),
        };
        let _ = writeln!(
            dot.out,
            "  p{i} [label=\"{{ {}{} | data __mg_p{i} | grad {grad} }}\"];",
            escape(&p.ident.to_string()),
            escape(&shape)
        );
    }
    for (d, path) in program.data.iter().enumerate() {
        let text = quote::quote!(#path).to_string();
        let _ = writeln!(
            dot.out,
            "  d{d} [label=\"{{ {} | data const | grad none }}\"];",
            escape(&text)
        );
    }
    for (k, var) in program.vars.iter().enumerate() {
        if !dot.live.vars[k] {
            continue;
        }
        let shape: String = var.dims.iter().map(|d| format!("[{d}]")).collect();
        let grad = if var.active {
            format!("__mg_gx{k}")
        } else {
            "none".into()
        };
        let _ = writeln!(
            dot.out,
            "  x{k} [label=\"{{ {}{} (storage) | data __mg_x{k} | grad {grad} }}\"];",
            escape(&var.name),
            escape(&shape)
        );
    }
    let mut const_used = vec![false; program.consts.len()];
    for (i, inst) in program.insts.iter().enumerate() {
        if dot.live.insts[i] {
            for arg in inst.operands() {
                if let Operand::Const(c) = arg {
                    const_used[c] = true;
                }
            }
        }
    }
    crate::ir::walk(&program.body, &mut |s| {
        if let Stmt::Store {
            value: Operand::Const(c),
            ..
        } = s
        {
            const_used[*c] = true;
        }
    });
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
        let _ = writeln!(
            dot.out,
            "  c{i} [label=\"{{ {} | data const | grad none }}\"];",
            escape(&text)
        );
    }
    dot.stmts(&program.body, 1);
    let edges = std::mem::take(&mut dot.edges);
    dot.out.push_str(&edges);
    dot.out.push_str("}\n");
    dot.out
}

impl Dot<'_> {
    fn stmts(&mut self, stmts: &[Stmt], depth: usize) {
        for stmt in stmts {
            self.stmt(stmt, depth);
        }
    }

    fn indent(depth: usize) -> String {
        "  ".repeat(depth)
    }

    fn stmt(&mut self, stmt: &Stmt, depth: usize) {
        let pad = Self::indent(depth);
        let program = self.program;
        match stmt {
            Stmt::Inst(i) => self.inst(*i, depth),
            Stmt::Int(..) => {}
            Stmt::Store { place, value } => {
                if !self.live.stmt(stmt) {
                    return;
                }
                let index = index_text(place.index.len());
                let _ = writeln!(
                    self.edges,
                    "  {} -> {} [label=\"store{}\", style=dashed];",
                    node_id(*value),
                    target_id(place.target),
                    escape(&index)
                );
            }
            Stmt::Init { var, init } => {
                if !self.live.stmt(stmt) {
                    return;
                }
                let mut elems = Vec::new();
                init.elems(&mut elems);
                for e in elems {
                    let _ = writeln!(
                        self.edges,
                        "  {} -> x{var} [label=\"init\", style=dashed];",
                        node_id(e)
                    );
                }
            }
            Stmt::For(l) => {
                if !self.live.stmt(stmt) {
                    return;
                }
                let _ = writeln!(
                    self.out,
                    "{pad}subgraph cluster_loop{} {{\n{pad}  label=\"{}\";\n{pad}  style=rounded;",
                    l.id,
                    escape_label(&l.text)
                );
                self.stmts(&l.body, depth + 1);
                let _ = writeln!(self.out, "{pad}}}");
            }
            Stmt::If(b) => {
                if !self.live.stmt(stmt) {
                    return;
                }
                for (part, label, body) in [
                    ("then", format!("if {}", b.text), &b.then),
                    ("else", "else".to_owned(), &b.els),
                ] {
                    let _ = writeln!(
                        self.out,
                        "{pad}subgraph cluster_{part}{} {{\n{pad}  label=\"{}\";\n{pad}  style=dashed;",
                        b.id,
                        escape_label(&label)
                    );
                    self.stmts(body, depth + 1);
                    let _ = writeln!(self.out, "{pad}}}");
                }
                let _ = program;
            }
        }
    }

    fn inst(&mut self, i: usize, depth: usize) {
        if !self.live.insts[i] {
            return;
        }
        let pad = Self::indent(depth);
        let program = self.program;
        let inst = &program.insts[i];
        let label = inst.name.clone().unwrap_or_else(|| inst.text.clone());
        let grad = if !inst.active {
            "none".to_owned()
        } else if program.output == Operand::Inst(i) {
            "1".to_owned()
        } else if self.reached[i] {
            format!("__mg_g{i}")
        } else {
            "0".to_owned()
        };
        let _ = writeln!(
            self.out,
            "{pad}v{i} [label=\"{{ {} | data __mg_v{i} | grad {grad} }}\"];",
            escape(&label)
        );
        match &inst.kind {
            Kind::Op { op, args } => {
                let _ = writeln!(
                    self.out,
                    "{pad}v{i}_op [label=\"{}\", tooltip=\"{}\", shape=ellipse];",
                    escape(&op.symbol()),
                    op.name()
                );
                for arg in &args[..op.arity()] {
                    let _ = writeln!(self.edges, "  {} -> v{i}_op;", node_id(*arg));
                }
                let _ = writeln!(self.edges, "  v{i}_op -> v{i};");
            }
            Kind::PowiBy { base, .. } => {
                let _ = writeln!(
                    self.out,
                    "{pad}v{i}_op [label=\"powi\", tooltip=\"Powi\", shape=ellipse];"
                );
                let _ = writeln!(
                    self.edges,
                    "  {} -> v{i}_op;\n  v{i}_op -> v{i};",
                    node_id(*base)
                );
            }
            Kind::Load(place) => {
                let _ = writeln!(
                    self.edges,
                    "  {} -> v{i} [label=\"load{}\"];",
                    target_id(place.target),
                    escape(&index_text(place.index.len()))
                );
            }
            Kind::FromInt(_) => {}
            Kind::Call { callee, args } => {
                let path = &self.program.callees[*callee];
                let name = quote::quote!(#path).to_string().replace(' ', "");
                let _ = writeln!(
                    self.out,
                    "{pad}v{i}_op [label=\"{}()\", tooltip=\"call\", shape=ellipse];",
                    escape_label(&name)
                );
                for arg in args {
                    match arg {
                        crate::ir::CallArg::Scalar(o) => {
                            let _ = writeln!(self.edges, "  {} -> v{i}_op;", node_id(*o));
                        }
                        crate::ir::CallArg::Array { target, index, .. } => {
                            let _ = writeln!(
                                self.edges,
                                "  {} -> v{i}_op [label=\"{}\"];",
                                target_id(*target),
                                escape(&index_text(index.len()))
                            );
                        }
                    }
                }
                let _ = writeln!(self.edges, "  v{i}_op -> v{i};");
            }
        }
    }
}

/// `[..]` once per index, for edge labels.
fn index_text(n: usize) -> String {
    "[..]".repeat(n)
}

/// Escapes a plain (non-record) label.
fn escape_label(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}
