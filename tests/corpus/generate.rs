//! The generator of the verification corpus `tests/compare_corpus_*.rs`.
//!
//! Seeded, with its own SplitMix64 (no `rand`), so the same source
//! always produces the same files: `tests/compare_corpus_fresh.rs`
//! regenerates them in memory and fails if the checked-in copies are stale;
//! `cargo test --test compare_corpus_fresh -- --ignored` rewrites them.
//!
//! Each case is a random closure of 1 to 4 parameters over every op of
//! `OPS.md` (rows 1 to 49), with `let` bindings, `let mut` updated by
//! `=`, `+=`, `-=`, `*=`, `/=`, reused bindings (fan-out), literals
//! (integer ones too),
//! captured locals and captured paths, at a random point. The generator
//! evaluates each candidate itself and keeps it only when, at the point and
//! at every coordinate moved by +-1e-3 (about 160 finite-difference steps):
//! - every `ln`/`sqrt`/`log2`/`log10`/`log` argument and `powf` base is
//!   at least 0.05, and every divisor and `recip` argument at least 0.1 in
//!   magnitude (inside the domain, away from poles);
//! - every `asin`/`acos`/`atanh` argument is within [-0.9, 0.9], every
//!   `acosh` argument at least 1.1, every `ln_1p` argument above -0.9, and
//!   every `cbrt` argument at least 0.05 in magnitude (away from the
//!   infinite derivatives at the domain edges and at 0);
//! - every `log` base is at least 0.05 and at least 0.1 from 1 (`>= 1.1`
//!   or `<= 0.9`: `ln base` is a divisor);
//! - every `tan` argument has `|cos| >= 0.1` (away from the poles), and
//!   every `atan2`/`hypot` pair has `hypot(a, b) >= 0.1` (away from the
//!   origin, where both are not differentiable);
//! - every kink or jump is at least 0.02 away at the point and on the same
//!   side at every moved point: `relu`/`abs`/`signum`/`leaky_relu`
//!   arguments from 0, `floor`/`ceil`/`trunc` arguments from an integer,
//!   `round` arguments from a half-integer, `max`/`min` operands from each
//!   other, and a `clamp` argument from each of its bounds;
//! - every intermediate value is finite and at most 100 in magnitude (no
//!   overflowing `exp`/`exp2`/`sinh`/`cosh` chains, so finite-difference
//!   rounding stays small).
//!
//! `mul_add`, `sinh`, `cosh`, `atan`, `asinh`, `exp_m1`, `exp2`,
//! `softplus`, `gelu`, `silu` and `log_sigmoid` are smooth everywhere and
//! need only the last check. `leaky_relu` slopes (0.01 to 0.3) and `clamp`
//! bounds (`lo < hi`) are literals.
//!
//! Domain-limited ops get arguments that are inside the domain by
//! construction most of the time (`e.exp()`, `e * e + 0.5`, `e.sigmoid()`
//! for positive ones, `e.tanh() * 0.9` and `e.sin() * 0.8` for
//! `asin`/`acos`/`atanh`, `e * e + 1.5`, `e.exp() + 1.2` and
//! `e.cosh() + 0.2` for `acosh`), and the checks above reject the rest.
//! The evaluator calls the functions the engines call: `f64` methods and
//! `micrograd::rules`.

#![allow(dead_code)]

use std::fmt::Write as _;

/// The seed of the checked-in corpus.
pub const SEED: u64 = 0x6d67_5f63_6f6d_7061;
/// How many files the corpus is split into (separate test binaries, so
/// they compile in parallel and each stays quick to build).
pub const FILES: usize = 4;
/// Cases per file.
pub const PER_FILE: usize = 130;

/// Captured constants: a local `let` in the test or an `f64` path.
const CAPTURES: [(&str, f64, bool); 4] = [
    ("k0", 0.75, true),
    ("k1", -1.25, true),
    ("core::f64::consts::PI", std::f64::consts::PI, false),
    ("::core::f64::consts::LN_2", std::f64::consts::LN_2, false),
];

const PARAMS: [&str; 4] = ["x", "y", "w", "b"];

struct Rng(u64);

