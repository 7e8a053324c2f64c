//! The generator of the program corpus `tests/program_corpus_*.rs`: small
//! numeric programs in the language `grad!` accepts (issue 12: arrays,
//! slices, loops, branches, captured data, `max`/`min`/`clamp`).
//!
//! Seeded and dependency-free (its own SplitMix64, as
//! `tests/corpus/generate.rs`), so the same source always produces the same
//! files: `tests/program_corpus_fresh.rs` regenerates them in memory and
//! fails if the checked-in copies are stale;
//! `cargo test --test program_corpus_fresh -- --ignored` rewrites them.
//!
//! Each case is a closure of 1 to 3 parameters (`f64`, `[f64; N]` with N in
//! 2..=5, sometimes one `[[f64; 2]; R]`, `&[f64]`) over captured data
//! declared in the test (`xs`: `[[f64; 2]; R]`, `ys`: `Vec<f64>`,
//! `n: usize`, `k0: f64`), whose body is built from a few blocks:
//! accumulator loops (`+=`, `-=`, `*=`, `/=`, `=`; nested 2 and 3 deep; over
//! `0..N`, `0..n`, `0..a.len()`, `(a..b).rev()`, `a..=b` and ranges bounded
//! by an outer loop variable), Horner loops `p = p * x + c[i]`, local arrays
//! (`[0.0; N]` filled by a loop, literals `[a, b, c]`, `h[i] += ...`, an
//! element updated from itself `h[i] = h[i] * h[i]`), integer `let`s
//! (`let q0 = i + 1;`), `if`/`else if`/`else` statements and `if`
//! expressions over f64 comparisons (all six, with `&&`, `||`, `!`) and
//! integer ones (`i % 2 == 0`, `i < j`), `i as f64`, `powi` by a literal and
//! by `i as i32`, `max`/`min`/`clamp`, and every op of `OPS.md`. Never an
//! `if` expression inside a condition: `grad!` rejects it.
//!
//! The generator runs each candidate through its own evaluator (the AST
//! below, interpreted in `f64`) at the point and at every flat coordinate
//! (every scalar, every array and slice entry) moved by +-1e-3, and keeps it
//! only when, at all of those points:
//! - every index is in bounds and no `usize` arithmetic underflows (the
//!   same at every point: loop bounds and indices are integers);
//! - every `ln`/`sqrt` argument and `powf` base is at least 0.05, and every
//!   divisor (of `/`, `/=`, `powi` by a negative literal or by `k as i32`)
//!   at least 0.1 in magnitude (inside the domain, away from poles);
//! - every `relu`/`abs` argument keeps the sign it has at the point and is
//!   at least 0.02 from 0 (away from kinks);
//! - every branch condition, and every `max`/`min`/`clamp` selection,
//!   has the outcome it has at the point, and the operands of every f64
//!   comparison and selection differ by at least 0.02 (away from ties, so
//!   the finite difference never straddles a switch);
//! - every intermediate value is finite and at most 100 in magnitude;
//! - the result moves with some coordinate of every parameter (no
//!   parameter is dead), and so does what each top-level block computes
//!   (no block is constant).
//!
//! Domain-limited ops get arguments that are positive by construction most
//! of the time (`e.exp()`, `e * e + 0.5`, `e.sigmoid()`), indices are drawn
//! from the loop variables' known ranges, and the checks reject the rest.
//!
//! The evaluator is generic over [`Num`], so the same interpreter can run
//! on `micrograd::Value` to cross-check a case outside the macro.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

/// The seed of the checked-in program corpus.
pub const SEED: u64 = 0x6d67_5f70_726f_6773;
/// How many files the corpus is split into (separate test binaries, so they
/// compile in parallel and each stays quick to build).
pub const FILES: usize = 3;
/// Cases per file.
pub const PER_FILE: usize = 110;

/// How far each flat coordinate is moved when checking a candidate.
const NUDGE: f64 = 1e-3;

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
    /// Uniform in `lo..=hi`.
    fn between(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }
}

// ---------------------------------------------------------------- the AST

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
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Bin {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

/// Integer (`usize`) operators.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum IOp {
    Add,
    Sub,
    Mul,
    Rem,
}

/// An integer expression: loop variables, integer `let`s, literals, the
/// captured `n`, `a.len()`.
#[derive(Clone, Debug)]
enum I {
    Lit(i64),
    Var(String),
    Len(String),
    Op(IOp, Box<I>, Box<I>),
}

/// The exponent of `powi`: a literal or `k as i32`.
#[derive(Clone, Debug)]
enum Pow {
    Lit(i32),
    Int(I),
}

/// An f64 expression.
#[derive(Clone, Debug)]
enum E {
    Lit(f64),
    /// A scalar parameter, an f64 local or the captured `k0`.
    Var(String),
    /// `a[i]`, `a[i][j]`: parameters, locals and captured arrays.
    Index(String, Vec<I>),
    /// `i as f64`, `a.len() as f64`.
    AsF64(I),
    Un(Un, Box<E>),
    Bin(Bin, Box<E>, Box<E>),
    Powi(Box<E>, Pow),
    Powf(Box<E>, Box<E>),
    Max(Box<E>, Box<E>),
    Min(Box<E>, Box<E>),
    Clamp(Box<E>, Box<E>, Box<E>),
    /// `if c { a } else { b }` as an expression.
    If(Box<C>, Box<E>, Box<E>),
    /// A call of a generated `#[differentiable]` helper (issue 16), whose
    /// body is `inlined` with the arguments' names as its parameters: the
    /// evaluator runs `inlined`, the printer prints the call.
    Call {
        name: String,
        args: Vec<(String, ArgKind)>,
        /// Inside another helper's body (arrays are references there).
        in_helper: bool,
        inlined: Box<E>,
    },
}

/// How a helper's argument is passed and typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ArgKind {
    Scalar,
    /// An array parameter or `xs`: `&w` / `&[f64; N]`.
    Array,
    /// A slice parameter: `s` / `&[f64]`.
    Slice,
    /// The captured `Vec` `ys`: `&ys` in the test, `ys` inside a helper.
    Vec,
}

/// A condition.
#[derive(Clone, Debug)]
enum C {
    F(Cmp, E, E),
    I(Cmp, I, I),
    And(Box<C>, Box<C>),
    Or(Box<C>, Box<C>),
    Not(Box<C>),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum RangeKind {
    /// `lo..hi`
    Excl,
    /// `lo..=hi`
    Incl,
    /// `(lo..hi).rev()`
    Rev,
}

#[derive(Clone, Debug)]
struct Range {
    lo: I,
    hi: I,
    kind: RangeKind,
}

/// A statement.
#[derive(Clone, Debug)]
enum S {
    Let {
        name: String,
        mutable: bool,
        typed: bool,
        e: E,
    },
    LetInt {
        name: String,
        typed: bool,
        e: I,
    },
    /// `let (mut)? h = [a, b, c];`
    LetArr {
        name: String,
        mutable: bool,
        elems: Vec<E>,
    },
    /// `let mut h = [fill; len];`
    LetFill {
        name: String,
        fill: f64,
        len: usize,
    },
    /// `name(idx)* op= e`, `op` `None` for plain `=`.
    Assign {
        name: String,
        idx: Vec<I>,
        op: Option<Bin>,
        e: E,
    },
    For {
        var: String,
        range: Range,
        body: Vec<S>,
    },
    If {
        arms: Vec<(C, Vec<S>)>,
        els: Option<Vec<S>>,
    },
}

#[derive(Clone, Copy, Debug)]
enum Ty {
    /// `x` or `x: f64`.
    Scalar {
        typed: bool,
    },
    Array(usize),
    /// `[[f64; cols]; rows]`
    Nested(usize, usize),
    /// `&[f64]`, given as a `Vec` of this length.
    Slice(usize),
}

impl Ty {
    fn flat_len(self) -> usize {
        match self {
            Ty::Scalar { .. } => 1,
            Ty::Array(n) | Ty::Slice(n) => n,
            Ty::Nested(r, c) => r * c,
        }
    }
    fn dims(self) -> Vec<usize> {
        match self {
            Ty::Scalar { .. } => vec![],
            Ty::Array(n) | Ty::Slice(n) => vec![n],
            Ty::Nested(r, c) => vec![r, c],
        }
    }
}

struct Param {
    name: &'static str,
    ty: Ty,
}

/// The captured data of a case; each is declared in the test only when the
/// program uses it.
struct Captures {
    /// `let k0 = ..;`
    k0: f64,
    /// `let n: usize = ..;`
    n: usize,
    /// `let xs = [[a, b], ...];`
    xs: Vec<[f64; 2]>,
    /// `let ys = vec![...];`
    ys: Vec<f64>,
}

/// One generated program and its point (flat, in parameter order).
struct Case {
    params: Vec<Param>,
    cap: Captures,
    body: Vec<S>,
    out: E,
    /// What each top-level block computed (a local, an element of a local
    /// array); each must depend on a parameter.
    results: Vec<E>,
    point: Vec<f64>,
}

// ---------------------------------------------------------- the evaluator

/// The numbers the evaluator runs on: `f64` here; `micrograd::Value` in a
/// cross-check.
pub trait Num: Copy {
    fn lit(v: f64) -> Self;
    fn val(self) -> f64;
    fn un(self, op: Un) -> Self;
    fn bin(self, op: Bin, b: Self) -> Self;
    fn powi(self, n: i32) -> Self;
    fn powf(self, e: Self) -> Self;
}

impl Num for f64 {
    fn lit(v: f64) -> f64 {
        v
    }
    fn val(self) -> f64 {
        self
    }
    fn un(self, op: Un) -> f64 {
        match op {
            Un::Neg => -self,
            Un::Exp => self.exp(),
            Un::Ln => self.ln(),
            Un::Sqrt => self.sqrt(),
            Un::Tanh => self.tanh(),
            Un::Sin => self.sin(),
            Un::Cos => self.cos(),
            Un::Abs => self.abs(),
            Un::Relu => self.max(0.0),
            Un::Sigmoid => 1.0 / (1.0 + (-self).exp()),
        }
    }
    fn bin(self, op: Bin, b: f64) -> f64 {
        match op {
            Bin::Add => self + b,
            Bin::Sub => self - b,
            Bin::Mul => self * b,
            Bin::Div => self / b,
        }
    }
    fn powi(self, n: i32) -> f64 {
        f64::powi(self, n)
    }
    fn powf(self, e: f64) -> f64 {
        f64::powf(self, e)
    }
}

/// What one run saw, in evaluation order.
#[derive(Default, Debug)]
struct Trace {
    /// An index out of bounds, a `usize` underflow, a `clamp` with
    /// `lo > hi`: the program would panic.
    bad: bool,
    nonfinite: bool,
    largest: f64,
    domain: Vec<f64>,
    divisors: Vec<f64>,
    kinks: Vec<f64>,
    /// The outcome of every f64 comparison and selection.
    choices: Vec<u8>,
    /// `|a - b|` of every f64 comparison and selection.
    gaps: Vec<f64>,
}

struct Run<'a, T> {
    f: HashMap<&'a str, T>,
    i: HashMap<&'a str, i64>,
    a: HashMap<&'a str, (Vec<usize>, Vec<T>)>,
    trace: Trace,
}

impl<'a, T: Num> Run<'a, T> {
    fn seen(&mut self, v: T) -> T {
        let x = v.val();
        if !x.is_finite() {
            self.trace.nonfinite = true;
        }
        self.trace.largest = self.trace.largest.max(x.abs());
        v
    }

