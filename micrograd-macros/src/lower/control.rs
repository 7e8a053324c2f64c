//! Control flow: `for` loops over integer ranges, `if`/`else` as a
//! statement and as an expression, and branch conditions.

use super::expr::strip_parens;
use super::stmt::{assigned_names, block_assigned_names};
use super::{BindKind, Bound, IntLike, Lowerer};
use crate::ir::{CmpOp, Cond, CondVal, For, If, Operand, Place, Stmt, Target, Var};
use quote::ToTokens;
use syn::{BinOp, Expr, RangeLimits, UnOp};

impl Lowerer {
    /// `for i in a..b { ... }`, `a..=b`, and either with `.rev()`.
    pub(super) fn for_loop(&mut self, f: &syn::ExprForLoop) {
        if self.in_cond {
            self.fail(f.for_token, "loops are not allowed inside a condition");
            return;
        }
        if let Some(label) = &f.label {
            self.fail(label, "loop labels are not supported (there is no `break`)");
        }
        let (range, rev) = match strip_parens(&f.expr) {
            Expr::MethodCall(m) if m.method == "rev" && m.args.is_empty() => {
                (strip_parens(&m.receiver), true)
            }
            other => (other, false),
        };
        let Expr::Range(range) = range else {
            self.fail(
                &f.expr,
                "expected a range like `0..n`, `0..=n` or `(0..n).rev()`: \
                 grad! loops run over integer ranges",
            );
            return;
        };
        let (Some(start), Some(end)) = (&range.start, &range.end) else {
            self.fail(range, "expected a range with both ends, like `0..n`");
            return;
        };
        let start = self.int_expr(start);
        let end = self.int_expr(end);
        let inclusive = matches!(range.limits, RangeLimits::Closed(_));
        let ident = match &*f.pat {
            syn::Pat::Ident(p) if p.by_ref.is_none() && p.mutability.is_none() => {
                Some(p.ident.clone())
            }
            syn::Pat::Wild(_) => None,
            other => {
                self.fail(other, "expected a loop variable name like `i` (or `_`)");
                return;
            }
        };
        let mut assigned = Vec::new();
        block_assigned_names(&f.body, &mut assigned);
        self.move_to_storage(&assigned);
        let name = ident
            .as_ref()
            .map_or_else(|| "_".to_owned(), ToString::to_string);
        self.program.ints.push(crate::ir::IntDef { name });
        let var = self.program.ints.len() - 1;
        let text = format!(
            "for {} in {}",
            ident
                .as_ref()
                .map_or_else(|| "_".to_owned(), ToString::to_string),
            f.expr.to_token_stream()
        );
        let body = self.region(|this| {
            if let Some(ident) = &ident {
                this.bind(
                    ident,
                    Bound::Int(crate::ir::IntExpr::Int(var)),
                    BindKind::Let,
                );
            }
            if let Some(syn::Stmt::Expr(e, None)) = f.body.stmts.last() {
                if !super::is_statement_only(e) && !matches!(e, Expr::If(_) | Expr::Block(_)) {
                    this.fail(
                        e,
                        "a loop body has no value: end this expression with `;` \
                         or assign it to a variable",
                    );
                    return;
                }
            }
            this.stmts_of(&f.body, false);
        });
        let id = self.program.loops;
        self.program.loops += 1;
        self.stmts.push(Stmt::For(Box::new(For {
            id,
            var,
            start,
            end,
            inclusive,
            rev,
            body,
            text,
        })));
    }