impl Rng {
    /// SplitMix64.
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Un {
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
    Sinh,
    Cosh,
    Tan,
    Asin,
    Acos,
    Atan,
    Asinh,
    Acosh,
    Atanh,
    Ln1p,
    ExpM1,
    Exp2,
    Log2,
    Log10,
    Cbrt,
    Recip,
    Signum,
    Floor,
    Ceil,
    Round,
    Trunc,
    Softplus,
    Gelu,
    Silu,
    LogSigmoid,
}

impl Un {
    /// The method name.
    fn name(self) -> &'static str {
        match self {
            Un::Neg => "neg",
            Un::Exp => "exp",
            Un::Ln => "ln",
            Un::Sqrt => "sqrt",
            Un::Tanh => "tanh",
            Un::Sin => "sin",
            Un::Cos => "cos",
            Un::Abs => "abs",
            Un::Relu => "relu",
            Un::Sigmoid => "sigmoid",
            Un::Sinh => "sinh",
            Un::Cosh => "cosh",
            Un::Tan => "tan",
            Un::Asin => "asin",
            Un::Acos => "acos",
            Un::Atan => "atan",
            Un::Asinh => "asinh",
            Un::Acosh => "acosh",
            Un::Atanh => "atanh",
            Un::Ln1p => "ln_1p",
            Un::ExpM1 => "exp_m1",
            Un::Exp2 => "exp2",
            Un::Log2 => "log2",
            Un::Log10 => "log10",
            Un::Cbrt => "cbrt",
            Un::Recip => "recip",
            Un::Signum => "signum",
            Un::Floor => "floor",
            Un::Ceil => "ceil",
            Un::Round => "round",
            Un::Trunc => "trunc",
            Un::Softplus => "softplus",
            Un::Gelu => "gelu",
            Un::Silu => "silu",
            Un::LogSigmoid => "log_sigmoid",
        }
    }
}

/// Methods with a second operand: `a.max(b)`, `y.atan2(x)`, `x.log(base)`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Meth {
    Max,
    Min,
    Atan2,
    Hypot,
    Log,
}

