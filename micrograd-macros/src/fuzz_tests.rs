//! Property test of issue 12: the five expansion functions never panic.
//!
//! `expand::{grad, grad_code, grad_dot}` and `compare::{compare,
//! assert_grad}` are driven as library functions over `proc_macro2` tokens
//! with two kinds of random input:
//!
//! 1. random token trees: idents and keywords of the grammar and around it,
//!    punctuation, odd literals (`1e999`, `usize::MAX`, `-3`, `"s"`) and
//!    `( )`, `[ ]`, `{ }` and invisible groups nested up to four deep,
//!    sometimes after a parameter list such as `|w: [f64; 3]|` so that the
//!    soup gets past the closure parser;
//! 2. mutations of `PROGRAMS`, 30 valid programs of the language of issue
//!    12: one to three edits, each dropping a token, swapping it with its
//!    neighbour, duplicating it, replacing it with a random token, or
//!    changing a group's delimiter, at any nesting depth;
//!
//! and, not random, every program unedited and with each single token
//! dropped. `compare!` and `assert_grad!` get the same input followed, most
//! of the time, by a point (`, [1.0, 2.0]`, `, ([1.0, 2.0], 0.5)`, or the
//! program's own) and sometimes by an option (`, rel = 1e-9`), edited
//! along with the closure.
//!
//! The property, for every input and each of the five functions: the call
//! does not panic (it runs under `catch_unwind`), and its output parses as
//! a Rust expression (`syn::Expr`): either generated code with no
//! `compile_error!` in it, or an expression that carries at least one
//! `compile_error!` with a non-empty message (the spanned error the user
//! sees). Spans cannot be checked here: outside a compiler `proc_macro2`
//! has no source locations. A stack overflow or an endless loop would
//! abort or hang the test rather than fail it.
//!
//! Each random test runs 4000 cases by default, with a new seed each run;
//! the whole module takes about 5 s in a debug build on two cores. With
//! `--nocapture` each test prints how many outputs were code rather than
//! errors. For a longer search set `PROPTEST_CASES` (the case count of each
//! random test):
//!
//! ```text
//! cargo test -p micrograd-macros fuzz -- --nocapture
//! PROPTEST_CASES=100000 cargo test -p micrograd-macros --release fuzz -- --nocapture
//! ```
//!
//! Nothing is written to disk (`failure_persistence: None`): a failure
//! panics with the shrunk input, which then belongs in a unit test of the
//! stage at fault.

