//! The generator of the verification corpus `tests/compare_corpus_*.rs`.
//!
//! Seeded and dependency-free (its own SplitMix64), so the same source
//! always produces the same files: `tests/compare_corpus_fresh.rs`
//! regenerates them in memory and fails if the checked-in copies are stale;
//! `cargo test --test compare_corpus_fresh -- --ignored` rewrites them.
//!
//! Each case is a random closure of 1 to 4 parameters over every op of
//! `OPS.md`, with `let` bindings, `let mut` updated by `=`, `+=`, `-=`,
//! `*=`, `/=`, reused bindings (fan-out), literals (integer ones too),
//! captured locals and captured paths, at a random point. The generator
//! evaluates each candidate itself and keeps it only when, at the point and
//! at every coordinate moved by +-1e-3 (about 160 finite-difference steps):
//! - every `ln`/`sqrt` argument and `powf` base is at least 0.05, and every
//!   divisor at least 0.1 in magnitude (inside the domain, away from poles);
//! - every `relu`/`abs` argument keeps its sign and is at least 0.02 from 0
//!   at the point (away from kinks);
//! - every intermediate value is finite and at most 100 in magnitude (no
//!   overflowing `exp` chains, so finite-difference rounding stays small).
//!
//! Domain-limited ops get arguments that are positive by construction most
//! of the time (`e.exp()`, `e * e + 0.5`, `e.sigmoid()`), and the checks
//! above reject the rest.

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

/// What evaluating a case saw: kink arguments, domain arguments, divisors
/// and the largest magnitude.
#[derive(Default)]
struct Seen {
    kinks: Vec<f64>,
    domain: Vec<f64>,
    divisors: Vec<f64>,
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
    pub lets: usize,
    pub let_muts: usize,
    pub assigns: [usize; 5],
    pub captured_locals: usize,
    pub captured_paths: usize,
    pub int_literals: usize,
    pub fan_out: usize,
    pub cases: usize,
}

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

    fn expr(&mut self, depth: usize) -> E {
        if depth == 0 || self.rng.chance(0.25) {
            return self.leaf();
        }
        let d = depth - 1;
        // 10 unary ops, 4 binary, powi, powf: 16 kinds, as in OPS.md.
        match self.rng.below(16) {
            k @ 0..=9 => {
                let op = UNARY[k];
                let arg = match op {
                    Un::Ln | Un::Sqrt => self.positive(d),
                    _ => self.expr(d),
                };
                E::Un(op, Box::new(arg))
            }
            k @ 10..=13 => E::Bin(
                BINARY[k - 10],
                Box::new(self.expr(d)),
                Box::new(self.expr(d)),
            ),
            14 => E::Powi(
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

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
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
                    seen.kinks.push(a);
                    a.abs()
                }
                Un::Relu => {
                    seen.kinks.push(a);
                    a.max(0.0)
                }
                Un::Sigmoid => sigmoid(a),
            }
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
        E::Lit(..) | E::Cap(_) => false,
        E::Un(_, a) | E::Powi(a, _) => mentions_param(a),
        E::Bin(_, a, b) | E::Powf(a, b) => mentions_param(a) || mentions_param(b),
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
            && s.largest <= 100.0
            && s.domain.iter().all(|&a| a >= 0.05)
            && s.divisors.iter().all(|&d| d.abs() >= 0.1)
    };
    if !ok(&at) || at.kinks.iter().any(|k| k.abs() < 0.02) {
        return false;
    }
    for i in 0..case.params {
        for delta in [-1e-3, 1e-3] {
            let mut p = case.point.clone();
            p[i] += delta;
            let moved = eval_case(case, &p);
            let same_signs = moved.kinks.len() == at.kinks.len()
                && moved
                    .kinks
                    .iter()
                    .zip(&at.kinks)
                    .all(|(a, b)| (*a > 0.0) == (*b > 0.0));
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
            write!(out, ".{}()", format!("{op:?}").to_lowercase()).unwrap();
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
            E::Param(_) | E::Var(_) | E::Lit(..) => false,
            E::Un(_, a) | E::Powi(a, _) => walk(a, i),
            E::Bin(_, a, b) | E::Powf(a, b) => walk(a, i) || walk(b, i),
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
            E::Un(op, a) => {
                c.unary.iter_mut().find(|(u, _)| u == op).unwrap().1 += 1;
                walk(a, c);
            }
            E::Bin(op, a, b) => {
                c.binary.iter_mut().find(|(u, _)| u == op).unwrap().1 += 1;
                walk(a, c);
                walk(b, c);
            }
            E::Powi(a, _) => {
                c.powi += 1;
                walk(a, c);
            }
            E::Powf(a, b) => {
                if matches!(**b, E::Lit(..)) {
                    c.powf_const_exp += 1;
                } else {
                    c.powf_var_exp += 1;
                }
                walk(a, c);
                walk(b, c);
            }
        }
    }
    fn var_uses(e: &E, counts: &mut Vec<usize>) {
        match e {
            E::Var(i) => counts[*i] += 1,
            E::Param(_) | E::Lit(..) | E::Cap(_) => {}
            E::Un(_, a) | E::Powi(a, _) => var_uses(a, counts),
            E::Bin(_, a, b) | E::Powf(a, b) => {
                var_uses(a, counts);
                var_uses(b, counts);
            }
        }
    }
    let mut c = Coverage {
        unary: UNARY.iter().map(|&u| (u, 0)).collect(),
        binary: BINARY.iter().map(|&b| (b, 0)).collect(),
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
