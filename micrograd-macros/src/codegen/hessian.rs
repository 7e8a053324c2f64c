//! IR -> tokens for `hessian!` and `hvp!`: forward-over-reverse, the tangent
//! of the adjoint program (Griewank and Walther, "Evaluating Derivatives",
//! 2nd ed., 2008, chapter 5).
//!
//! The generated closure is `grad!`'s program (the forward sweep, then the
//! reverse sweep with the same local derivatives of `rules`) run over the
//! dual numbers `::micrograd::dual::Dual<N>` instead of `f64`: the
//! parameters are seeded with tangents (`e_i` for flat parameter `i` with
//! `N` = the number of flat parameters for `hessian!`, one direction `v`
//! with `N = 1` for `hvp!`), every active value and every adjoint is a
//! dual number, and each local derivative is evaluated on dual numbers
//! (`::micrograd::dual::rules` where `grad!` calls `::micrograd::rules`).
//! The primal parts of the parameters' adjoints are the gradient and their
//! tangents the Hessian's columns (`H v` for `hvp!`).
//!
//! A call of a `#[differentiable]` function runs the callee's own
//! second-order code (`__mg_dual_value` forward, `__mg_dual_vjp` at the
//! call's adjoint in reverse, its adjoints added into the arguments'), which
//! [`companion`] generates from the callee's body with the dual type
//! `Dual<N>` generic in `N`.
//!
//! Values that do not depend on a parameter stay `f64`, computed exactly as
//! `grad!` computes them. Branch conditions compare primal parts, so the
//! branch taken is `grad!`'s.
//!
//! The reverse sweep here is deliberately the simplest correct scheme, not
//! `reverse.rs`'s tuned one (which saves only overwritten reads and
//! recomputes the rest): inside loops and branches, each value that a local
//! derivative reads is pushed on a tape of its own (`Vec`) by the forward
//! sweep and popped when its region is reversed; integers are recomputed;
//! branch outcomes are saved as `Vec<bool>`. Straight-line code (the top
//! region) needs no tape: its values stay in scope. Adjoints start at
//! `-0.0` in every component and accumulate with `+=`.

use super::forward::{place_tokens, range};
use super::{array_fill, array_ty, captures, f64_ty, index, int, name, operand, used_consts};
use crate::ir::{
    ArrayInit, CallArg, Cond, Kind, Liveness, Operand, ParamTy, Program, Stmt, Target,
};
use crate::rules::{self, Local};
use proc_macro2::{Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};

/// What the tangents are seeded with.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Seed {
    /// `e_i` for every flat parameter `i`: the full Hessian (`hessian!`).
    Full,
    /// One direction with the parameters' shape: `H v` (`hvp!`).
    Direction,
}

/// The flat length of parameter `i` as a number when its lengths are
/// literals, `None` for a slice or a named length.
fn flat_len_known(program: &Program, i: usize) -> Option<usize> {
    match &program.params[i].ty {
        ParamTy::Scalar => Some(1),
        ParamTy::Array(dims) => dims.iter().try_fold(1usize, |n, d| {
            let len = syn::parse2::<syn::LitInt>(d.clone()).ok()?;
            n.checked_mul(len.base10_parse::<usize>().ok()?)
        }),
        ParamTy::Slice => None,
    }
}