impl Meth {
    fn name(self) -> &'static str {
        match self {
            Meth::Max => "max",
            Meth::Min => "min",
            Meth::Atan2 => "atan2",
            Meth::Hypot => "hypot",
            Meth::Log => "log",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Bin {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Clone, Debug)]
enum E {
    Param(usize),
    Var(usize),
    /// A literal; `true` prints it as an integer (`2 * x`).
    Lit(f64, bool),
    Cap(usize),
    Un(Un, Box<E>),
    Bin(Bin, Box<E>, Box<E>),
    Powi(Box<E>, i32),
    Powf(Box<E>, Box<E>),
    Meth(Meth, Box<E>, Box<E>),
    /// `a.mul_add(b, c)`.
    MulAdd(Box<E>, Box<E>, Box<E>),
    /// `x.leaky_relu(slope)` with a literal slope.
    LeakyRelu(Box<E>, f64),
    /// `x.clamp(lo, hi)` with literal bounds.
    Clamp(Box<E>, f64, f64),
}

impl E {
    /// The operands, in evaluation (and printing) order.
    fn children(&self) -> Vec<&E> {
        match self {
            E::Param(_) | E::Var(_) | E::Lit(..) | E::Cap(_) => vec![],
            E::Un(_, a) | E::Powi(a, _) | E::LeakyRelu(a, _) | E::Clamp(a, ..) => vec![a],
            E::Bin(_, a, b) | E::Powf(a, b) | E::Meth(_, a, b) => vec![a, b],
            E::MulAdd(a, b, c) => vec![a, b, c],
        }
    }
}

enum Stmt {
    Let { var: usize, mutable: bool, e: E },
    Assign { var: usize, op: Option<Bin>, e: E },
}

/// One generated closure and its point.
struct Case {
    params: usize,
    stmts: Vec<Stmt>,
    out: E,
    point: Vec<f64>,
}

/// What evaluating a case saw: kinks (the distance to the nearest kink or
/// jump and which side of it), domain arguments, divisors, the other
/// domain checks and the largest magnitude.
#[derive(Default)]
struct Seen {
    kinks: Vec<(f64, i64)>,
    domain: Vec<f64>,
    divisors: Vec<f64>,
    /// Every other check of the module docs held.
    inside: bool,
    largest: f64,
    finite: bool,
}

/// Op counts over the accepted corpus, for the coverage test.
#[derive(Default, Debug)]
pub struct Coverage {
    pub unary: Vec<(Un, usize)>,
    pub binary: Vec<(Bin, usize)>,
    pub powi: usize,
    pub powf_const_exp: usize,
    pub powf_var_exp: usize,
    pub methods: Vec<(Meth, usize)>,
    pub mul_add: usize,
    pub leaky_relu: usize,
    pub clamp: usize,
    pub lets: usize,
    pub let_muts: usize,
    pub assigns: [usize; 5],
    pub captured_locals: usize,
    pub captured_paths: usize,
    pub int_literals: usize,
    pub fan_out: usize,
    pub cases: usize,
}

const UNARY: [Un; 35] = [
    Un::Neg,
    Un::Exp,
    Un::Ln,
    Un::Sqrt,
    Un::Tanh,
    Un::Sin,
    Un::Cos,
    Un::Abs,
    Un::Relu,
    Un::Sigmoid,
    Un::Sinh,
    Un::Cosh,
    Un::Tan,
    Un::Asin,
    Un::Acos,
    Un::Atan,
    Un::Asinh,
    Un::Acosh,
    Un::Atanh,
    Un::Ln1p,
    Un::ExpM1,
    Un::Exp2,
    Un::Log2,
    Un::Log10,
    Un::Cbrt,
    Un::Recip,
    Un::Signum,
    Un::Floor,
    Un::Ceil,
    Un::Round,
    Un::Trunc,
    Un::Softplus,
    Un::Gelu,
    Un::Silu,
    Un::LogSigmoid,
];
const BINARY: [Bin; 4] = [Bin::Add, Bin::Sub, Bin::Mul, Bin::Div];
const METHODS: [Meth; 5] = [Meth::Max, Meth::Min, Meth::Atan2, Meth::Hypot, Meth::Log];
const SLOPES: [f64; 5] = [0.01, 0.05, 0.1, 0.2, 0.3];
const BOUNDS: [(f64, f64); 5] = [
    (-0.5, 0.5),
    (-1.0, 1.0),
    (0.0, 2.0),
    (-2.0, 0.25),
    (0.3, 1.5),
];
const LOG_BASES: [f64; 5] = [2.0, 3.0, 10.0, 0.5, 0.25];

struct Gen {
    rng: Rng,
    params: usize,
    vars: usize,
}

impl Gen {
    fn leaf(&mut self) -> E {
        let r = self.rng.below(100);
        if self.vars > 0 && r < 40 {
            E::Var(self.rng.below(self.vars))
        } else if r < 80 {
            E::Param(self.rng.below(self.params))
        } else if r < 92 {
            let int = self.rng.chance(0.3);
            let v = if int {
                self.rng.pick(&[2.0, 3.0, 1.0])
            } else {
                self.rng.pick(&[0.5, 1.5, -0.5, 2.5, 0.3, -1.2, 0.1])
            };
            E::Lit(v, int)
        } else {
            E::Cap(self.rng.below(CAPTURES.len()))
        }
    }

    /// An expression that is positive by construction, most of the time.
    fn positive(&mut self, depth: usize) -> E {
        let e = self.expr(depth);
        match self.rng.below(4) {
            0 => E::Un(Un::Exp, Box::new(e)),
            1 => E::Bin(
                Bin::Add,
                Box::new(E::Bin(Bin::Mul, Box::new(e.clone()), Box::new(e))),
                Box::new(E::Lit(0.5, false)),
            ),
            2 => E::Un(Un::Sigmoid, Box::new(e)),
            _ => e,
        }
    }

    /// An expression within [-0.9, 0.9] by construction, most of the time.
    fn unit(&mut self, depth: usize) -> E {
        let e = self.expr(depth);
        match self.rng.below(3) {
            0 => E::Bin(
                Bin::Mul,
                Box::new(E::Un(Un::Tanh, Box::new(e))),
                Box::new(E::Lit(0.9, false)),
            ),
            1 => E::Bin(
                Bin::Mul,
                Box::new(E::Un(Un::Sin, Box::new(e))),
                Box::new(E::Lit(0.8, false)),
            ),
            _ => e,
        }
    }

    /// An expression at least 1.1 by construction, most of the time.
    fn above_one(&mut self, depth: usize) -> E {
        let e = self.expr(depth);
        let (e, c) = match self.rng.below(4) {
            0 => (E::Bin(Bin::Mul, Box::new(e.clone()), Box::new(e)), 1.5),
            1 => (E::Un(Un::Exp, Box::new(e)), 1.2),
            2 => (E::Un(Un::Cosh, Box::new(e)), 0.2),
            _ => return e,
        };
        E::Bin(Bin::Add, Box::new(e), Box::new(E::Lit(c, false)))
    }