    fn int(&mut self, e: &'a I) -> i64 {
        match e {
            I::Lit(v) => *v,
            I::Var(name) => self.i[name.as_str()],
            I::Len(name) => self.a[name.as_str()].0[0] as i64,
            I::Op(op, a, b) => {
                let (a, b) = (self.int(a), self.int(b));
                let v = match op {
                    IOp::Add => a + b,
                    IOp::Sub => a - b,
                    IOp::Mul => a * b,
                    IOp::Rem if b == 0 => {
                        self.trace.bad = true;
                        0
                    }
                    IOp::Rem => a % b,
                };
                if v < 0 {
                    self.trace.bad = true;
                    return 0;
                }
                v
            }
        }
    }

    /// The flat position of `name[idx]...`, `None` when out of bounds.
    fn flat(&mut self, name: &'a str, idx: &'a [I]) -> Option<usize> {
        let mut at = 0;
        let dims = self.a[name].0.clone();
        if dims.len() != idx.len() {
            return None;
        }
        for (d, i) in dims.iter().zip(idx) {
            let i = self.int(i);
            if i < 0 || i as usize >= *d {
                return None;
            }
            at = at * d + i as usize;
        }
        Some(at)
    }

    fn choose(&mut self, outcome: u8, gap: f64) {
        self.trace.choices.push(outcome);
        self.trace.gaps.push(gap);
    }

    fn expr(&mut self, e: &'a E) -> T {
        let v = match e {
            E::Lit(v) => T::lit(*v),
            E::Var(name) => self.f[name.as_str()],
            E::Index(name, idx) => match self.flat(name, idx) {
                Some(at) => self.a[name.as_str()].1[at],
                None => {
                    self.trace.bad = true;
                    T::lit(0.0)
                }
            },
            E::AsF64(i) => T::lit(self.int(i) as f64),
            E::Un(op, a) => {
                let a = self.expr(a);
                match op {
                    Un::Ln | Un::Sqrt => self.trace.domain.push(a.val()),
                    Un::Abs | Un::Relu => self.trace.kinks.push(a.val()),
                    _ => {}
                }
                a.un(*op)
            }
            E::Bin(op, a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                if *op == Bin::Div {
                    self.trace.divisors.push(b.val());
                }
                a.bin(*op, b)
            }
            E::Powi(a, n) => {
                let a = self.expr(a);
                let n = match n {
                    Pow::Lit(n) => *n,
                    Pow::Int(k) => {
                        // n * a^(n-1) at n = 0, 1 must not meet a = 0 either.
                        self.trace.divisors.push(a.val());
                        self.int(k) as i32
                    }
                };
                if n < 0 {
                    self.trace.divisors.push(a.val());
                }
                a.powi(n)
            }
            E::Powf(a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                self.trace.domain.push(a.val());
                a.powf(b)
            }
            E::Max(a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                let first = a.val() >= b.val();
                self.choose(u8::from(first), (a.val() - b.val()).abs());
                if first { a } else { b }
            }
            E::Min(a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                let first = a.val() <= b.val();
                self.choose(u8::from(first), (a.val() - b.val()).abs());
                if first { a } else { b }
            }
            E::Clamp(x, lo, hi) => {
                let (x, lo, hi) = (self.expr(x), self.expr(lo), self.expr(hi));
                if lo.val() > hi.val() {
                    self.trace.bad = true;
                }
                let gap = (x.val() - lo.val()).abs().min((x.val() - hi.val()).abs());
                if x.val() < lo.val() {
                    self.choose(0, gap);
                    lo
                } else if x.val() > hi.val() {
                    self.choose(2, gap);
                    hi
                } else {
                    self.choose(1, gap);
                    x
                }
            }
            E::If(c, a, b) => {
                if self.cond(c) {
                    self.expr(a)
                } else {
                    self.expr(b)
                }
            }
            E::Call { inlined, .. } => self.expr(inlined),
        };
        self.seen(v)
    }

    fn cond(&mut self, c: &'a C) -> bool {
        match c {
            C::F(op, a, b) => {
                let (a, b) = (self.expr(a).val(), self.expr(b).val());
                let r = match op {
                    Cmp::Lt => a < b,
                    Cmp::Le => a <= b,
                    Cmp::Gt => a > b,
                    Cmp::Ge => a >= b,
                    Cmp::Eq => a == b,
                    Cmp::Ne => a != b,
                };
                self.choose(u8::from(r), (a - b).abs());
                r
            }
            C::I(op, a, b) => {
                let (a, b) = (self.int(a), self.int(b));
                match op {
                    Cmp::Lt => a < b,
                    Cmp::Le => a <= b,
                    Cmp::Gt => a > b,
                    Cmp::Ge => a >= b,
                    Cmp::Eq => a == b,
                    Cmp::Ne => a != b,
                }
            }
            C::And(a, b) => self.cond(a) && self.cond(b),
            C::Or(a, b) => self.cond(a) || self.cond(b),
            C::Not(a) => !self.cond(a),
        }
    }

    fn stmts(&mut self, body: &'a [S]) {
        for s in body {
            if self.trace.bad {
                return;
            }
            self.stmt(s);
        }
    }

    fn stmt(&mut self, s: &'a S) {
        match s {
            S::Let { name, e, .. } => {
                let v = self.expr(e);
                self.f.insert(name, v);
            }
            S::LetInt { name, e, .. } => {
                let v = self.int(e);
                self.i.insert(name, v);
            }
            S::LetArr { name, elems, .. } => {
                let vals = elems.iter().map(|e| self.expr(e)).collect();
                self.a.insert(name, (vec![elems.len()], vals));
            }
            S::LetFill { name, fill, len } => {
                self.a.insert(name, (vec![*len], vec![T::lit(*fill); *len]));
            }
            S::Assign { name, idx, op, e } => {
                let rhs = self.expr(e);
                let at = if idx.is_empty() {
                    None
                } else {
                    match self.flat(name, idx) {
                        Some(at) => Some(at),
                        None => {
                            self.trace.bad = true;
                            return;
                        }
                    }
                };
                let old = match at {
                    None => self.f[name.as_str()],
                    Some(at) => self.a[name.as_str()].1[at],
                };
                let new = match op {
                    None => rhs,
                    Some(op) => {
                        if *op == Bin::Div {
                            self.trace.divisors.push(rhs.val());
                        }
                        old.bin(*op, rhs)
                    }
                };
                let new = self.seen(new);
                match at {
                    None => *self.f.get_mut(name.as_str()).unwrap() = new,
                    Some(at) => self.a.get_mut(name.as_str()).unwrap().1[at] = new,
                }
            }
            S::For { var, range, body } => {
                let (lo, hi) = (self.int(&range.lo), self.int(&range.hi));
                let values: Vec<i64> = match range.kind {
                    RangeKind::Excl => (lo..hi).collect(),
                    RangeKind::Incl => (lo..=hi).collect(),
                    RangeKind::Rev => (lo..hi).rev().collect(),
                };
                for v in values {
                    self.i.insert(var, v);
                    self.stmts(body);
                }
                self.i.remove(var.as_str());
            }
            S::If { arms, els } => {
                for (c, body) in arms {
                    if self.cond(c) {
                        self.stmts(body);
                        return;
                    }
                }
                if let Some(body) = els {
                    self.stmts(body);
                }
            }
        }
    }
}

/// Runs `case` at the flat point `x` (parameter order, arrays row-major).
/// Returns the result, the values of the blocks' results and the trace.
fn run<T: Num>(case: &Case, x: &[T]) -> (T, Vec<f64>, Trace) {
    let mut r = Run {
        f: HashMap::new(),
        i: HashMap::new(),
        a: HashMap::new(),
        trace: Trace::default(),
    };
    r.f.insert("k0", T::lit(case.cap.k0));
    r.i.insert("n", case.cap.n as i64);
    let xs = case.cap.xs.iter().flatten().map(|&v| T::lit(v)).collect();
    r.a.insert("xs", (vec![case.cap.xs.len(), 2], xs));
    let ys = case.cap.ys.iter().map(|&v| T::lit(v)).collect();
    r.a.insert("ys", (vec![case.cap.ys.len()], ys));
    let mut at = 0;
    for p in &case.params {
        let len = p.ty.flat_len();
        match p.ty {
            Ty::Scalar { .. } => {
                r.f.insert(p.name, x[at]);
            }
            ty => {
                r.a.insert(p.name, (ty.dims(), x[at..at + len].to_vec()));
            }
        }
        at += len;
    }
    r.stmts(&case.body);
    if r.trace.bad {
        return (T::lit(f64::NAN), vec![], r.trace);
    }
    let out = r.expr(&case.out);
    let results = case.results.iter().map(|e| r.expr(e).val()).collect();
    (out, results, r.trace)
}

/// The checks of the module docs, at the point and at every nudged point.
fn acceptable(case: &Case) -> bool {
    let (value, results, at) = run::<f64>(case, &case.point);
    let ok = |t: &Trace| {
        !t.bad
            && !t.nonfinite
            && t.largest <= 100.0
            && t.domain.iter().all(|&a| a >= 0.05)
            && t.divisors.iter().all(|&d| d.abs() >= 0.1)
            && t.kinks.iter().all(|&k| k.abs() >= 0.02)
            && t.gaps.iter().all(|&g| g >= 0.02)
    };
    if !ok(&at) {
        return false;
    }
    // Which parameter each flat coordinate belongs to, and whether moving
    // it moved the result.
    let owner: Vec<usize> = (case.params.iter().enumerate())
        .flat_map(|(k, p)| std::iter::repeat_n(k, p.ty.flat_len()))
        .collect();
    let mut moves = vec![false; case.params.len()];
    let mut blocks_move = vec![false; case.results.len()];
    for i in 0..case.point.len() {
        for delta in [-NUDGE, NUDGE] {
            let mut p = case.point.clone();
            p[i] += delta;
            let (v, vs, moved) = run::<f64>(case, &p);
            let same = moved.choices == at.choices
                && moved.kinks.len() == at.kinks.len()
                && moved
                    .kinks
                    .iter()
                    .zip(&at.kinks)
                    .all(|(a, b)| (*a > 0.0) == (*b > 0.0));
            if !ok(&moved) || !same {
                return false;
            }
            moves[owner[i]] |= (v - value).abs() > 1e-7;
            for (m, (a, b)) in blocks_move.iter_mut().zip(vs.iter().zip(&results)) {
                *m |= (a - b).abs() > 1e-7;
            }
        }
    }
    moves.iter().chain(&blocks_move).all(|&m| m)
}

// ---------------------------------------------------------- the generator

const UNARY: [Un; 10] = [
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
];
const BINARY: [Bin; 4] = [Bin::Add, Bin::Sub, Bin::Mul, Bin::Div];
const CMPS: [Cmp; 6] = [Cmp::Lt, Cmp::Le, Cmp::Gt, Cmp::Ge, Cmp::Eq, Cmp::Ne];
const LITERALS: [f64; 9] = [0.5, 1.5, -0.5, 0.3, -1.2, 0.1, 2.0, 0.25, -0.75];
/// Loop variables by nesting depth.
const LOOP_VARS: [&str; 3] = ["i", "j", "k"];

#[derive(Clone)]
struct ArrInfo {
    name: String,
    dims: Vec<usize>,
    /// A local `let mut` array.
    assignable: bool,
}

#[derive(Clone)]
struct IntInfo {
    name: String,
    lo: i64,
    hi: i64,
}

