//! Arrays: indexing, element assignment, local arrays and captured data.
//!
//! An array parameter, a slice parameter and a local array are storage
//! that instructions load from; only local arrays declared `let mut` can
//! be written. A name that is indexed but bound nowhere is captured data
//! (an outer array, slice or `Vec`): a constant, checked by rustc to hold
//! `f64` elements.

use super::expr::strip_parens;
use super::{BindKind, Bound, Lowerer, Role};
use crate::ir::{ArrayInit, Op, Operand, Place, Stmt, Target, Var};
use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::Expr;

impl Lowerer {
    /// The storage an indexed name refers to; captured data when unbound.
    pub(super) fn array_target(&mut self, p: &syn::ExprPath) -> Option<Target> {
        let name = p.to_token_stream().to_string();
        let bound = p
            .path
            .get_ident()
            .and_then(|i| self.lookup(&i.to_string()))
            .map(|b| b.bound.clone());
        match bound {
            Some(Bound::Array(target, _)) => Some(target),
            Some(_) => {
                self.fail(p, format!("`{name}` is not an array and cannot be indexed"));
                None
            }
            None => self.capture(p, Role::Data).map(Target::Data),
        }
    }

    /// `a[i][j]...` as a place, with the base name's binding kind (`None`
    /// for captured data).
    fn place(&mut self, expr: &Expr) -> Option<(Place, Option<BindKind>, String)> {
        let (base, indices) = index_chain(expr);
        let Expr::Path(p) = base else {
            let message = match base {
                Expr::Call(call) if super::call::is_user_call(call) => {
                    let f = call.func.to_token_stream().to_string();
                    format!(
                        "bind the array that `{f}` returns with `let`, then index it: \
                         `let y = {f}(..); y[0]`"
                    )
                }
                _ => "expected a name before `[...]`: a parameter, a local array or captured data"
                    .to_owned(),
            };
            self.fail(base, message);
            return None;
        };
        let name = p.to_token_stream().to_string();
        let binding = p
            .path
            .get_ident()
            .and_then(|i| self.lookup(&i.to_string()))
            .map(|b| (b.bound.clone(), b.kind));
        let target = self.array_target(p)?;
        if let Some((Bound::Array(_, Some(rank)), _)) = &binding {
            if indices.len() != *rank {
                let brackets: String = ["[i]", "[j]", "[k]", "[l]"]
                    .iter()
                    .cycle()
                    .take(*rank)
                    .copied()
                    .collect();
                self.fail(
                    expr,
                    format!(
                        "`{name}` has {rank} dimension{}: index one element as `{name}{brackets}`",
                        if *rank == 1 { "" } else { "s" }
                    ),
                );
                return None;
            }
        }
        let index = indices.into_iter().map(|e| self.int_expr(e)).collect();
        Some((Place { target, index }, binding.map(|b| b.1), name))
    }

    /// `a[i]` read as a number.
    pub(super) fn element(&mut self, expr: &Expr) -> Operand {
        let text = self.text(expr);
        match self.place(expr) {
            Some((place, _, _)) => {
                let span = syn::spanned::Spanned::span(expr);
                self.load(place, span, text)
            }
            None => self.literal(0.0, String::new()),
        }
    }

    /// `a[i] = value` or `a[i] op= value`.
    pub(super) fn assign_element(
        &mut self,
        left: &Expr,
        op: Option<Op>,
        value: Operand,
        span: Span,
        text: String,
    ) {
        let Some((place, kind, name)) = self.place(left) else {
            return;
        };
        match (place.target, kind) {
            (Target::Var(_), Some(BindKind::LetMut)) => {
                let new = match op {
                    Some(op) => {
                        let old = self.load(place.clone(), span, name);
                        self.op(op, &[old, value], span, text)
                    }
                    None => value,
                };
                self.store(Stmt::Store { place, value: new });
            }
            (Target::Var(_), _) => {
                self.fail(
                    left,
                    format!(
                        "cannot assign to an element of `{name}`: it is not declared `let mut`"
                    ),
                );
            }
            (Target::Param(_), _) => {
                self.fail(
                    left,
                    format!(
                        "cannot assign to parameter `{name}`; copy its elements into a \
                         `let mut` local array first (`let mut v = [{name}[0], {name}[1]];`)"
                    ),
                );
            }
            (Target::Data(_), _) => {
                self.fail(
                    left,
                    format!(
                        "cannot assign to captured data `{name}`: captured values are constants"
                    ),
                );
            }
        }
    }