    fn expr(&mut self, depth: usize) -> E {
        if depth == 0 || self.rng.chance(0.25) {
            return self.leaf();
        }
        let d = depth - 1;
        // 35 unary ops, 4 binary, 5 binary methods, powi, powf, mul_add,
        // leaky_relu, clamp: 49 kinds, as in OPS.md.
        match self.rng.below(49) {
            k @ 0..=34 => {
                let op = UNARY[k];
                let arg = match op {
                    Un::Ln | Un::Sqrt | Un::Log2 | Un::Log10 | Un::Ln1p => self.positive(d),
                    Un::Asin | Un::Acos | Un::Atanh => self.unit(d),
                    Un::Acosh => self.above_one(d),
                    _ => self.expr(d),
                };
                E::Un(op, Box::new(arg))
            }
            k @ 35..=39 => {
                let op = METHODS[k - 35];
                if op == Meth::Log {
                    let x = self.positive(d);
                    let base = if self.rng.chance(0.5) {
                        E::Lit(self.rng.pick(&LOG_BASES), false)
                    } else {
                        self.positive(d)
                    };
                    E::Meth(op, Box::new(x), Box::new(base))
                } else {
                    E::Meth(op, Box::new(self.expr(d)), Box::new(self.expr(d)))
                }
            }
            40 => E::MulAdd(
                Box::new(self.expr(d)),
                Box::new(self.expr(d)),
                Box::new(self.expr(d)),
            ),
            41 => E::LeakyRelu(Box::new(self.expr(d)), self.rng.pick(&SLOPES)),
            42 => {
                let (lo, hi) = self.rng.pick(&BOUNDS);
                E::Clamp(Box::new(self.expr(d)), lo, hi)
            }
            k @ 43..=46 => E::Bin(
                BINARY[k - 43],
                Box::new(self.expr(d)),
                Box::new(self.expr(d)),
            ),
            47 => E::Powi(
                Box::new(self.expr(d)),
                self.rng.pick(&[-2, -1, 0, 1, 2, 3, 4]),
            ),
            _ => {
                let base = self.positive(d);
                let exp = if self.rng.chance(0.5) {
                    E::Lit(self.rng.pick(&[0.5, 1.5, -0.5, 2.5, 3.0]), false)
                } else {
                    self.expr(d)
                };
                E::Powf(Box::new(base), Box::new(exp))
            }
        }
    }