use proc_macro2::{Delimiter, Group, Spacing, TokenStream, TokenTree};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestRunner;
use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Valid programs of issue 12's language (`/tmp/spec.md` at the time of
/// writing), each with a point for `compare!` in the matching shape. The
/// macro of today rejects most of them; their mutations still have to come
/// back as a compile error, not a panic.
const PROGRAMS: &[(&str, &str)] = &[
    // Scalar formulas, today's grammar.
    ("|x, y| x * y + x.tanh()", "[1.0, 2.0]"),
    (
        "move |x: f64, y: f64| (x * y).exp() / (1.0 + y.powi(2))",
        "[0.5, -1.0]",
    ),
    (
        "|x, y| (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2)",
        "[-1.2, 1.0]",
    ),
    (
        "|x| x.powf(2.5) + x.ln() - core::f64::consts::PI * x.cos()",
        "[1.5]",
    ),
    (
        "move |a, b| { let mut c = a * b; c -= a / b; c /= 2.0; c.sigmoid() }",
        "[1.0, 3.0]",
    ),
    (
        "|x, y| { let z = { let t = x * y; t + 1.0 }; z.exp().sqrt() }",
        "[0.1, 0.2]",
    ),
    (
        "|x| (x * 2).tanh() + { let mut q = x; q += 1; q.abs() }",
        "[0.3]",
    ),
    // Array parameters, nested arrays, slices.
    ("|w: [f64; 3]| w[0] * w[1] + w[2].sin()", "[1.0, 2.0, 3.0]"),
    (
        "|t: [[[f64; 2]; 2]; 2]| t[0][1][1] * t[1][0][0] - t[1][1][1]",
        "[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]",
    ),
    (
        "|xs: &[f64]| { let mut s = 0.0; for i in 0..xs.len() { s += xs[i].powi(2); } s / xs.len() as f64 }",
        "vec![1.0, 2.0, 3.0]",
    ),
    // Loops: plain, nested, inclusive, reversed, over a captured length.
    (
        "|w: [f64; 3], b| { let mut s = b; for i in 0..3 { s += w[i] * XS[i]; } s.tanh() }",
        "([1.0, 2.0, 3.0], 0.5)",
    ),
    (
        "|m: [[f64; 2]; 3]| { let mut s = 0.0; for i in 0..3 { for j in 0..2 { s += m[i][j] * m[i][j]; } } s.sqrt() }",
        "[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]",
    ),
    (
        "|w: [f64; 4]| { let mut acc = 1.0; for i in (0..4).rev() { acc = acc * w[i] + 1.0; } acc }",
        "[1.0, 2.0, 3.0, 4.0]",
    ),
    (
        "|x| { let mut s = 0.0; for i in 0..=5 { s += x.powi(i as i32) / (i as f64 + 1.0); } s }",
        "[0.5]",
    ),
    (
        "|x| { let mut p = 1.0; for i in 0..3 { let j = i + 1; p *= x.powi(j as i32); } p }",
        "[1.1]",
    ),
    (
        "|w: [f64; 2], b: f64| { let mut loss = 0.0; for k in 0..n { let p = w[0] * xs[k][0] + w[1] * xs[k][1] + b; loss += (p - ys[k]).powi(2); } loss / n as f64 }",
        "([0.1, 0.2], 0.0)",
    ),
    (
        "|xs: &[f64], w| { let n = xs.len(); let mut s = 0.0; for i in 0..n { let d = xs[n - 1 - i] - w; s += d * d; } s }",
        "(vec![1.0, 2.0], 0.5)",
    ),
    (
        "|w: [f64; N]| { let mut s = 0.0; for i in 0..N { s += (i as f64) * w[i]; } s }",
        "[1.0; N]",
    ),
    (
        "|x| { let k: usize = 3; let mut y = x; for i in 0..k { y = y.sin() + 0.5 * (i as f64); } y }",
        "[0.7]",
    ),
    (
        "|p: [f64; 2]| { let mut x = p[0]; let mut y = p[1]; for i in 0..10 { let t = x; x = x - 0.1 * y; y = y + 0.1 * t; } x * x + y * y }",
        "[1.0, 0.0]",
    ),
    // Local arrays.
    (
        "|x| { let mut h = [0.0; 4]; h[0] = x; for i in 1..4 { h[i] = h[i - 1].tanh() * 2.0; } h[3] }",
        "[0.2]",
    ),
    (
        "|x, y| { let v = [x, y, x * y]; v[0] + v[1] * v[2] }",
        "[1.0, 2.0]",
    ),
    (
        "|x| { let mut a = [[0.0; 2]; 2]; a[0][0] = x; a[1][1] = x * x; a[0][1] = a[0][0] + a[1][1]; a[0][1] }",
        "[3.0]",
    ),
    (
        "|w: [[f64; 3]; 2], x: [f64; 3]| { let mut out = [0.0; 2]; for r in 0..2 { for c in 0..3 { out[r] += w[r][c] * x[c]; } out[r] = out[r].relu(); } out[0] + out[1] }",
        "([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [0.1, 0.2, 0.3])",
    ),
    // `if` statements and expressions, conditions.
    ("|x| if x > 0.0 { x * x } else { -x }", "[-2.0]"),
    (
        "|x, y| { let mut z = x; if x < y && y <= 2.0 { z += y; } else if !(x == y) { z *= 2.0; } else { z = 0.0; } z }",
        "[1.0, 1.5]",
    ),
    (
        "|x, y| { let a = if x >= y { x } else { y }; let b = if x != 0.0 || y > 1.0 { x.abs() } else { 1.0 }; a * b }",
        "[2.0, 3.0]",
    ),
    (
        "|x: f64, xs: &[f64]| { let mut s = x; for i in 0..xs.len() { if i % 2 == 0 { s = s + xs[i]; } else { s = s - xs[i] * x; } } s.sigmoid() }",
        "(0.5, vec![1.0, 2.0, 3.0])",
    ),
    // Selections.
    (
        "|x, y| x.max(y) + x.min(1.0) * y.clamp(-1.0, 1.0)",
        "[1.0, 1.0]",
    ),
    (
        "|w: [f64; 3]| { let mut m = w[0]; for i in 1..3 { m = m.max(w[i]); } m }",
        "[3.0, 1.0, 2.0]",
    ),
    // Calls of `#[differentiable]` functions (issue 16) and `f64::` paths.
    (
        "|x, w: [f64; 3]| { let mut s = f(x); for k in 0..2 { s += nn::g(&w, &xs[k], x); } s * h(w) }",
        "(1.0, [1.0, 2.0, 3.0])",
    ),
    (
        "|x, y| f64::exp(x) + f64::max(x, y) + sq(x - y)",
        "[1.0, 2.0]",
    ),
];

