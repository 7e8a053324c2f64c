//! The typed intermediate form: a closure body lowered to structured SSA.
//!
//! Scalar `f64` values are SSA: a parameter, a constant, or the result of
//! one instruction ([`Inst`]), each named once. Control flow stays structure:
//! a [`Stmt::For`] holds its body, a [`Stmt::If`] its two branches, so
//! loops are never unrolled and the generated code grows with the source.
//! What SSA cannot hold lives in mutable storage, a [`Var`]: local arrays,
//! and `let mut` scalars assigned inside a loop or a branch. Storage is read
//! by a `Load` instruction and written by [`Stmt::Store`] or
//! [`Stmt::Init`]. Integers (`usize`: loop variables, bounds, indices) are
//! never differentiated; they are pure [`IntExpr`]s, immutable once bound,
//! so the reverse sweep can always recompute them.
//!
//! The IR knows nothing about code generation: `codegen` (the `grad!`
//! closure), `compare` (the `Value` replay and the plain forward pass) and
//! `dot` all walk the same [`Program`].

use proc_macro2::{Span, TokenStream};

/// One op of the shared table in `OPS.md`, same names, same order.
///
/// `Powi` carries its exponent when it is a literal: the exponent is part
/// of the op, not an operand, exactly as on the dynamic side. An integer
/// expression as exponent (`x.powi(k as i32)`) is [`Kind::PowiBy`].
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
    Max,
    Min,
    Clamp,
    Sinh,
    Cosh,
    Tan,
    Asin,
    Acos,
    Atan,
    Asinh,
    Acosh,
    Atanh,
    Atan2,
    Hypot,
    Ln1p,
    ExpM1,
    Exp2,
    Log2,
    Log10,
    Log,
    Cbrt,
    Recip,
    MulAdd,
    Signum,
    Floor,
    Ceil,
    Round,
    Trunc,
    Softplus,
    LeakyRelu,
    Gelu,
    Silu,
    LogSigmoid,
}

/// The unary methods, by the name the user writes, in `OPS.md` order.
///
/// Kept here rather than in `lower` so error messages, the graph labels and
/// `compare!` all list the same names.
pub const UNARY_METHODS: [(&str, Op); 34] = [
    ("exp", Op::Exp),
    ("ln", Op::Ln),
    ("sqrt", Op::Sqrt),
    ("tanh", Op::Tanh),
    ("sin", Op::Sin),
    ("cos", Op::Cos),
    ("abs", Op::Abs),
    ("relu", Op::Relu),
    ("sigmoid", Op::Sigmoid),
    ("sinh", Op::Sinh),
    ("cosh", Op::Cosh),
    ("tan", Op::Tan),
    ("asin", Op::Asin),
    ("acos", Op::Acos),
    ("atan", Op::Atan),
    ("asinh", Op::Asinh),
    ("acosh", Op::Acosh),
    ("atanh", Op::Atanh),
    ("ln_1p", Op::Ln1p),
    ("exp_m1", Op::ExpM1),
    ("exp2", Op::Exp2),
    ("log2", Op::Log2),
    ("log10", Op::Log10),
    ("cbrt", Op::Cbrt),
    ("recip", Op::Recip),
    ("signum", Op::Signum),
    ("floor", Op::Floor),
    ("ceil", Op::Ceil),
    ("round", Op::Round),
    ("trunc", Op::Trunc),
    ("softplus", Op::Softplus),
    ("gelu", Op::Gelu),
    ("silu", Op::Silu),
    ("log_sigmoid", Op::LogSigmoid),
];

