//! syn -> IR: the one place that accepts or rejects the body's syntax.
//!
//! Lowering walks the body once, in source order, and appends one SSA
//! instruction per op, so the IR is linear in the input. Names resolve
//! through a stack of scopes (`let`, shadowing and inner blocks); `let mut`
//! assignments rebind the name to a new SSA value, which is why
//! `c += c + 1` and `let c = c + (c + 1)` lower to the same instructions.
//! An unknown name or a path is an outer constant, captured by the closure.
//! Errors do not stop the walk: each bad construct adds a spanned error and
//! lowers to a placeholder, and all errors are reported together.

use crate::ir::{
    Const, ConstEntry, Inst, Op, Operand, Param, Program, SUPPORTED_METHODS, UNARY_METHODS,
};
use crate::parse::GradInput;
use crate::rules;
use proc_macro2::Span;
use quote::ToTokens;
use std::collections::HashMap;
use syn::spanned::Spanned;
use syn::{BinOp, Block, Error, Expr, Lit, Pat, Result, Stmt, UnOp};

/// Lowers a parsed closure. `with_text` keeps each expression's source text
/// for graph labels; it costs a walk of every subexpression, so only
/// `grad_dot!` asks for it.
pub fn lower(input: &GradInput, with_text: bool) -> Result<Program> {
    let mut lowerer = Lowerer {
        program: Program {
            params: input
                .params
                .iter()
                .map(|ident| Param {
                    ident: ident.clone(),
                })
                .collect(),
            consts: Vec::new(),
            insts: Vec::new(),
            output: Operand::Const(0),
        },
        scopes: vec![
            input
                .params
                .iter()
                .enumerate()
                .map(|(i, ident)| Binding {
                    name: ident.to_string(),
                    operand: Operand::Param(i),
                    kind: Kind::Param,
                })
                .collect(),
        ],
        captured: HashMap::new(),
        errors: Vec::new(),
        with_text,
    };
    let output = match &input.body {
        Expr::Block(block) if block.label.is_none() && block.attrs.is_empty() => {
            lowerer.block(&block.block)
        }
        body => lowerer.expr(body),
    };
    lowerer.program.output = output;
    match lowerer.errors.into_iter().reduce(|mut all, e| {
        all.combine(e);
        all
    }) {
        Some(error) => Err(error),
        None => Ok(lowerer.program),
    }
}

/// How a name was introduced, which decides whether it may be assigned.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Param,
    Let,
    LetMut,
}

struct Binding {
    name: String,
    operand: Operand,
    kind: Kind,
}

struct Lowerer {
    program: Program,
    scopes: Vec<Vec<Binding>>,
    /// Captured paths by their token text, so `w * w` reads `w` once.
    captured: HashMap<String, usize>,
    errors: Vec<Error>,
    with_text: bool,
}

const CONTROL_FLOW: &str =
    "grad! differentiates straight-line code: no `if`, `match`, loops, `return`, `break` or `?`";