struct Gen {
    rng: Rng,
    /// Readable f64 names in scope (scalar params, locals).
    floats: Vec<String>,
    /// Arrays in scope.
    arrays: Vec<ArrInfo>,
    /// Integers in scope, with the range of values each takes.
    ints: Vec<IntInfo>,
    n: usize,
    next_t: usize,
    next_h: usize,
    next_q: usize,
    depth: usize,
    /// Generating a comparison's operands: no `if` expressions there.
    in_cond: bool,
}

fn bx(e: E) -> Box<E> {
    Box::new(e)
}

fn ivar(name: &str) -> I {
    I::Var(name.to_string())
}

fn iop(op: IOp, a: I, b: I) -> I {
    I::Op(op, Box::new(a), Box::new(b))
}

impl Gen {
    fn scope(&self) -> (usize, usize, usize) {
        (self.floats.len(), self.arrays.len(), self.ints.len())
    }
    fn restore(&mut self, (f, a, i): (usize, usize, usize)) {
        self.floats.truncate(f);
        self.arrays.truncate(a);
        self.ints.truncate(i);
    }
    fn fresh_t(&mut self) -> String {
        self.next_t += 1;
        format!("t{}", self.next_t - 1)
    }
    fn fresh_h(&mut self) -> String {
        self.next_h += 1;
        format!("h{}", self.next_h - 1)
    }
    fn fresh_q(&mut self) -> String {
        self.next_q += 1;
        format!("q{}", self.next_q - 1)
    }

    /// The values an integer expression takes, `None` if it could underflow.
    fn irange(&self, e: &I) -> Option<(i64, i64)> {
        match e {
            I::Lit(v) => Some((*v, *v)),
            I::Var(name) if name == "n" => Some((self.n as i64, self.n as i64)),
            I::Var(name) => self
                .ints
                .iter()
                .rev()
                .find(|v| v.name == *name)
                .map(|v| (v.lo, v.hi)),
            I::Len(name) => {
                let a = self.arrays.iter().rev().find(|a| a.name == *name)?;
                Some((a.dims[0] as i64, a.dims[0] as i64))
            }
            I::Op(op, a, b) => {
                let (a, b) = (self.irange(a)?, self.irange(b)?);
                let r = match op {
                    IOp::Add => (a.0 + b.0, a.1 + b.1),
                    IOp::Sub => (a.0 - b.1, a.1 - b.0),
                    IOp::Mul => (a.0 * b.0, a.1 * b.1),
                    IOp::Rem if b.0 == b.1 && b.0 > 0 => (0, (b.0 - 1).min(a.1)),
                    IOp::Rem => return None,
                };
                (r.0 >= 0).then_some(r)
            }
        }
    }

    /// `len` itself, or `a.len()` of an array of that length.
    fn length(&mut self, len: usize) -> I {
        let named: Vec<String> = self
            .arrays
            .iter()
            .filter(|a| a.dims[0] == len)
            .map(|a| a.name.clone())
            .collect();
        if !named.is_empty() && self.rng.chance(0.3) {
            I::Len(self.rng.pick(&named))
        } else {
            I::Lit(len as i64)
        }
    }

    /// An index into a dimension of length `len`, from the integers in scope.
    fn index(&mut self, len: usize) -> I {
        let mut cands = Vec::new();
        for v in self.ints.clone() {
            let var = ivar(&v.name);
            for _ in 0..4 {
                cands.push(var.clone());
            }
            cands.push(iop(IOp::Add, var.clone(), I::Lit(1)));
            let last = iop(IOp::Sub, self.length(len), I::Lit(1));
            cands.push(iop(IOp::Sub, last, var.clone()));
            cands.push(iop(IOp::Rem, var.clone(), I::Lit(len as i64)));
            if let Some(w) = self.ints.iter().find(|w| w.name != v.name) {
                cands.push(iop(
                    IOp::Rem,
                    iop(IOp::Add, var.clone(), ivar(&w.name)),
                    I::Lit(len as i64),
                ));
            }
        }
        cands.push(I::Lit(self.rng.below(len) as i64));
        let fits = |g: &Gen, e: &I| {
            g.irange(e)
                .is_some_and(|(lo, hi)| lo >= 0 && hi < len as i64)
        };
        let cands: Vec<I> = cands.into_iter().filter(|e| fits(self, e)).collect();
        self.rng.pick(&cands)
    }

    /// An element of an array in scope: a parameter's or a local's more
    /// often than captured data's.
    fn element(&mut self) -> E {
        let own: Vec<ArrInfo> = self
            .arrays
            .iter()
            .filter(|a| a.name != "xs" && a.name != "ys")
            .cloned()
            .collect();
        let a = if !own.is_empty() && self.rng.chance(0.65) {
            self.rng.pick(&own)
        } else {
            self.rng.pick(&self.arrays)
        };
        let idx = a.dims.iter().map(|&d| self.index(d)).collect();
        E::Index(a.name, idx)
    }

    fn literal(&mut self) -> E {
        E::Lit(self.rng.pick(&LITERALS))
    }

    fn leaf(&mut self) -> E {
        // (kind, weight), among the kinds available here.
        let kinds = [
            (0, if self.arrays.is_empty() { 0 } else { 36 }),
            (1, if self.floats.is_empty() { 0 } else { 30 }),
            (2, if self.ints.is_empty() { 0 } else { 10 }),
            (3, 2),
            (4, 8),
            (5, 12),
        ];
        let total: usize = kinds.iter().map(|k| k.1).sum();
        let mut r = self.rng.below(total);
        let kind = kinds
            .iter()
            .find(|k| {
                let hit = r < k.1;
                r = r.saturating_sub(k.1);
                hit
            })
            .unwrap()
            .0;
        match kind {
            0 => self.element(),
            1 => E::Var(self.rng.pick(&self.floats)),
            2 => {
                let v = self.rng.pick(&self.ints);
                E::AsF64(ivar(&v.name))
            }
            3 => {
                let a = self.rng.pick(&self.arrays);
                E::AsF64(I::Len(a.name))
            }
            4 => E::Var("k0".into()),
            _ => self.literal(),
        }
    }

    /// An expression that is positive by construction, most of the time.
    fn positive(&mut self, depth: usize) -> E {
        let e = self.expr(depth);
        match self.rng.below(4) {
            0 => E::Un(Un::Exp, bx(e)),
            1 => E::Bin(
                Bin::Add,
                bx(E::Bin(Bin::Mul, bx(e.clone()), bx(e))),
                bx(E::Lit(0.5)),
            ),
            2 => E::Un(Un::Sigmoid, bx(e)),
            _ => e,
        }
    }

    /// A factor near 1, for `*=` in loops.
    fn factor(&mut self, depth: usize) -> E {
        let e = self.expr(depth);
        match self.rng.below(3) {
            0 => E::Bin(Bin::Add, bx(E::Un(Un::Sigmoid, bx(e))), bx(E::Lit(0.5))),
            1 => E::Un(Un::Cos, bx(e)),
            _ => E::Bin(
                Bin::Add,
                bx(E::Bin(
                    Bin::Mul,
                    bx(E::Un(Un::Tanh, bx(e))),
                    bx(E::Lit(0.5)),
                )),
                bx(E::Lit(1.0)),
            ),
        }
    }

    fn expr(&mut self, depth: usize) -> E {
        if depth == 0 || self.rng.chance(0.25) {
            return self.leaf();
        }
        let d = depth - 1;
        match self.rng.below(20) {
            k @ 0..=9 => {
                let op = UNARY[k];
                let arg = match op {
                    Un::Ln | Un::Sqrt => self.positive(d),
                    _ => self.expr(d),
                };
                E::Un(op, bx(arg))
            }
            k @ 10..=13 => {
                let op = BINARY[k - 10];
                let a = self.expr(d);
                let b = if op == Bin::Div {
                    self.positive(d)
                } else {
                    self.expr(d)
                };
                E::Bin(op, bx(a), bx(b))
            }
            14 => {
                let base = self.expr(d);
                let n = if !self.ints.is_empty() && self.rng.chance(0.6) {
                    let v = self.rng.pick(&self.ints);
                    Pow::Int(ivar(&v.name))
                } else {
                    Pow::Lit(self.rng.pick(&[2, 2, 3, -1]))
                };
                E::Powi(bx(base), n)
            }
            15 => {
                let base = self.positive(d);
                let exp = if self.rng.chance(0.5) {
                    E::Lit(self.rng.pick(&[0.5, 1.5, -0.5, 2.5]))
                } else {
                    self.expr(d)
                };
                E::Powf(bx(base), bx(exp))
            }
            16 => E::Max(bx(self.expr(d)), bx(self.expr(d))),
            17 => E::Min(bx(self.expr(d)), bx(self.expr(d))),
            18 => {
                let x = self.expr(d);
                let (lo, hi) = if self.rng.chance(0.3) {
                    let lo = self.leaf();
                    (lo.clone(), E::Bin(Bin::Add, bx(lo), bx(E::Lit(1.5))))
                } else {
                    let (lo, hi) =
                        self.rng
                            .pick(&[(-1.0, 1.0), (0.0, 2.0), (-0.5, 0.5), (-2.0, 0.25)]);
                    (E::Lit(lo), E::Lit(hi))
                };
                E::Clamp(bx(x), bx(lo), bx(hi))
            }
            // `grad!` rejects an `if` inside a condition.
            _ if self.in_cond => E::Max(bx(self.expr(d)), bx(self.expr(d))),
            _ => E::If(Box::new(self.cond(d)), bx(self.expr(d)), bx(self.expr(d))),
        }
    }

    fn int_cond(&mut self) -> C {
        let v = self.rng.pick(&self.ints);
        let var = ivar(&v.name);
        let op = self.rng.pick(&CMPS);
        match self.rng.below(4) {
            0 => C::I(
                self.rng.pick(&[Cmp::Eq, Cmp::Ne]),
                iop(IOp::Rem, var, I::Lit(2)),
                I::Lit(0),
            ),
            1 if self.ints.len() >= 2 => {
                let w = self.rng.pick(&self.ints);
                C::I(op, var, ivar(&w.name))
            }
            2 => C::I(op, iop(IOp::Add, var, I::Lit(1)), ivar("n")),
            _ => C::I(op, var, I::Lit(self.rng.between(0, 3) as i64)),
        }
    }

    fn simple_cond(&mut self, depth: usize) -> C {
        if !self.ints.is_empty() && self.rng.chance(0.25) {
            return self.int_cond();
        }
        let outer = std::mem::replace(&mut self.in_cond, true);
        let a = self.expr(depth);
        let b = if self.rng.chance(0.5) {
            self.literal()
        } else {
            self.leaf()
        };
        self.in_cond = outer;
        C::F(self.rng.pick(&CMPS), a, b)
    }

    fn cond(&mut self, depth: usize) -> C {
        match self.rng.below(10) {
            0 | 1 => C::And(
                Box::new(self.simple_cond(depth)),
                Box::new(self.simple_cond(depth)),
            ),
            2 | 3 => C::Or(
                Box::new(self.simple_cond(depth)),
                Box::new(self.simple_cond(depth)),
            ),
            4 => C::Not(Box::new(self.simple_cond(depth))),
            _ => self.simple_cond(depth),
        }
    }

