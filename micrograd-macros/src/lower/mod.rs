//! syn -> IR: the one place that accepts or rejects the body's syntax.
//!
//! Lowering walks the body once, in source order, appending one SSA
//! instruction per op and one [`Stmt`] per effect to the current region
//! (the body, a loop body or a branch), so the IR is linear in the input.
//! Split by construct:
//! - this file: names and scopes, captures, regions and blocks;
//! - `stmt`: `let`, assignments, and moving a `let mut` to storage;
//! - `control`: `for` loops, `if`/`else` and conditions;
//! - `expr`: `f64` expressions, methods and literals;
//! - `int`: `usize` expressions (bounds, indices) and which names are integers;
//! - `array`: indexing, array parameters, local arrays and captured data.
//!
//! Names resolve through a stack of scopes (`let`, shadowing, inner
//! blocks). A `let mut` scalar stays SSA (each assignment rebinds the name
//! to a new value, so `c += c + 1` and `let c = c + (c + 1)` lower to the
//! same instructions) until a loop or a branch assigns it: then it moves to
//! storage (a [`crate::ir::Var`]) just before that loop or branch. Unknown
//! names and paths are captured: an `f64` constant, a `usize` when used in
//! an integer position, or data when indexed. Errors do not stop the walk:
//! each bad construct adds a spanned error and lowers to a placeholder, and
//! all errors are reported together.

mod array;
mod call;
mod control;
mod expr;
mod int;
mod stmt;

use crate::ir::{
    Const, ConstEntry, IntExpr, Kind, Operand, Param, ParamTy, Place, Program, Stmt, Target,
};
use crate::parse::GradInput;
use proc_macro2::Span;
use quote::ToTokens;
use std::collections::HashMap;
use syn::{Block, Error, Expr, Result};

/// Lowers a parsed closure. `with_text` keeps each expression's source text
/// for graph labels; it costs a walk of every subexpression, so only
/// `grad_dot!` asks for it.
pub fn lower(input: &GradInput, with_text: bool) -> Result<Program> {
    lower_with(input, with_text, None)
}

/// [`lower`] for the body of a `#[differentiable]` function that returns
/// an array: the body's block binds it to `out` (see `differentiable`),
/// recorded as [`Program::out_array`].
pub fn lower_returning(input: &GradInput, out: &str) -> Result<Program> {
    lower_with(input, false, Some(out))
}

fn lower_with(input: &GradInput, with_text: bool, out: Option<&str>) -> Result<Program> {
    let params: Vec<Param> = input.params.clone();
    let bindings = params
        .iter()
        .enumerate()
        .map(|(i, p)| Binding {
            name: p.ident.to_string(),
            bound: match &p.ty {
                ParamTy::Scalar => Bound::Value(Operand::Param(i)),
                ParamTy::Array(dims) => Bound::Array(Target::Param(i), Some(dims.len())),
                ParamTy::Slice => Bound::Array(Target::Param(i), Some(1)),
            },
            kind: BindKind::Param,
        })
        .collect();
    let mut lowerer = Lowerer {
        program: Program::empty(params),
        scopes: vec![bindings],
        captured: HashMap::new(),
        roles: HashMap::new(),
        errors: Vec::new(),
        with_text,
        stmts: Vec::new(),
        in_cond: false,
        loads: HashMap::new(),
        indexed_later: None,
    };
    let output = match &input.body {
        Expr::Block(block) if block.label.is_none() && block.attrs.is_empty() => match out {
            Some(out) => {
                lowerer.scopes.push(Vec::new());
                let value = lowerer.stmts_of(&block.block, true);
                lowerer.program.out_array = match lowerer.lookup(out).map(|b| &b.bound) {
                    Some(Bound::Array(target, _)) => Some(*target),
                    _ => None,
                };
                lowerer.scopes.pop();
                value.unwrap_or_else(|| lowerer.literal(0.0, String::new()))
            }
            None => lowerer.block(&block.block),
        },
        body => lowerer.expr(body),
    };
    lowerer.program.output = output;
    lowerer.program.body = std::mem::take(&mut lowerer.stmts);
    match lowerer.errors.into_iter().reduce(|mut all, e| {
        all.combine(e);
        all
    }) {
        Some(error) => Err(error),
        None => {
            let mut program = lowerer.program;
            program.analyze();
            Ok(program)
        }
    }
}

/// How a name was introduced, which decides whether it may be assigned.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BindKind {
    Param,
    Let,
    LetMut,
}

