//! `usize` expressions and the rule that says which names are integers.
//!
//! The macro sees tokens, not types, so integers are decided by position
//! and by how names were bound:
//! - loop variables, and `let` bindings annotated `: usize` or made of at
//!   least one integer name or `len()` and nothing else (`let j = i + 1;`)
//!   are integers;
//! - range bounds, indices and `as i32` exponents are integer positions:
//!   literals and captured names there are `usize`;
//! - everything else is `f64`, so `2 * x` is `2.0 * x` and `let c = 3;` is
//!   a number.
//!
//! A name used both ways is an error, and so is an integer position that
//! reads a differentiated value (`0..(x as usize)`): a loop bound or index
//! cannot depend on what is differentiated.

use super::{Bound, IntLike, Lowerer, Role};
use crate::ir::{IntExpr, IntOp, Target};
use quote::ToTokens;
use syn::{BinOp, Expr, Lit};

impl Lowerer {
    /// Classifies an expression without lowering it.
    pub(super) fn int_like(&self, expr: &Expr) -> IntLike {
        match expr {
            Expr::Lit(l) => match &l.lit {
                Lit::Int(i) if i.suffix().is_empty() => IntLike::Maybe,
                Lit::Int(i) if i.suffix() == "usize" => IntLike::Yes,
                _ => IntLike::No,
            },
            Expr::Path(p) => match p.path.get_ident().and_then(|i| self.lookup(&i.to_string())) {
                Some(b) => match b.bound {
                    Bound::Int(_) => IntLike::Yes,
                    _ => IntLike::No,
                },
                // A captured name or path: an integer only where the
                // position says so (`0..n`), a number by default.
                None => IntLike::Maybe,
            },
            Expr::MethodCall(m) if m.method == "len" && m.args.is_empty() => IntLike::Yes,
            Expr::Binary(b) => match b.op {
                BinOp::Add(_) | BinOp::Sub(_) | BinOp::Mul(_) | BinOp::Div(_) | BinOp::Rem(_) => {
                    match (self.int_like(&b.left), self.int_like(&b.right)) {
                        (IntLike::No, _) | (_, IntLike::No) => IntLike::No,
                        (IntLike::Yes, _) | (_, IntLike::Yes) => IntLike::Yes,
                        _ => IntLike::Maybe,
                    }
                }
                _ => IntLike::No,
            },
            Expr::Paren(p) => self.int_like(&p.expr),
            Expr::Group(g) => self.int_like(&g.expr),
            Expr::Cast(c) if is_usize(&c.ty) => IntLike::Yes,
            _ => IntLike::No,
        }
    }

    /// A `usize` expression: a bound, an index, an integer `let`.
    pub(super) fn int_expr(&mut self, expr: &Expr) -> IntExpr {
        match expr {
            Expr::Lit(l) => match &l.lit {
                Lit::Int(i) if i.suffix().is_empty() || i.suffix() == "usize" => {
                    match i.base10_digits().parse::<u64>() {
                        Ok(v) => IntExpr::Lit(v),
                        Err(_) => self.int_fail(expr, "this integer does not fit in usize"),
                    }
                }
                _ => self.int_fail(
                    expr,
                    "expected an integer (usize) here: a loop bound or an index",
                ),
            },
            Expr::Path(p) => {
                let bound = p
                    .path
                    .get_ident()
                    .and_then(|i| self.lookup(&i.to_string()))
                    .map(|b| b.bound.clone());
                let name = p.to_token_stream().to_string();
                match bound {
                    Some(Bound::Int(e)) => e,
                    Some(Bound::Value(_) | Bound::Var(_)) => self.int_fail(
                        expr,
                        format!(
                            "`{name}` is an f64 value, but a loop bound or index must be an \
                             integer (usize) that does not depend on what grad! differentiates \
                             (a `let` of a literal is a number: write `let {name}: usize = ...;` \
                             for an integer)"
                        ),
                    ),
                    Some(Bound::Array(..)) => self.int_fail(
                        expr,
                        format!("`{name}` is an array; expected an integer (usize) here"),
                    ),
                    None => match self.capture(p, Role::Integer) {
                        Some(i) => IntExpr::Captured(i),
                        None => IntExpr::Lit(0),
                    },
                }
            }
            Expr::MethodCall(m) if m.method == "len" && m.args.is_empty() => {
                match self.array_of(&m.receiver) {
                    Some((target, index)) => IntExpr::Len(target, index),
                    None => IntExpr::Lit(0),
                }
            }
            Expr::Binary(b) => {
                let op = match b.op {
                    BinOp::Add(_) => IntOp::Add,
                    BinOp::Sub(_) => IntOp::Sub,
                    BinOp::Mul(_) => IntOp::Mul,
                    BinOp::Div(_) => IntOp::Div,
                    BinOp::Rem(_) => IntOp::Rem,
                    _ => {
                        return self.int_fail(
                            b.op,
                            "unsupported operator in an integer expression; \
                             supported: `+ - * / %`",
                        );
                    }
                };
                let a = self.int_expr(&b.left);
                let c = self.int_expr(&b.right);
                IntExpr::Bin(op, Box::new(a), Box::new(c))
            }
            Expr::Paren(p) => self.int_expr(&p.expr),
            Expr::Group(g) => self.int_expr(&g.expr),
            Expr::Cast(c) if is_usize(&c.ty) => match self.int_like(&c.expr) {
                IntLike::No => self.int_fail(
                    expr,
                    "a loop bound or index cannot depend on what grad! differentiates; \
                     `as usize` of an f64 value is not allowed",
                ),
                _ => self.int_expr(&c.expr),
            },
            _ => self.int_fail(
                expr,
                "expected an integer (usize) expression: literals, loop variables, \
                 integer `let`s, captured integers, `xs.len()` and `+ - * / %` of those",
            ),
        }
    }

    fn int_fail(&mut self, tokens: impl ToTokens, message: impl std::fmt::Display) -> IntExpr {
        self.fail(tokens, message);
        IntExpr::Lit(0)
    }

    /// The array that `receiver` names, with leading indices, for `len()`.
    fn array_of(&mut self, receiver: &Expr) -> Option<(Target, Vec<IntExpr>)> {
        let (base, indices) = super::array::index_chain(receiver);
        let Expr::Path(p) = base else {
            self.fail(
                receiver,
                "expected an array, slice or captured data before `.len()`",
            );
            return None;
        };
        let target = self.array_target(p)?;
        let index = indices.into_iter().map(|e| self.int_expr(e)).collect();
        Some((target, index))
    }
}

pub(super) fn is_usize(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(p) if p.qself.is_none() && p.path.is_ident("usize"))
}