    /// A range over `0..len` (or part of it), so its variable indexes
    /// arrays of that length; sometimes bounded by an outer loop variable.
    fn range(&mut self, len: usize) -> (Range, i64, i64) {
        let last = len as i64 - 1;
        let outer = self.ints.last().cloned().filter(|o| o.hi <= last);
        if let Some(outer) = outer.filter(|_| self.rng.chance(0.3)) {
            let v = ivar(&outer.name);
            return if self.rng.chance(0.5) {
                // `0..i`: empty on the first outer iteration.
                (
                    Range {
                        lo: I::Lit(0),
                        hi: v,
                        kind: RangeKind::Excl,
                    },
                    0,
                    (outer.hi - 1).max(0),
                )
            } else {
                (
                    Range {
                        lo: v,
                        hi: self.length(len),
                        kind: RangeKind::Excl,
                    },
                    outer.lo,
                    last,
                )
            };
        }
        match self.rng.below(10) {
            0..=2 => (
                Range {
                    lo: I::Lit(0),
                    hi: I::Lit(len as i64),
                    kind: RangeKind::Excl,
                },
                0,
                last,
            ),
            3 | 4 => {
                let named: Vec<String> = self
                    .arrays
                    .iter()
                    .filter(|a| a.dims[0] == len)
                    .map(|a| a.name.clone())
                    .collect();
                let hi = if named.is_empty() {
                    I::Lit(len as i64)
                } else {
                    I::Len(self.rng.pick(&named))
                };
                (
                    Range {
                        lo: I::Lit(0),
                        hi,
                        kind: RangeKind::Excl,
                    },
                    0,
                    last,
                )
            }
            5 | 6 if self.n <= len => (
                Range {
                    lo: I::Lit(0),
                    hi: ivar("n"),
                    kind: RangeKind::Excl,
                },
                0,
                self.n as i64 - 1,
            ),
            7 => {
                let lo = self.rng.between(0, 1).min(len - 1) as i64;
                let hi = self.length(len);
                (
                    Range {
                        lo: I::Lit(lo),
                        hi,
                        kind: RangeKind::Rev,
                    },
                    lo,
                    last,
                )
            }
            _ => {
                let lo = self.rng.between(0, 1).min(len - 1);
                let hi = self.rng.between(lo.max(len.saturating_sub(2)), len - 1);
                let (lo, hi) = (lo as i64, hi as i64);
                (
                    Range {
                        lo: I::Lit(lo),
                        hi: I::Lit(hi),
                        kind: RangeKind::Incl,
                    },
                    lo,
                    hi,
                )
            }
        }
    }

    /// A length to loop over: an array's in scope, or 2..=5.
    fn loop_len(&mut self) -> usize {
        if !self.arrays.is_empty() && self.rng.chance(0.8) {
            let a = self.rng.pick(&self.arrays);
            a.dims[0]
        } else {
            self.rng.between(2, 5)
        }
    }

    /// `for v in range { body }`, with the loop variable in scope in `body`.
    fn for_loop(&mut self, len: usize, body: impl FnOnce(&mut Gen) -> Vec<S>) -> S {
        let (range, lo, hi) = self.range(len);
        let var = LOOP_VARS[self.depth].to_string();
        let saved = self.scope();
        self.ints.push(IntInfo {
            name: var.clone(),
            lo,
            hi,
        });
        self.depth += 1;
        let body = body(self);
        self.depth -= 1;
        self.restore(saved);
        S::For { var, range, body }
    }

    /// `let q = i + 1;` and friends, from the integers in scope.
    fn int_let(&mut self) -> S {
        let v = self.rng.pick(&self.ints);
        let var = ivar(&v.name);
        let e = match self.rng.below(5) {
            0 | 3 => iop(IOp::Mul, var, I::Lit(2)),
            1 if self.ints.len() >= 2 => {
                let w = self.rng.pick(&self.ints);
                iop(IOp::Add, var, ivar(&w.name))
            }
            2 => iop(IOp::Rem, iop(IOp::Add, var, I::Lit(1)), ivar("n")),
            _ => iop(IOp::Add, var, I::Lit(1)),
        };
        let name = self.fresh_q();
        let (lo, hi) = self.irange(&e).unwrap_or((0, 0));
        let (lo, hi) = if let I::Op(IOp::Rem, _, _) = e {
            (0, self.n as i64 - 1)
        } else {
            (lo, hi)
        };
        self.ints.push(IntInfo {
            name: name.clone(),
            lo,
            hi,
        });
        S::LetInt {
            name,
            typed: self.rng.chance(0.4),
            e,
        }
    }

    /// One update of the accumulator `t`.
    fn update(&mut self, t: &str) -> S {
        let (op, e) = match self.rng.below(10) {
            0..=2 => (Some(Bin::Add), self.expr(2)),
            3 | 4 => (Some(Bin::Sub), self.expr(2)),
            5 | 6 => (Some(Bin::Mul), self.factor(1)),
            7 => (Some(Bin::Div), self.positive(1)),
            8 => {
                // `t = t * c + e`
                let c = self.literal();
                let e = self.expr(1);
                let scaled = E::Bin(Bin::Mul, bx(E::Var(t.into())), bx(c));
                (None, E::Bin(Bin::Add, bx(scaled), bx(e)))
            }
            _ => {
                let e = self.expr(1);
                let sel = if self.rng.chance(0.5) {
                    E::Max(bx(E::Var(t.into())), bx(e))
                } else {
                    E::Min(bx(e), bx(E::Var(t.into())))
                };
                (None, sel)
            }
        };
        S::Assign {
            name: t.into(),
            idx: vec![],
            op,
            e,
        }
    }

    /// `if c { .. } else if c { .. } else { .. }` updating `t`.
    fn if_stmt(&mut self, t: &str) -> S {
        let mut arms = Vec::new();
        for _ in 0..self.rng.between(1, 2) {
            let c = self.cond(1);
            let body = vec![self.update(t)];
            arms.push((c, body));
        }
        let els = self.rng.chance(0.7).then(|| vec![self.update(t)]);
        S::If { arms, els }
    }

    /// The body of an accumulator loop over `t`.
    fn acc_body(&mut self, t: &str) -> Vec<S> {
        let mut body = Vec::new();
        if self.rng.chance(0.4) {
            body.push(self.int_let());
        }
        if self.rng.chance(0.2) {
            let u = self.fresh_t();
            let e = self.expr(2);
            body.push(S::Let {
                name: u.clone(),
                mutable: false,
                typed: false,
                e,
            });
            self.floats.push(u);
        }
        for _ in 0..self.rng.between(1, 2) {
            let r = self.rng.below(10);
            if r < 3 && self.depth < 3 {
                let len = self.loop_len();
                let inner = self.for_loop(len, |g| g.acc_body(t));
                body.push(inner);
            } else if r < 5 {
                body.push(self.if_stmt(t));
            } else {
                body.push(self.update(t));
            }
        }
        body
    }

    fn let_mut(&mut self, init: E) -> (String, S) {
        let t = self.fresh_t();
        let typed = self.rng.chance(0.2);
        (
            t.clone(),
            S::Let {
                name: t,
                mutable: true,
                typed,
                e: init,
            },
        )
    }

    /// `let mut t = ..; for .. { .. t op= ..; .. }`
    fn block_accumulate(&mut self, out: &mut Vec<S>) -> String {
        let init = match self.rng.below(3) {
            0 => E::Lit(0.0),
            1 => E::Lit(1.0),
            _ => self.expr(1),
        };
        let (t, s) = self.let_mut(init);
        out.push(s);
        // Readable inside its own loop too: `t += t.sin()` reads the value
        // the previous iteration wrote.
        self.floats.push(t.clone());
        let len = self.loop_len();
        let l = self.for_loop(len, |g| g.acc_body(&t));
        out.push(l);
        t
    }

    /// `let mut p = 0.0; for i in .. { p = p * x + c[i]; }`
    fn block_horner(&mut self, out: &mut Vec<S>) -> String {
        let arrays: Vec<ArrInfo> = self
            .arrays
            .iter()
            .filter(|a| a.dims.len() == 1)
            .cloned()
            .collect();
        let Some(c) = (!arrays.is_empty()).then(|| self.rng.pick(&arrays)) else {
            return self.block_accumulate(out);
        };
        let (p, s) = self.let_mut(E::Lit(0.0));
        out.push(s);
        let x = if self.rng.chance(0.5) {
            self.leaf()
        } else {
            E::Un(
                self.rng.pick(&[Un::Tanh, Un::Sin, Un::Sigmoid]),
                bx(self.leaf()),
            )
        };
        let l = self.for_loop(c.dims[0], |g| {
            let i = g.ints.last().unwrap().name.clone();
            let term = E::Bin(Bin::Mul, bx(E::Var(p.clone())), bx(x));
            let e = E::Bin(
                Bin::Add,
                bx(term),
                bx(E::Index(c.name.clone(), vec![ivar(&i)])),
            );
            vec![S::Assign {
                name: p.clone(),
                idx: vec![],
                op: None,
                e,
            }]
        });
        out.push(l);
        p
    }

    /// A local array: filled by a loop or a literal, then updated.
    fn block_array(&mut self, out: &mut Vec<S>) -> String {
        let h = self.fresh_h();
        let len = if self.rng.chance(0.5) {
            self.loop_len()
        } else {
            self.rng.between(2, 5)
        };
        let updates = self.rng.between(0, 2);
        let extra = self.rng.chance(0.3);
        if self.rng.chance(0.35) {
            let elems = (0..len).map(|_| self.expr(1)).collect();
            out.push(S::LetArr {
                name: h.clone(),
                mutable: updates > 0 || extra,
                elems,
            });
        } else {
            out.push(S::LetFill {
                name: h.clone(),
                fill: 0.0,
                len,
            });
            let l = self.for_loop(len, |g| {
                let i = g.ints.last().unwrap().name.clone();
                vec![S::Assign {
                    name: h.clone(),
                    idx: vec![ivar(&i)],
                    op: None,
                    e: g.expr(2),
                }]
            });
            out.push(l);
        }
        self.arrays.push(ArrInfo {
            name: h.clone(),
            dims: vec![len],
            assignable: true,
        });
        // Updates: an element from itself, compound assignments.
        for _ in 0..updates {
            let l = self.for_loop(len, |g| {
                let at = g.index(len);
                let place = E::Index(h.clone(), vec![at.clone()]);
                let (op, e) = match g.rng.below(4) {
                    0 => (None, E::Bin(Bin::Mul, bx(place.clone()), bx(place))),
                    1 => (None, E::Bin(Bin::Mul, bx(place), bx(g.factor(1)))),
                    2 => (Some(Bin::Add), g.expr(2)),
                    _ => (Some(g.rng.pick(&[Bin::Sub, Bin::Mul])), g.factor(1)),
                };
                vec![S::Assign {
                    name: h.clone(),
                    idx: vec![at],
                    op,
                    e,
                }]
            });
            out.push(l);
        }
        if extra {
            let at = I::Lit(self.rng.below(len) as i64);
            let e = self.expr(2);
            out.push(S::Assign {
                name: h.clone(),
                idx: vec![at],
                op: Some(Bin::Add),
                e,
            });
        }
        h
    }

    /// `let mut t = ..; if .. { .. } else if .. { .. } else { .. }`, or
    /// `let t = if .. { .. } else { .. };`
    fn block_branch(&mut self, out: &mut Vec<S>) -> String {
        if self.rng.chance(0.4) {
            let t = self.fresh_t();
            let e = E::If(Box::new(self.cond(2)), bx(self.expr(2)), bx(self.expr(2)));
            out.push(S::Let {
                name: t.clone(),
                mutable: false,
                typed: self.rng.chance(0.3),
                e,
            });
            return t;
        }
        let init = self.expr(2);
        let (t, s) = self.let_mut(init);
        out.push(s);
        let mut arms = Vec::new();
        for _ in 0..self.rng.between(1, 3) {
            let c = self.cond(2);
            let body = vec![self.update(&t)];
            arms.push((c, body));
        }
        let els = self.rng.chance(0.75).then(|| vec![self.update(&t)]);
        out.push(S::If { arms, els });
        t
    }

