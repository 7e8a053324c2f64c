//! Statements: `let` (numbers, integers, local arrays), assignments, and
//! the move of a `let mut` scalar to storage before a loop or a branch
//! that assigns it.

use super::CONTROL_FLOW;
use super::{BindKind, Bound, IntLike, Lowerer, is_compound_assign, is_control_flow};
use crate::ir::{IntExpr, Operand, ParamTy, Place, Stmt, Target, Var};
use syn::{Block, Expr, Pat};

impl Lowerer {
    /// `let name (: ty)? = expr;`, `let mut name = expr;` and local arrays.
    pub(super) fn local(&mut self, local: &syn::Local) {
        let (pat, typed) = match &local.pat {
            Pat::Type(t) => (&*t.pat, Some(&*t.ty)),
            pat => (pat, None),
        };
        let Some(init) = &local.init else {
            let zero = self.fail(local, "expected an initializer: `let name = expr;`");
            // Bound anyway, so a later `name = ...` adds no second error.
            if let Pat::Ident(p) = pat {
                self.bind(&p.ident, Bound::Value(zero), BindKind::LetMut);
            }
            return;
        };
        if let Some((else_token, _)) = &init.diverge {
            self.fail(
                else_token,
                format!("`let ... else` is not supported: {CONTROL_FLOW}"),
            );
        }
        let (ident, kind) = match pat {
            Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => (
                &p.ident,
                if p.mutability.is_some() {
                    BindKind::LetMut
                } else {
                    BindKind::Let
                },
            ),
            other => {
                self.expr(&init.expr);
                self.fail(
                    other,
                    "expected a plain name like `let a = ...` or `let mut a = ...`",
                );
                return;
            }
        };
        let annotated = typed.map(|ty| self.let_type(ty));
        // `let __mg_out: [f64; N] = h;`, which `#[differentiable]` writes
        // for a function that returns its local array `h`: another name for
        // the same array (nothing is stored to `h` after it).
        if ident == "__mg_out" {
            if let Expr::Path(p) = super::expr::strip_parens(&init.expr) {
                let bound = p
                    .path
                    .get_ident()
                    .and_then(|i| self.lookup(&i.to_string()))
                    .map(|b| b.bound.clone());
                if let Some(bound @ Bound::Array(..)) = bound {
                    self.bind(ident, bound, kind);
                    return;
                }
            }
        }
        // `let y = layer(..);` indexed later, or `let y: [f64; 4] = layer(..);`:
        // a function that returns an array.
        if let Expr::Call(call) = super::expr::strip_parens(&init.expr) {
            let array = match annotated {
                Some(Some(LetTy::Array)) => true,
                None => self.indexed_later.is_some(),
                _ => false,
            };
            if array && super::call::is_user_call(call) {
                self.call_array(ident, kind, call, typed);
                return;
            }
        }
        if matches!(&*init.expr, Expr::Array(_) | Expr::Repeat(_))
            || matches!(annotated, Some(Some(LetTy::Array)))
        {
            self.local_array(ident, kind, &init.expr);
            return;
        }
        let integer = match annotated {
            Some(Some(LetTy::Usize)) => true,
            Some(_) => false,
            None => self.int_like(&init.expr) == IntLike::Yes,
        };
        if integer {
            if let Pat::Ident(syn::PatIdent {
                mutability: Some(token),
                ..
            }) = pat
            {
                self.fail(
                    token,
                    "integer variables cannot be `mut` inside grad!: \
                     the reverse sweep recomputes them; bind a new name instead",
                );
            }
            let value = self.int_expr(&init.expr);
            self.bind_int(ident, value, kind);
            return;
        }
        if let Some(message) = self.array_name(&init.expr) {
            self.fail(&init.expr, message);
            return;
        }
        let value = self.expr(&init.expr);
        self.bind(ident, Bound::Value(value), kind);
    }

    /// Binds a new integer name to `value`.
    fn bind_int(&mut self, ident: &syn::Ident, value: IntExpr, kind: BindKind) {
        self.program.ints.push(crate::ir::IntDef {
            name: ident.to_string(),
        });
        let id = self.program.ints.len() - 1;
        self.stmts.push(Stmt::Int(id, value));
        self.bind(ident, Bound::Int(IntExpr::Int(id)), kind);
    }