/// Tokens the random trees are made of, separated by spaces; each is lexed
/// on its own, so `+=` is two joint puncts and `usize::MAX` a path, as a
/// compiler would hand them over.
const ATOMS: &str = concat!(
    // Names, keywords and methods of the grammar, and a few outside it.
    "x y w b i j n xs N _ self for in if else let mut move as while loop break return match fn ",
    "f64 f32 usize i32 exp ln sqrt tanh relu sigmoid powi powf max min clamp len rev sinh vec ",
    // Punctuation.
    "| , ; : :: . .. ..= + - * / % = += -= *= /= < > <= >= == != && || ! & -> => # ? @ 'a ",
    // Literals.
    "0 1 3 2.5 1e999 0.0 -3 usize::MAX 18446744073709551616 1i32 2.0f32 \"s\" 'c' true",
);

fn atoms() -> Vec<&'static str> {
    ATOMS.split_whitespace().collect()
}

/// Parameter lists put in front of some random bodies, so that more of
/// them reach `lower` instead of stopping at the closure parser.
const HEADS: &[&str] = &[
    "",
    "|x|",
    "|x, y|",
    "move |x: f64|",
    "|w: [f64; 3]|",
    "|m: [[f64; 2]; 2], b|",
    "|xs: &[f64]|",
];

/// What may follow the closure in `compare!` / `assert_grad!` input.
const TAILS: &[&str] = &[
    ", [1.0]",
    ", [1.0, 2.0]",
    ", ([1.0, 2.0], 0.5)",
    ", vec![1.0]",
    ", p",
    ",",
    ", [1.0], rel = 1e-9",
    ", [1.0], fd = 1e-7, rel = 0.0,",
];

/// A token tree we can edit in place: `proc_macro2::Group`'s stream is
/// immutable, so groups are unpacked into their children.
#[derive(Clone, Debug)]
enum Node {
    Leaf(TokenTree),
    Group(Delimiter, Vec<Node>),
}

fn lex(src: &str) -> Vec<Node> {
    let tokens: TokenStream = src.parse().expect("test sources are valid tokens");
    unpack(tokens)
}

fn unpack(tokens: TokenStream) -> Vec<Node> {
    tokens
        .into_iter()
        .map(|token| match token {
            TokenTree::Group(g) => Node::Group(g.delimiter(), unpack(g.stream())),
            leaf => Node::Leaf(leaf),
        })
        .collect()
}

/// Back to tokens. A punct stays `Joint` only where a compiler could have
/// lexed it so (before another punct, or `'` before a lifetime's name):
/// after an edit `+=` may have become `+` followed by `x`.
fn pack(nodes: &[Node]) -> TokenStream {
    let mut out = Vec::with_capacity(nodes.len());
    for (k, node) in nodes.iter().enumerate() {
        out.push(match node {
            Node::Group(delimiter, children) => {
                TokenTree::Group(Group::new(*delimiter, pack(children)))
            }
            Node::Leaf(TokenTree::Punct(p)) if p.spacing() == Spacing::Joint => {
                let joins = match nodes.get(k + 1) {
                    Some(Node::Leaf(TokenTree::Punct(_))) => true,
                    Some(Node::Leaf(TokenTree::Ident(_))) => p.as_char() == '\'',
                    _ => false,
                };
                if joins {
                    TokenTree::Punct(p.clone())
                } else {
                    TokenTree::Punct(proc_macro2::Punct::new(p.as_char(), Spacing::Alone))
                }
            }
            Node::Leaf(leaf) => leaf.clone(),
        });
    }
    out.into_iter().collect()
}