    /// Rows of a nested array, each reduced by an inner loop.
    fn block_matrix(&mut self, out: &mut Vec<S>) -> String {
        let nested: Vec<ArrInfo> = self
            .arrays
            .iter()
            .filter(|a| a.dims.len() == 2)
            .cloned()
            .collect();
        let a = self.rng.pick(&nested);
        let (t, s) = self.let_mut(E::Lit(0.0));
        out.push(s);
        let l = self.for_loop(a.dims[0], |g| {
            let (r, s) = g.let_mut(E::Lit(0.0));
            g.floats.push(r.clone());
            let inner = g.for_loop(a.dims[1], |g| {
                let (i, j) = (
                    g.ints[g.ints.len() - 2].name.clone(),
                    g.ints[g.ints.len() - 1].name.clone(),
                );
                let m = E::Index(a.name.clone(), vec![ivar(&i), ivar(&j)]);
                let e = E::Bin(Bin::Mul, bx(m), bx(g.leaf()));
                let mut body = vec![S::Assign {
                    name: r.clone(),
                    idx: vec![],
                    op: Some(Bin::Add),
                    e,
                }];
                if g.rng.chance(0.3) {
                    body.push(g.if_stmt(&r));
                }
                body
            });
            let squash = E::Un(
                g.rng.pick(&[Un::Tanh, Un::Sin, Un::Sigmoid, Un::Cos]),
                bx(E::Var(r)),
            );
            vec![
                s,
                inner,
                S::Assign {
                    name: t.clone(),
                    idx: vec![],
                    op: Some(g.rng.pick(&[Bin::Add, Bin::Sub])),
                    e: squash,
                },
            ]
        });
        out.push(l);
        t
    }

    fn block_let(&mut self, out: &mut Vec<S>) -> String {
        let t = self.fresh_t();
        let e = self.expr(2);
        out.push(S::Let {
            name: t.clone(),
            mutable: false,
            typed: self.rng.chance(0.3),
            e,
        });
        t
    }

    fn case(&mut self) -> Case {
        self.floats.clear();
        self.arrays.clear();
        self.ints.clear();
        (self.next_t, self.next_h, self.next_q, self.depth) = (0, 0, 0, 0);
        let cap = Captures {
            k0: self.rng.pick(&[0.75, -0.5, 1.25, 0.4, -1.1]),
            n: self.rng.between(2, 4),
            xs: (0..self.rng.between(2, 4))
                .map(|_| [self.rng.pick(&LITERALS), self.rng.pick(&LITERALS)])
                .collect(),
            ys: (0..self.rng.between(2, 5))
                .map(|_| self.rng.pick(&LITERALS))
                .collect(),
        };
        self.n = cap.n;
        let mut params = Vec::new();
        let (mut scalars, mut arrays, mut nested, mut slices) = (0, 0, 0, 0);
        for _ in 0..self.rng.between(1, 3) {
            let r = self.rng.below(100);
            let (name, ty) = if r < 35 {
                scalars += 1;
                (
                    ["x", "y", "z"][scalars - 1],
                    Ty::Scalar {
                        typed: self.rng.chance(0.3),
                    },
                )
            } else if r < 70 {
                arrays += 1;
                (
                    ["w", "v", "u"][arrays - 1],
                    Ty::Array(self.rng.between(2, 5)),
                )
            } else if r < 85 && nested == 0 {
                nested += 1;
                ("m", Ty::Nested(self.rng.between(2, 3), 2))
            } else {
                slices += 1;
                (
                    ["s", "r", "p"][slices - 1],
                    Ty::Slice(self.rng.between(2, 5)),
                )
            };
            params.push(Param { name, ty });
            match ty {
                Ty::Scalar { .. } => self.floats.push(name.into()),
                ty => self.arrays.push(ArrInfo {
                    name: name.into(),
                    dims: ty.dims(),
                    assignable: false,
                }),
            }
        }
        self.arrays.push(ArrInfo {
            name: "xs".into(),
            dims: vec![cap.xs.len(), 2],
            assignable: false,
        });
        self.arrays.push(ArrInfo {
            name: "ys".into(),
            dims: vec![cap.ys.len()],
            assignable: false,
        });

        let mut body = Vec::new();
        let mut results = Vec::new();
        for _ in 0..self.rng.between(1, 3) {
            let r = self.rng.below(100);
            let t = if r < 30 {
                self.block_accumulate(&mut body)
            } else if r < 42 {
                self.block_horner(&mut body)
            } else if r < 60 {
                let h = self.block_array(&mut body);
                results.push(E::Index(
                    h.clone(),
                    vec![I::Lit(
                        self.rng.below(self.arrays.last().unwrap().dims[0]) as i64
                    )],
                ));
                continue;
            } else if r < 78 {
                self.block_branch(&mut body)
            } else if r < 90 && self.arrays.iter().any(|a| a.dims.len() == 2) {
                self.block_matrix(&mut body)
            } else {
                self.block_let(&mut body)
            };
            self.floats.push(t.clone());
            results.push(E::Var(t));
        }
        // Combine the blocks' results, with one more expression.
        let mut out = results[0].clone();
        for e in &results[1..] {
            out = E::Bin(
                self.rng.pick(&[Bin::Add, Bin::Sub, Bin::Mul]),
                bx(out),
                bx(e.clone()),
            );
        }
        if self.rng.chance(0.6) {
            out = E::Bin(
                self.rng.pick(&[Bin::Add, Bin::Mul]),
                bx(out),
                bx(self.expr(2)),
            );
        }
        let flat: usize = params.iter().map(|p| p.ty.flat_len()).sum();
        let point = (0..flat)
            .map(|_| (self.rng.below(301) as f64 - 150.0) / 100.0)
            .collect();
        Case {
            params,
            cap,
            body,
            out,
            results,
            point,
        }
    }
}

/// All accepted cases, in order.
fn cases() -> Vec<Case> {
    let mut g = Gen {
        rng: Rng(SEED),
        floats: Vec::new(),
        arrays: Vec::new(),
        ints: Vec::new(),
        n: 2,
        next_t: 0,
        next_h: 0,
        next_q: 0,
        depth: 0,
        in_cond: false,
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

// ------------------------------------------------------------ the printer

fn prec(op: IOp) -> u8 {
    match op {
        IOp::Add | IOp::Sub => 1,
        IOp::Mul | IOp::Rem => 2,
    }
}

fn show_i(e: &I, out: &mut String) {
    match e {
        I::Lit(v) => write!(out, "{v}").unwrap(),
        I::Var(name) => out.push_str(name),
        I::Len(name) => write!(out, "{name}.len()").unwrap(),
        I::Op(op, a, b) => {
            let paren = |child: &I, strict: bool| match child {
                I::Op(c, ..) => prec(*c) < prec(*op) || (strict && prec(*c) == prec(*op)),
                _ => false,
            };
            let side = |child: &I, strict: bool, out: &mut String| {
                if paren(child, strict) {
                    out.push('(');
                    show_i(child, out);
                    out.push(')');
                } else {
                    show_i(child, out);
                }
            };
            side(a, false, out);
            out.push_str(match op {
                IOp::Add => " + ",
                IOp::Sub => " - ",
                IOp::Mul => " * ",
                IOp::Rem => " % ",
            });
            side(b, true, out);
        }
    }
}

fn method(op: Un) -> &'static str {
    match op {
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
    }
}

fn show(e: &E, out: &mut String) {
    match e {
        E::Lit(v) if *v < 0.0 => write!(out, "({v:?})").unwrap(),
        E::Lit(v) => write!(out, "{v:?}").unwrap(),
        E::Var(name) => out.push_str(name),
        E::Index(name, idx) => {
            out.push_str(name);
            for i in idx {
                out.push('[');
                show_i(i, out);
                out.push(']');
            }
        }
        E::AsF64(i) => {
            out.push('(');
            show_i(i, out);
            out.push_str(" as f64)");
        }
        E::Un(Un::Neg, a) => {
            out.push_str("(-");
            show(a, out);
            out.push(')');
        }
        E::Un(op, a) => {
            receiver(a, out);
            write!(out, ".{}()", method(*op)).unwrap();
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
            match n {
                Pow::Lit(n) => write!(out, ".powi({n})").unwrap(),
                Pow::Int(k) => {
                    out.push_str(".powi(");
                    show_i(k, out);
                    out.push_str(" as i32)");
                }
            }
        }
        E::Powf(a, b) => call(a, "powf", &[b], out),
        E::Max(a, b) => call(a, "max", &[b], out),
        E::Min(a, b) => call(a, "min", &[b], out),
        E::Clamp(x, lo, hi) => call(x, "clamp", &[lo, hi], out),
        E::If(..) => {
            out.push('(');
            show_top(e, out);
            out.push(')');
        }
        E::Call {
            name,
            args,
            in_helper,
            ..
        } => {
            out.push_str(name);
            out.push('(');
            for (k, (a, kind)) in args.iter().enumerate() {
                if k > 0 {
                    out.push_str(", ");
                }
                let by_ref = match kind {
                    ArgKind::Scalar | ArgKind::Slice => false,
                    ArgKind::Array => true,
                    ArgKind::Vec => !in_helper,
                };
                if by_ref {
                    out.push('&');
                }
                out.push_str(a);
            }
            out.push(')');
        }
    }
}

fn call(recv: &E, name: &str, args: &[&E], out: &mut String) {
    receiver(recv, out);
    write!(out, ".{name}(").unwrap();
    for (k, a) in args.iter().enumerate() {
        if k > 0 {
            out.push_str(", ");
        }
        show(a, out);
    }
    out.push(')');
}

/// An expression where it stands alone (a `let` or assignment's right-hand
/// side): an `if` expression without parentheses.
fn show_top(e: &E, out: &mut String) {
    if let E::If(c, a, b) = e {
        out.push_str("if ");
        show_c(c, out);
        out.push_str(" { ");
        show(a, out);
        out.push_str(" } else { ");
        show(b, out);
        out.push_str(" }");
    } else {
        show(e, out);
    }
}

/// A method receiver: literals (which would read as `2.exp()`) in
/// parentheses, everything else as it prints.
fn receiver(e: &E, out: &mut String) {
    match e {
        E::Lit(v) => write!(out, "({v:?})").unwrap(),
        _ => show(e, out),
    }
}

fn cmp_str(op: Cmp) -> &'static str {
    match op {
        Cmp::Lt => " < ",
        Cmp::Le => " <= ",
        Cmp::Gt => " > ",
        Cmp::Ge => " >= ",
        Cmp::Eq => " == ",
        Cmp::Ne => " != ",
    }
}

fn show_c(c: &C, out: &mut String) {
    let child = |c: &C, out: &mut String| {
        if matches!(c, C::And(..) | C::Or(..)) {
            out.push('(');
            show_c(c, out);
            out.push(')');
        } else {
            show_c(c, out);
        }
    };
    match c {
        C::F(op, a, b) => {
            show(a, out);
            out.push_str(cmp_str(*op));
            show(b, out);
        }
        C::I(op, a, b) => {
            show_i(a, out);
            out.push_str(cmp_str(*op));
            show_i(b, out);
        }
        C::And(a, b) | C::Or(a, b) => {
            child(a, out);
            out.push_str(if matches!(c, C::And(..)) {
                " && "
            } else {
                " || "
            });
            child(b, out);
        }
        C::Not(a) => {
            out.push_str("!(");
            show_c(a, out);
            out.push(')');
        }
    }
}

