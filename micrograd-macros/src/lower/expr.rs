//! `f64` expressions: literals, names, operators, methods and casts.

use super::{Bound, CONTROL_FLOW, IntLike, Lowerer, Role, is_compound_assign};
use crate::ir::{
    Const, ConstEntry, Kind, OPERAND_METHODS, Op, Operand, Place, SUPPORTED_METHODS, Target,
    UNARY_METHODS,
};
use crate::rules;
use proc_macro2::Span;
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{BinOp, Expr, Lit, UnOp};

const SUPPORTED_OPERATORS: &str = "supported: `+`, `-`, `*`, `/` and unary `-`";

impl Lowerer {
    /// Appends `op(args)`, or folds it when every operand is a literal.
    pub(super) fn op(&mut self, op: Op, args: &[Operand], span: Span, text: String) -> Operand {
        let literals: Vec<Option<f64>> = args.iter().map(|a| self.literal_value(*a)).collect();
        if literals.iter().all(Option::is_some) {
            let v: Vec<f64> = literals.into_iter().flatten().collect();
            let at = |i: usize| v.get(i).copied().unwrap_or(0.0);
            if let Some(value) = rules::eval(op, at(0), at(1), at(2)) {
                return self.literal(value, text);
            }
        }
        let mut all = [args[0]; 3];
        all[..args.len()].copy_from_slice(args);
        self.inst(Kind::Op { op, args: all }, span, text)
    }