const SUPPORTED_OPERATORS: &str = "supported: `+`, `-`, `*`, `/` and unary `-`";

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
                Const::Captured(_) => None,
            },
            _ => None,
        }
    }

    /// Appends `op(args)`, or folds it when every operand is a literal.
    fn push(&mut self, op: Op, args: [Operand; 2], span: Span, text: String) -> Operand {
        let arity = op.arity();
        let literals: Vec<Option<f64>> = args[..arity]
            .iter()
            .map(|a| self.literal_value(*a))
            .collect();
        if literals.iter().all(Option::is_some) {
            let a = literals[0].unwrap_or(0.0);
            let b = literals.get(1).copied().flatten().unwrap_or(0.0);
            return self.literal(rules::eval(op, a, b), text);
        }
        let active = args[..arity].iter().any(|a| self.program.is_active(*a));
        self.program.insts.push(Inst {
            op,
            args,
            active,
            span,
            text,
            name: None,
        });
        Operand::Inst(self.program.insts.len() - 1)
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

    fn bind(&mut self, ident: &syn::Ident, operand: Operand, kind: Kind) {
        let name = ident.to_string();
        if let Operand::Inst(i) = operand {
            self.program.insts[i]
                .name
                .get_or_insert_with(|| name.clone());
        }
        if let Some(scope) = self.scopes.last_mut() {
            scope.push(Binding {
                name,
                operand,
                kind,
            });
        }
    }

    /// `{ stmt* expr }`: statements in a new scope, then the final expression.
    fn block(&mut self, block: &Block) -> Operand {
        self.scopes.push(Vec::new());
        let mut result = None;
        let count = block.stmts.len();
        for (i, stmt) in block.stmts.iter().enumerate() {
            let last = i + 1 == count;
            match stmt {
                Stmt::Expr(expr, None) if last => result = Some(self.expr(expr)),
                Stmt::Expr(expr, semi) if last && !is_statement_only(expr) => {
                    // `...; a;`: the value is there, only the `;` is wrong.
                    self.expr(expr);
                    self.errors.push(Error::new_spanned(
                        quote::quote!(#expr #semi),
                        "expected a final expression: remove this `;` to make it \
                         the value that grad! differentiates",
                    ));
                }
                Stmt::Expr(expr, _) => {
                    self.statement(expr);
                    if last && !is_control_flow(expr) {
                        self.errors.push(Error::new_spanned(
                            expr,
                            "expected a final expression after this statement: \
                             the value that grad! differentiates",
                        ));
                    }
                }
                Stmt::Local(local) => {
                    self.local(local);
                    if last {
                        self.errors.push(Error::new_spanned(
                            local,
                            "expected a final expression after this `let`: \
                             the value that grad! differentiates",
                        ));
                    }
                }
                Stmt::Macro(mac) => {
                    self.fail(&mac.mac, "macro calls are not supported inside grad!");
                }
                Stmt::Item(item) => {
                    self.fail(
                        item,
                        "items (`fn`, `use`, `const`, ...) are not supported inside grad!",
                    );
                }
            }
        }
        if count == 0 {
            self.errors.push(Error::new_spanned(
                quote::quote!(#block),
                "expected a final expression: the value that grad! differentiates",
            ));
        }
        self.scopes.pop();
        result.unwrap_or_else(|| self.literal(0.0, String::new()))
    }

    /// `let name (: f64)? = expr;` and `let mut name = expr;`.
    fn local(&mut self, local: &syn::Local) {
        let (pat, typed) = match &local.pat {
            Pat::Type(t) => (&*t.pat, Some(&t.ty)),
            pat => (pat, None),
        };
        if let Some(ty) = typed {
            let is_f64 =
                matches!(&**ty, syn::Type::Path(p) if p.qself.is_none() && p.path.is_ident("f64"));
            if !is_f64 {
                self.fail(
                    ty,
                    "expected type `f64` (or no type): every value in grad! is f64",
                );
            }
        }
        let Some(init) = &local.init else {
            self.fail(local, "expected an initializer: `let name = expr;`");
            return;
        };
        if let Some((else_token, _)) = &init.diverge {
            self.fail(
                else_token,
                format!("`let ... else` is not supported: {CONTROL_FLOW}"),
            );
        }
        let value = self.expr(&init.expr);
        match pat {
            Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => {
                let kind = if p.mutability.is_some() {
                    Kind::LetMut
                } else {
                    Kind::Let
                };
                self.bind(&p.ident, value, kind);
            }
            other => {
                self.fail(
                    other,
                    "expected a plain name like `let a = ...` or `let mut a = ...`",
                );
            }
        }
    }

    /// An expression followed by `;`: only assignments have an effect.
    fn statement(&mut self, expr: &Expr) {
        match expr {
            Expr::Assign(assign) => self.assign(expr, &assign.left, None, &assign.right),
            Expr::Binary(binary) => {
                let op = match binary.op {
                    BinOp::AddAssign(_) => Some(Op::Add),
                    BinOp::SubAssign(_) => Some(Op::Sub),
                    BinOp::MulAssign(_) => Some(Op::Mul),
                    BinOp::DivAssign(_) => Some(Op::Div),
                    _ => None,
                };
                match op {
                    Some(op) => self.assign(expr, &binary.left, Some(op), &binary.right),
                    None if is_compound_assign(&binary.op) => {
                        self.expr(expr);
                    }
                    None => {
                        self.fail(
                            expr,
                            "this statement has no effect; expected `let`, an assignment \
                             (`=`, `+=`, `-=`, `*=`, `/=`) or the final expression without `;`",
                        );
                    }
                }
            }
            // Rejected with their own message by `expr`.
            expr if is_control_flow(expr) => {
                self.expr(expr);
            }
            _ => {
                self.fail(
                    expr,
                    "this statement has no effect; expected `let`, an assignment \
                     (`=`, `+=`, `-=`, `*=`, `/=`) or the final expression without `;`",
                );
            }
        }
    }

    /// `name = value` or `name op= value` on a `let mut` binding.
    fn assign(&mut self, whole: &Expr, left: &Expr, op: Option<Op>, right: &Expr) {
        let value = self.expr(right);
        let ident = match left {
            Expr::Path(p) if p.qself.is_none() => p.path.get_ident(),
            _ => None,
        };
        let Some(ident) = ident else {
            self.fail(
                left,
                "expected a `let mut` variable on the left of the assignment",
            );
            return;
        };
        let name = ident.to_string();
        let (old, kind) = match self.lookup(&name) {
            Some(b) => (b.operand, b.kind),
            None => {
                self.fail(
                    ident,
                    format!("cannot assign to `{name}`: only `let mut` variables declared inside grad! can be assigned"),
                );
                return;
            }
        };
        match kind {
            Kind::Param => {
                self.fail(
                    ident,
                    format!("cannot assign to parameter `{name}`; declare `let mut {name} = {name};` first"),
                );
            }
            Kind::Let => {
                self.fail(
                    ident,
                    format!("cannot assign to `{name}`: it is not declared `let mut`"),
                );
            }
            Kind::LetMut => {
                let new = match op {
                    Some(op) => {
                        let span = match whole {
                            Expr::Binary(b) => b.op.span(),
                            _ => ident.span(),
                        };
                        let text = self.text(whole);
                        self.push(op, [old, value], span, text)
                    }
                    None => value,
                };
                if let Operand::Inst(i) = new {
                    self.program.insts[i]
                        .name
                        .get_or_insert_with(|| name.clone());
                }
                if let Some(binding) = self.lookup_mut(&name) {
                    binding.operand = new;
                }
            }
        }
    }

    fn expr(&mut self, expr: &Expr) -> Operand {
        match expr {
            Expr::Lit(lit) => self.lit(&lit.lit),
            Expr::Path(path) => self.path(path),
            Expr::Paren(inner) => self.expr(&inner.expr),
            Expr::Group(inner) => self.expr(&inner.expr),
            Expr::Block(block) if block.label.is_none() => self.block(&block.block),
            Expr::Unary(unary) => match unary.op {
                UnOp::Neg(token) => {
                    let x = self.expr(&unary.expr);
                    let text = self.text(expr);
                    self.push(Op::Neg, [x, x], token.span, text)
                }
                UnOp::Not(_) => {
                    self.expr(&unary.expr);
                    self.fail(
                        unary.op,
                        format!("unsupported operator `!`; {SUPPORTED_OPERATORS}"),
                    )
                }
                _ => {
                    self.expr(&unary.expr);
                    self.fail(
                        unary.op,
                        format!("dereferencing is not supported; {SUPPORTED_OPERATORS}"),
                    )
                }
            },
            Expr::Binary(binary) => {
                let a = self.expr(&binary.left);
                let b = self.expr(&binary.right);
                let op = match binary.op {
                    BinOp::Add(_) => Op::Add,
                    BinOp::Sub(_) => Op::Sub,
                    BinOp::Mul(_) => Op::Mul,
                    BinOp::Div(_) => Op::Div,
                    other if is_compound_assign(&other) => {
                        return self.fail(
                            expr,
                            "assignments are statements: end them with `;` \
                             and write the result as the final expression",
                        );
                    }
                    other => {
                        let symbol = other.to_token_stream().to_string();
                        return self.fail(
                            other,
                            format!("unsupported operator `{symbol}`; {SUPPORTED_OPERATORS}"),
                        );
                    }
                };
                let text = self.text(expr);
                self.push(op, [a, b], binary.op.span(), text)
            }
            Expr::MethodCall(call) => self.method(expr, call),
            Expr::Assign(_) => self.fail(
                expr,
                "assignments are statements: end them with `;` \
                 and write the result as the final expression",
            ),
            Expr::If(e) => self.fail(e.if_token, format!("`if` is not supported: {CONTROL_FLOW}")),
            Expr::Match(e) => self.fail(
                e.match_token,
                format!("`match` is not supported: {CONTROL_FLOW}"),
            ),
            Expr::While(e) => self.fail(
                e.while_token,
                format!("`while` loops are not supported: {CONTROL_FLOW}"),
            ),
            Expr::ForLoop(e) => self.fail(
                e.for_token,
                format!("`for` loops are not supported: {CONTROL_FLOW}"),
            ),
            Expr::Loop(e) => self.fail(
                e.loop_token,
                format!("`loop` is not supported: {CONTROL_FLOW}"),
            ),
            Expr::Return(e) => self.fail(
                e.return_token,
                format!(
                    "`return` is not supported: {CONTROL_FLOW}; the final expression is the result"
                ),
            ),
            Expr::Break(e) => self.fail(
                e.break_token,
                format!("`break` is not supported: {CONTROL_FLOW}"),
            ),
            Expr::Continue(e) => self.fail(
                e.continue_token,
                format!("`continue` is not supported: {CONTROL_FLOW}"),
            ),
            Expr::Try(e) => self.fail(
                e.question_token,
                format!("`?` is not supported: {CONTROL_FLOW}"),
            ),
            Expr::Closure(_) => self.fail(
                expr,
                "nested closures are not supported inside grad!; \
                 write the expression inline or bind it with `let`",
            ),
            Expr::Macro(mac) => self.fail(&mac.mac, "macro calls are not supported inside grad!"),
            Expr::Index(_) => self.fail(
                expr,
                "indexing is not supported inside grad!; \
                 copy the element into a variable outside grad! and use that",
            ),
            Expr::Field(_) => self.fail(
                expr,
                "field access is not supported inside grad!; \
                 copy the field into a variable outside grad! and use that",
            ),
            Expr::Call(call) => self.fail(
                &call.func,
                format!(
                    "function calls are not supported inside grad!; \
                     use method syntax like `x.exp()` (supported methods: {SUPPORTED_METHODS})"
                ),
            ),
            Expr::Cast(_) => self.fail(
                expr,
                "casts are not supported inside grad!: every value is already f64",
            ),
            _ => self.fail(
                expr,
                "unsupported expression; expected numbers, parameters, outer variables, \
                 `+ - * /`, unary `-`, supported method calls and `{ let ...; expr }` blocks",
            ),
        }
    }

    fn lit(&mut self, lit: &Lit) -> Operand {
        let text = self.text(lit);
        let parsed = match lit {
            Lit::Float(f) if f.suffix().is_empty() || f.suffix() == "f64" => {
                f.base10_digits().parse::<f64>().ok()
            }
            Lit::Int(i) if i.suffix().is_empty() || i.suffix() == "f64" => {
                i.base10_digits().parse::<f64>().ok()
            }
            Lit::Float(f) => {
                let suffix = f.suffix().to_owned();
                return self.fail(
                    lit,
                    format!("expected an f64 literal; remove the `{suffix}` suffix"),
                );
            }
            Lit::Int(i) => {
                let suffix = i.suffix().to_owned();
                return self.fail(
                    lit,
                    format!("integer literals are read as f64 here; remove the `{suffix}` suffix"),
                );
            }
            _ => return self.fail(lit, "expected a number literal"),
        };
        match parsed {
            Some(value) if value.is_infinite() => {
                self.fail(lit, "this literal is out of range for f64")
            }
            Some(value) => self.literal(value, text),
            None => self.fail(lit, "this number does not parse as f64"),
        }
    }

    /// A name bound in the body or a parameter, else a captured constant.
    fn path(&mut self, path: &syn::ExprPath) -> Operand {
        let bound = match (&path.qself, path.path.get_ident()) {
            (None, Some(ident)) => self.lookup(&ident.to_string()).map(|b| b.operand),
            _ => None,
        };
        if let Some(operand) = bound {
            return operand;
        }
        let key = path.to_token_stream().to_string();
        if let Some(&i) = self.captured.get(&key) {
            return Operand::Const(i);
        }
        self.program.consts.push(ConstEntry {
            value: Const::Captured(path.clone()),
            text: key.clone(),
        });
        let i = self.program.consts.len() - 1;
        self.captured.insert(key, i);
        Operand::Const(i)
    }

    fn method(&mut self, expr: &Expr, call: &syn::ExprMethodCall) -> Operand {
        let receiver = self.expr(&call.receiver);
        let name = call.method.to_string();
        if let Some(turbofish) = &call.turbofish {
            return self.fail(turbofish, "expected no `::<...>` on the method call");
        }
        let args: Vec<&Expr> = call.args.iter().collect();
        let span = call.method.span();
        let unary = UNARY_METHODS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, op)| *op)
            .or_else(|| (name == "sigmoid").then_some(Op::Sigmoid));
        if let Some(op) = unary {
            if !args.is_empty() {
                for arg in &args {
                    self.expr(arg);
                }
                return self.fail(
                    &call.args,
                    format!("`{name}` takes no arguments: write `x.{name}()`"),
                );
            }
            let text = self.text(expr);
            return self.push(op, [receiver, receiver], span, text);
        }
        match name.as_str() {
            "powi" => {
                if args.len() != 1 {
                    return self.fail(
                        arity_tokens(call),
                        format!(
                            "`powi` takes one integer argument like `powi(2)`; found {} arguments",
                            args.len()
                        ),
                    );
                }
                match int_literal(args[0]) {
                    Some(Ok(n)) if n != i32::MIN => {
                        let text = self.text(expr);
                        self.push(Op::Powi(n), [receiver, receiver], span, text)
                    }
                    Some(_) => self.fail(
                        args[0],
                        "this `powi` exponent does not fit in i32 (without i32::MIN)",
                    ),
                    None => self.fail(
                        args[0],
                        "`powi` expects an integer literal like `powi(2)`; \
                         use `powf(e)` for a real or computed exponent",
                    ),
                }
            }
            "powf" => {
                if args.len() != 1 {
                    for arg in &args {
                        self.expr(arg);
                    }
                    return self.fail(
                        arity_tokens(call),
                        format!(
                            "`powf` takes one argument like `powf(0.5)`; found {} arguments",
                            args.len()
                        ),
                    );
                }
                let e = self.expr(args[0]);
                let text = self.text(expr);
                self.push(Op::Powf, [receiver, e], span, text)
            }
            _ => self.fail(
                &call.method,
                format!("unsupported method `{name}`; supported: {SUPPORTED_METHODS}"),
            ),
        }
    }
}