fn indent(level: usize, out: &mut String) {
    for _ in 0..level {
        out.push_str("    ");
    }
}

fn show_block(body: &[S], level: usize, out: &mut String) {
    out.push_str("{\n");
    for s in body {
        show_s(s, level + 1, out);
    }
    indent(level, out);
    out.push('}');
}

fn show_s(s: &S, level: usize, out: &mut String) {
    indent(level, out);
    match s {
        S::Let {
            name,
            mutable,
            typed,
            e,
        } => {
            let m = if *mutable { "mut " } else { "" };
            let ty = if *typed { ": f64" } else { "" };
            write!(out, "let {m}{name}{ty} = ").unwrap();
            show_top(e, out);
            out.push(';');
        }
        S::LetInt { name, typed, e } => {
            let ty = if *typed { ": usize" } else { "" };
            write!(out, "let {name}{ty} = ").unwrap();
            show_i(e, out);
            out.push(';');
        }
        S::LetArr {
            name,
            mutable,
            elems,
        } => {
            let m = if *mutable { "mut " } else { "" };
            write!(out, "let {m}{name} = [").unwrap();
            for (k, e) in elems.iter().enumerate() {
                if k > 0 {
                    out.push_str(", ");
                }
                show(e, out);
            }
            out.push_str("];");
        }
        S::LetFill { name, fill, len } => {
            write!(out, "let mut {name} = [{fill:?}; {len}];").unwrap();
        }
        S::Assign { name, idx, op, e } => {
            out.push_str(name);
            for i in idx {
                out.push('[');
                show_i(i, out);
                out.push(']');
            }
            out.push_str(match op {
                None => " = ",
                Some(Bin::Add) => " += ",
                Some(Bin::Sub) => " -= ",
                Some(Bin::Mul) => " *= ",
                Some(Bin::Div) => " /= ",
            });
            show_top(e, out);
            out.push(';');
        }
        S::For { var, range, body } => {
            write!(out, "for {var} in ").unwrap();
            if range.kind == RangeKind::Rev {
                out.push('(');
            }
            show_i(&range.lo, out);
            out.push_str(if range.kind == RangeKind::Incl {
                "..="
            } else {
                ".."
            });
            show_i(&range.hi, out);
            if range.kind == RangeKind::Rev {
                out.push_str(").rev()");
            }
            out.push(' ');
            show_block(body, level, out);
        }
        S::If { arms, els } => {
            for (k, (c, body)) in arms.iter().enumerate() {
                out.push_str(if k == 0 { "if " } else { " else if " });
                show_c(c, out);
                out.push(' ');
                show_block(body, level, out);
            }
            if let Some(body) = els {
                out.push_str(" else ");
                show_block(body, level, out);
            }
        }
    }
    out.push('\n');
}

/// Indentation of the closure's body inside a test function.
const BODY_LEVEL: usize = 2;

fn closure(case: &Case) -> String {
    let mut s = String::from("|");
    for (k, p) in case.params.iter().enumerate() {
        if k > 0 {
            s.push_str(", ");
        }
        s.push_str(p.name);
        match p.ty {
            Ty::Scalar { typed: false } => {}
            Ty::Scalar { typed: true } => s.push_str(": f64"),
            Ty::Array(n) => write!(s, ": [f64; {n}]").unwrap(),
            Ty::Nested(r, c) => write!(s, ": [[f64; {c}]; {r}]").unwrap(),
            Ty::Slice(_) => s.push_str(": &[f64]"),
        }
    }
    s.push_str("| {\n");
    for st in &case.body {
        show_s(st, BODY_LEVEL + 1, &mut s);
    }
    indent(BODY_LEVEL + 1, &mut s);
    show_top(&case.out, &mut s);
    s.push('\n');
    indent(BODY_LEVEL, &mut s);
    s.push('}');
    s
}

fn list(vals: &[f64]) -> String {
    let items: Vec<String> = vals.iter().map(|v| format!("{v:?}")).collect();
    format!("[{}]", items.join(", "))
}

/// The point as `compare!` takes it: `[f64; N]` when every parameter is a
/// scalar, a lone non-scalar parameter's value alone, else a tuple.
fn point(case: &Case) -> String {
    let mut parts = Vec::new();
    let mut at = 0;
    for p in &case.params {
        let len = p.ty.flat_len();
        let vals = &case.point[at..at + len];
        at += len;
        parts.push(match p.ty {
            Ty::Scalar { .. } => format!("{:?}", vals[0]),
            Ty::Array(_) => list(vals),
            Ty::Slice(_) => format!("vec!{}", list(vals)),
            Ty::Nested(_, c) => {
                let rows: Vec<String> = vals.chunks(c).map(list).collect();
                format!("[{}]", rows.join(", "))
            }
        });
    }
    if case
        .params
        .iter()
        .all(|p| matches!(p.ty, Ty::Scalar { .. }))
    {
        format!("[{}]", parts.join(", "))
    } else if parts.len() == 1 {
        parts.pop().unwrap()
    } else {
        format!("({})", parts.join(", "))
    }
}

/// Every name a case reads, for declaring the captured data it uses.
fn names(case: &Case) -> Vec<String> {
    fn i(e: &I, out: &mut Vec<String>) {
        match e {
            I::Lit(_) => {}
            I::Var(n) | I::Len(n) => out.push(n.clone()),
            I::Op(_, a, b) => {
                i(a, out);
                i(b, out);
            }
        }
    }
    fn e(x: &E, out: &mut Vec<String>) {
        match x {
            E::Lit(_) => {}
            E::Var(n) => out.push(n.clone()),
            E::Index(n, idx) => {
                out.push(n.clone());
                idx.iter().for_each(|k| i(k, out));
            }
            E::AsF64(k) => i(k, out),
            E::Un(_, a) => e(a, out),
            E::Powi(a, p) => {
                e(a, out);
                if let Pow::Int(k) = p {
                    i(k, out);
                }
            }
            E::Bin(_, a, b) | E::Powf(a, b) | E::Max(a, b) | E::Min(a, b) => {
                e(a, out);
                e(b, out);
            }
            E::Clamp(a, b, d) => {
                e(a, out);
                e(b, out);
                e(d, out);
            }
            E::If(cc, a, b) => {
                c(cc, out);
                e(a, out);
                e(b, out);
            }
            E::Call { inlined, .. } => e(inlined, out),
        }
    }
    fn c(x: &C, out: &mut Vec<String>) {
        match x {
            C::F(_, a, b) => {
                e(a, out);
                e(b, out);
            }
            C::I(_, a, b) => {
                i(a, out);
                i(b, out);
            }
            C::And(a, b) | C::Or(a, b) => {
                c(a, out);
                c(b, out);
            }
            C::Not(a) => c(a, out),
        }
    }
    fn s(x: &S, out: &mut Vec<String>) {
        match x {
            S::Let { e: v, .. } => e(v, out),
            S::LetInt { e: v, .. } => i(v, out),
            S::LetArr { elems, .. } => elems.iter().for_each(|v| e(v, out)),
            S::LetFill { .. } => {}
            S::Assign { idx, e: v, .. } => {
                idx.iter().for_each(|k| i(k, out));
                e(v, out);
            }
            S::For { range, body, .. } => {
                i(&range.lo, out);
                i(&range.hi, out);
                body.iter().for_each(|b| s(b, out));
            }
            S::If { arms, els } => {
                for (cc, body) in arms {
                    c(cc, out);
                    body.iter().for_each(|b| s(b, out));
                }
                els.iter().flatten().for_each(|b| s(b, out));
            }
        }
    }
    let mut out = Vec::new();
    case.body.iter().for_each(|b| s(b, &mut out));
    e(&case.out, &mut out);
    out
}

/// The `let`s of the captured data a case uses.
fn captures(case: &Case) -> String {
    let used = names(case);
    let uses = |n: &str| used.iter().any(|u| u == n);
    let mut s = String::new();
    if uses("xs") {
        let rows: Vec<String> = case.cap.xs.iter().map(|r| list(r)).collect();
        writeln!(s, "        let xs = [{}];", rows.join(", ")).unwrap();
    }
    if uses("ys") {
        writeln!(s, "        let ys = vec!{};", list(&case.cap.ys)).unwrap();
    }
    if uses("n") {
        writeln!(s, "        let n: usize = {};", case.cap.n).unwrap();
    }
    if uses("k0") {
        writeln!(s, "        let k0 = {:?};", case.cap.k0).unwrap();
    }
    s
}

/// The text of corpus file `index` (0-based), named `program_corpus_{index + 1}.rs`.
pub fn file(index: usize) -> String {
    file_of(&cases(), index)
}

fn file_of(all: &[Case], index: usize) -> String {
    let mut s = format!(
        "//! GENERATED by `tests/corpus/programs.rs` (seed {SEED:#x}), file {} of {FILES}: do not edit.\n\
         //! Regenerate with `cargo test --test program_corpus_fresh -- --ignored`;\n\
         //! `program_corpus_fresh` fails when this file is stale.\n\
         //!\n\
         //! Each case is a `grad!` program (loops, arrays, slices, branches,\n\
         //! captured data) and asserts that `grad!` and the `Value` graph agree\n\
         //! within `REL` and that both match a central finite difference within\n\
         //! `FD`; see `tests/corpus/program_tolerances.rs` for why those bounds.\n\
         \n\
         #[path = \"corpus/program_tolerances.rs\"]\n\
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
        s.push_str(&captures(case));
        writeln!(
            s,
            "        assert_grad!({}, {}, rel = REL, fd = FD);",
            closure(case),
            point(case)
        )
        .unwrap();
        s.push_str("    }\n");
    }
    s.push_str("}\n");
    s
}

/// Every corpus file's text, generating the cases once.
pub fn files() -> Vec<String> {
    let all = cases();
    (0..FILES).map(|i| file_of(&all, i)).collect()
}

/// The path of corpus file `index` relative to the package root.
pub fn path(index: usize) -> String {
    format!("tests/program_corpus_{}.rs", index + 1)
}

// ------------------------------------------- an engine on the evaluator

/// A reverse-mode engine the evaluator can run on: [`Num`] plus a way to
/// take the gradient of a function of the flat point.
pub trait Engine: Num {
    /// The gradient of `f` at `point`, one entry per flat coordinate.
    fn gradient(point: &[f64], f: &dyn Fn(&[Self]) -> Self) -> Vec<f64>;
}

/// For every case, the largest disagreement `|a - b| / max(|a|, |b|, 1)`
/// between `T`'s gradient of the evaluator and a central difference of the
/// f64 evaluator (step `cbrt(eps) * max(1, |x|)`, as `micrograd::check`).
/// This checks the corpus without the macro: run on `micrograd::Value` it
/// says the checks above keep every case where a finite difference can
/// judge it.
pub fn engine_vs_fd<T: Engine>() -> Vec<f64> {
    cases()
        .iter()
        .map(|case| {
            let grad = T::gradient(&case.point, &|x: &[T]| run(case, x).0);
            let f = |p: &[f64]| run::<f64>(case, p).0;
            (0..case.point.len())
                .map(|i| {
                    let x = case.point[i];
                    let h = f64::EPSILON.cbrt() * x.abs().max(1.0);
                    let (mut up, mut down) = (case.point.clone(), case.point.clone());
                    up[i] = x + h;
                    down[i] = x - h;
                    let fd = (f(&up) - f(&down)) / (up[i] - down[i]);
                    (grad[i] - fd).abs() / grad[i].abs().max(fd.abs()).max(1.0)
                })
                .fold(0.0, f64::max)
        })
        .collect()
}