/// What a name stands for.
#[derive(Clone)]
enum Bound {
    /// An SSA `f64` value.
    Value(Operand),
    /// A scalar `f64` in storage: each read is a load.
    Var(usize),
    /// An array: a parameter or a local array, with its number of
    /// dimensions (`None` when unknown).
    Array(Target, Option<usize>),
    /// A `usize`: a loop variable or an integer `let`.
    Int(IntExpr),
}

struct Binding {
    name: String,
    bound: Bound,
    kind: BindKind,
}

/// The role of a captured name; one name cannot play two.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Number,
    Integer,
    Data,
}

impl Role {
    fn describe(self) -> &'static str {
        match self {
            Role::Number => "a number (f64)",
            Role::Integer => "an integer (usize: a bound, an index or a length)",
            Role::Data => "captured data (indexed)",
        }
    }
}

struct Lowerer {
    program: Program,
    scopes: Vec<Vec<Binding>>,
    /// Captured constants, integers and data by token text and role, so
    /// `w * w` reads `w` once.
    captured: HashMap<(String, u8), usize>,
    /// The first use of each captured name, to reject a second role.
    roles: HashMap<String, (Role, Span)>,
    errors: Vec<Error>,
    with_text: bool,
    /// The statements of the region being lowered.
    stmts: Vec<Stmt>,
    /// Inside an `if` condition, which is evaluated forward only: no
    /// assignments, loops or branches there.
    in_cond: bool,
    /// The loads of the current region by place, so a place read twice
    /// with no store to it in between is one value (`x[i] * x[i]` reads
    /// `x[i]` once): one load forward, one adjoint summed in a register.
    loads: HashMap<String, (Target, Operand)>,
    /// While lowering a `let name = ...;`: the most indices `name` takes
    /// in the statements after it (`y[j]`: 1), if it is indexed there.
    indexed_later: Option<usize>,
}

const CONTROL_FLOW: &str = "grad! programs use `for` loops over ranges and `if`/`else`: \
     no `while`, `loop`, `match`, `return`, `break`, `continue` or `?`";

impl Lowerer {
    /// Records an error and returns a placeholder so lowering can go on.
    fn fail(&mut self, tokens: impl ToTokens, message: impl std::fmt::Display) -> Operand {
        self.errors.push(Error::new_spanned(tokens, message));
        self.literal(0.0, String::new())
    }

    fn text(&self, tokens: impl ToTokens) -> String {
        if self.with_text {
            tokens.to_token_stream().to_string()
        } else {
            String::new()
        }
    }

    fn literal(&mut self, value: f64, text: String) -> Operand {
        self.program.consts.push(ConstEntry {
            value: Const::Literal(value),
            text,
        });
        Operand::Const(self.program.consts.len() - 1)
    }

    fn literal_value(&self, operand: Operand) -> Option<f64> {
        match operand {
            Operand::Const(i) => match self.program.consts[i].value {
                Const::Literal(v) => Some(v),
                Const::Captured { .. } => None,
            },
            _ => None,
        }
    }

    /// Appends an instruction to the current region.
    fn inst(&mut self, kind: Kind, span: Span, text: String) -> Operand {
        self.program.insts.push(crate::ir::Inst {
            kind,
            active: false,
            span,
            text,
            name: None,
        });
        let i = self.program.insts.len() - 1;
        self.stmts.push(Stmt::Inst(i));
        Operand::Inst(i)
    }

    /// Reads a storage location, or reuses this region's earlier read of
    /// it when nothing was stored there since.
    fn load(&mut self, place: Place, span: Span, text: String) -> Operand {
        let key = format!("{place:?}");
        if let Some((_, operand)) = self.loads.get(&key) {
            return *operand;
        }
        let target = place.target;
        let operand = self.inst(Kind::Load(place), span, text);
        self.loads.insert(key, (target, operand));
        operand
    }

    /// Appends a store, which ends the reuse of earlier reads of its target.
    fn store(&mut self, stmt: Stmt) {
        let target = match &stmt {
            Stmt::Store { place, .. } => Some(place.target),
            Stmt::Init { var, .. } => Some(Target::Var(*var)),
            _ => None,
        };
        self.loads.retain(|_, (t, _)| Some(*t) != target);
        self.stmts.push(stmt);
    }

    fn lookup(&self, name: &str) -> Option<&Binding> {
        self.scopes
            .iter()
            .rev()
            .flat_map(|scope| scope.iter().rev())
            .find(|b| b.name == name)
    }

