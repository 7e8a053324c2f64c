//! Calls: `softplus(x)`, `nn::neuron(&w, &x, b)` of `#[differentiable]`
//! functions become [`Kind::Call`] instructions; `f64::exp(x)`-style paths
//! are the methods they name.

use super::array::index_chain;
use super::expr::strip_parens;
use super::{Bound, Lowerer, Role};
use crate::ir::{CallArg, Kind, Operand, Target};
use quote::ToTokens;
use syn::Expr;

/// Whether `call` calls a function of the user's (not `f64::exp(x)`).
pub(super) fn is_user_call(call: &syn::ExprCall) -> bool {
    match strip_parens(&call.func) {
        Expr::Path(p) if p.qself.is_none() => {
            let first = p.path.segments.first().map(|s| s.ident.to_string());
            !matches!(first.as_deref(), Some("f64" | "core" | "std"))
        }
        _ => false,
    }
}

impl Lowerer {
    /// `path(args)`.
    pub(super) fn call(&mut self, expr: &Expr, call: &syn::ExprCall) -> Operand {
        let func = strip_parens(&call.func);
        let Expr::Path(path) = func else {
            return self.fail(
                &call.func,
                "expected the name of a `#[differentiable]` function before `(...)`",
            );
        };
        if path.qself.is_some() {
            return self.fail(
                path,
                "`<T as Trait>::f` calls are not supported inside grad!",
            );
        }
        let segments: Vec<String> = path
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        // `f64::exp(x)`, `core::primitive::f64::max(a, b)`: the method.
        let is_f64_path = match segments.as_slice() {
            [ty, _] => ty == "f64",
            [root, prim, ty, _] => {
                (root == "core" || root == "std") && prim == "primitive" && ty == "f64"
            }
            _ => false,
        };
        if is_f64_path && !call.args.is_empty() {
            let mut args = call.args.iter().cloned();
            let receiver = args.next().unwrap_or_else(|| call.args[0].clone());
            let last = path.path.segments.last().map(|s| s.ident.clone());
            if let Some(method) = last {
                let method_call = syn::ExprMethodCall {
                    attrs: Vec::new(),
                    receiver: Box::new(receiver),
                    dot_token: Default::default(),
                    method,
                    turbofish: None,
                    paren_token: call.paren_token,
                    args: args.collect(),
                };
                return self.method(expr, &method_call);
            }
        }
        let Some((callee, args)) = self.callee_and_args(path, call) else {
            return self.literal(0.0, String::new());
        };
        let text = self.text(expr);
        let span = syn::spanned::Spanned::span(&call.func);
        self.inst(Kind::Call { callee, args }, span, text)
    }

    /// The callee's index in `Program::callees` and the lowered arguments,
    /// or `None` after an error.
    fn callee_and_args(
        &mut self,
        path: &syn::ExprPath,
        call: &syn::ExprCall,
    ) -> Option<(usize, Vec<CallArg>)> {
        if let Some(seg) = path.path.segments.iter().find(|s| !s.arguments.is_empty()) {
            self.fail(
                &seg.arguments,
                "generic arguments are not supported on calls inside grad!",
            );
            return None;
        }
        if let Some(ident) = path.path.get_ident() {
            if self.lookup(&ident.to_string()).is_some() {
                self.fail(
                    path,
                    format!(
                        "`{ident}` is a value here, not a function; grad! calls \
                         `#[differentiable]` functions"
                    ),
                );
                return None;
            }
        }
        let key = path.path.to_token_stream().to_string();
        let callee = match self
            .program
            .callees
            .iter()
            .position(|p| p.to_token_stream().to_string() == key)
        {
            Some(k) => k,
            None => {
                self.program.callees.push(path.path.clone());
                self.program.callees.len() - 1
            }
        };
        let mut args = Vec::new();
        for arg in &call.args {
            args.push(self.call_arg(arg)?);
        }
        let types = call
            .args
            .iter()
            .zip(&args)
            .map(|(e, a)| {
                self.arg_type(a)
                    .map(|t| (syn::spanned::Spanned::span(e), t))
            })
            .collect();
        self.program.call_sigs.push(crate::ir::CallSig {
            callee,
            args: types,
        });
        Some((callee, args))
    }

