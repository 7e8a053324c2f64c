//! The typed intermediate form: a closure body lowered to straight-line SSA.
//!
//! Every value is named once: a parameter, a constant, or the result of one
//! instruction. The IR knows nothing about code generation, so other front
//! ends (a future `compare!` that replays the same program on the runtime's
//! `Value`) can reuse `parse` + `lower` and walk [`Program::insts`] directly.

use proc_macro2::Span;

/// One op of the shared table in `OPS.md`, same names, same order.
///
/// `Powi` carries its exponent because `powi` only accepts an integer literal:
/// the exponent is part of the op, not an operand, exactly as on the dynamic
/// side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Neg,
    Exp,
    Ln,
    Sqrt,
    Tanh,
    Sin,
    Cos,
    Abs,
    Relu,
    Sigmoid,
    Powi(i32),
    Powf,
}

/// The unary methods, by the name the user writes, in `OPS.md` order.
///
/// Kept here rather than in `lower` so error messages, the graph labels and
/// a future `compare!` all list the same names.
pub const UNARY_METHODS: [(&str, Op); 8] = [
    ("exp", Op::Exp),
    ("ln", Op::Ln),
    ("sqrt", Op::Sqrt),
    ("tanh", Op::Tanh),
    ("sin", Op::Sin),
    ("cos", Op::Cos),
    ("abs", Op::Abs),
    ("relu", Op::Relu),
];

/// Every method `grad!` accepts, for the "supported: ..." part of errors.
pub const SUPPORTED_METHODS: &str =
    "exp, ln, sqrt, tanh, sin, cos, abs, relu, sigmoid, powi(n), powf(e)";

impl Op {
    /// How many operands the op reads.
    pub fn arity(self) -> usize {
        match self {
            Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Powf => 2,
            _ => 1,
        }
    }

    /// The name used in `OPS.md` and on the runtime side.
    pub fn name(self) -> &'static str {
        match self {
            Op::Add => "Add",
            Op::Sub => "Sub",
            Op::Mul => "Mul",
            Op::Div => "Div",
            Op::Neg => "Neg",
            Op::Exp => "Exp",
            Op::Ln => "Ln",
            Op::Sqrt => "Sqrt",
            Op::Tanh => "Tanh",
            Op::Sin => "Sin",
            Op::Cos => "Cos",
            Op::Abs => "Abs",
            Op::Relu => "Relu",
            Op::Sigmoid => "Sigmoid",
            Op::Powi(_) => "Powi",
            Op::Powf => "Powf",
        }
    }

    /// A short label for graph pictures: the operator or the method name.
    pub fn symbol(self) -> String {
        match self {
            Op::Add => "+".into(),
            Op::Sub => "-".into(),
            Op::Mul => "*".into(),
            Op::Div => "/".into(),
            Op::Neg => "neg".into(),
            Op::Powi(n) => format!("powi({n})"),
            Op::Powf => "powf".into(),
            Op::Sigmoid => "sigmoid".into(),
            other => UNARY_METHODS
                .iter()
                .find(|(_, op)| *op == other)
                .map_or("?", |(name, _)| name)
                .into(),
        }
    }
}

/// A reference to a value of the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operand {
    /// The i-th closure parameter.
    Param(usize),
    /// The i-th entry of [`Program::consts`].
    Const(usize),
    /// The result of the i-th entry of [`Program::insts`].
    Inst(usize),
}

/// A value that carries no gradient.
#[derive(Clone)]
pub enum Const {
    /// A number known at expansion time: a literal, or an op over literals
    /// folded by `lower`.
    Literal(f64),
    /// An outer variable or path (`w`, `PI`, `core::f64::consts::PI`),
    /// read when the closure runs. Kept as the user's tokens so a type error
    /// lands on them.
    Captured(syn::ExprPath),
}

/// One SSA instruction: `insts[i] = op(args)`.
#[derive(Clone, Debug)]
pub struct Inst {
    pub op: Op,
    /// `arity()` operands; the unused second slot of unary ops is ignored.
    pub args: [Operand; 2],
    /// True when the value depends on a parameter. Inactive instructions are
    /// computed forward only and never get an adjoint.
    pub active: bool,
    /// Where the user wrote the op, for generated code and messages.
    pub span: Span,
    /// The source text of the expression, for graph labels.
    pub text: String,
    /// The `let` name the value was bound to, if any (last binding wins).
    pub name: Option<String>,
}

/// A closure parameter.
#[derive(Clone, Debug)]
pub struct Param {
    pub ident: syn::Ident,
}

/// A constant with the text it came from.
#[derive(Clone)]
pub struct ConstEntry {
    pub value: Const,
    pub text: String,
}

/// A whole lowered closure.
#[derive(Clone)]
pub struct Program {
    pub params: Vec<Param>,
    pub consts: Vec<ConstEntry>,
    pub insts: Vec<Inst>,
    pub output: Operand,
}

impl Program {
    /// Whether gradient can flow through this operand.
    pub fn is_active(&self, operand: Operand) -> bool {
        match operand {
            Operand::Param(_) => true,
            Operand::Const(_) => false,
            Operand::Inst(i) => self.insts[i].active,
        }
    }

    /// Which instructions the output depends on; the rest is dead code and
    /// generates nothing.
    pub fn live(&self) -> Vec<bool> {
        let mut live = vec![false; self.insts.len()];
        if let Operand::Inst(i) = self.output {
            live[i] = true;
        }
        for i in (0..self.insts.len()).rev() {
            if !live[i] {
                continue;
            }
            let inst = &self.insts[i];
            for arg in &inst.args[..inst.op.arity()] {
                if let Operand::Inst(j) = *arg {
                    live[j] = true;
                }
            }
        }
        live
    }
}