    fn lookup_mut(&mut self, name: &str) -> Option<&mut Binding> {
        self.scopes
            .iter_mut()
            .rev()
            .flat_map(|scope| scope.iter_mut().rev())
            .find(|b| b.name == name)
    }

    fn bind(&mut self, ident: &syn::Ident, bound: Bound, kind: BindKind) {
        let name = ident.to_string();
        if let Bound::Value(Operand::Inst(i)) = bound {
            self.program.insts[i]
                .name
                .get_or_insert_with(|| name.clone());
        }
        if let Some(scope) = self.scopes.last_mut() {
            scope.push(Binding { name, bound, kind });
        }
    }

    /// The captured entry for `key` in `role`, created on first use; a
    /// name used in two roles is an error at the second use.
    fn capture(&mut self, tokens: &syn::ExprPath, role: Role) -> Option<usize> {
        let key = tokens.to_token_stream().to_string();
        match self.roles.get(&key) {
            Some((first, _)) if *first != role => {
                let first = *first;
                self.fail(
                    tokens,
                    format!(
                        "`{key}` is used here as {} but elsewhere as {}; \
                         use two names, or convert with `as f64`",
                        role.describe(),
                        first.describe()
                    ),
                );
                return None;
            }
            Some(_) => {}
            None => {
                self.roles.insert(key.clone(), (role, tokens_span(tokens)));
            }
        }
        if let Some(&i) = self.captured.get(&(key.clone(), role as u8)) {
            return Some(i);
        }
        let i = match role {
            Role::Number => {
                self.program.consts.push(ConstEntry {
                    value: Const::Captured {
                        path: tokens.clone(),
                        cast: false,
                    },
                    text: key.clone(),
                });
                self.program.consts.len() - 1
            }
            Role::Integer => {
                self.program.captured_ints.push(tokens.clone());
                self.program.captured_ints.len() - 1
            }
            Role::Data => {
                self.program.data.push(tokens.clone());
                self.program.data.len() - 1
            }
        };
        self.captured.insert((key, role as u8), i);
        Some(i)
    }

    /// Runs `f` with a fresh statement list and returns what it appended.
    /// Reads are reused within a region only: a nested region starts with
    /// none, and what it stores ends the reuse of those targets outside.
    fn region(&mut self, f: impl FnOnce(&mut Self)) -> Vec<Stmt> {
        let outer = std::mem::take(&mut self.stmts);
        let mut outer_loads = std::mem::take(&mut self.loads);
        self.scopes.push(Vec::new());
        f(self);
        self.scopes.pop();
        self.loads = std::mem::take(&mut outer_loads);
        let inner = std::mem::replace(&mut self.stmts, outer);
        crate::ir::walk(&inner, &mut |s| {
            let target = match s {
                Stmt::Store { place, .. } => place.target,
                Stmt::Init { var, .. } => Target::Var(*var),
                _ => return,
            };
            self.loads.retain(|_, (t, _)| *t != target);
        });
        inner
    }

    /// `{ stmt* expr }`: statements in a new scope, then the final expression.
    fn block(&mut self, block: &Block) -> Operand {
        self.scopes.push(Vec::new());
        let value = self.stmts_of(block, true);
        self.scopes.pop();
        value.unwrap_or_else(|| self.literal(0.0, String::new()))
    }