/// The methods with operands besides the receiver, by name: the op, its
/// arity (receiver included) and how it is written.
pub const OPERAND_METHODS: [(&str, Op, &str); 9] = [
    ("powf", Op::Powf, "`x.powf(e)`"),
    ("max", Op::Max, "`a.max(b)`"),
    ("min", Op::Min, "`a.min(b)`"),
    ("clamp", Op::Clamp, "`x.clamp(lo, hi)`"),
    ("atan2", Op::Atan2, "`y.atan2(x)`"),
    ("hypot", Op::Hypot, "`a.hypot(b)`"),
    ("log", Op::Log, "`x.log(base)`"),
    ("mul_add", Op::MulAdd, "`a.mul_add(b, c)`"),
    ("leaky_relu", Op::LeakyRelu, "`x.leaky_relu(slope)`"),
];

/// Every method `grad!` accepts, for the "supported: ..." part of errors.
pub const SUPPORTED_METHODS: &str = "exp, ln, sqrt, tanh, sin, cos, abs, relu, sigmoid, \
     powi(n), powf(e), max(b), min(b), clamp(lo, hi), sinh, cosh, tan, asin, acos, atan, \
     asinh, acosh, atanh, atan2(x), hypot(b), ln_1p, exp_m1, exp2, log2, log10, log(base), \
     cbrt, recip, mul_add(b, c), signum, floor, ceil, round, trunc, softplus, \
     leaky_relu(slope), gelu, silu, log_sigmoid";

impl Op {
    /// How many operands the op reads.
    pub fn arity(self) -> usize {
        match self {
            Op::Add
            | Op::Sub
            | Op::Mul
            | Op::Div
            | Op::Powf
            | Op::Max
            | Op::Min
            | Op::Atan2
            | Op::Hypot
            | Op::Log
            | Op::LeakyRelu => 2,
            Op::Clamp | Op::MulAdd => 3,
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
            Op::Max => "Max",
            Op::Min => "Min",
            Op::Clamp => "Clamp",
            Op::Sinh => "Sinh",
            Op::Cosh => "Cosh",
            Op::Tan => "Tan",
            Op::Asin => "Asin",
            Op::Acos => "Acos",
            Op::Atan => "Atan",
            Op::Asinh => "Asinh",
            Op::Acosh => "Acosh",
            Op::Atanh => "Atanh",
            Op::Atan2 => "Atan2",
            Op::Hypot => "Hypot",
            Op::Ln1p => "Ln1p",
            Op::ExpM1 => "ExpM1",
            Op::Exp2 => "Exp2",
            Op::Log2 => "Log2",
            Op::Log10 => "Log10",
            Op::Log => "Log",
            Op::Cbrt => "Cbrt",
            Op::Recip => "Recip",
            Op::MulAdd => "MulAdd",
            Op::Signum => "Signum",
            Op::Floor => "Floor",
            Op::Ceil => "Ceil",
            Op::Round => "Round",
            Op::Trunc => "Trunc",
            Op::Softplus => "Softplus",
            Op::LeakyRelu => "LeakyRelu",
            Op::Gelu => "Gelu",
            Op::Silu => "Silu",
            Op::LogSigmoid => "LogSigmoid",
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
            other => OPERAND_METHODS
                .iter()
                .find(|(_, op, _)| *op == other)
                .map(|(name, _, _)| *name)
                .or_else(|| {
                    UNARY_METHODS
                        .iter()
                        .find(|(_, op)| *op == other)
                        .map(|(name, _)| *name)
                })
                .unwrap_or("?")
                .into(),
        }
    }
}

/// A reference to a scalar `f64` value of the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operand {
    /// The i-th closure parameter (a scalar one).
    Param(usize),
    /// The i-th entry of [`Program::consts`].
    Const(usize),
    /// The result of the i-th entry of [`Program::insts`].
    Inst(usize),
}

/// A scalar that carries no gradient.
#[derive(Clone)]
pub enum Const {
    /// A number known at expansion time: a literal, or an op over literals
    /// folded by `lower`.
    Literal(f64),
    /// An outer variable or path (`w`, `PI`, `core::f64::consts::PI`),
    /// read when the closure runs. Kept as the user's tokens so a type error
    /// lands on them; `cast` marks `w as f64` (an `f32` or integer capture).
    Captured { path: syn::ExprPath, cast: bool },
}