    /// An `f64` expression.
    pub(super) fn expr(&mut self, expr: &Expr) -> Operand {
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
                    self.op(Op::Neg, &[x], token.span, text)
                }
                UnOp::Not(_) => {
                    self.expr(&unary.expr);
                    self.fail(
                        unary.op,
                        format!(
                            "unsupported operator `!` here; {SUPPORTED_OPERATORS} \
                             (`!` negates an `if` condition)"
                        ),
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
                        let hint = if matches!(other, BinOp::Rem(_)) {
                            " (`%` works on integers: indices and loop bounds)"
                        } else if matches!(
                            other,
                            BinOp::Lt(_)
                                | BinOp::Le(_)
                                | BinOp::Gt(_)
                                | BinOp::Ge(_)
                                | BinOp::Eq(_)
                                | BinOp::Ne(_)
                                | BinOp::And(_)
                                | BinOp::Or(_)
                        ) {
                            " (comparisons and `&&`/`||` belong in an `if` condition)"
                        } else {
                            ""
                        };
                        return self.fail(
                            other,
                            format!(
                                "unsupported operator `{symbol}` here; {SUPPORTED_OPERATORS}{hint}"
                            ),
                        );
                    }
                };
                let a = self.expr(&binary.left);
                let b = self.expr(&binary.right);
                let text = self.text(expr);
                self.op(op, &[a, b], binary.op.span(), text)
            }
            Expr::MethodCall(call) => self.method(expr, call),
            Expr::Index(_) => self.element(expr),
            Expr::Cast(cast) => self.cast(expr, cast),
            Expr::If(e) => match self.if_else(e, true) {
                Some(value) => value,
                None => self.literal(0.0, String::new()),
            },
            Expr::Assign(_) => self.fail(
                expr,
                "assignments are statements: end them with `;` \
                 and write the result as the final expression",
            ),
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
                "a `for` loop has no value; put it before the final expression",
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
            Expr::Field(_) => self.fail(
                expr,
                "field access is not supported inside grad!; \
                 copy the field into a variable outside grad! and use that",
            ),
            Expr::Call(call) => self.call(expr, call),
            Expr::Array(_) | Expr::Repeat(_) => self.fail(
                expr,
                "an array is not a number; bind it with `let` and index it",
            ),
            _ => self.fail(
                expr,
                "unsupported expression; expected numbers, parameters, outer variables, \
                 `+ - * /`, unary `-`, indexing, supported method calls, `if`/`else` \
                 and `{ let ...; expr }` blocks",
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
            (None, Some(ident)) => self.lookup(&ident.to_string()).map(|b| b.bound.clone()),
            _ => None,
        };
        let name = path.to_token_stream().to_string();
        match bound {
            Some(Bound::Value(operand)) => operand,
            Some(Bound::Var(v)) => {
                let span = path.span();
                self.load(
                    Place {
                        target: Target::Var(v),
                        index: Vec::new(),
                    },
                    span,
                    name,
                )
            }
            Some(Bound::Array(..)) => self.fail(
                path,
                format!("`{name}` is an array; index it like `{name}[i]`"),
            ),
            Some(Bound::Int(_)) => self.fail(
                path,
                format!(
                    "`{name}` is an integer (usize); write `{name} as f64` to use it as a number"
                ),
            ),
            None => match self.capture(path, Role::Number) {
                Some(i) => Operand::Const(i),
                None => self.literal(0.0, String::new()),
            },
        }
    }

    /// `e as f64`: an integer expression becomes a constant number; a
    /// captured name is converted (an `f32` or integer outside); an `f64`
    /// expression is itself.
    fn cast(&mut self, expr: &Expr, cast: &syn::ExprCast) -> Operand {
        if !crate::parse::is_f64(&cast.ty) {
            return self.fail(
                &cast.ty,
                "only `as f64` is supported here (and `as i32` in a `powi` exponent)",
            );
        }
        match self.int_like(&cast.expr) {
            IntLike::Yes => {
                let n = self.int_expr(&cast.expr);
                let text = self.text(expr);
                return self.inst(Kind::FromInt(n), cast.as_token.span, text);
            }
            IntLike::Maybe => {
                if let Expr::Path(p) = strip_parens(&cast.expr) {
                    if p.path
                        .get_ident()
                        .is_none_or(|i| self.lookup(&i.to_string()).is_none())
                    {
                        let key = format!("{} as f64", p.to_token_stream());
                        if let Some(&i) = self.captured.get(&(key.clone(), 9)) {
                            return Operand::Const(i);
                        }
                        self.program.consts.push(ConstEntry {
                            value: Const::Captured {
                                path: p.clone(),
                                cast: true,
                            },
                            text: key.clone(),
                        });
                        let i = self.program.consts.len() - 1;
                        self.captured.insert((key, 9), i);
                        return Operand::Const(i);
                    }
                }
            }
            IntLike::No => {}
        }
        self.expr(&cast.expr)
    }

    pub(super) fn method(&mut self, expr: &Expr, call: &syn::ExprMethodCall) -> Operand {
        let name = call.method.to_string();
        if name == "len" {
            let receiver = call.receiver.to_token_stream().to_string();
            return self.fail(
                expr,
                format!(
                    "`len()` is an integer (usize); write `{receiver}.len() as f64` \
                     to use it as a number"
                ),
            );
        }
        let receiver = self.expr(&call.receiver);
        if let Some(turbofish) = &call.turbofish {
            return self.fail(turbofish, "expected no `::<...>` on the method call");
        }
        let args: Vec<&Expr> = call.args.iter().collect();
        let span = call.method.span();
        let unary = UNARY_METHODS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, op)| *op);
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
            return self.op(op, &[receiver], span, text);
        }
        if let Some((_, op, usage)) = OPERAND_METHODS.iter().find(|(n, _, _)| *n == name) {
            if args.len() + 1 != op.arity() {
                for arg in &args {
                    self.expr(arg);
                }
                let takes = match op.arity() {
                    2 => "one argument",
                    _ => "two arguments",
                };
                return self.fail(
                    arity_tokens(call),
                    format!(
                        "`{name}` takes {takes}, like {usage}; found {} arguments",
                        args.len()
                    ),
                );
            }
            let mut operands = vec![receiver];
            for arg in &args {
                operands.push(self.expr(arg));
            }
            let text = self.text(expr);
            return self.op(*op, &operands, span, text);
        }
        if name == "powi" {
            if args.len() != 1 {
                return self.fail(
                    arity_tokens(call),
                    format!(
                        "`powi` takes one integer argument like `powi(2)`; found {} arguments",
                        args.len()
                    ),
                );
            }
            let text = self.text(expr);
            return match int_literal(args[0]) {
                Some(Ok(n)) if n != i32::MIN => self.op(Op::Powi(n), &[receiver], span, text),
                Some(_) => self.fail(
                    args[0],
                    "this `powi` exponent does not fit in i32 (without i32::MIN)",
                ),
                None => match strip_parens(args[0]) {
                    e if self.int_like(e) == IntLike::Yes => {
                        let text = e.to_token_stream().to_string();
                        let cast = if matches!(e, Expr::Path(_)) {
                            format!("{text} as i32")
                        } else {
                            format!("({text}) as i32")
                        };
                        self.fail(
                            e,
                            format!(
                                "`{text}` is an integer (usize) and `powi` takes an i32: \
                                 write `powi({cast})`"
                            ),
                        )
                    }
                    Expr::Cast(c) if is_i32(&c.ty) => {
                        let exp = self.int_expr(&c.expr);
                        self.inst(
                            Kind::PowiBy {
                                base: receiver,
                                exp,
                            },
                            span,
                            text,
                        )
                    }
                    _ => self.fail(
                        args[0],
                        "`powi` expects an integer literal like `powi(2)` or an integer \
                         expression cast with `as i32` like `powi(k as i32)` or \
                         `powi((k + 1) as i32)`; use `powf(e)` for a real or computed exponent",
                    ),
                },
            };
        }
        self.fail(
            &call.method,
            format!("unsupported method `{name}`; supported: {SUPPORTED_METHODS}"),
        )
    }
}

pub(super) fn strip_parens(expr: &Expr) -> &Expr {
    match expr {
        Expr::Paren(p) => strip_parens(&p.expr),
        Expr::Group(g) => strip_parens(&g.expr),
        other => other,
    }
}

fn is_i32(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.qself.is_none() && p.path.is_ident("i32"))
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
    let parse = |int: &syn::LitInt, negative: bool| {
        int.base10_digits()
            .parse::<i64>()
            .ok()
            .and_then(|v| i32::try_from(if negative { -v } else { v }).ok())
            .ok_or(())
    };
    match expr {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Int(int), ..
        }) if int.suffix().is_empty() || int.suffix() == "i32" => Some(parse(int, false)),
        Expr::Unary(syn::ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) => match &**expr {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Int(int), ..
            }) if int.suffix().is_empty() || int.suffix() == "i32" => Some(parse(int, true)),
            _ => None,
        },
        Expr::Paren(p) => int_literal(&p.expr),
        Expr::Group(g) => int_literal(&g.expr),
        _ => None,
    }
}