    /// The statements of a block in the current scope. With `want_value`
    /// the block must end in a final expression, whose operand is returned;
    /// without (a loop body, an `if` statement's branch), it must not.
    fn stmts_of(&mut self, block: &Block, want_value: bool) -> Option<Operand> {
        let mut result = None;
        let count = block.stmts.len();
        for (i, stmt) in block.stmts.iter().enumerate() {
            let last = i + 1 == count;
            match stmt {
                syn::Stmt::Expr(expr, None) if last && want_value && !is_statement_only(expr) => {
                    result = Some(self.expr(expr));
                }
                syn::Stmt::Expr(expr, semi) if last && want_value && !is_statement_only(expr) => {
                    // `...; a;`: the value is there, only the `;` is wrong.
                    self.expr(expr);
                    self.errors.push(Error::new_spanned(
                        quote::quote!(#expr #semi),
                        "expected a final expression: remove this `;` to make it \
                         the value that grad! differentiates",
                    ));
                }
                syn::Stmt::Expr(expr, _) => {
                    self.statement(expr);
                    // `while`, `loop`, ... have their own message; a `for`
                    // loop is a statement, so a block ending in one has no value.
                    let own_message = is_control_flow(expr) && !matches!(expr, Expr::ForLoop(_));
                    if last && want_value && !own_message {
                        self.errors.push(Error::new_spanned(
                            expr,
                            "expected a final expression after this statement: \
                             the value that grad! differentiates",
                        ));
                    }
                }
                syn::Stmt::Local(local) => {
                    // `let y = f(..);` then `y[j]`: `f` returns an array.
                    self.indexed_later = match &local.pat {
                        syn::Pat::Ident(p) => index_depth(&block.stmts[i + 1..], &p.ident),
                        _ => None,
                    };
                    self.local(local);
                    self.indexed_later = None;
                    if last && want_value {
                        self.errors.push(Error::new_spanned(
                            local,
                            "expected a final expression after this `let`: \
                             the value that grad! differentiates",
                        ));
                    }
                }
                syn::Stmt::Macro(mac) => {
                    self.fail(&mac.mac, "macro calls are not supported inside grad!");
                }
                syn::Stmt::Item(item) => {
                    self.fail(
                        item,
                        "items (`fn`, `use`, `const`, ...) are not supported inside grad!",
                    );
                }
            }
        }
        if count == 0 && want_value {
            self.errors.push(Error::new_spanned(
                quote::quote!(#block),
                "expected a final expression: the value that grad! differentiates",
            ));
        }
        result
    }
}

/// Whether an expression is an integer: certainly, certainly not, or only
/// made of literals and captured names (which read as `f64` by default).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum IntLike {
    Yes,
    No,
    Maybe,
}

/// Constructs that `expr` rejects with a message of their own.
fn is_control_flow(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::Match(_)
            | Expr::While(_)
            | Expr::ForLoop(_)
            | Expr::Loop(_)
            | Expr::Return(_)
            | Expr::Macro(_)
            | Expr::Break(_)
            | Expr::Continue(_)
    )
}

/// Statements that cannot be a final value: assignments, loops and other
/// control flow (an `if` with an `else` can be a value).
fn is_statement_only(expr: &Expr) -> bool {
    match expr {
        Expr::Assign(_) => true,
        Expr::Binary(b) => is_compound_assign(&b.op),
        Expr::If(e) => e.else_branch.is_none(),
        other => is_control_flow(other),
    }
}

/// `+=`, `%=`, `<<=`, ...: assignment operators, valid only as statements.
fn is_compound_assign(op: &syn::BinOp) -> bool {
    use syn::BinOp;
    matches!(
        op,
        BinOp::AddAssign(_)
            | BinOp::SubAssign(_)
            | BinOp::MulAssign(_)
            | BinOp::DivAssign(_)
            | BinOp::RemAssign(_)
            | BinOp::BitXorAssign(_)
            | BinOp::BitAndAssign(_)
            | BinOp::BitOrAssign(_)
            | BinOp::ShlAssign(_)
            | BinOp::ShrAssign(_)
    )
}

/// The most consecutive indices (`y[i][j]`: 2) that `name` takes in
/// `stmts`, if it is indexed there at all (a token scan: the name followed
/// by `[..]`, not after a `.` or `::`).
fn index_depth(stmts: &[syn::Stmt], name: &syn::Ident) -> Option<usize> {
    fn scan(tokens: proc_macro2::TokenStream, name: &syn::Ident, best: &mut Option<usize>) {
        let tokens: Vec<proc_macro2::TokenTree> = tokens.into_iter().collect();
        for (k, tt) in tokens.iter().enumerate() {
            match tt {
                proc_macro2::TokenTree::Ident(i) if i == name => {
                    let after_path = k > 0
                        && matches!(&tokens[k - 1], proc_macro2::TokenTree::Punct(p)
                            if p.as_char() == '.' || p.as_char() == ':');
                    if after_path {
                        continue;
                    }
                    let depth = tokens[k + 1..]
                        .iter()
                        .take_while(|t| {
                            matches!(t, proc_macro2::TokenTree::Group(g)
                            if g.delimiter() == proc_macro2::Delimiter::Bracket)
                        })
                        .count();
                    if depth > 0 {
                        *best = Some(best.map_or(depth, |b| b.max(depth)));
                    }
                }
                proc_macro2::TokenTree::Group(g) => scan(g.stream(), name, best),
                _ => {}
            }
        }
    }
    let mut best = None;
    for stmt in stmts {
        scan(stmt.to_token_stream(), name, &mut best);
    }
    best
}

fn tokens_span(tokens: &impl ToTokens) -> Span {
    tokens
        .to_token_stream()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |t| t.span())
}