/// A constant with the text it came from.
#[derive(Clone)]
pub struct ConstEntry {
    pub value: Const,
    pub text: String,
}

/// Binary integer operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

/// A `usize` expression: pure, never differentiated, recomputable anywhere
/// its integer names are in scope (they are never reassigned).
#[derive(Clone, Debug)]
pub enum IntExpr {
    Lit(u64),
    /// The i-th entry of [`Program::ints`] (a loop variable or an integer `let`).
    Int(usize),
    /// The i-th entry of [`Program::captured_ints`].
    Captured(usize),
    /// `a.len()` of an array, slice or captured data, after the given
    /// leading indices (`xs[k].len()`).
    Len(Target, Vec<IntExpr>),
    Bin(IntOp, Box<IntExpr>, Box<IntExpr>),
}

/// An integer name: a loop variable or an integer `let`.
#[derive(Clone, Debug)]
pub struct IntDef {
    pub name: String,
}

/// Where an array element or a stored scalar lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A [`Var`] of the program.
    Var(usize),
    /// An array or slice parameter.
    Param(usize),
    /// Captured data (an outer array, slice or `Vec`): a constant.
    Data(usize),
}

/// A storage location: a target and one index per dimension (none for a
/// scalar [`Var`]).
#[derive(Clone, Debug)]
pub struct Place {
    pub target: Target,
    pub index: Vec<IntExpr>,
}

/// What an instruction computes.
#[derive(Clone, Debug)]
pub enum Kind {
    /// One op of the table on `op.arity()` operands (the rest unused).
    Op { op: Op, args: [Operand; 3] },
    /// `base.powi(exp as i32)` with an integer-expression exponent.
    PowiBy { base: Operand, exp: IntExpr },
    /// Reads a storage location.
    Load(Place),
    /// `n as f64` of an integer expression: a constant of this iteration.
    FromInt(IntExpr),
    /// A call of a `#[differentiable]` function, `Program::callees[callee]`,
    /// returning an `f64`. The forward calls the function itself; the
    /// reverse sweep calls its companion's gradient at the same arguments.
    Call { callee: usize, args: Vec<CallArg> },
}

/// One argument of a [`Kind::Call`].
#[derive(Clone, Debug)]
pub enum CallArg {
    /// An `f64` value.
    Scalar(Operand),
    /// A whole array or slice, or a row of one (`&w[k]`): a parameter of the
    /// program or captured data, which nothing overwrites, so the reverse
    /// sweep can pass it again. `by_ref` when written `&w`.
    Array {
        target: Target,
        index: Vec<IntExpr>,
        by_ref: bool,
    },
}

/// One SSA instruction: `insts[i] = kind`.
#[derive(Clone, Debug)]
pub struct Inst {
    pub kind: Kind,
    /// True when the value depends on a parameter (set by [`Program::analyze`]).
    /// Inactive instructions are computed forward only and never get an adjoint.
    pub active: bool,
    /// Where the user wrote the op, for generated code and messages.
    pub span: Span,
    /// The source text of the expression, for graph labels.
    pub text: String,
    /// The `let` name the value was bound to, if any (first binding wins).
    pub name: Option<String>,
}

impl Inst {
    /// The operands the instruction reads.
    pub fn operands(&self) -> Vec<Operand> {
        match &self.kind {
            Kind::Op { op, args } => args[..op.arity()].to_vec(),
            Kind::PowiBy { base, .. } => vec![*base],
            Kind::Load(_) | Kind::FromInt(_) => Vec::new(),
            Kind::Call { args, .. } => args
                .iter()
                .filter_map(|a| match a {
                    CallArg::Scalar(o) => Some(*o),
                    CallArg::Array { .. } => None,
                })
                .collect(),
        }
    }
}