// ------------------------------------------------------------ coverage

/// Every construct the coverage test counts, in the order it reports them.
pub const CONSTRUCTS: &[&str] = &[
    "param f64",
    "param [f64; N]",
    "param [[f64; M]; N]",
    "param &[f64]",
    "point [f64; N] of scalars",
    "point tuple",
    "point lone array or slice",
    "captured xs[i][j]",
    "captured ys (Vec)",
    "captured n: usize",
    "captured k0: f64",
    "for 0..N",
    "for 0..n",
    "for 0..a.len()",
    "for (a..b).rev()",
    "for a..=b",
    "for bounded by an outer integer",
    "loop nested 2 deep",
    "loop nested 3 deep",
    "let",
    "let: f64",
    "let mut",
    "let (integer)",
    "let: usize",
    "=",
    "+=",
    "-=",
    "*=",
    "/=",
    "horner p = p * x + c[i]",
    "let mut h = [0.0; N]",
    "array literal",
    "h[i] =",
    "h[i] op=",
    "h[i] = h[i] * ..",
    "a[i][j]",
    "i as f64",
    "a.len() as f64",
    "integer +",
    "integer -",
    "integer *",
    "integer %",
    "powi(literal)",
    "powi(k as i32)",
    "if statement",
    "else if",
    "else",
    "if expression",
    "<",
    "<=",
    ">",
    ">=",
    "==",
    "!=",
    "&&",
    "||",
    "!",
    "integer comparison",
    "max",
    "min",
    "clamp",
    "neg",
    "exp",
    "ln",
    "sqrt",
    "tanh",
    "sin",
    "cos",
    "abs",
    "relu",
    "sigmoid",
    "+",
    "-",
    "*",
    "/",
    "powf",
];