    /// The type an argument has in the generated code, when the macro knows
    /// it: `f64` for a number, the parameter's array type (less the indexed
    /// dimensions, `&` when passed by reference) or `&[f64]` for a slice.
    fn arg_type(&self, arg: &CallArg) -> Option<proc_macro2::TokenStream> {
        match arg {
            CallArg::Scalar(_) => Some(crate::codegen::f64_ty()),
            CallArg::Array {
                target: Target::Param(p),
                index,
                by_ref,
            } => match &self.program.params[*p].ty {
                crate::ir::ParamTy::Array(dims) if index.len() < dims.len() => {
                    let ty =
                        crate::codegen::array_ty(&dims[index.len()..], crate::codegen::f64_ty());
                    Some(if *by_ref { quote::quote!(&#ty) } else { ty })
                }
                crate::ir::ParamTy::Slice if index.is_empty() => {
                    let f = crate::codegen::f64_ty();
                    Some(quote::quote!(&[#f]))
                }
                _ => None,
            },
            CallArg::Array { .. } => None,
        }
    }

    /// `let y = layer(&w, &x);` (or `let y: [f64; 4] = ...`) of a function
    /// that returns an array: a local array `y` initialised by the call as
    /// a whole (`ArrayInit::Call`). Its shape is the annotation's, else
    /// the callee's (its companion's `__MG_DIMS`), with as many dimensions
    /// as `y` takes indices.
    pub(super) fn call_array(
        &mut self,
        ident: &syn::Ident,
        kind: super::BindKind,
        call: &syn::ExprCall,
        typed: Option<&syn::Type>,
    ) {
        if self.in_cond {
            self.fail(call, "local arrays are not allowed inside a condition");
            return;
        }
        let Expr::Path(path) = strip_parens(&call.func) else {
            return;
        };
        let Some((callee, args)) = self.callee_and_args(path, call) else {
            return;
        };
        let span = syn::spanned::Spanned::span(&call.func);
        let dims = match typed.map(crate::parse::param_type) {
            Some(Ok(crate::ir::ParamTy::Array(dims))) => dims,
            _ => (0..self.indexed_later.unwrap_or(1))
                .map(|d| crate::codegen::call::out_dim(callee, d, span))
                .collect(),
        };
        let rank = dims.len();
        self.program.vars.push(crate::ir::Var {
            name: ident.to_string(),
            dims,
            active: false,
        });
        let var = self.program.vars.len() - 1;
        self.store(crate::ir::Stmt::Init {
            var,
            init: crate::ir::ArrayInit::Call { callee, args, span },
        });
        self.bind(ident, Bound::Array(Target::Var(var), Some(rank)), kind);
    }

    /// One argument: an array (`&w`, `w`, `&w[k]`, `&xs`) or a number.
    fn call_arg(&mut self, arg: &Expr) -> Option<CallArg> {
        let arg = strip_parens(arg);
        let (inner, by_ref) = match arg {
            Expr::Reference(r) if r.mutability.is_none() => (strip_parens(&r.expr), true),
            Expr::Reference(r) => {
                self.fail(
                    r,
                    "functions called inside grad! cannot take `&mut`; pass `&w` or a number",
                );
                return None;
            }
            other => (other, false),
        };
        let (base, indices) = index_chain(inner);
        let base_path = match base {
            Expr::Path(p) if p.qself.is_none() => Some(p),
            _ => None,
        };
        let bound = base_path
            .and_then(|p| p.path.get_ident())
            .and_then(|i| self.lookup(&i.to_string()))
            .map(|b| b.bound.clone());
        let array = match (&bound, by_ref) {
            (Some(Bound::Array(target, rank)), _) => {
                let full = rank.is_some_and(|r| indices.len() >= r);
                if full && !by_ref {
                    None
                } else if full {
                    self.fail(
                        arg,
                        "pass a number by value: remove the `&` (functions take `f64`)",
                    );
                    return None;
                } else {
                    Some(*target)
                }
            }
            (None, true) => match base_path {
                Some(p) => Some(Target::Data(self.capture(p, Role::Data)?)),
                None => {
                    self.fail(
                        arg,
                        "expected `&name` or `&name[i]`: an array parameter or captured data",
                    );
                    return None;
                }
            },
            (Some(_), true) => {
                self.fail(
                    arg,
                    "pass a number by value: remove the `&` (functions take `f64`)",
                );
                return None;
            }
            (_, false) => None,
        };
        let Some(target) = array else {
            return Some(CallArg::Scalar(self.expr(arg)));
        };
        if let Target::Var(_) = target {
            self.fail(
                arg,
                "local arrays cannot be passed to a function inside grad!; \
                 pass an array parameter or captured data",
            );
            return None;
        }
        // A whole array parameter that is itself a reference (`w: &[f64;
        // 3]` in a `#[differentiable]` function) is passed as one.
        let by_ref = by_ref
            || (indices.is_empty()
                && matches!(target, Target::Param(p) if self.program.params[p].by_ref));
        let index = indices.into_iter().map(|e| self.int_expr(e)).collect();
        Some(CallArg::Array {
            target,
            index,
            by_ref,
        })
    }
}