/// The number of nodes at every depth: the positions an edit can target.
fn count(nodes: &[Node]) -> usize {
    nodes
        .iter()
        .map(|node| match node {
            Node::Group(_, children) => 1 + count(children),
            Node::Leaf(_) => 1,
        })
        .sum()
}

#[derive(Clone, Copy, Debug)]
enum Edit {
    Drop,
    Swap,
    Duplicate,
    /// Replace with one of `ATOMS` (which may be several tokens).
    Replace(&'static str),
    /// Give a group another delimiter (on a leaf: drop it).
    Regroup(usize),
}

/// Applies `edit` to the node at preorder position `at`.
fn apply(nodes: &mut Vec<Node>, mut at: usize, edit: Edit) -> bool {
    let mut k = 0;
    while k < nodes.len() {
        if at == 0 {
            match edit {
                Edit::Drop => {
                    nodes.remove(k);
                }
                Edit::Swap if k + 1 < nodes.len() => nodes.swap(k, k + 1),
                Edit::Swap if k > 0 => nodes.swap(k - 1, k),
                Edit::Swap => {}
                Edit::Duplicate => nodes.insert(k, nodes[k].clone()),
                Edit::Replace(atom) => {
                    nodes.splice(k..=k, lex(atom));
                }
                Edit::Regroup(d) => match &mut nodes[k] {
                    Node::Group(delimiter, _) => *delimiter = DELIMITERS[d],
                    Node::Leaf(_) => {
                        nodes.remove(k);
                    }
                },
            }
            return true;
        }
        at -= 1;
        if let Node::Group(_, children) = &mut nodes[k] {
            let inside = count(children);
            if at < inside {
                return apply(children, at, edit);
            }
            at -= inside;
        }
        k += 1;
    }
    false
}

const DELIMITERS: [Delimiter; 4] = [
    Delimiter::Parenthesis,
    Delimiter::Bracket,
    Delimiter::Brace,
    Delimiter::None,
];

fn edit() -> impl Strategy<Value = (Edit, Index)> {
    let kind = prop_oneof![
        3 => Just(Edit::Drop),
        3 => Just(Edit::Swap),
        2 => Just(Edit::Duplicate),
        3 => prop::sample::select(atoms()).prop_map(Edit::Replace),
        1 => (0..DELIMITERS.len()).prop_map(Edit::Regroup),
    ];
    (kind, any::<Index>())
}

fn edited(src: &str, edits: &[(Edit, Index)]) -> TokenStream {
    let mut nodes = lex(src);
    for (edit, at) in edits {
        let n = count(&nodes);
        if n > 0 {
            apply(&mut nodes, at.index(n), *edit);
        }
    }
    pack(&nodes)
}

/// A random token soup: atoms and groups nested up to four deep.
fn soup() -> impl Strategy<Value = Vec<Node>> {
    let leaf = prop::sample::select(atoms()).prop_map(lex);
    let tree = leaf.prop_recursive(4, 64, 6, |inner| {
        (
            prop::sample::select(&DELIMITERS[..]),
            prop::collection::vec(inner, 0..6),
        )
            .prop_map(|(delimiter, children)| {
                vec![Node::Group(
                    delimiter,
                    children.into_iter().flatten().collect(),
                )]
            })
    });
    prop::collection::vec(tree, 0..16).prop_map(|trees| trees.into_iter().flatten().collect())
}

type Expansion = fn(TokenStream) -> TokenStream;

const GRAD_FNS: [(&str, Expansion); 3] = [
    ("grad", crate::expand::grad),
    ("grad_code", crate::expand::grad_code),
    ("grad_dot", crate::expand::grad_dot),
];

const COMPARE_FNS: [(&str, Expansion); 2] = [
    ("compare", crate::compare::compare),
    ("assert_grad", crate::compare::assert_grad),
];

/// The second-order macros (`second.rs`), which share `grad!`'s front
/// end: checked on the same inputs (never a panic), not tallied.
const SECOND_FNS: [(&str, Expansion); 4] = [
    ("hessian", crate::second::hessian),
    ("hvp", crate::second::hvp),
    ("hessian_code", crate::second::hessian_code),
    ("hvp_code", crate::second::hvp_code),
];

/// The property for one function and one input.
/// `Ok(true)` for code, `Ok(false)` for a compile error.
fn check(name: &str, expand: Expansion, input: &TokenStream) -> Result<bool, TestCaseError> {
    let output = catch_unwind(AssertUnwindSafe(|| expand(input.clone())));
    let output = match output {
        Ok(output) => output,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            return Err(TestCaseError::fail(format!(
                "{name} panicked ({message}) on input `{input}`"
            )));
        }
    };
    if let Err(error) = syn::parse2::<syn::Expr>(output.clone()) {
        return Err(TestCaseError::fail(format!(
            "{name} returned tokens that are not an expression ({error}) on input `{input}`: {output}"
        )));
    }
    let mut errors = Vec::new();
    compile_errors(output.clone(), &mut errors);
    if let Some(bad) = errors.iter().find(|m| m.len() <= 2) {
        return Err(TestCaseError::fail(format!(
            "{name} returned a compile_error! without a message ({bad}) on input `{input}`: {output}"
        )));
    }
    Ok(errors.is_empty())
}