/// The shape of a parameter.
#[derive(Clone, Debug)]
pub enum ParamTy {
    Scalar,
    /// `[f64; N]`, `[[f64; M]; N]`, ...: the lengths, outermost first, as
    /// the user wrote them.
    Array(Vec<TokenStream>),
    /// `&[f64]`: run-time length; its gradient is a `Vec<f64>`.
    Slice,
}

/// A closure parameter.
#[derive(Clone, Debug)]
pub struct Param {
    pub ident: syn::Ident,
    pub ty: ParamTy,
    /// An array taken by reference (`w: &[f64; 3]`, in a `#[differentiable]`
    /// function): passed on as written, `neuron(w, ..)` is a reference.
    pub by_ref: bool,
}

/// Mutable storage: a scalar (`dims` empty) or a local array.
#[derive(Clone, Debug)]
pub struct Var {
    pub name: String,
    /// Array lengths, outermost first, as tokens (`16`, `N`).
    pub dims: Vec<TokenStream>,
    /// Whether any stored value depends on a parameter (set by `analyze`).
    pub active: bool,
}

/// An array initializer: `[e; N]`, `[a, b, c]` and nestings of them.
#[derive(Clone, Debug)]
pub enum ArrayInit {
    Elem(Operand),
    List(Vec<ArrayInit>),
    Repeat(Box<ArrayInit>, TokenStream),
    /// `let y = f(..);` of a `#[differentiable]` function that returns an
    /// array (`Program::callees[callee]`): the whole array at once. The
    /// reverse sweep calls the companion's pullback with the array's
    /// adjoint, of the same shape.
    Call {
        callee: usize,
        args: Vec<CallArg>,
        span: Span,
    },
}

impl ArrayInit {
    /// The element operands, each once (a call's number arguments).
    pub fn elems(&self, out: &mut Vec<Operand>) {
        match self {
            ArrayInit::Elem(o) => out.push(*o),
            ArrayInit::List(items) => items.iter().for_each(|i| i.elems(out)),
            ArrayInit::Repeat(inner, _) => inner.elems(out),
            ArrayInit::Call { args, .. } => out.extend(args.iter().filter_map(|a| match a {
                CallArg::Scalar(o) => Some(*o),
                CallArg::Array { .. } => None,
            })),
        }
    }

    /// Whether the initializer reads a parameter array (a call's array
    /// argument), which makes the stored array active.
    pub fn reads_param_array(&self) -> bool {
        match self {
            ArrayInit::Call { args, .. } => args.iter().any(|a| {
                matches!(
                    a,
                    CallArg::Array {
                        target: Target::Param(_),
                        ..
                    }
                )
            }),
            _ => false,
        }
    }
}

/// A comparison operator of a condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

/// One side of a comparison.
#[derive(Clone, Debug)]
pub enum CondVal {
    F64(Operand),
    Int(IntExpr),
}

/// A branch condition. Conditions are evaluated by the forward sweep only
/// (the reverse sweep reads the saved outcome), so their operands get no
/// adjoints. Each comparison computes its own operands (`pre`) when it is
/// reached, so `&&` and `||` short-circuit as in Rust.
#[derive(Clone, Debug)]
pub enum Cond {
    Cmp {
        pre: Vec<Stmt>,
        op: CmpOp,
        a: CondVal,
        b: CondVal,
    },
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
}

/// `for var in start..end` (`..=` when `inclusive`, `.rev()` when `rev`).
#[derive(Clone, Debug)]
pub struct For {
    /// Numbers the loops of a program, in source order.
    pub id: usize,
    /// The loop variable, an entry of [`Program::ints`].
    pub var: usize,
    pub start: IntExpr,
    pub end: IntExpr,
    pub inclusive: bool,
    pub rev: bool,
    pub body: Vec<Stmt>,
    /// The range as written, for `grad_dot!`'s box label.
    pub text: String,
}