#[derive(Default)]
struct Counts(BTreeMap<&'static str, usize>);

impl Counts {
    fn add(&mut self, name: &'static str) {
        assert!(CONSTRUCTS.contains(&name), "unlisted construct {name}");
        *self.0.entry(name).or_default() += 1;
    }

    fn i(&mut self, e: &I) {
        if let I::Op(op, a, b) = e {
            self.add(match op {
                IOp::Add => "integer +",
                IOp::Sub => "integer -",
                IOp::Mul => "integer *",
                IOp::Rem => "integer %",
            });
            self.i(a);
            self.i(b);
        }
    }

    fn e(&mut self, x: &E) {
        match x {
            E::Lit(_) | E::Var(_) => {}
            E::Index(_, idx) => {
                if idx.len() == 2 {
                    self.add("a[i][j]");
                }
                idx.iter().for_each(|k| self.i(k));
            }
            E::AsF64(k) => {
                self.add(if matches!(k, I::Len(_)) {
                    "a.len() as f64"
                } else {
                    "i as f64"
                });
                self.i(k);
            }
            E::Un(op, a) => {
                self.add(method(*op));
                self.e(a);
            }
            E::Bin(op, a, b) => {
                self.add(match op {
                    Bin::Add => "+",
                    Bin::Sub => "-",
                    Bin::Mul => "*",
                    Bin::Div => "/",
                });
                self.e(a);
                self.e(b);
            }
            E::Powi(a, p) => {
                match p {
                    Pow::Lit(_) => self.add("powi(literal)"),
                    Pow::Int(k) => {
                        self.add("powi(k as i32)");
                        self.i(k);
                    }
                }
                self.e(a);
            }
            E::Powf(a, b) | E::Max(a, b) | E::Min(a, b) => {
                self.add(match x {
                    E::Powf(..) => "powf",
                    E::Max(..) => "max",
                    _ => "min",
                });
                self.e(a);
                self.e(b);
            }
            E::Clamp(a, b, d) => {
                self.add("clamp");
                self.e(a);
                self.e(b);
                self.e(d);
            }
            E::If(cc, a, b) => {
                self.add("if expression");
                self.c(cc);
                self.e(a);
                self.e(b);
            }
            E::Call { inlined, .. } => self.e(inlined),
        }
    }

    fn c(&mut self, x: &C) {
        let cmp = |op: Cmp| match op {
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
            Cmp::Eq => "==",
            Cmp::Ne => "!=",
        };
        match x {
            C::F(op, a, b) => {
                self.add(cmp(*op));
                self.e(a);
                self.e(b);
            }
            C::I(_, a, b) => {
                self.add("integer comparison");
                self.i(a);
                self.i(b);
            }
            C::And(a, b) | C::Or(a, b) => {
                self.add(if matches!(x, C::And(..)) { "&&" } else { "||" });
                self.c(a);
                self.c(b);
            }
            C::Not(a) => {
                self.add("!");
                self.c(a);
            }
        }
    }

    fn s(&mut self, x: &S, depth: usize) {
        match x {
            S::Let {
                mutable, typed, e, ..
            } => {
                self.add(if *mutable { "let mut" } else { "let" });
                if *typed {
                    self.add("let: f64");
                }
                self.e(e);
            }
            S::LetInt { typed, e, .. } => {
                self.add("let (integer)");
                if *typed {
                    self.add("let: usize");
                }
                self.i(e);
            }
            S::LetArr { elems, .. } => {
                self.add("array literal");
                elems.iter().for_each(|v| self.e(v));
            }
            S::LetFill { .. } => self.add("let mut h = [0.0; N]"),
            S::Assign { name, idx, op, e } => {
                self.add(match op {
                    None => "=",
                    Some(Bin::Add) => "+=",
                    Some(Bin::Sub) => "-=",
                    Some(Bin::Mul) => "*=",
                    Some(Bin::Div) => "/=",
                });
                if !idx.is_empty() {
                    self.add(if op.is_some() { "h[i] op=" } else { "h[i] =" });
                    if op.is_none()
                        && matches!(e, E::Bin(Bin::Mul, a, _) if matches!(&**a, E::Index(n, _) if n == name))
                    {
                        self.add("h[i] = h[i] * ..");
                    }
                }
                let horner = |a: &E, c: &E| {
                    matches!(a, E::Bin(Bin::Mul, p, _) if matches!(&**p, E::Var(n) if n == name))
                        && matches!(c, E::Index(..))
                };
                if op.is_none() && matches!(e, E::Bin(Bin::Add, a, c) if horner(a, c)) {
                    self.add("horner p = p * x + c[i]");
                }
                idx.iter().for_each(|k| self.i(k));
                self.e(e);
            }
            S::For { range, body, .. } => {
                match depth {
                    0 => {}
                    1 => self.add("loop nested 2 deep"),
                    _ => self.add("loop nested 3 deep"),
                }
                let bounded_by_var = [&range.lo, &range.hi]
                    .iter()
                    .any(|b| matches!(b, I::Var(v) if v != "n"));
                self.add(match (&range.kind, &range.lo, &range.hi) {
                    _ if bounded_by_var => "for bounded by an outer integer",
                    (RangeKind::Rev, ..) => "for (a..b).rev()",
                    (RangeKind::Incl, ..) => "for a..=b",
                    (_, _, I::Var(_)) => "for 0..n",
                    (_, _, I::Len(_)) => "for 0..a.len()",
                    _ => "for 0..N",
                });
                self.i(&range.lo);
                self.i(&range.hi);
                body.iter().for_each(|b| self.s(b, depth + 1));
            }
            S::If { arms, els } => {
                self.add("if statement");
                for (k, (cc, body)) in arms.iter().enumerate() {
                    if k > 0 {
                        self.add("else if");
                    }
                    self.c(cc);
                    body.iter().for_each(|b| self.s(b, depth));
                }
                if let Some(body) = els {
                    self.add("else");
                    body.iter().for_each(|b| self.s(b, depth));
                }
            }
        }
    }
}

/// How many times each of [`CONSTRUCTS`] appears over the whole corpus
/// (parameters, points and captures: once per case that has them), and
/// the number of cases.
pub fn coverage() -> (Vec<(&'static str, usize)>, usize) {
    let all = cases();
    let mut c = Counts::default();
    for case in &all {
        for p in &case.params {
            c.add(match p.ty {
                Ty::Scalar { .. } => "param f64",
                Ty::Array(_) => "param [f64; N]",
                Ty::Nested(..) => "param [[f64; M]; N]",
                Ty::Slice(_) => "param &[f64]",
            });
        }
        let pt = point(case);
        c.add(
            if case
                .params
                .iter()
                .all(|p| matches!(p.ty, Ty::Scalar { .. }))
            {
                "point [f64; N] of scalars"
            } else if pt.starts_with('(') {
                "point tuple"
            } else {
                "point lone array or slice"
            },
        );
        let caps = captures(case);
        for (decl, name) in [
            ("let xs", "captured xs[i][j]"),
            ("let ys", "captured ys (Vec)"),
            ("let n", "captured n: usize"),
            ("let k0", "captured k0: f64"),
        ] {
            if caps.contains(decl) {
                c.add(name);
            }
        }
        case.body.iter().for_each(|s| c.s(s, 0));
        c.e(&case.out);
    }
    let counts = CONSTRUCTS
        .iter()
        .map(|&name| (name, c.0.get(name).copied().unwrap_or(0)))
        .collect();
    (counts, all.len())
}

// ------------------------------------- calls of generated helpers (issue 16)

/// The seed of `tests/program_corpus_calls.rs`.
pub const CALLS_SEED: u64 = 0x6d67_5f63_616c_6c73;
/// Cases in `tests/program_corpus_calls.rs`.
pub const CALLS: usize = 60;

/// The path of the calls corpus relative to the package root.
pub fn calls_path() -> String {
    "tests/program_corpus_calls.rs".into()
}

/// A generated helper: `#[differentiable] fn name(params) -> f64 { body }`.
struct Helper {
    name: String,
    params: Vec<(String, String)>,
    body: E,
}

/// What a subexpression reads, if it can become a helper's body: no loop
/// variable or integer `let` (a helper's parameters are numbers and
/// arrays), no local array, no earlier call, and only real `f64` methods
/// (`relu` and `sigmoid` are `grad!` ops, not methods of `f64`, and a
/// helper's body is ordinary Rust too).
fn outlineable(
    e: &E,
    arrays: &dyn Fn(&str) -> Option<ArgKind>,
    out: &mut Vec<(String, ArgKind)>,
) -> bool {
    fn note(out: &mut Vec<(String, ArgKind)>, name: &str, kind: ArgKind) {
        if !out.iter().any(|(n, _)| n == name) {
            out.push((name.to_owned(), kind));
        }
    }
    fn int(
        i: &I,
        arrays: &dyn Fn(&str) -> Option<ArgKind>,
        out: &mut Vec<(String, ArgKind)>,
    ) -> bool {
        match i {
            I::Lit(_) => true,
            I::Var(_) => false,
            I::Len(n) => match arrays(n) {
                Some(kind) => {
                    note(out, n, kind);
                    true
                }
                None => false,
            },
            I::Op(_, a, b) => int(a, arrays, out) && int(b, arrays, out),
        }
    }
    fn cond(
        c: &C,
        arrays: &dyn Fn(&str) -> Option<ArgKind>,
        out: &mut Vec<(String, ArgKind)>,
    ) -> bool {
        match c {
            C::F(_, a, b) => outlineable(a, arrays, out) && outlineable(b, arrays, out),
            C::I(_, a, b) => int(a, arrays, out) && int(b, arrays, out),
            C::And(a, b) | C::Or(a, b) => cond(a, arrays, out) && cond(b, arrays, out),
            C::Not(a) => cond(a, arrays, out),
        }
    }
    // A method of a literal-only receiver (`(0.25).sin()`) does not compile
    // in a plain function body (`{float}` has no methods); `grad!` folds it.
    fn named(e: &E) -> bool {
        let mut found = Vec::new();
        names_of(e, &mut found);
        !found.is_empty()
    }
    let receiver_ok = match e {
        E::Un(Un::Neg, _) => true,
        E::Un(_, a)
        | E::Powi(a, _)
        | E::Powf(a, _)
        | E::Max(a, _)
        | E::Min(a, _)
        | E::Clamp(a, _, _) => named(a),
        _ => true,
    };
    if !receiver_ok {
        return false;
    }
    match e {
        E::Lit(_) => true,
        E::Var(n) => {
            note(out, n, ArgKind::Scalar);
            true
        }
        E::Index(n, idx) => match arrays(n) {
            Some(kind) => {
                note(out, n, kind);
                idx.iter().all(|i| int(i, arrays, out))
            }
            None => false,
        },
        E::AsF64(i) => int(i, arrays, out),
        E::Un(Un::Relu | Un::Sigmoid, _) => false,
        E::Un(_, a) => outlineable(a, arrays, out),
        E::Powi(a, Pow::Lit(_)) => outlineable(a, arrays, out),
        E::Powi(a, Pow::Int(k)) => outlineable(a, arrays, out) && int(k, arrays, out),
        E::Bin(_, a, b) | E::Powf(a, b) | E::Max(a, b) | E::Min(a, b) => {
            outlineable(a, arrays, out) && outlineable(b, arrays, out)
        }
        E::Clamp(a, b, d) => {
            outlineable(a, arrays, out)
                && outlineable(b, arrays, out)
                && outlineable(d, arrays, out)
        }
        E::If(c, a, b) => {
            cond(c, arrays, out) && outlineable(a, arrays, out) && outlineable(b, arrays, out)
        }
        E::Call { .. } => false,
    }
}

/// Whether `e` is an operation (a helper of a lone name would be trivial).
fn is_op(e: &E) -> bool {
    !matches!(e, E::Lit(_) | E::Var(_) | E::Index(..) | E::AsF64(_))
}

/// Visits the subexpressions of `e` in preorder; `f` may replace one (and
/// returns true when it did, which ends the walk).
fn visit_mut(e: &mut E, f: &mut dyn FnMut(&mut E) -> bool) -> bool {
    if f(e) {
        return true;
    }
    match e {
        E::Lit(_) | E::Var(_) | E::Index(..) | E::AsF64(_) | E::Call { .. } => false,
        E::Un(_, a) | E::Powi(a, _) => visit_mut(a, f),
        E::Bin(_, a, b) | E::Powf(a, b) | E::Max(a, b) | E::Min(a, b) => {
            visit_mut(a, f) || visit_mut(b, f)
        }
        E::Clamp(a, b, d) => visit_mut(a, f) || visit_mut(b, f) || visit_mut(d, f),
        E::If(_, a, b) => visit_mut(a, f) || visit_mut(b, f),
    }
}

/// The expressions of a case's statements and its result.
fn case_exprs(case: &mut Case) -> Vec<&mut E> {
    fn stmts<'a>(body: &'a mut [S], out: &mut Vec<&'a mut E>) {
        for s in body {
            match s {
                S::Let { e, .. } | S::Assign { e, .. } => out.push(e),
                S::LetArr { elems, .. } => out.extend(elems.iter_mut()),
                S::For { body, .. } => stmts(body, out),
                S::If { arms, els } => {
                    for (_, b) in arms.iter_mut() {
                        stmts(b, out);
                    }
                    if let Some(b) = els {
                        stmts(b, out);
                    }
                }
                S::LetInt { .. } | S::LetFill { .. } => {}
            }
        }
    }
    let mut out = Vec::new();
    stmts(&mut case.body, &mut out);
    out.push(&mut case.out);
    out
}

/// Replaces the `pick`-th outlineable operation (preorder, counting from
/// 0) of `e` by a call of a new helper `name`; returns the helper.
fn outline_one(
    e: &mut E,
    pick: usize,
    name: &str,
    in_helper: bool,
    arrays: &dyn Fn(&str) -> Option<ArgKind>,
    types: &dyn Fn(&str, ArgKind) -> String,
) -> Option<Helper> {
    let mut seen = 0;
    let mut made = None;
    visit_mut(e, &mut |sub| {
        let mut args = Vec::new();
        if !is_op(sub) || !outlineable(sub, arrays, &mut args) || args.is_empty() {
            return false;
        }
        if seen < pick {
            seen += 1;
            return false;
        }
        let body = std::mem::replace(sub, E::Lit(0.0));
        *sub = E::Call {
            name: name.to_owned(),
            args: args.clone(),
            in_helper,
            inlined: Box::new(body.clone()),
        };
        made = Some(Helper {
            name: name.to_owned(),
            params: args
                .iter()
                .map(|(n, k)| (n.clone(), types(n, *k)))
                .collect(),
            body,
        });
        true
    });
    made
}

/// The cases of the calls corpus: programs of the main generator (same
/// acceptance checks, another seed) with one or two subexpressions moved
/// into generated `#[differentiable]` helpers, and sometimes a part of a
/// helper's body moved into a second helper that the first one calls.
fn calls_cases() -> Vec<(Case, Vec<Helper>)> {
    let mut g = Gen {
        rng: Rng(CALLS_SEED),
        floats: Vec::new(),
        arrays: Vec::new(),
        ints: Vec::new(),
        n: 2,
        next_t: 0,
        next_h: 0,
        next_q: 0,
        depth: 0,
        in_cond: false,
    };
    let mut out = Vec::new();
    while out.len() < CALLS {
        let mut case = g.case();
        if !acceptable(&case) {
            continue;
        }
        let k = out.len();
        let params: Vec<(String, Ty)> = case
            .params
            .iter()
            .map(|p| (p.name.to_owned(), p.ty))
            .collect();
        let xs_rows = case.cap.xs.len();
        let arrays = |n: &str| -> Option<ArgKind> {
            match n {
                "xs" => Some(ArgKind::Array),
                "ys" => Some(ArgKind::Vec),
                _ => params
                    .iter()
                    .find(|(p, _)| p == n)
                    .and_then(|(_, ty)| match ty {
                        Ty::Scalar { .. } => None,
                        Ty::Array(_) | Ty::Nested(..) => Some(ArgKind::Array),
                        Ty::Slice(_) => Some(ArgKind::Slice),
                    }),
            }
        };
        let types = |n: &str, kind: ArgKind| -> String {
            match (n, kind) {
                (_, ArgKind::Scalar) => "f64".into(),
                ("xs", _) => format!("&[[f64; 2]; {xs_rows}]"),
                (_, ArgKind::Slice | ArgKind::Vec) => "&[f64]".into(),
                _ => match params.iter().find(|(p, _)| p == n).map(|(_, t)| *t) {
                    Some(Ty::Array(len)) => format!("&[f64; {len}]"),
                    Some(Ty::Nested(r, c)) => format!("&[[f64; {c}]; {r}]"),
                    _ => "f64".into(),
                },
            }
        };
        let mut helpers = Vec::new();
        let wanted = 1 + g.rng.below(2);
        for j in 0..wanted {
            let name = format!("h{k:02}_{j}");
            let exprs = case_exprs(&mut case);
            let count = exprs.len();
            let start = g.rng.below(count);
            let pick = g.rng.below(3);
            let mut made = None;
            let mut exprs = exprs;
            exprs.rotate_left(start);
            for e in exprs.into_iter().take(count) {
                made = outline_one(e, pick, &name, false, &arrays, &types)
                    .or_else(|| outline_one(e, 0, &name, false, &arrays, &types));
                if made.is_some() {
                    break;
                }
            }
            let Some(mut helper) = made else { break };
            // Sometimes part of the helper's body becomes a helper it calls.
            if g.rng.chance(0.5) {
                let inner_name = format!("{name}_inner");
                let local = |n: &str| -> Option<ArgKind> {
                    helper
                        .params
                        .iter()
                        .find(|(p, _)| p == n)
                        .and_then(|(p, _)| arrays(p))
                };
                let mut body = helper.body.clone();
                let mut inner = None;
                if let E::Un(_, a)
                | E::Powi(a, _)
                | E::Bin(_, a, _)
                | E::Powf(a, _)
                | E::Max(a, _)
                | E::Min(a, _)
                | E::Clamp(a, _, _)
                | E::If(_, a, _) = &mut body
                {
                    inner = outline_one(a, 0, &inner_name, true, &local, &types);
                }
                if let Some(inner) = inner {
                    helper.body = body;
                    helpers.push(inner);
                }
            }
            helpers.push(helper);
        }
        if !helpers.is_empty() {
            out.push((case, helpers));
        }
    }
    out
}

/// The text of `tests/program_corpus_calls.rs`.
pub fn calls_file() -> String {
    let mut s = format!(
        "//! GENERATED by `tests/corpus/programs.rs` (seed {CALLS_SEED:#x}): do not edit.\n\
         //! Regenerate with `cargo test --test program_corpus_fresh -- --ignored`;\n\
         //! `program_corpus_fresh` fails when this file is stale.\n\
         //!\n\
         //! Issue 16: programs of the program corpus's generator in which one or\n\
         //! two subexpressions became generated `#[differentiable]` helper\n\
         //! functions (some calling a second helper), with number, array,\n\
         //! slice and captured-data arguments, inside loops and branches too.\n\
         //! Each case asserts that `grad!` and the `Value` graph agree within\n\
         //! `REL` and that both match a central finite difference within `FD`.\n\
         \n\
         #[path = \"corpus/program_tolerances.rs\"]\n\
         mod tolerances;\n\
         \n\
         // The helpers' bodies are printed as the corpus prints expressions,\n\
         // with parentheses everywhere.\n\
         #[rustfmt::skip]\n\
         #[allow(unused_parens, clippy::all)]\n\
         mod cases {{\n    \
         use super::tolerances::{{FD, REL}};\n    \
         use micrograd::{{assert_grad, differentiable}};\n"
    );
    for (k, (case, helpers)) in calls_cases().iter().enumerate() {
        for h in helpers {
            let params: Vec<String> = h.params.iter().map(|(n, t)| format!("{n}: {t}")).collect();
            let mut body = String::new();
            show_top(&h.body, &mut body);
            write!(
                s,
                "\n    #[differentiable]\n    fn {}({}) -> f64 {{\n        {body}\n    }}\n",
                h.name,
                params.join(", ")
            )
            .unwrap();
        }
        write!(s, "\n    #[test]\n    fn case_{k:03}() {{\n").unwrap();
        s.push_str(&captures(case));
        writeln!(
            s,
            "        assert_grad!({}, {}, rel = REL, fd = FD);",
            closure(case),
            point(case)
        )
        .unwrap();
        s.push_str("    }\n");
    }
    s.push_str("}\n");
    s
}

/// The names an expression reads (scalars, arrays, integers).
fn names_of(x: &E, out: &mut Vec<String>) {
    let case = Case {
        params: Vec::new(),
        cap: Captures {
            k0: 0.0,
            n: 0,
            xs: Vec::new(),
            ys: Vec::new(),
        },
        body: Vec::new(),
        out: x.clone(),
        results: Vec::new(),
        point: Vec::new(),
    };
    out.extend(names(&case));
}