/// The message literal of every `compile_error! { "..." }` in `tokens`,
/// as written (with its quotes).
fn compile_errors(tokens: TokenStream, out: &mut Vec<String>) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    for (k, token) in tokens.iter().enumerate() {
        match token {
            TokenTree::Ident(ident) if ident == "compile_error" => {
                let message = match (tokens.get(k + 1), tokens.get(k + 2)) {
                    (Some(TokenTree::Punct(bang)), Some(TokenTree::Group(args)))
                        if bang.as_char() == '!' =>
                    {
                        match args.stream().into_iter().next() {
                            Some(TokenTree::Literal(lit)) if lit.to_string().starts_with('"') => {
                                lit.to_string()
                            }
                            _ => String::new(),
                        }
                    }
                    _ => String::new(),
                };
                out.push(message);
            }
            TokenTree::Group(group) => compile_errors(group.stream(), out),
            _ => {}
        }
    }
}

/// How many outputs of each function were code (the rest were errors).
#[derive(Default)]
struct Tally {
    inputs: usize,
    code: [usize; 5],
}

impl Tally {
    fn print(&self, test: &str) {
        let names = GRAD_FNS.iter().chain(&COMPARE_FNS).map(|(name, _)| name);
        let counts: Vec<String> = names
            .zip(self.code)
            .map(|(name, code)| format!("{name} {code}"))
            .collect();
        println!(
            "{test}: {} inputs, none panicked; outputs that were code, not errors: {}",
            self.inputs,
            counts.join(", ")
        );
    }
}

/// Runs all five functions: the `grad!` family on `closure`, the
/// `compare!` family on `with_tail` (the closure and what follows it).
fn check_all(
    closure: &TokenStream,
    with_tail: &TokenStream,
    tally: &RefCell<Tally>,
) -> Result<(), TestCaseError> {
    let mut code = [false; 5];
    for (k, (name, expand)) in GRAD_FNS.into_iter().enumerate() {
        code[k] = check(name, expand, closure)?;
    }
    for (k, (name, expand)) in COMPARE_FNS.into_iter().enumerate() {
        code[3 + k] = check(name, expand, with_tail)?;
    }
    for (name, expand) in SECOND_FNS {
        check(name, expand, closure)?;
    }
    check("compare_hessian", crate::second::compare_hessian, with_tail)?;
    let mut tally = tally.borrow_mut();
    tally.inputs += 1;
    for (count, code) in tally.code.iter_mut().zip(code) {
        *count += usize::from(code);
    }
    Ok(())
}

/// `cases` unless `PROPTEST_CASES` says otherwise; no files written.
fn runner(cases: u32) -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    })
}