    /// `if cond { .. } else { .. }`. With `want_value` it is an expression:
    /// both branches end in a value, stored to a hidden variable that is
    /// loaded after the branch.
    pub(super) fn if_else(&mut self, e: &syn::ExprIf, want_value: bool) -> Option<Operand> {
        if self.in_cond {
            self.fail(
                e.if_token,
                "`if` is not allowed inside a condition; compute the value with \
                 `let` before the `if` and compare that",
            );
            return None;
        }
        if want_value && e.else_branch.is_none() {
            self.fail(
                e.if_token,
                "an `if` without `else` has no value; add an `else` branch",
            );
            return None;
        }
        let mut assigned = Vec::new();
        assigned_names(&Expr::If(e.clone()), &mut assigned);
        self.move_to_storage(&assigned);
        let result = want_value.then(|| {
            self.program.vars.push(Var {
                name: "if".into(),
                dims: Vec::new(),
                active: false,
            });
            self.program.vars.len() - 1
        });
        let text = e.cond.to_token_stream().to_string();
        let cond = self.cond(&e.cond);
        let store = |this: &mut Self, value: Option<Operand>| {
            if let (Some(var), Some(value)) = (result, value) {
                this.store(Stmt::Store {
                    place: Place {
                        target: Target::Var(var),
                        index: Vec::new(),
                    },
                    value,
                });
            }
        };
        let then = self.region(|this| {
            let value = this.stmts_of(&e.then_branch, want_value);
            store(this, value);
        });
        let els = self.region(|this| {
            if let Some((_, els)) = &e.else_branch {
                match &**els {
                    Expr::If(inner) => {
                        let value = this.if_else(inner, want_value);
                        store(this, value);
                    }
                    Expr::Block(b) => {
                        let value = this.stmts_of(&b.block, want_value);
                        store(this, value);
                    }
                    other => {
                        this.fail(other, "expected a block or `if` after `else`");
                    }
                }
            }
        });
        let id = self.program.branches;
        self.program.branches += 1;
        self.stmts.push(Stmt::If(Box::new(If {
            id,
            cond,
            then,
            els,
            text,
        })));
        result.map(|var| {
            let span = e.if_token.span;
            self.load(
                Place {
                    target: Target::Var(var),
                    index: Vec::new(),
                },
                span,
                "if".into(),
            )
        })
    }

    /// A condition: comparisons joined by `&&`, `||` and `!`.
    fn cond(&mut self, expr: &Expr) -> Cond {
        match expr {
            Expr::Paren(p) => self.cond(&p.expr),
            Expr::Group(g) => self.cond(&g.expr),
            Expr::Unary(u) if matches!(u.op, UnOp::Not(_)) => {
                Cond::Not(Box::new(self.cond(&u.expr)))
            }
            Expr::Binary(b) => {
                let op = match b.op {
                    BinOp::And(_) => {
                        let (l, r) = (self.cond(&b.left), self.cond(&b.right));
                        return Cond::And(Box::new(l), Box::new(r));
                    }
                    BinOp::Or(_) => {
                        let (l, r) = (self.cond(&b.left), self.cond(&b.right));
                        return Cond::Or(Box::new(l), Box::new(r));
                    }
                    BinOp::Lt(_) => CmpOp::Lt,
                    BinOp::Le(_) => CmpOp::Le,
                    BinOp::Gt(_) => CmpOp::Gt,
                    BinOp::Ge(_) => CmpOp::Ge,
                    BinOp::Eq(_) => CmpOp::Eq,
                    BinOp::Ne(_) => CmpOp::Ne,
                    _ => return self.not_a_condition(expr),
                };
                let (l, r) = (self.int_like(&b.left), self.int_like(&b.right));
                let integer = (l == IntLike::Yes && r != IntLike::No)
                    || (r == IntLike::Yes && l != IntLike::No);
                if integer {
                    let a = CondVal::Int(self.int_expr(&b.left));
                    let c = CondVal::Int(self.int_expr(&b.right));
                    return Cond::Cmp {
                        pre: Vec::new(),
                        op,
                        a,
                        b: c,
                    };
                }
                let was = std::mem::replace(&mut self.in_cond, true);
                let mut sides = (None, None);
                let pre = self.region(|this| {
                    sides = (Some(this.expr(&b.left)), Some(this.expr(&b.right)));
                });
                self.in_cond = was;
                let zero = Operand::Const(0);
                Cond::Cmp {
                    pre,
                    op,
                    a: CondVal::F64(sides.0.unwrap_or(zero)),
                    b: CondVal::F64(sides.1.unwrap_or(zero)),
                }
            }
            _ => self.not_a_condition(expr),
        }
    }

    fn not_a_condition(&mut self, expr: &Expr) -> Cond {
        self.fail(
            expr,
            "expected a condition: a comparison (`<`, `<=`, `>`, `>=`, `==`, `!=`) of \
             numbers or integers, combined with `&&`, `||` and `!`",
        );
        Cond::Cmp {
            pre: Vec::new(),
            op: CmpOp::Eq,
            a: CondVal::Int(crate::ir::IntExpr::Lit(0)),
            b: CondVal::Int(crate::ir::IntExpr::Lit(0)),
        }
    }
}