    /// The type of a `let`: `f64`, `usize` or an array of `f64`.
    fn let_type(&mut self, ty: &syn::Type) -> Option<LetTy> {
        if crate::parse::is_f64(ty) {
            return Some(LetTy::F64);
        }
        if let syn::Type::Path(p) = ty {
            if p.qself.is_none() && p.path.is_ident("usize") {
                return Some(LetTy::Usize);
            }
        }
        if let Ok(ParamTy::Array(_)) = crate::parse::param_type(ty) {
            return Some(LetTy::Array);
        }
        self.fail(
            ty,
            "expected type `f64`, `usize` or an array of f64 (or no type)",
        );
        None
    }

    /// An expression statement: assignments, loops and `if` have effects.
    pub(super) fn statement(&mut self, expr: &Expr) {
        match expr {
            Expr::Assign(assign) => self.assign(expr, &assign.left, None, &assign.right),
            Expr::Binary(binary) => {
                use crate::ir::Op;
                use syn::BinOp;
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
                        self.fail(expr, NO_EFFECT);
                    }
                }
            }
            Expr::ForLoop(f) => self.for_loop(f),
            Expr::If(e) => {
                self.if_else(e, false);
            }
            Expr::Block(b) if b.label.is_none() => {
                self.scopes.push(Vec::new());
                self.stmts_of(&b.block, false);
                self.scopes.pop();
            }
            // Rejected with their own message by `expr`.
            expr if is_control_flow(expr) => {
                self.expr(expr);
            }
            _ => {
                self.fail(expr, NO_EFFECT);
            }
        }
    }

    /// `place = value` or `place op= value`: a `let mut` name or an element
    /// of a `let mut` local array.
    pub(super) fn assign(
        &mut self,
        whole: &Expr,
        left: &Expr,
        op: Option<crate::ir::Op>,
        right: &Expr,
    ) {
        if self.in_cond {
            self.fail(whole, "assignments are not allowed inside a condition");
            return;
        }
        let value = self.expr(right);
        let span = match whole {
            Expr::Binary(b) => syn::spanned::Spanned::span(&b.op),
            _ => syn::spanned::Spanned::span(left),
        };
        let text = self.text(whole);
        if let Expr::Index(_) = left {
            self.assign_element(left, op, value, span, text);
            return;
        }
        let ident = match left {
            Expr::Path(p) if p.qself.is_none() => p.path.get_ident(),
            _ => None,
        };
        let Some(ident) = ident else {
            self.fail(
                left,
                "expected a `let mut` variable or an element of a `let mut` array \
                 on the left of the assignment",
            );
            return;
        };
        let name = ident.to_string();
        let Some(binding) = self.lookup(&name) else {
            self.fail(
                ident,
                format!(
                    "cannot assign to `{name}`: captured values are constants; \
                     only `let mut` variables declared inside grad! can be assigned"
                ),
            );
            return;
        };
        let (bound, kind) = (binding.bound.clone(), binding.kind);
        match (kind, bound) {
            (BindKind::Param, _) => {
                self.fail(
                    ident,
                    format!(
                        "cannot assign to parameter `{name}`; declare `let mut {name} = {name};` first"
                    ),
                );
            }
            // A `let mut` integer was reported at its `mut` already.
            (BindKind::LetMut, Bound::Int(_)) => {}
            (_, Bound::Int(_)) => {
                self.fail(
                    ident,
                    format!(
                        "cannot assign to integer `{name}`: integers are immutable inside grad! \
                         (the reverse sweep recomputes them); bind a new name instead"
                    ),
                );
            }
            (_, Bound::Array(..)) => {
                self.fail(
                    ident,
                    format!("cannot assign to the whole array `{name}`; assign its elements (`{name}[i] = ...`)"),
                );
            }
            (BindKind::Let, _) => {
                self.fail(
                    ident,
                    format!("cannot assign to `{name}`: it is not declared `let mut`"),
                );
            }
            (BindKind::LetMut, Bound::Value(old)) => {
                let new = match op {
                    Some(op) => self.op(op, &[old, value], span, text),
                    None => value,
                };
                if let Operand::Inst(i) = new {
                    self.program.insts[i]
                        .name
                        .get_or_insert_with(|| name.clone());
                }
                if let Some(binding) = self.lookup_mut(&name) {
                    binding.bound = Bound::Value(new);
                }
            }
            (BindKind::LetMut, Bound::Var(v)) => {
                let place = Place {
                    target: Target::Var(v),
                    index: Vec::new(),
                };
                let new = match op {
                    Some(op) => {
                        let old = self.load(place.clone(), span, name.clone());
                        self.op(op, &[old, value], span, text)
                    }
                    None => value,
                };
                self.store(Stmt::Store { place, value: new });
            }
        }
    }

    /// Moves the `let mut` scalars that `tokens` assigns (a loop or a
    /// branch about to be lowered) from SSA to storage, storing their
    /// current values, so every iteration and both branches see one place.
    pub(super) fn move_to_storage(&mut self, assigned: &[String]) {
        for name in assigned {
            let Some(binding) = self.lookup(name) else {
                continue;
            };
            if let (BindKind::LetMut, Bound::Value(value)) = (binding.kind, binding.bound.clone()) {
                self.program.vars.push(Var {
                    name: name.clone(),
                    dims: Vec::new(),
                    active: false,
                });
                let v = self.program.vars.len() - 1;
                self.store(Stmt::Store {
                    place: Place {
                        target: Target::Var(v),
                        index: Vec::new(),
                    },
                    value,
                });
                if let Some(binding) = self.lookup_mut(name) {
                    binding.bound = Bound::Var(v);
                }
            }
        }
    }
}