/// The flat length of parameter `i` as a `usize` expression (`1`, `12`,
/// `(N) * (4)`); `None` for a slice.
fn flat_len(program: &Program, i: usize) -> Option<TokenStream> {
    if let Some(n) = flat_len_known(program, i) {
        return Some(Literal::usize_unsuffixed(n).into_token_stream());
    }
    match &program.params[i].ty {
        ParamTy::Array(dims) => Some(quote!((#((#dims) *)* 1usize))),
        _ => None,
    }
}

/// The number of flat parameters, as a literal when every length is one,
/// else as a constant expression (no slices).
pub fn flat_count(program: &Program) -> TokenStream {
    let n = program.params.len();
    let known: Option<usize> = (0..n)
        .filter(|&i| !matches!(program.params[i].ty, ParamTy::Slice))
        .try_fold(0usize, |sum, i| {
            sum.checked_add(flat_len_known(program, i)?)
        });
    if let Some(total) = known {
        return Literal::usize_unsuffixed(total).into_token_stream();
    }
    let lens = (0..n).filter_map(|i| flat_len(program, i));
    quote!((#(#lens +)* 0usize))
}

/// The Hessian's type, `[[f64; N]; N]`.
pub fn hessian_ty(program: &Program) -> TokenStream {
    let n = flat_count(program);
    let f64_ty = f64_ty();
    quote!([[#f64_ty; #n]; #n])
}

/// The errors of `hessian!` beyond `grad!`'s: a slice parameter, whose
/// run-time length cannot size the Hessian's type.
pub fn check_full(program: &Program) -> syn::Result<()> {
    let mut errors: Option<syn::Error> = None;
    for p in &program.params {
        if matches!(p.ty, ParamTy::Slice) {
            let e = syn::Error::new(
                p.ident.span(),
                format!(
                    "hessian! needs parameters of fixed size (`f64` or arrays): `{}: &[f64]` has a run-time length; use `hvp!` for Hessian-vector products, or an array `[f64; N]`",
                    p.ident
                ),
            );
            match &mut errors {
                Some(all) => all.combine(e),
                None => errors = Some(e),
            }
        }
    }
    errors.map_or(Ok(()), Err)
}

/// Calls `hessian!` and `hvp!` cannot differentiate twice, rejected
/// before code is generated: a call of a function that returns an array
/// (`let y = layer(..);`), and a slice parameter passed to a function
/// (`hvp!`'s slices are read side by side with their direction, never
/// made dual numbers). Calls of functions with a custom pullback are
/// rejected by [`second_order_checks`] (the macro cannot see the callee).
pub fn check_calls(program: &Program) -> syn::Result<()> {
    let mut array_call = None;
    crate::ir::walk(&program.body, &mut |s| {
        if let crate::ir::Stmt::Init {
            init: ArrayInit::Call { span, .. },
            ..
        } = s
        {
            array_call.get_or_insert(*span);
        }
    });
    if let Some(span) = array_call {
        return Err(syn::Error::new(
            span,
            "hessian! and hvp! do not differentiate through calls of functions that return an array yet; write the function's body inline in the closure, or make it return `f64`",
        ));
    }
    let slice_arg = program.insts.iter().find(|i| match &i.kind {
        Kind::Call { args, .. } => args.iter().any(|a| {
            matches!(a, CallArg::Array { target: Target::Param(p), .. }
                if matches!(program.params[*p].ty, ParamTy::Slice))
        }),
        _ => false,
    });
    if let Some(inst) = slice_arg {
        return Err(syn::Error::new(
            inst.span,
            "hvp! does not pass a slice parameter to a function yet; pass an array parameter (`[f64; N]`) or write the function's body inline in the closure",
        ));
    }
    Ok(())
}

/// One check per callee, at its first active call: that the function has
/// second-order code (its companion's `__MG_SECOND`, false for a custom
/// pullback, for a function with a slice parameter or that returns an
/// array, or calls one). A constant item, so the error is at compile
/// time, at the call, and the only one. Goes inside
/// [`super::call::scope`], which names the callees.
pub fn second_order_checks(program: &Program) -> TokenStream {
    second_order_asserts(program, false)
}

/// The checks of [`second_order_checks`] as constant items (`hessian!`'s
/// closure), or as inline `const { .. }` blocks (`inline`: a companion's
/// generic `__mg_dual_value`, where they are evaluated when `hessian!`
/// instantiates it, so mutually recursive functions are no cycle).
fn second_order_asserts(program: &Program, inline: bool) -> TokenStream {
    let mut out = TokenStream::new();
    for (k, path) in program.callees.iter().enumerate() {
        // A call where no argument is active calls the function itself.
        let Some(span) = program
            .insts
            .iter()
            .find(|i| i.active && matches!(i.kind, Kind::Call { callee, .. } if callee == k))
            .map(|i| i.span)
        else {
            continue;
        };
        let mut u = name("u", k);
        u.set_span(Span::mixed_site().located_at(span));
        let text = path.to_token_stream().to_string().replace(' ', "");
        let message = format!(
            "hessian! and hvp! cannot differentiate `{text}` twice: it has a custom derivative (`#[differentiable(pullback = ..)]`: no second-derivative rule), a slice parameter, or a call of a function that returns an array; write its body inline in the closure"
        );
        out.extend(if inline {
            quote_spanned!(span=> const { ::core::assert!(#u::__MG_SECOND, #message) };)
        } else {
            quote_spanned!(span=> const _: () = ::core::assert!(#u::__MG_SECOND, #message);)
        });
    }
    out
}

struct Gen<'a> {
    program: &'a Program,
    live: Liveness,
    /// The dual type, `::micrograd::dual::Dual<N>`.
    d: TokenStream,
    /// The output's adjoint: `Dual::cst(1.0)`, or a companion's `gy`.
    seed: TokenStream,
    /// Instructions that are statements of a region (not of a condition).
    in_region: Vec<bool>,
    /// Instructions whose value the reverse sweep reads, directly (in a
    /// local derivative) or to recompute another.
    needed: Vec<bool>,
    /// Instructions inside a loop or a branch.
    nested: Vec<bool>,
    /// The branches inside a loop (their outcomes go on a `Vec<bool>`;
    /// the others in a `bool`).
    branch_in_loop: Vec<bool>,
}

impl Gen<'_> {
    fn has_adjoint(&self, i: usize) -> bool {
        self.live.insts[i] && self.program.insts[i].active && self.in_region[i]
    }

    /// Whether a stored value of storage `v` is a dual number.
    fn var_dual(&self, v: usize) -> bool {
        self.program.vars[v].active
    }

    /// Whether the reverse sweep pops instruction `i`'s value from a tape
    /// (a needed load of storage inside a loop or branch: the storage may
    /// have been overwritten since); other needed values inside loops and
    /// branches are recomputed from what they read.
    fn taped(&self, i: usize) -> bool {
        self.nested[i] && self.needed[i] && is_var_load(self.program, i)
    }

    /// The type of instruction `i`'s value.
    fn inst_ty(&self, i: usize) -> TokenStream {
        if self.program.insts[i].active {
            self.d.clone()
        } else {
            f64_ty()
        }
    }

    /// An operand as a dual number (a constant gets no tangent).
    fn dual(&self, o: Operand) -> TokenStream {
        let t = operand(self.program, o);
        if self.program.is_active(o) {
            t
        } else {
            let d = &self.d;
            quote!(#d::cst(#t))
        }
    }

    /// An operand stored into storage of dual numbers or not.
    fn stored(&self, o: Operand, dual: bool) -> TokenStream {
        if dual {
            self.dual(o)
        } else {
            operand(self.program, o)
        }
    }

    fn zero(&self) -> TokenStream {
        let d = &self.d;
        quote!(#d::NEG_ZERO)
    }

    fn declarations(&self) -> TokenStream {
        let mut out = TokenStream::new();
        for (k, var) in self.program.vars.iter().enumerate() {
            if !self.live.vars[k] {
                continue;
            }
            let x = name("x", k);
            let zero = if self.var_dual(k) {
                let d = &self.d;
                quote!(#d::cst(0.0))
            } else {
                quote!(0.0f64)
            };
            let init = array_fill(&var.dims, zero);
            out.extend(quote!(let mut #x = #init;));
        }
        for i in 0..self.program.insts.len() {
            if self.taped(i) && self.live.insts[i] {
                let (t, ty) = (name("t", i), self.inst_ty(i));
                out.extend(quote!(let mut #t: ::std::vec::Vec<#ty> = ::std::vec::Vec::new();));
            }
        }
        crate::ir::walk(&self.program.body, &mut |s| {
            if let Stmt::If(b) = s {
                let t = name("b", b.id);
                out.extend(if self.branch_in_loop[b.id] {
                    quote!(let mut #t: ::std::vec::Vec<bool> = ::std::vec::Vec::new();)
                } else {
                    quote!(let mut #t: bool = false;)
                });
            }
        });
        out
    }

    fn forward(&self, stmts: &[Stmt]) -> TokenStream {
        let mut out = TokenStream::new();
        for stmt in stmts {
            out.extend(self.forward_stmt(stmt));
        }
        out
    }

    fn forward_stmt(&self, stmt: &Stmt) -> TokenStream {
        match stmt {
            Stmt::Inst(i) => {
                if !self.live.insts[*i] {
                    return TokenStream::new();
                }
                let line = self.inst(*i);
                if self.taped(*i) {
                    let (t, v) = (name("t", *i), name("v", *i));
                    quote!(#line #t.push(#v);)
                } else {
                    line
                }
            }
            Stmt::Int(i, e) => {
                let (n, e) = (name("i", *i), int(e));
                quote!(let #n: ::core::primitive::usize = #e;)
            }
            Stmt::Store { place, value } => {
                let Target::Var(v) = place.target else {
                    return TokenStream::new();
                };
                if !self.live.vars[v] {
                    return TokenStream::new();
                }
                let (x, idx) = (name("x", v), index(&place.index));
                let value = self.stored(*value, self.var_dual(v));
                quote!(#x #idx = #value;)
            }
            Stmt::Init { var, init } => {
                if !self.live.vars[*var] {
                    return TokenStream::new();
                }
                let x = name("x", *var);
                let value = self.array_init(init, self.var_dual(*var));
                quote!(#x = #value;)
            }
            Stmt::For(l) => {
                if !self.live.stmt(stmt) {
                    return TokenStream::new();
                }
                let (i, range) = (name("i", l.var), range(l, l.rev));
                let body = self.forward(&l.body);
                quote!(for #i in #range { #body })
            }
            Stmt::If(b) => {
                if !self.live.stmt(stmt) {
                    return TokenStream::new();
                }
                let cond = self.cond(&b.cond);
                let (then, els) = (self.forward(&b.then), self.forward(&b.els));
                let (t, c) = (name("b", b.id), name("cond", b.id));
                let save = if self.branch_in_loop[b.id] {
                    quote!(#t.push(#c);)
                } else {
                    quote!(#t = #c;)
                };
                quote!({ let #c: bool = #cond; #save if #c { #then } else { #els } })
            }
        }
    }

    fn array_init(&self, init: &ArrayInit, dual: bool) -> TokenStream {
        match init {
            ArrayInit::Elem(o) => self.stored(*o, dual),
            ArrayInit::List(items) => {
                let items = items.iter().map(|i| self.array_init(i, dual));
                quote!([#(#items),*])
            }
            ArrayInit::Repeat(inner, len) => {
                let inner = self.array_init(inner, dual);
                quote!([#inner; #len])
            }
            // Rejected by `check_calls`.
            ArrayInit::Call { .. } => quote!(::core::compile_error!("call in hessian!")),
        }
    }

    /// `let __mg_v{i}: T = ...;`: on dual numbers when active, else as
    /// `grad!` computes it.
    fn inst(&self, i: usize) -> TokenStream {
        let program = self.program;
        let inst = &program.insts[i];
        let (y, span, ty) = (name("v", i), inst.span, self.inst_ty(i));
        let d = &self.d;
        let value = match (&inst.kind, inst.active) {
            (Kind::Op { op, args }, true) => {
                let [a, b, c] = args.map(|o| self.dual(o));
                super::op_on(*op, &d.to_token_stream(), [a.clone(), b, c], a)
            }
            (Kind::Op { op, args }, false) => {
                let a = args.map(|o| operand(program, o));
                rules::rule(*op, &a, &y.to_token_stream()).forward
            }
            (Kind::PowiBy { base, exp }, true) => {
                let (x, n) = (self.dual(*base), int(exp));
                quote!(#d::powi(#x, (#n) as i32))
            }
            (Kind::PowiBy { base, exp }, false) => {
                let (x, n) = (operand(program, *base), int(exp));
                quote!(#x.powi((#n) as i32))
            }
            (Kind::Load(place), _) => match place.target {
                // `hvp!` reads a slice and its direction side by side.
                Target::Param(p) if matches!(program.params[p].ty, ParamTy::Slice) => {
                    let (x, v, idx) = (name("p", p), name("dir", p), index(&place.index));
                    quote!(#d::new(#x #idx, [#v #idx]))
                }
                _ => place_tokens(place),
            },
            // The callee's second-order code on dual numbers (see
            // `differentiable.rs`); where no argument is active, the
            // function itself, as `grad!` calls it.
            (Kind::Call { callee, args }, true) => {
                let args = self.dual_args(args);
                super::call::dual_value_call(*callee, &args, span)
            }
            (Kind::Call { callee, args }, false) => {
                let args = super::call::f64_args(program, args, &|o| operand(program, o));
                super::call::plain_call(*callee, &args, span)
            }
            (Kind::FromInt(e), _) => {
                let (n, f64_ty) = (int(e), f64_ty());
                quote!((#n) as #f64_ty)
            }
        };
        quote_spanned!(span=> let #y: #ty = #value;)
    }

    /// The arguments of a call as dual numbers: numbers as [`Self::dual`],
    /// a parameter array as it is (dual numbers already), captured data
    /// as constant dual numbers.
    fn dual_args(&self, args: &[CallArg]) -> Vec<TokenStream> {
        args.iter()
            .map(|a| match a {
                CallArg::Scalar(o) => self.dual(*o),
                CallArg::Array {
                    target,
                    index: idx,
                    by_ref,
                } => {
                    let idx = index(idx);
                    let value = match target {
                        Target::Param(p) => {
                            let n = name("p", *p);
                            quote!(#n #idx)
                        }
                        Target::Data(k) => {
                            let n = name("d", *k);
                            quote!(::micrograd::differentiable::to_duals(&(*#n) #idx))
                        }
                        // Rejected by the lowering (local arrays are not
                        // passed to functions).
                        Target::Var(v) => {
                            let n = name("x", *v);
                            quote!(#n #idx)
                        }
                    };
                    if *by_ref { quote!(&#value) } else { value }
                }
            })
            .collect()
    }

    /// A condition on primal parts (see [`super::cond`]).
    fn cond(&self, cond: &Cond) -> TokenStream {
        super::cond(cond, &|i| self.inst(i), &|o| {
            let t = operand(self.program, o);
            quote!(::micrograd::dual::primal(#t))
        })
    }

    /// The adjoint of an operand, if it has one.
    fn target(&self, o: Operand) -> Option<TokenStream> {
        match o {
            Operand::Param(i) => Some(name("gp", i).into_token_stream()),
            Operand::Inst(i) if self.has_adjoint(i) => Some(name("g", i).into_token_stream()),
            _ => None,
        }
    }

    /// Pops (or, at the top, finds in scope) what the region's local
    /// derivatives read, declares its adjoints, reverses its statements.
    fn region(&self, stmts: &[Stmt], top: bool) -> TokenStream {
        let mut out = TokenStream::new();
        if !top {
            for stmt in stmts {
                match stmt {
                    Stmt::Int(i, e) => {
                        let (n, e) = (name("i", *i), int(e));
                        out.extend(quote!(let #n: ::core::primitive::usize = #e;));
                    }
                    Stmt::Inst(i) if self.live.insts[*i] && self.taped(*i) => {
                        let (t, v, ty) = (name("t", *i), name("v", *i), self.inst_ty(*i));
                        out.extend(quote!(let #v: #ty = #t.pop().unwrap_or_default();));
                    }
                    Stmt::Inst(i) if self.live.insts[*i] && self.needed[*i] => {
                        out.extend(self.inst(*i));
                    }
                    _ => {}
                }
            }
        }
        for stmt in stmts {
            if let Stmt::Inst(i) = stmt {
                if self.has_adjoint(*i) {
                    let (g, d) = (name("g", *i), &self.d);
                    let seed = if top && self.program.output == Operand::Inst(*i) {
                        self.seed.clone()
                    } else {
                        self.zero()
                    };
                    out.extend(quote!(let mut #g: #d = #seed;));
                }
            }
        }
        for stmt in stmts.iter().rev() {
            out.extend(self.reverse_stmt(stmt));
        }
        out
    }

    fn reverse_stmt(&self, stmt: &Stmt) -> TokenStream {
        let program = self.program;
        match stmt {
            Stmt::Inst(i) if self.has_adjoint(*i) => self.reverse_inst(*i),
            Stmt::Inst(_) | Stmt::Int(..) => TokenStream::new(),
            Stmt::Store { place, value } => {
                let Target::Var(v) = place.target else {
                    return TokenStream::new();
                };
                if !self.live.vars[v] || !program.vars[v].active {
                    return TokenStream::new();
                }
                let (gx, idx, zero) = (name("gx", v), index(&place.index), self.zero());
                let pass = match self.target(*value) {
                    Some(t) => quote!(#t += #gx #idx;),
                    None => TokenStream::new(),
                };
                quote!(#pass #gx #idx = #zero;)
            }
            Stmt::Init { var, init } => {
                if !self.live.vars[*var] || !program.vars[*var].active {
                    return TokenStream::new();
                }
                let gx = name("gx", *var);
                let mut out = TokenStream::new();
                self.init(init, &gx.to_token_stream(), &mut out);
                let zeros = array_fill(&program.vars[*var].dims, self.zero());
                quote!(#out #gx = #zeros;)
            }
            Stmt::For(l) => {
                if !self.live.stmt(stmt) {
                    return TokenStream::new();
                }
                let (i, range) = (name("i", l.var), range(l, !l.rev));
                let body = self.region(&l.body, false);
                quote!(for #i in #range { #body })
            }
            Stmt::If(b) => {
                if !self.live.stmt(stmt) {
                    return TokenStream::new();
                }
                let t = name("b", b.id);
                let (then, els) = (self.region(&b.then, false), self.region(&b.els, false));
                let outcome = if self.branch_in_loop[b.id] {
                    quote!(#t.pop().unwrap_or_default())
                } else {
                    quote!(#t)
                };
                quote!(if #outcome { #then } else { #els })
            }
        }
    }

    /// `g += gx[path]` for each active element of an array initializer.
    fn init(&self, init: &ArrayInit, path: &TokenStream, out: &mut TokenStream) {
        super::init_adjoints(init, path, out, 0, &|o| self.target(o), &|_, _, out| {
            // Rejected by `check_calls`.
            out.extend(quote!(::core::compile_error!("call in hessian!");));
        });
    }

    /// The contributions of instruction `i` to its operands' adjoints: the
    /// local derivatives of `rules` on dual numbers.
    fn reverse_inst(&self, i: usize) -> TokenStream {
        let program = self.program;
        let g = name("g", i).into_token_stream();
        let d = &self.d;
        let (locals, operands, guards): (Vec<Local>, Vec<Operand>, bool) =
            match &program.insts[i].kind {
                Kind::Op { op, args } => {
                    let tokens = args.map(|a| self.dual(a));
                    let y = name("v", i).into_token_stream();
                    let rule = rules::rule(*op, &tokens, &y);
                    let n = op.arity();
                    let locals = rule.local.into_iter().take(n).collect();
                    (locals, args[..n].to_vec(), rules::guards_zero(*op))
                }
                Kind::PowiBy { base, exp } => {
                    let (x, n) = (self.dual(*base), int(exp));
                    let rule = rules::powi_by(&x, &quote!(((#n) as i32)));
                    (rule.local.into_iter().take(1).collect(), vec![*base], true)
                }
                Kind::Load(place) => {
                    let idx = index(&place.index);
                    let src = match place.target {
                        Target::Param(p) if matches!(program.params[p].ty, ParamTy::Slice) => {
                            // Its gradient and `H v` are two `Vec<f64>`.
                            let (gp, ge) = (name("gp", p), name("gpe", p));
                            return quote!(#gp #idx += #g.re; #ge #idx += #g.eps[0];);
                        }
                        Target::Var(v) => name("gx", v),
                        Target::Param(p) => name("gp", p),
                        Target::Data(_) => return TokenStream::new(),
                    };
                    return quote!(#src #idx += #g;);
                }
                Kind::FromInt(_) => return TokenStream::new(),
                // The callee's second-order pullback at this call's
                // adjoint, its adjoints added into the arguments' (as
                // `reverse.rs` does with the first-order one); skipped
                // when the adjoint is exactly 0 in every component.
                Kind::Call { callee, args } => {
                    let grads = name("G", i).into_token_stream();
                    let body = super::call::contributions(args, &grads, &|o| self.target(o));
                    if body.is_empty() {
                        return TokenStream::new();
                    }
                    let span = program.insts[i].span;
                    let a = self.dual_args(args);
                    let call = super::call::dual_vjp_call(*callee, &a, &g, span);
                    return quote!(if !#g.is_zero() { let #grads = #call; #body });
                }
            };
        let mut body = TokenStream::new();
        let mut guarded = false;
        for (local, o) in locals.into_iter().zip(operands) {
            let Some(target) = self.target(o) else {
                continue;
            };
            body.extend(match local {
                Local::Zero => continue,
                Local::One => quote!(#target += #g;),
                Local::MinusOne => quote!(#target -= #g;),
                Local::Gate(c) => {
                    let c = dual_rules(c);
                    quote!(if #c { #target += #g; })
                }
                Local::Expr(e) => {
                    let e = dual_rules(e);
                    if guards {
                        guarded = true;
                        quote!(#target += #g.guarded_mul(#d::from(#e));)
                    } else {
                        quote!(#target += #g * (#e);)
                    }
                }
            });
        }
        if guarded {
            quote!(if !#g.is_zero() { #body })
        } else {
            body
        }
    }
}

/// `::micrograd::rules::f` -> `::micrograd::dual::rules::f` in the tokens
/// of a local derivative: the same rule, on dual numbers.
fn dual_rules(tokens: TokenStream) -> TokenStream {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = Vec::with_capacity(trees.len());
    for (k, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Group(g) => {
                let mut group = Group::new(g.delimiter(), dual_rules(g.stream()));
                group.set_span(g.span());
                out.push(TokenTree::Group(group));
            }
            TokenTree::Ident(ident)
                if ident == "rules"
                    && k >= 3
                    && matches!(&trees[k - 3], TokenTree::Ident(m) if m == "micrograd")
                    && matches!(&trees[k - 1], TokenTree::Punct(p) if p.as_char() == ':') =>
            {
                out.push(TokenTree::Ident(Ident::new("dual", ident.span())));
                out.push(TokenTree::Punct(Punct::new(':', Spacing::Joint)));
                out.push(TokenTree::Punct(Punct::new(':', Spacing::Alone)));
                out.push(tree.clone());
            }
            _ => out.push(tree.clone()),
        }
    }
    out.into_iter().collect()
}

/// Which instructions the reverse sweep reads: the operands (and outputs)
/// that the local derivatives of live active instructions read.
fn needed(program: &Program, live: &Liveness, nested: &[bool]) -> Vec<bool> {
    let mut needed = vec![false; program.insts.len()];
    for (j, inst) in program.insts.iter().enumerate() {
        if !live.insts[j] || !inst.active {
            continue;
        }
        match &inst.kind {
            Kind::Op { op, args } => {
                for arg in 0..op.arity() {
                    if !program.is_active(args[arg]) || !rules::has_local(*op, arg) {
                        continue;
                    }
                    let reads = rules::reads(*op, arg);
                    for (k, read) in reads.iter().enumerate() {
                        if !*read {
                            continue;
                        }
                        let o = if k == 3 { Operand::Inst(j) } else { args[k] };
                        if let Operand::Inst(r) = o {
                            needed[r] = true;
                        }
                    }
                }
            }
            Kind::PowiBy {
                base: Operand::Inst(r),
                ..
            } => needed[*r] = true,
            // The pullback of a call reads all its arguments.
            Kind::Call { .. } => {
                for o in inst.operands() {
                    if let Operand::Inst(r) = o {
                        needed[r] = true;
                    }
                }
            }
            _ => {}
        }
    }
    // A value recomputed inside a loop or branch needs what it reads.
    let mut work: Vec<usize> = (0..needed.len()).filter(|&i| needed[i]).collect();
    while let Some(i) = work.pop() {
        if !nested[i] || is_var_load(program, i) {
            continue;
        }
        for o in program.insts[i].operands() {
            if let Operand::Inst(j) = o {
                if !needed[j] {
                    needed[j] = true;
                    work.push(j);
                }
            }
        }
    }
    needed
}

/// Whether instruction `i` reads storage (which a later store may change).
fn is_var_load(program: &Program, i: usize) -> bool {
    matches!(
        &program.insts[i].kind,
        Kind::Load(place) if matches!(place.target, Target::Var(_))
    )
}

/// Marks the branches inside loops.
fn branches_in_loops(stmts: &[Stmt], in_loop: bool, out: &mut [bool]) {
    for s in stmts {
        match s {
            Stmt::For(l) => branches_in_loops(&l.body, true, out),
            Stmt::If(b) => {
                out[b.id] = in_loop;
                branches_in_loops(&b.then, in_loop, out);
                branches_in_loops(&b.els, in_loop, out);
            }
            _ => {}
        }
    }
}

/// Marks the instructions that are statements of regions, and those
/// inside loops or branches.
fn regions(stmts: &[Stmt], nested: bool, in_region: &mut [bool], inner: &mut [bool]) {
    for s in stmts {
        match s {
            Stmt::Inst(i) => {
                in_region[*i] = true;
                inner[*i] = nested;
            }
            Stmt::For(l) => regions(&l.body, true, in_region, inner),
            Stmt::If(b) => {
                regions(&b.then, true, in_region, inner);
                regions(&b.els, true, in_region, inner);
            }
            _ => {}
        }
    }
}

/// `f(elem)` over a scalar or an array of these dims (`a.map(|e| ...)`,
/// nested). Slices are `hvp!`'s only, whose gradient and `H v` are kept
/// as `Vec<f64>`s from the start (see `closure`): nothing to map.
fn map_elems(
    value: TokenStream,
    ty: &ParamTy,
    f: &dyn Fn(TokenStream) -> TokenStream,
) -> TokenStream {
    match ty {
        ParamTy::Scalar => f(value),
        ParamTy::Slice => TokenStream::new(),
        ParamTy::Array(dims) => nested_map(value, dims.len(), f),
    }
}

/// `value.map(|r0| r0.map(|r1| ... f(rk)))` for an array of `depth` levels.
fn nested_map(
    value: TokenStream,
    depth: usize,
    f: &dyn Fn(TokenStream) -> TokenStream,
) -> TokenStream {
    if depth == 0 {
        return f(value);
    }
    let r = name("row", depth);
    let inner = nested_map(quote!(#r), depth - 1, f);
    quote!(#value.map(|#r| #inner))
}

/// The code generator for `program` on dual numbers of type `d`, the
/// output's adjoint starting at `seed`.
fn generator<'a>(
    program: &'a Program,
    live: Liveness,
    d: &TokenStream,
    seed: TokenStream,
) -> Gen<'a> {
    let mut in_region = vec![false; program.insts.len()];
    let mut nested = vec![false; program.insts.len()];
    regions(&program.body, false, &mut in_region, &mut nested);
    let mut branch_in_loop = vec![false; program.branches];
    branches_in_loops(&program.body, false, &mut branch_in_loop);
    Gen {
        program,
        needed: needed(program, &live, &nested),
        branch_in_loop,
        live,
        d: d.clone(),
        seed,
        in_region,
        nested,
    }
}

/// The second-order code of a `#[differentiable]` function (see
/// `differentiable.rs`), generic over the dual numbers' size: given the
/// parameters `__mg_p{i}` bound to dual numbers (or arrays of them) of
/// type `d` (`Dual<N>` with `N` the function's const generic parameter),
/// returns `(value, vjp)`: the bodies of `__mg_dual_value`, the result as
/// a dual number, and of `__mg_dual_vjp`, the parameters' adjoints
/// `(G1, .., Gk)` given the result's adjoint `gy` (the same program as
/// `hessian!`'s, seeded with `gy` instead of 1). Calls in the body call
/// the callees' own second-order code. Functions of numbers and arrays
/// only (no slices, no calls of functions that return arrays).
pub fn companion(program: &Program, d: &TokenStream, gy: &Ident) -> (TokenStream, TokenStream) {
    let value = {
        let live = program.live();
        let cg = generator(program, live, d, quote!(#gy));
        let captured = captures(program, &used_consts(program, &cg.live));
        let declarations = cg.declarations();
        let forward = cg.forward(&program.body);
        let out = cg.dual(program.output);
        let checks = second_order_asserts(program, true);
        quote!({ #checks #captured #declarations #forward #out })
    };
    let vjp = {
        let live = program.live();
        let cg = generator(program, live, d, quote!(#gy));
        let captured = captures(program, &used_consts(program, &cg.live));
        let declarations = cg.declarations();
        let forward = cg.forward(&program.body);
        let zero = cg.zero();
        let mut adjoints = TokenStream::new();
        let mut grads = Vec::new();
        for (i, p) in program.params.iter().enumerate() {
            let g = name("gp", i);
            adjoints.extend(match &p.ty {
                ParamTy::Array(dims) => {
                    let zeros = array_fill(dims, zero.clone());
                    quote!(let mut #g = #zeros;)
                }
                _ => quote!(let mut #g: #d = #zero;),
            });
            grads.push(g);
        }
        for (k, var) in program.vars.iter().enumerate() {
            if cg.live.vars[k] && var.active {
                let g = name("gx", k);
                let zeros = array_fill(&var.dims, zero.clone());
                adjoints.extend(quote!(let mut #g = #zeros;));
            }
        }
        if let Operand::Param(i) = program.output {
            let g = name("gp", i);
            adjoints.extend(quote!(#g += #gy;));
        }
        let backward = cg.region(&program.body, true);
        quote!({ #captured #declarations #forward #adjoints #backward (#(#grads,)*) })
    };
    (
        super::call::scope_with(program, value, false),
        super::call::scope_with(program, vjp, false),
    )
}

/// The closure `hessian!` (`Seed::Full`) or `hvp!` (`Seed::Direction`)
/// expands to.
pub fn closure(program: &Program, seed: Seed) -> TokenStream {
    let live = program.live();
    let n = match seed {
        Seed::Full => flat_count(program),
        Seed::Direction => quote!(1),
    };
    // A literal needs no braces as a const argument.
    let literal = matches!(
        n.clone().into_iter().collect::<Vec<_>>()[..],
        [TokenTree::Literal(_)]
    );
    let d = if literal {
        quote!(::micrograd::dual::Dual::<#n>)
    } else {
        quote!(::micrograd::dual::Dual::<{ #n }>)
    };
    let cg = generator(program, live, &d, quote!(#d::cst(1.0)));
    let f64_ty = f64_ty();
    let np = program.params.len();

    // Parameters (and directions), then the seeded dual parameters.
    let mut decls: Vec<TokenStream> = (0..np).map(|i| super::param_decl(program, i)).collect();
    if seed == Seed::Direction {
        for (i, p) in program.params.iter().enumerate() {
            let v = name("dir", i);
            let span = p.ident.span();
            decls.push(match &p.ty {
                ParamTy::Scalar => quote_spanned!(span=> #v: #f64_ty),
                ParamTy::Array(dims) => {
                    let ty = array_ty(dims, f64_ty.clone());
                    quote_spanned!(span=> #v: #ty)
                }
                ParamTy::Slice => quote_spanned!(span=> #v: &[#f64_ty]),
            });
        }
    }
    let mut seeds = TokenStream::new();
    let mut offset = quote!(0);
    let mut offset_known = Some(0usize);
    for (i, p) in program.params.iter().enumerate() {
        let (pn, v) = (name("p", i), name("dir", i));
        match &p.ty {
            ParamTy::Scalar => {
                let value = match seed {
                    Seed::Full => quote!(#d::variable(#pn, #offset)),
                    Seed::Direction => quote!(#d::new(#pn, [#v])),
                };
                seeds.extend(quote!(let #pn: #d = #value;));
            }
            ParamTy::Array(dims) => {
                let idx: Vec<Ident> = (0..dims.len()).map(|k| name("a", k)).collect();
                let mut flat = quote!(0usize);
                for (k, a) in idx.iter().enumerate() {
                    let len = &dims[k];
                    flat = quote!((#flat) * (#len) + #a);
                }
                let value = match seed {
                    Seed::Full => quote!(#d::variable(#pn #([#idx])*, #offset + #flat)),
                    Seed::Direction => quote!(#d::new(#pn #([#idx])*, [#v #([#idx])*])),
                };
                let mut build = value;
                for a in idx.iter().rev() {
                    build = quote!(::core::array::from_fn(|#a: ::core::primitive::usize| #build));
                }
                let ty = array_ty(dims, d.clone());
                seeds.extend(quote!(let #pn: #ty = #build;));
            }
            ParamTy::Slice => {
                // Only `hvp!` gets here (`check_full` rejects slices). The
                // slice is not copied: each load reads the point and the
                // direction side by side (see `Gen::inst`).
                let message = format!(
                    "hvp!: the direction for `{}` has another length than the point",
                    p.ident
                );
                seeds.extend(quote!(::core::assert_eq!(#pn.len(), #v.len(), #message);));
            }
        }
        offset_known = offset_known
            .zip(flat_len_known(program, i))
            .and_then(|(a, b)| a.checked_add(b));
        offset = match (offset_known, flat_len(program, i)) {
            (Some(k), _) => Literal::usize_unsuffixed(k).into_token_stream(),
            (None, Some(len)) => quote!(#offset + #len),
            (None, None) => offset,
        };
    }

    let captured = captures(program, &used_consts(program, &cg.live));
    let declarations = cg.declarations();
    let forward = cg.forward(&program.body);
    let zero = cg.zero();
    let mut adjoints = TokenStream::new();
    for (i, p) in program.params.iter().enumerate() {
        let (g, pn) = (name("gp", i), name("p", i));
        adjoints.extend(match &p.ty {
            ParamTy::Scalar => quote!(let mut #g: #d = #zero;),
            ParamTy::Array(dims) => {
                let zeros = array_fill(dims, zero.clone());
                quote!(let mut #g = #zeros;)
            }
            ParamTy::Slice => {
                let ge = name("gpe", i);
                quote!(
                    let mut #g = ::std::vec![0.0f64; #pn.len()];
                    let mut #ge = ::std::vec![0.0f64; #pn.len()];
                )
            }
        });
    }
    for (k, var) in program.vars.iter().enumerate() {
        if cg.live.vars[k] && var.active {
            let g = name("gx", k);
            let zeros = array_fill(&var.dims, zero.clone());
            adjoints.extend(quote!(let mut #g = #zeros;));
        }
    }
    if let Operand::Param(i) = program.output {
        let g = name("gp", i);
        adjoints.extend(quote!(#g += #d::cst(1.0);));
    }
    let backward = cg.region(&program.body, true);
    let out = operand(program, program.output);
    let value = quote!(::micrograd::dual::primal(#out));

    // The gradient: primal parts, `-0.0` normalised to `0.0` as in `grad!`.
    let part = |f: &dyn Fn(TokenStream) -> TokenStream| -> Vec<TokenStream> {
        program
            .params
            .iter()
            .enumerate()
            .map(|(i, p)| map_elems(name("gp", i).into_token_stream(), &p.ty, f))
            .collect()
    };
    // A slice's gradient and `H v` are already `Vec<f64>`s.
    let split = |parts: Vec<TokenStream>, prefix: &str| -> Vec<TokenStream> {
        parts
            .into_iter()
            .enumerate()
            .map(|(i, t)| match program.params[i].ty {
                ParamTy::Slice => name(prefix, i).into_token_stream(),
                _ => t,
            })
            .collect()
    };
    let grads = super::grads_value(program, split(part(&|e| quote!(#e.re + 0.0)), "gp"));
    let grads_ty = super::grads_ty(program);
    let (result_ty, result) = match seed {
        Seed::Full => {
            let (h, r) = (name("h", 0), name("row", 0));
            let hty = hessian_ty(program);
            let nt = flat_count(program);
            let mut rows = TokenStream::new();
            for (i, p) in program.params.iter().enumerate() {
                let g = name("gp", i);
                let e = name("e", 0);
                rows.extend(match &p.ty {
                    ParamTy::Scalar => quote!(#h[#r] = #g.eps; #r += 1;),
                    ParamTy::Array(dims) => {
                        let flats = (1..dims.len()).map(|_| quote!(.as_flattened()));
                        quote!(for #e in #g #(#flats)*.iter() { #h[#r] = #e.eps; #r += 1; })
                    }
                    ParamTy::Slice => TokenStream::new(),
                });
            }
            (
                quote!((#f64_ty, #grads_ty, #hty)),
                quote!({
                    let mut #h = [[0.0f64; #nt]; #nt];
                    let mut #r: ::core::primitive::usize = 0;
                    #rows
                    ::micrograd::dual::symmetrize(&mut #h);
                    (#value, #grads, #h)
                }),
            )
        }
        Seed::Direction => {
            let hv = super::grads_value(program, split(part(&|e| quote!(#e.eps[0] + 0.0)), "gpe"));
            (
                quote!((#f64_ty, #grads_ty, #grads_ty)),
                quote!((#value, #grads, #hv)),
            )
        }
    };
    quote! {
        move |#(#decls),*| -> #result_ty {
            #captured
            #seeds
            #declarations
            #forward
            #adjoints
            #backward
            #result
        }
    }
}

/// `Dual::<\n    2,\n>` (the formatter breaks long lines there) back to
/// `Dual::<2>`.
fn join_turbofish(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("::<") {
        out.push_str(&rest[..at + 3]);
        rest = &rest[at + 3..];
        if let Some(end) = rest.find('>') {
            let inner = &rest[..end];
            if inner.contains('\n') && !inner.contains('<') {
                out.push_str(inner.trim().trim_end_matches(',').trim());
                rest = &rest[end..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The generated closure as formatted Rust, for `hessian_code!`.
pub fn code_string(program: &Program, seed: Seed) -> String {
    let closure = closure(program, seed);
    let params = super::written_param_tys(program);
    let grads = super::grads_ty(program);
    let item = match seed {
        Seed::Full => {
            let h = hessian_ty(program);
            quote!(fn hessian() -> impl Fn(#(#params),*) -> (f64, #grads, #h) { #closure })
        }
        Seed::Direction => {
            quote!(fn hvp() -> impl Fn(#(#params,)* #(#params),*) -> (f64, #grads, #grads) { #closure })
        }
    };
    let code = join_turbofish(&super::pretty(item, &closure));
    format!(
        "// generated by {}: forward values __mg_v*, adjoints __mg_g*, dual numbers (Dual = micrograd::dual::Dual) where active\n{code}",
        if seed == Seed::Full {
            "hessian!"
        } else {
            "hvp!"
        }
    )
}