/// Constructs that `expr` rejects with a message of their own.
fn is_control_flow(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::If(_)
            | Expr::Match(_)
            | Expr::While(_)
            | Expr::ForLoop(_)
            | Expr::Loop(_)
            | Expr::Return(_)
            | Expr::Macro(_)
            | Expr::Break(_)
            | Expr::Continue(_)
    )
}

/// Statements that cannot be a final value: assignments and control flow.
fn is_statement_only(expr: &Expr) -> bool {
    match expr {
        Expr::Assign(_) => true,
        Expr::Binary(b) => is_compound_assign(&b.op),
        other => is_control_flow(other),
    }
}

/// `+=`, `%=`, `<<=`, ...: assignment operators, valid only as statements.
fn is_compound_assign(op: &BinOp) -> bool {
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

/// The tokens to blame for a wrong argument count: the arguments, or the
/// method name when there are none.
fn arity_tokens(call: &syn::ExprMethodCall) -> proc_macro2::TokenStream {
    if call.args.is_empty() {
        call.method.to_token_stream()
    } else {
        call.args.to_token_stream()
    }
}

/// `2`, `-3`, `(2)` or `2i32` as an i32; `None` when not an integer literal,
/// `Some(Err)` when it does not fit.
fn int_literal(expr: &Expr) -> Option<std::result::Result<i32, ()>> {
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Int(int), ..
        }) if int.suffix().is_empty() || int.suffix() == "i32" => Some(
            int.base10_digits()
                .parse::<i64>()
                .ok()
                .and_then(|v| i32::try_from(v).ok())
                .ok_or(()),
        ),
        Expr::Unary(syn::ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) => match &**expr {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Int(int), ..
            }) if int.suffix().is_empty() || int.suffix() == "i32" => Some(
                int.base10_digits()
                    .parse::<i64>()
                    .ok()
                    .and_then(|v| i32::try_from(-v).ok())
                    .ok_or(()),
            ),
            _ => None,
        },
        Expr::Paren(p) => int_literal(&p.expr),
        Expr::Group(g) => int_literal(&g.expr),
        _ => None,
    }
}