/// What a `let` annotation says.
#[derive(Clone, Copy, PartialEq, Eq)]
enum LetTy {
    F64,
    Usize,
    Array,
}

const NO_EFFECT: &str = "this statement has no effect; expected `let`, an assignment \
     (`=`, `+=`, `-=`, `*=`, `/=`), a `for` loop, an `if`, or the final expression without `;`";

/// The names that `expr` assigns anywhere inside (`name = `, `name op= `,
/// `name[i] = `), for [`Lowerer::move_to_storage`]. Conservative: a shadowing
/// inner `let mut` of the same name also counts, which only moves the
/// outer variable to storage without need.
pub(super) fn assigned_names(expr: &Expr, out: &mut Vec<String>) {
    let mut note = |left: &Expr| {
        let mut base = left;
        while let Expr::Index(i) = base {
            base = &i.expr;
        }
        if let Expr::Path(p) = base {
            if let Some(ident) = p.path.get_ident() {
                out.push(ident.to_string());
            }
        }
    };
    match expr {
        Expr::Assign(a) => {
            note(&a.left);
            assigned_names(&a.right, out);
        }
        Expr::Binary(b) => {
            if is_compound_assign(&b.op) {
                note(&b.left);
            } else {
                assigned_names(&b.left, out);
            }
            assigned_names(&b.right, out);
        }
        Expr::Block(b) => block_assigned_names(&b.block, out),
        Expr::ForLoop(f) => block_assigned_names(&f.body, out),
        Expr::If(e) => {
            assigned_names(&e.cond, out);
            block_assigned_names(&e.then_branch, out);
            if let Some((_, els)) = &e.else_branch {
                assigned_names(els, out);
            }
        }
        Expr::Paren(p) => assigned_names(&p.expr, out),
        Expr::Group(g) => assigned_names(&g.expr, out),
        Expr::Unary(u) => assigned_names(&u.expr, out),
        Expr::MethodCall(m) => {
            assigned_names(&m.receiver, out);
            m.args.iter().for_each(|a| assigned_names(a, out));
        }
        Expr::Index(i) => {
            assigned_names(&i.expr, out);
            assigned_names(&i.index, out);
        }
        Expr::Array(a) => a.elems.iter().for_each(|e| assigned_names(e, out)),
        Expr::Repeat(r) => assigned_names(&r.expr, out),
        Expr::Cast(c) => assigned_names(&c.expr, out),
        _ => {}
    }
}

pub(super) fn block_assigned_names(block: &Block, out: &mut Vec<String>) {
    for stmt in &block.stmts {
        match stmt {
            syn::Stmt::Expr(e, _) => assigned_names(e, out),
            syn::Stmt::Local(l) => {
                if let Some(init) = &l.init {
                    assigned_names(&init.expr, out);
                }
            }
            _ => {}
        }
    }
}