    fn case(&mut self) -> Case {
        self.params = 1 + self.rng.below(4);
        self.vars = 0;
        let mut stmts = Vec::new();
        if self.rng.chance(0.75) {
            for _ in 0..1 + self.rng.below(3) {
                let e = self.expr(2);
                stmts.push(Stmt::Let {
                    var: self.vars,
                    mutable: false,
                    e,
                });
                self.vars += 1;
            }
            if self.rng.chance(0.6) {
                let e = self.expr(2);
                let var = self.vars;
                stmts.push(Stmt::Let {
                    var,
                    mutable: true,
                    e,
                });
                self.vars += 1;
                for _ in 0..1 + self.rng.below(2) {
                    let op = self.rng.pick(&[
                        None,
                        Some(Bin::Add),
                        Some(Bin::Sub),
                        Some(Bin::Mul),
                        Some(Bin::Div),
                    ]);
                    let e = self.expr(2);
                    stmts.push(Stmt::Assign { var, op, e });
                }
            }
        }
        let mut out = self.expr(3);
        if self.vars > 0 {
            // Use the last binding once more: fan-out through the body.
            let op = self.rng.pick(&BINARY[..3]);
            out = E::Bin(op, Box::new(out), Box::new(E::Var(self.vars - 1)));
        }
        let point = (0..self.params)
            .map(|_| (self.rng.below(301) as f64 - 150.0) / 100.0)
            .collect();
        Case {
            params: self.params,
            stmts,
            out,
            point,
        }
    }
}

use micrograd::rules;

/// Records a kink or jump at `at` for argument `a`: how far, and which side.
fn kink(seen: &mut Seen, a: f64, at: f64) {
    seen.kinks.push(((a - at).abs(), i64::from(a > at)));
}

/// Records the jumps of a piecewise-constant op, at the integers shifted
/// by `offset` (0.5 for `round`'s half-integers): the distance to the
/// nearest and which piece `a` is on.
fn jump(seen: &mut Seen, a: f64, offset: f64) {
    let piece = (a - offset).floor();
    let dist = (a - offset - piece).min(piece + 1.0 - (a - offset));
    seen.kinks.push((dist, piece as i64));
}

fn eval(e: &E, p: &[f64], vars: &[f64], seen: &mut Seen) -> f64 {
    let v = match e {
        E::Param(i) => p[*i],
        E::Var(i) => vars[*i],
        E::Lit(v, _) => *v,
        E::Cap(i) => CAPTURES[*i].1,
        E::Un(op, a) => {
            let a = eval(a, p, vars, seen);
            match op {
                Un::Neg => -a,
                Un::Exp => a.exp(),
                Un::Ln => {
                    seen.domain.push(a);
                    a.ln()
                }
                Un::Sqrt => {
                    seen.domain.push(a);
                    a.sqrt()
                }
                Un::Tanh => a.tanh(),
                Un::Sin => a.sin(),
                Un::Cos => a.cos(),
                Un::Abs => {
                    kink(seen, a, 0.0);
                    a.abs()
                }
                Un::Relu => {
                    kink(seen, a, 0.0);
                    a.max(0.0)
                }
                Un::Sigmoid => rules::sigmoid(a),
                Un::Sinh => a.sinh(),
                Un::Cosh => a.cosh(),
                Un::Tan => {
                    seen.inside &= a.cos().abs() >= 0.1;
                    a.tan()
                }
                Un::Asin => {
                    seen.inside &= a.abs() <= 0.9;
                    a.asin()
                }
                Un::Acos => {
                    seen.inside &= a.abs() <= 0.9;
                    a.acos()
                }
                Un::Atan => a.atan(),
                Un::Asinh => a.asinh(),
                Un::Acosh => {
                    seen.inside &= a >= 1.1;
                    a.acosh()
                }
                Un::Atanh => {
                    seen.inside &= a.abs() <= 0.9;
                    a.atanh()
                }
                Un::Ln1p => {
                    seen.inside &= a > -0.9;
                    a.ln_1p()
                }
                Un::ExpM1 => a.exp_m1(),
                Un::Exp2 => a.exp2(),
                Un::Log2 => {
                    seen.domain.push(a);
                    a.log2()
                }
                Un::Log10 => {
                    seen.domain.push(a);
                    a.log10()
                }
                Un::Cbrt => {
                    seen.inside &= a.abs() >= 0.05;
                    a.cbrt()
                }
                Un::Recip => {
                    seen.divisors.push(a);
                    a.recip()
                }
                Un::Signum => {
                    kink(seen, a, 0.0);
                    a.signum()
                }
                Un::Floor => {
                    jump(seen, a, 0.0);
                    a.floor()
                }
                Un::Ceil => {
                    jump(seen, a, 0.0);
                    a.ceil()
                }
                Un::Round => {
                    jump(seen, a, 0.5);
                    a.round()
                }
                Un::Trunc => {
                    jump(seen, a, 0.0);
                    a.trunc()
                }
                Un::Softplus => rules::softplus(a),
                Un::Gelu => rules::gelu(a),
                Un::Silu => rules::silu(a),
                Un::LogSigmoid => rules::log_sigmoid(a),
            }
        }
        E::Meth(op, a, b) => {
            let (a, b) = (eval(a, p, vars, seen), eval(b, p, vars, seen));
            match op {
                Meth::Max => {
                    kink(seen, a, b);
                    a.max(b)
                }
                Meth::Min => {
                    kink(seen, a, b);
                    a.min(b)
                }
                Meth::Atan2 => {
                    seen.inside &= a.hypot(b) >= 0.1;
                    a.atan2(b)
                }
                Meth::Hypot => {
                    seen.inside &= a.hypot(b) >= 0.1;
                    a.hypot(b)
                }
                Meth::Log => {
                    seen.domain.push(a);
                    seen.domain.push(b);
                    seen.inside &= (b - 1.0).abs() >= 0.1;
                    a.log(b)
                }
            }
        }
        E::MulAdd(a, b, c) => {
            let a = eval(a, p, vars, seen);
            let b = eval(b, p, vars, seen);
            let c = eval(c, p, vars, seen);
            a.mul_add(b, c)
        }
        E::LeakyRelu(a, slope) => {
            let a = eval(a, p, vars, seen);
            kink(seen, a, 0.0);
            rules::leaky_relu(a, *slope)
        }
        E::Clamp(a, lo, hi) => {
            let a = eval(a, p, vars, seen);
            let dist = (a - lo).abs().min((a - hi).abs());
            let piece = i64::from(a > *lo) + i64::from(a > *hi);
            seen.kinks.push((dist, piece));
            a.clamp(*lo, *hi)
        }
        E::Bin(op, a, b) => {
            let (a, b) = (eval(a, p, vars, seen), eval(b, p, vars, seen));
            match op {
                Bin::Add => a + b,
                Bin::Sub => a - b,
                Bin::Mul => a * b,
                Bin::Div => {
                    seen.divisors.push(b);
                    a / b
                }
            }
        }
        E::Powi(a, n) => {
            let a = eval(a, p, vars, seen);
            if *n < 0 {
                seen.divisors.push(a);
            }
            a.powi(*n)
        }
        E::Powf(a, b) => {
            let (a, b) = (eval(a, p, vars, seen), eval(b, p, vars, seen));
            seen.domain.push(a);
            a.powf(b)
        }
    };
    seen.finite &= v.is_finite();
    seen.largest = seen.largest.max(v.abs());
    v
}

fn eval_case(case: &Case, p: &[f64]) -> Seen {
    let mut seen = Seen {
        finite: true,
        inside: true,
        ..Seen::default()
    };
    let mut vars = Vec::new();
    for stmt in &case.stmts {
        match stmt {
            Stmt::Let { e, .. } => {
                let v = eval(e, p, &vars, &mut seen);
                vars.push(v);
            }
            Stmt::Assign { var, op, e } => {
                let rhs = eval(e, p, &vars, &mut seen);
                let old = vars[*var];
                vars[*var] = match op {
                    None => rhs,
                    Some(Bin::Add) => old + rhs,
                    Some(Bin::Sub) => old - rhs,
                    Some(Bin::Mul) => old * rhs,
                    Some(Bin::Div) => {
                        seen.divisors.push(rhs);
                        old / rhs
                    }
                };
                seen.finite &= vars[*var].is_finite();
                seen.largest = seen.largest.max(vars[*var].abs());
            }
        }
    }
    eval(&case.out, p, &vars, &mut seen);
    seen
}

fn mentions_param(e: &E) -> bool {
    match e {
        E::Param(_) | E::Var(_) => true,
        _ => e.children().into_iter().any(mentions_param),
    }
}

/// The checks of the module docs.
fn acceptable(case: &Case) -> bool {
    if !mentions_param(&case.out) {
        return false;
    }
    let at = eval_case(case, &case.point);
    let ok = |s: &Seen| {
        s.finite
            && s.inside
            && s.largest <= 100.0
            && s.domain.iter().all(|&a| a >= 0.05)
            && s.divisors.iter().all(|&d| d.abs() >= 0.1)
    };
    if !ok(&at) || at.kinks.iter().any(|k| k.0 < 0.02) {
        return false;
    }
    for i in 0..case.params {
        for delta in [-1e-3, 1e-3] {
            let mut p = case.point.clone();
            p[i] += delta;
            let moved = eval_case(case, &p);
            let same_signs = moved.kinks.len() == at.kinks.len()
                && moved.kinks.iter().zip(&at.kinks).all(|(a, b)| a.1 == b.1);
            if !ok(&moved) || !same_signs {
                return false;
            }
        }
    }
    true
}

fn is_atom(e: &E) -> bool {
    matches!(e, E::Param(_) | E::Var(_) | E::Cap(_))
}

fn show(e: &E, out: &mut String) {
    match e {
        E::Param(i) => out.push_str(PARAMS[*i]),
        E::Var(i) => out.push_str(&var_name(*i)),
        E::Lit(v, true) => write!(out, "{}", *v as i64).unwrap(),
        E::Lit(v, false) if *v < 0.0 => write!(out, "({v:?})").unwrap(),
        E::Lit(v, false) => write!(out, "{v:?}").unwrap(),
        E::Cap(i) => out.push_str(CAPTURES[*i].0),
        E::Un(Un::Neg, a) => {
            out.push_str("(-");
            show(a, out);
            out.push(')');
        }
        E::Un(op, a) => {
            receiver(a, out);
            write!(out, ".{}()", op.name()).unwrap();
        }
        E::Meth(op, a, b) => {
            receiver(a, out);
            write!(out, ".{}(", op.name()).unwrap();
            show(b, out);
            out.push(')');
        }
        E::MulAdd(a, b, c) => {
            receiver(a, out);
            out.push_str(".mul_add(");
            show(b, out);
            out.push_str(", ");
            show(c, out);
            out.push(')');
        }
        E::LeakyRelu(a, slope) => {
            receiver(a, out);
            write!(out, ".leaky_relu({slope:?})").unwrap();
        }
        E::Clamp(a, lo, hi) => {
            receiver(a, out);
            write!(out, ".clamp({lo:?}, {hi:?})").unwrap();
        }
        E::Bin(op, a, b) => {
            out.push('(');
            show(a, out);
            out.push_str(match op {
                Bin::Add => " + ",
                Bin::Sub => " - ",
                Bin::Mul => " * ",
                Bin::Div => " / ",
            });
            show(b, out);
            out.push(')');
        }
        E::Powi(a, n) => {
            receiver(a, out);
            write!(out, ".powi({n})").unwrap();
        }
        E::Powf(a, b) => {
            receiver(a, out);
            out.push_str(".powf(");
            show(b, out);
            out.push(')');
        }
    }
}

/// A method receiver: atoms and parenthesised forms as they are, literals
/// (which would otherwise read as `2.exp()`) in parentheses.
fn receiver(e: &E, out: &mut String) {
    match e {
        E::Lit(v, _) => write!(out, "({v:?})").unwrap(),
        _ => show(e, out),
    }
}

fn var_name(i: usize) -> String {
    format!("t{i}")
}

fn closure(case: &Case) -> String {
    let mut s = String::from("|");
    s.push_str(&PARAMS[..case.params].join(", "));
    s.push_str("| ");
    if case.stmts.is_empty() {
        show(&case.out, &mut s);
        return s;
    }
    s.push_str("{\n");
    for stmt in &case.stmts {
        s.push_str("            ");
        match stmt {
            Stmt::Let { var, mutable, e } => {
                let m = if *mutable { "mut " } else { "" };
                write!(s, "let {m}{} = ", var_name(*var)).unwrap();
                show(e, &mut s);
            }
            Stmt::Assign { var, op, e } => {
                let op = match op {
                    None => "=",
                    Some(Bin::Add) => "+=",
                    Some(Bin::Sub) => "-=",
                    Some(Bin::Mul) => "*=",
                    Some(Bin::Div) => "/=",
                };
                write!(s, "{} {op} ", var_name(*var)).unwrap();
                show(e, &mut s);
            }
        }
        s.push_str(";\n");
    }
    s.push_str("            ");
    show(&case.out, &mut s);
    s.push_str("\n        }");
    s
}

fn uses_capture(case: &Case, i: usize) -> bool {
    fn walk(e: &E, i: usize) -> bool {
        match e {
            E::Cap(j) => *j == i,
            _ => e.children().into_iter().any(|c| walk(c, i)),
        }
    }
    walk(&case.out, i)
        || case.stmts.iter().any(|s| match s {
            Stmt::Let { e, .. } | Stmt::Assign { e, .. } => walk(e, i),
        })
}

/// All accepted cases, in order.
fn cases() -> Vec<Case> {
    let mut g = Gen {
        rng: Rng(SEED),
        params: 1,
        vars: 0,
    };
    let mut cases = Vec::new();
    while cases.len() < FILES * PER_FILE {
        let case = g.case();
        if acceptable(&case) {
            cases.push(case);
        }
    }
    cases
}

/// The text of corpus file `index` (0-based), named `compare_corpus_{index + 1}.rs`.
pub fn file(index: usize) -> String {
    let all = cases();
    let mut s = format!(
        "//! GENERATED by `tests/corpus/generate.rs` (seed {SEED:#x}), file {} of {FILES}: do not edit.\n\
         //! Regenerate with `cargo test --test compare_corpus_fresh -- --ignored`;\n\
         //! `compare_corpus_fresh` fails when this file is stale.\n\
         //!\n\
         //! Each case asserts that `grad!` and the `Value` graph agree within `REL`\n\
         //! and that both match a central finite difference within `FD`; see\n\
         //! `tests/corpus/tolerances.rs` for why those bounds.\n\
         \n\
         #[path = \"corpus/tolerances.rs\"]\n\
         mod tolerances;\n\
         \n\
         #[rustfmt::skip]\n\
         mod cases {{\n    \
         use super::tolerances::{{FD, REL}};\n    \
         use micrograd::assert_grad;\n",
        index + 1
    );
    for (k, case) in all.iter().enumerate().skip(index * PER_FILE).take(PER_FILE) {
        write!(s, "\n    #[test]\n    fn case_{k:03}() {{\n").unwrap();
        for (i, (name, value, local)) in CAPTURES.iter().enumerate() {
            if *local && uses_capture(case, i) {
                writeln!(s, "        let {name} = {value:?};").unwrap();
            }
        }
        let point: Vec<String> = case.point.iter().map(|v| format!("{v:?}")).collect();
        writeln!(
            s,
            "        assert_grad!({}, [{}], rel = REL, fd = FD);",
            closure(case),
            point.join(", ")
        )
        .unwrap();
        s.push_str("    }\n");
    }
    s.push_str("}\n");
    s
}

/// The path of corpus file `index` relative to the package root.
pub fn path(index: usize) -> String {
    format!("tests/compare_corpus_{}.rs", index + 1)
}

/// Op counts over the whole corpus.
pub fn coverage() -> Coverage {
    fn walk(e: &E, c: &mut Coverage) {
        match e {
            E::Param(_) | E::Var(_) => {}
            E::Lit(_, int) => c.int_literals += usize::from(*int),
            E::Cap(i) => {
                if CAPTURES[*i].2 {
                    c.captured_locals += 1;
                } else {
                    c.captured_paths += 1;
                }
            }
            E::Un(op, _) => c.unary.iter_mut().find(|(u, _)| u == op).unwrap().1 += 1,
            E::Bin(op, ..) => c.binary.iter_mut().find(|(u, _)| u == op).unwrap().1 += 1,
            E::Meth(op, ..) => c.methods.iter_mut().find(|(u, _)| u == op).unwrap().1 += 1,
            E::Powi(..) => c.powi += 1,
            E::Powf(_, b) => {
                if matches!(**b, E::Lit(..)) {
                    c.powf_const_exp += 1;
                } else {
                    c.powf_var_exp += 1;
                }
            }
            E::MulAdd(..) => c.mul_add += 1,
            E::LeakyRelu(..) => c.leaky_relu += 1,
            E::Clamp(..) => c.clamp += 1,
        }
        for child in e.children() {
            walk(child, c);
        }
    }
    fn var_uses(e: &E, counts: &mut Vec<usize>) {
        if let E::Var(i) = e {
            counts[*i] += 1;
        }
        for child in e.children() {
            var_uses(child, counts);
        }
    }
    let mut c = Coverage {
        unary: UNARY.iter().map(|&u| (u, 0)).collect(),
        binary: BINARY.iter().map(|&b| (b, 0)).collect(),
        methods: METHODS.iter().map(|&m| (m, 0)).collect(),
        ..Coverage::default()
    };
    for case in cases() {
        c.cases += 1;
        let mut uses = vec![0; 8];
        for stmt in &case.stmts {
            match stmt {
                Stmt::Let { e, mutable, .. } => {
                    if *mutable {
                        c.let_muts += 1;
                    } else {
                        c.lets += 1;
                    }
                    walk(e, &mut c);
                    var_uses(e, &mut uses);
                }
                Stmt::Assign { op, e, var } => {
                    let k = match op {
                        None => 0,
                        Some(Bin::Add) => 1,
                        Some(Bin::Sub) => 2,
                        Some(Bin::Mul) => 3,
                        Some(Bin::Div) => 4,
                    };
                    c.assigns[k] += 1;
                    walk(e, &mut c);
                    var_uses(e, &mut uses);
                    // `v op= e` reads v once more (except plain `=`).
                    uses[*var] += usize::from(op.is_some());
                }
            }
        }
        walk(&case.out, &mut c);
        var_uses(&case.out, &mut uses);
        c.fan_out += usize::from(uses.iter().any(|&u| u >= 2));
    }
    c
}