/// `if cond { then } else { els }`.
#[derive(Clone, Debug)]
pub struct If {
    /// Numbers the branches of a program, in source order.
    pub id: usize,
    pub cond: Cond,
    pub then: Vec<Stmt>,
    pub els: Vec<Stmt>,
    /// The condition as written, for `grad_dot!`'s box labels.
    pub text: String,
}

/// One statement of a region (the body, a loop body or a branch).
#[derive(Clone, Debug)]
pub enum Stmt {
    /// Computes `insts[i]` here.
    Inst(usize),
    /// Binds `ints[i]` to an integer expression here.
    Int(usize, IntExpr),
    /// Writes a scalar value to a [`Var`] or one of its elements.
    Store {
        place: Place,
        value: Operand,
    },
    /// (Re)initializes a whole local array.
    Init {
        var: usize,
        init: ArrayInit,
    },
    For(Box<For>),
    If(Box<If>),
}

/// The argument types of one call (see `Program::call_sigs`).
#[derive(Clone)]
pub struct CallSig {
    pub callee: usize,
    pub args: Vec<Option<(proc_macro2::Span, proc_macro2::TokenStream)>>,
}

/// A whole lowered closure.
#[derive(Clone)]
pub struct Program {
    pub params: Vec<Param>,
    pub consts: Vec<ConstEntry>,
    /// Captured integers (`n` in `0..n`), read once per call as `usize`.
    pub captured_ints: Vec<syn::ExprPath>,
    /// Captured data (`xs` in `xs[k][0]`), borrowed once per call.
    pub data: Vec<syn::ExprPath>,
    /// The functions the body calls (`softplus`, `nn::neuron`), each once.
    pub callees: Vec<syn::Path>,
    /// Each call's argument types where the macro knows them (numbers and
    /// parameter arrays; `None` for captured data), at the arguments: the
    /// calls check them against the callee's parameters.
    pub call_sigs: Vec<CallSig>,
    pub ints: Vec<IntDef>,
    pub vars: Vec<Var>,
    pub insts: Vec<Inst>,
    pub body: Vec<Stmt>,
    pub output: Operand,
    /// How many `For` and `If` statements there are (their ids).
    pub loops: usize,
    pub branches: usize,
    /// The array a `#[differentiable]` function returns (its `Value`
    /// version hands it back): live whatever the scalar output.
    pub out_array: Option<Target>,
}

impl Program {
    /// A program with these parameters and nothing in it yet.
    pub fn empty(params: Vec<Param>) -> Program {
        Program {
            params,
            consts: Vec::new(),
            captured_ints: Vec::new(),
            data: Vec::new(),
            callees: Vec::new(),
            call_sigs: Vec::new(),
            ints: Vec::new(),
            vars: Vec::new(),
            insts: Vec::new(),
            body: Vec::new(),
            output: Operand::Const(0),
            loops: 0,
            branches: 0,
            out_array: None,
        }
    }

    /// Whether gradient can flow through this operand.
    pub fn is_active(&self, operand: Operand) -> bool {
        match operand {
            Operand::Param(_) => true,
            Operand::Const(_) => false,
            Operand::Inst(i) => self.insts[i].active,
        }
    }

    /// True for the straight-line programs of the first `grad!`: scalar
    /// parameters, no loops, branches or storage. Their code keeps the
    /// minimal form (adjoints declared at their first contribution).
    pub fn is_straight_line(&self) -> bool {
        self.vars.is_empty()
            && self.params.iter().all(|p| matches!(p.ty, ParamTy::Scalar))
            && self.body.iter().all(|s| matches!(s, Stmt::Inst(_)))
            && self.captured_ints.is_empty()
            && self.data.is_empty()
            && self.insts.iter().all(|i| match &i.kind {
                Kind::Op { .. } => true,
                Kind::Call { args, .. } => args.iter().all(|a| matches!(a, CallArg::Scalar(_))),
                _ => false,
            })
    }