/// Runs `test` on `cases` draws of `strategy`; on a failure, panics with
/// the shrunk input's message.
fn run<S: Strategy>(
    name: &str,
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value, &RefCell<Tally>) -> Result<(), TestCaseError>,
) {
    let tally = RefCell::new(Tally::default());
    let result = runner(cases).run(&strategy, |value| test(value, &tally));
    if let Err(error) = result {
        panic!("{name}: {error}");
    }
    tally.borrow().print(name);
}

/// Mutations of valid programs: never a panic, always code or an error.
#[test]
fn fuzz_mutated_programs() {
    let strategy = (
        0..PROGRAMS.len(),
        prop::collection::vec(edit(), 1..=3),
        prop::option::weighted(0.8, prop::sample::select(TAILS)),
    );
    run(
        "fuzz_mutated_programs",
        4000,
        strategy,
        |(program, edits, tail), tally| {
            let (src, point) = PROGRAMS[program];
            let closure = edited(src, &edits);
            let with_tail = match tail {
                None => closure.clone(),
                // Half the time its own point: the shape the closure expects.
                Some(_) if edits.len() % 2 == 0 => edited(&format!("{src}, {point}"), &edits),
                Some(tail) => edited(&format!("{src}{tail}"), &edits),
            };
            check_all(&closure, &with_tail, tally)
        },
    );
}

/// Random token trees, with or without a parameter list in front.
#[test]
fn fuzz_random_token_trees() {
    let strategy = (
        prop::sample::select(HEADS),
        soup(),
        prop::option::of(prop::sample::select(TAILS)),
    );
    run(
        "fuzz_random_token_trees",
        4000,
        strategy,
        |(head, body, tail), tally| {
            let mut nodes = lex(head);
            nodes.extend(body);
            let closure = pack(&nodes);
            if let Some(tail) = tail {
                nodes.extend(lex(tail));
            }
            check_all(&closure, &pack(&nodes), tally)
        },
    );
}

/// Every program unedited, and with each single token dropped: cheap and
/// exhaustive, so a regression here does not depend on the random draw.
#[test]
fn fuzz_every_single_drop() {
    let tally = RefCell::new(Tally::default());
    for (src, point) in PROGRAMS {
        // The seeds are Rust closures, whatever today's macro makes of them.
        if let Err(error) = syn::parse_str::<syn::ExprClosure>(src) {
            panic!("{src} is not a closure: {error}");
        }
        let with_tail = format!("{src}, {point}");
        let (n, m) = (count(&lex(src)), count(&lex(&with_tail)));
        if let Err(error) = check_all(&lex_pack(src), &lex_pack(&with_tail), &tally) {
            panic!("{error}");
        }
        for at in 0..n.max(m) {
            let drop = |s: &str, len: usize| {
                let mut nodes = lex(s);
                apply(&mut nodes, at % len, Edit::Drop);
                pack(&nodes)
            };
            if let Err(error) = check_all(&drop(src, n), &drop(&with_tail, m), &tally) {
                panic!("{error}");
            }
        }
    }
    tally.borrow().print("fuzz_every_single_drop");
}

fn lex_pack(src: &str) -> TokenStream {
    pack(&lex(src))
}

/// The property itself can fail: a panic, tokens that are not an
/// expression, and a message-less `compile_error!` are each caught.
#[test]
fn fuzz_check_catches_what_it_should() {
    let input = lex_pack("|x| x");
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let panicked = check("panics", |_| panic!("boom"), &input);
    std::panic::set_hook(quiet);
    let message = panicked.expect_err("a panic is a failure").to_string();
    assert!(message.contains("panics panicked (boom)"), "{message}");
    assert!(check("statement", |_| lex_pack("let a = 1;"), &input).is_err());
    assert!(
        check(
            "empty error",
            |_| lex_pack("{ compile_error! {} loop {} }"),
            &input
        )
        .is_err()
    );
    assert_eq!(
        check("code", |_| lex_pack("|x: f64| x"), &input).ok(),
        Some(true)
    );
    let error = |_| lex_pack("{ ::core::compile_error! { \"expected a closure\" } loop {} }");
    assert_eq!(check("error", error, &input).ok(), Some(false));
}