    /// `let (mut)? name = [..];` or `[e; N]`: a local array in storage.
    pub(super) fn local_array(&mut self, ident: &syn::Ident, kind: BindKind, init: &Expr) {
        if self.in_cond {
            self.fail(init, "local arrays are not allowed inside a condition");
            return;
        }
        let Some((init, dims)) = self.array_init(init) else {
            return;
        };
        self.program.vars.push(Var {
            name: ident.to_string(),
            dims: dims.clone(),
            active: false,
        });
        let var = self.program.vars.len() - 1;
        self.store(Stmt::Init { var, init });
        self.bind(
            ident,
            Bound::Array(Target::Var(var), Some(dims.len())),
            kind,
        );
    }

    /// An array expression as an initializer and its lengths, outermost first.
    fn array_init(&mut self, expr: &Expr) -> Option<(ArrayInit, Vec<TokenStream>)> {
        match strip_parens(expr) {
            Expr::Repeat(r) => {
                let (inner, mut dims) = self.array_init_elem(&r.expr)?;
                dims.insert(0, r.len.to_token_stream());
                Some((
                    ArrayInit::Repeat(Box::new(inner), r.len.to_token_stream()),
                    dims,
                ))
            }
            Expr::Array(a) => {
                if a.elems.is_empty() {
                    self.fail(expr, "an empty array has nothing to differentiate");
                    return None;
                }
                let mut items = Vec::new();
                let mut inner_dims: Option<Vec<TokenStream>> = None;
                for e in &a.elems {
                    let (item, dims) = self.array_init_elem(e)?;
                    let text: Vec<String> = dims.iter().map(ToString::to_string).collect();
                    match &inner_dims {
                        Some(d)
                            if d.iter().map(ToString::to_string).collect::<Vec<_>>() != text =>
                        {
                            self.fail(e, "all rows of an array must have the same length");
                            return None;
                        }
                        _ => inner_dims = Some(dims),
                    }
                    items.push(item);
                }
                let mut dims = inner_dims.unwrap_or_default();
                dims.insert(
                    0,
                    proc_macro2::Literal::usize_unsuffixed(a.elems.len()).into_token_stream(),
                );
                Some((ArrayInit::List(items), dims))
            }
            other => {
                self.fail(other, "expected an array like `[0.0; 16]` or `[a, b, c]`");
                None
            }
        }
    }

    /// An element of an array expression: a nested array or a number.
    fn array_init_elem(&mut self, expr: &Expr) -> Option<(ArrayInit, Vec<TokenStream>)> {
        match strip_parens(expr) {
            Expr::Array(_) | Expr::Repeat(_) => self.array_init(expr),
            e => {
                if let Some(message) = self.array_name(e) {
                    self.fail(e, message);
                    return None;
                }
                Some((ArrayInit::Elem(self.expr(e)), Vec::new()))
            }
        }
    }

    /// The complaint for a whole array used as a value (`let v = w;`).
    pub(super) fn array_name(&self, expr: &Expr) -> Option<String> {
        let Expr::Path(p) = strip_parens(expr) else {
            return None;
        };
        let ident = p.path.get_ident()?;
        match self.lookup(&ident.to_string())?.bound {
            Bound::Array(..) => Some(format!(
                "arrays cannot be copied inside grad!; index `{ident}` directly"
            )),
            _ => None,
        }
    }
}

/// `a[i][j]` as its base `a` and its indices `[i, j]`, outermost first.
pub(super) fn index_chain(expr: &Expr) -> (&Expr, Vec<&Expr>) {
    let mut indices = Vec::new();
    let mut base = strip_parens(expr);
    while let Expr::Index(i) = base {
        indices.push(&*i.index);
        base = strip_parens(&i.expr);
    }
    indices.reverse();
    (base, indices)
}