    /// How many times each instruction's value is read anywhere in the
    /// program: as an operand, a stored value, an array element, a
    /// compared value or the output.
    pub fn use_counts(&self) -> Vec<usize> {
        let program = self;
        let mut uses = vec![0; program.insts.len()];
        let mut read = |o: Operand| {
            if let Operand::Inst(i) = o {
                uses[i] += 1;
            }
        };
        for inst in &program.insts {
            inst.operands().into_iter().for_each(&mut read);
        }
        let mut rest = vec![program.output];
        crate::ir::walk(&program.body, &mut |s| match s {
            Stmt::Store { value, .. } => rest.push(*value),
            Stmt::Init { init, .. } => init.elems(&mut rest),
            Stmt::If(b) => crate::ir::collect_cond_operands(&b.cond, &mut rest),
            _ => {}
        });
        rest.into_iter().for_each(read);
        uses
    }

    /// Sets [`Inst::active`] and [`Var::active`]: a value is active when it
    /// depends on a parameter. Storage makes this a fixpoint: a variable
    /// that starts from a literal and accumulates a parameter in a loop is
    /// active, and so is every earlier load of it.
    pub fn analyze(&mut self) {
        loop {
            let mut changed = false;
            for i in 0..self.insts.len() {
                let active = match &self.insts[i].kind {
                    Kind::Op { .. } | Kind::PowiBy { .. } => {
                        self.insts[i].operands().iter().any(|o| self.is_active(*o))
                    }
                    Kind::Load(place) => match place.target {
                        Target::Var(v) => self.vars[v].active,
                        Target::Param(_) => true,
                        Target::Data(_) => false,
                    },
                    Kind::FromInt(_) => false,
                    Kind::Call { args, .. } => args.iter().any(|a| match a {
                        CallArg::Scalar(o) => self.is_active(*o),
                        CallArg::Array { target, .. } => matches!(target, Target::Param(_)),
                    }),
                };
                if active && !self.insts[i].active {
                    self.insts[i].active = true;
                    changed = true;
                }
            }
            let mut stored = Vec::new();
            let mut stored_active = Vec::new();
            walk(&self.body, &mut |s| match s {
                Stmt::Store { place, value } => {
                    if let Target::Var(v) = place.target {
                        stored.push((v, vec![*value]));
                    }
                }
                Stmt::Init { var, init } => {
                    let mut elems = Vec::new();
                    init.elems(&mut elems);
                    if init.reads_param_array() {
                        stored_active.push(*var);
                    }
                    stored.push((*var, elems));
                }
                _ => {}
            });
            for v in stored_active {
                if !self.vars[v].active {
                    self.vars[v].active = true;
                    changed = true;
                }
            }
            for (v, values) in stored {
                if !self.vars[v].active && values.iter().any(|o| self.is_active(*o)) {
                    self.vars[v].active = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
    }

    /// Which instructions and variables the output depends on; the rest is
    /// dead code and generates nothing. The conditions of branches that hold
    /// live statements are live too: the forward sweep evaluates them.
    pub fn live(&self) -> Liveness {
        let mut stores: Vec<(usize, Vec<Operand>)> = Vec::new();
        let mut branches: Vec<&If> = Vec::new();
        walk(&self.body, &mut |s| match s {
            Stmt::Store { place, value } => {
                if let Target::Var(v) = place.target {
                    stores.push((v, vec![*value]));
                }
            }
            Stmt::Init { var, init } => {
                let mut elems = Vec::new();
                init.elems(&mut elems);
                stores.push((*var, elems));
            }
            Stmt::If(branch) => branches.push(branch),
            _ => {}
        });
        let mut live = Liveness {
            insts: vec![false; self.insts.len()],
            vars: vec![false; self.vars.len()],
        };
        let mut work: Vec<Operand> = vec![self.output];
        if let Some(Target::Var(v)) = self.out_array {
            live.vars[v] = true;
        }
        while !work.is_empty() {
            while let Some(o) = work.pop() {
                let Operand::Inst(i) = o else { continue };
                if live.insts[i] {
                    continue;
                }
                live.insts[i] = true;
                work.extend(self.insts[i].operands());
                if let Kind::Load(Place {
                    target: Target::Var(v),
                    ..
                }) = self.insts[i].kind
                {
                    live.vars[v] = true;
                }
            }
            for (v, values) in &stores {
                if live.vars[*v] {
                    work.extend(values.iter().copied().filter(|o| match o {
                        Operand::Inst(i) => !live.insts[*i],
                        _ => false,
                    }));
                }
            }
            for branch in &branches {
                if branch.then.iter().chain(&branch.els).any(|s| live.stmt(s)) {
                    cond_stmts(&branch.cond, &mut |s| {
                        walk(std::slice::from_ref(s), &mut |s| {
                            if let Stmt::Inst(i) = s {
                                if !live.insts[*i] {
                                    work.push(Operand::Inst(*i));
                                }
                            }
                        });
                    });
                    collect_cond_operands(&branch.cond, &mut work);
                }
            }
            work.retain(|o| matches!(o, Operand::Inst(i) if !live.insts[*i]));
        }
        live
    }
}

/// The `f64` operands compared by a condition.
pub fn collect_cond_operands(cond: &Cond, out: &mut Vec<Operand>) {
    match cond {
        Cond::Cmp { a, b, .. } => {
            for side in [a, b] {
                if let CondVal::F64(o) = side {
                    out.push(*o);
                }
            }
        }
        Cond::And(a, b) | Cond::Or(a, b) => {
            collect_cond_operands(a, out);
            collect_cond_operands(b, out);
        }
        Cond::Not(a) => collect_cond_operands(a, out),
    }
}

/// The result of [`Program::live`].
pub struct Liveness {
    pub insts: Vec<bool>,
    pub vars: Vec<bool>,
}

impl Liveness {
    /// Whether a statement does anything the output depends on.
    pub fn stmt(&self, stmt: &Stmt) -> bool {
        match stmt {
            Stmt::Inst(i) => self.insts[*i],
            Stmt::Int(..) => false,
            Stmt::Store { place, .. } => match place.target {
                Target::Var(v) => self.vars[v],
                _ => false,
            },
            Stmt::Init { var, .. } => self.vars[*var],
            Stmt::For(f) => f.body.iter().any(|s| self.stmt(s)),
            Stmt::If(b) => b.then.iter().chain(&b.els).any(|s| self.stmt(s)),
        }
    }
}

/// Visits every statement in preorder, entering loop bodies and branches
/// (not conditions).
pub fn walk<'a>(stmts: &'a [Stmt], f: &mut impl FnMut(&'a Stmt)) {
    for s in stmts {
        f(s);
        match s {
            Stmt::For(l) => walk(&l.body, f),
            Stmt::If(b) => {
                walk(&b.then, f);
                walk(&b.els, f);
            }
            _ => {}
        }
    }
}

/// Visits every statement in preorder, entering loop bodies, branches and
/// the statements of conditions' comparisons.
pub fn walk_all<'a>(stmts: &'a [Stmt], f: &mut impl FnMut(&'a Stmt)) {
    for s in stmts {
        f(s);
        match s {
            Stmt::For(l) => walk_all(&l.body, f),
            Stmt::If(b) => {
                cond_stmts(&b.cond, &mut |c| walk_all(std::slice::from_ref(c), f));
                walk_all(&b.then, f);
                walk_all(&b.els, f);
            }
            _ => {}
        }
    }
}

/// Visits the statements of a condition's comparisons.
pub fn cond_stmts<'a>(cond: &'a Cond, f: &mut impl FnMut(&'a Stmt)) {
    match cond {
        Cond::Cmp { pre, .. } => pre.iter().for_each(&mut *f),
        Cond::And(a, b) | Cond::Or(a, b) => {
            cond_stmts(a, f);
            cond_stmts(b, f);
        }
        Cond::Not(a) => cond_stmts(a, f),
    }
}
