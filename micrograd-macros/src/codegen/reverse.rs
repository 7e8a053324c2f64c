//! The reverse sweep of programs with loops, branches, arrays or storage.
//!
//! Each region is reversed as: recompute the forward values its local
//! derivatives read (popping the saved ones), declare the adjoints of its
//! instructions at 0, then visit its statements from last to first. A loop
//! runs its iterations backwards; a branch pops its saved outcome. Every
//! adjoint accumulates with `+=`, and an instruction whose adjoint is
//! exactly 0 passes nothing on, so a value that was overwritten (whose
//! adjoint is 0) cannot turn an infinite local derivative into `0 * inf =
//! NaN`. See [`crate::diff::Plan`] for what is saved and why.

use super::forward::{Forward, Mode, range};
use super::straight::contribution;
use super::{array_fill, captures, f64_ty, grads_value, index, int, name, operand, used_consts};
use crate::diff::{Plan, plan};
use crate::ir::{ArrayInit, Kind, Operand, ParamTy, Program, Stmt, Target};
use crate::rules::{self, Local};
use proc_macro2::TokenStream;
use quote::{ToTokens, quote};

/// The `move` closure for a program with control flow or storage.
pub fn closure(program: &Program) -> TokenStream {
    let plan = plan(program);
    let fwd = Forward {
        program,
        plan: &plan,
        mode: Mode::Grad,
    };
    let params = (0..program.params.len()).map(|i| super::param_decl(program, i));
    let f64_ty = f64_ty();
    let grads_ty = super::grads_ty(program);
    let captured = captures(program, &used_consts(program, &plan.live));
    let declarations = fwd.declarations();
    let forward = fwd.stmts(&program.body);
    let rev = Reverse {
        program,
        plan: &plan,
        fwd: &fwd,
    };
    // Adjoints of parameters and storage, for the whole reverse sweep.
    let mut adjoints = TokenStream::new();
    for (i, p) in program.params.iter().enumerate() {
        let g = name("gp", i);
        let p_name = name("p", i);
        adjoints.extend(match &p.ty {
            ParamTy::Scalar => quote!(let mut #g: #f64_ty = 0.0;),
            ParamTy::Array(dims) => {
                let zeros = array_fill(dims, quote!(0.0f64));
                quote!(let mut #g = #zeros;)
            }
            ParamTy::Slice => quote!(let mut #g = ::std::vec![0.0f64; #p_name.len()];),
        });
    }
    for (k, var) in program.vars.iter().enumerate() {
        if plan.live.vars[k] && var.active {
            let g = name("gx", k);
            let zeros = array_fill(&var.dims, quote!(0.0f64));
            adjoints.extend(quote!(let mut #g = #zeros;));
        }
    }
    if let Operand::Param(i) = program.output {
        let g = name("gp", i);
        adjoints.extend(quote!(#g += 1.0;));
    }
    let backward = rev.region(&program.body, true);
    let value = operand(program, program.output);
    let grads = (0..program.params.len())
        .map(|i| name("gp", i).into_token_stream())
        .collect();
    let grads = grads_value(program, grads);
    quote! {
        move |#(#params),*| -> (#f64_ty, #grads_ty) {
            #captured
            #declarations
            #forward
            #adjoints
            #backward
            (#value, #grads)
        }
    }
}

struct Reverse<'a> {
    program: &'a Program,
    plan: &'a Plan,
    fwd: &'a Forward<'a>,
}

impl Reverse<'_> {
    fn has_adjoint(&self, i: usize) -> bool {
        self.plan.live.insts[i] && self.program.insts[i].active && self.plan.in_region[i]
    }

    /// Recompute (except at the top, whose forward values are in scope),
    /// declare the region's adjoints, then reverse its statements.
    fn region(&self, stmts: &[Stmt], top: bool) -> TokenStream {
        let mut out = TokenStream::new();
        if !top {
            for stmt in stmts {
                match stmt {
                    Stmt::Int(..) => out.extend(self.fwd.stmts(std::slice::from_ref(stmt))),
                    Stmt::Inst(i) if self.plan.needed[*i] => {
                        out.extend(match self.plan.taped[*i] {
                            Some(s) => {
                                let (t, v) = (name("t", s), name("v", *i));
                                if self.plan.sites[s] == 0 {
                                    quote!(let #v: ::core::primitive::f64 = #t;)
                                } else {
                                    quote!(let #v: ::core::primitive::f64 = #t.pop().unwrap_or_default();)
                                }
                            }
                            None => self.fwd.inst(*i),
                        });
                    }
                    _ => {}
                }
            }
        }
        for stmt in stmts {
            if let Stmt::Inst(i) = stmt {
                if self.has_adjoint(*i) {
                    let g = name("g", *i);
                    let seed = if top && self.program.output == Operand::Inst(*i) {
                        quote!(1.0)
                    } else {
                        quote!(0.0)
                    };
                    out.extend(quote!(let mut #g: ::core::primitive::f64 = #seed;));
                }
            }
        }
        for stmt in stmts.iter().rev() {
            if self.plan.has_reverse(self.program, stmt) {
                out.extend(self.stmt(stmt));
            }
        }
        out
    }

    /// The adjoint of an operand, if it has one.
    fn target(&self, o: Operand) -> Option<TokenStream> {
        match o {
            Operand::Param(i) => Some(name("gp", i).into_token_stream()),
            Operand::Inst(i) if self.has_adjoint(i) => Some(name("g", i).into_token_stream()),
            _ => None,
        }
    }

    fn stmt(&self, stmt: &Stmt) -> TokenStream {
        let program = self.program;
        match stmt {
            Stmt::Inst(i) => self.inst(*i),
            Stmt::Int(..) => TokenStream::new(),
            Stmt::Store { place, value } => {
                let Target::Var(v) = place.target else {
                    return TokenStream::new();
                };
                let gx = name("gx", v);
                let idx = index(&place.index);
                let pass = match self.target(*value) {
                    Some(t) => quote!(#t += #gx #idx;),
                    None => TokenStream::new(),
                };
                quote!(#pass #gx #idx = 0.0;)
            }
            Stmt::Init { var, init } => {
                let gx = name("gx", *var);
                let mut out = TokenStream::new();
                self.init(init, &gx.to_token_stream(), &mut out, 0);
                let zeros = array_fill(&program.vars[*var].dims, quote!(0.0f64));
                quote!(#out #gx = #zeros;)
            }
            Stmt::For(l) => {
                let i = name("i", l.var);
                let range = range(l, !l.rev);
                let body = self.region(&l.body, false);
                quote!(for #i in #range { #body })
            }
            Stmt::If(b) => {
                let t = name("b", b.id);
                let outcome = match self.plan.branch_sites[b.id] {
                    Some(0) => quote!(#t),
                    _ => quote!(#t.pop().unwrap_or_default()),
                };
                let then = self.region(&b.then, false);
                let els = self.region(&b.els, false);
                quote!(if #outcome { #then } else { #els })
            }
        }
    }

    /// The contributions of one instruction to its operands' adjoints.
    fn inst(&self, i: usize) -> TokenStream {
        let program = self.program;
        let inst = &program.insts[i];
        let g = name("g", i).into_token_stream();
        let (locals, operands): (Vec<Local>, Vec<Operand>) = match &inst.kind {
            Kind::Op { op, args } => {
                let tokens = args.map(|a| operand(program, a));
                let y = name("v", i).into_token_stream();
                let rule = rules::rule(*op, &tokens, &y);
                let n = op.arity();
                (rule.local.into_iter().take(n).collect(), args[..n].to_vec())
            }
            Kind::PowiBy { base, exp } => {
                let x = operand(program, *base);
                let n = int(exp);
                let rule = rules::powi_by(&x, &quote!(((#n) as i32)));
                (rule.local.into_iter().take(1).collect(), vec![*base])
            }
            Kind::Load(place) => {
                let src = match place.target {
                    Target::Var(v) => name("gx", v),
                    Target::Param(p) => name("gp", p),
                    Target::Data(_) => return TokenStream::new(),
                };
                let idx = index(&place.index);
                return quote!(#src #idx += #g;);
            }
            Kind::FromInt(_) => return TokenStream::new(),
        };
        let mut guarded = false;
        let mut body = TokenStream::new();
        for (local, o) in locals.into_iter().zip(operands) {
            let Some(target) = self.target(o) else {
                continue;
            };
            if matches!(local, Local::Zero) {
                continue;
            }
            // `0 * inf = NaN` needs a non-finite local derivative, which a
            // literal-only one (`100.0`) cannot be: guard the others.
            guarded |= matches!(&local, Local::Expr(e) if reads_a_value(e));
            let c = contribution(g.clone(), local);
            body.extend(quote!(#target += #c;));
        }
        if guarded {
            quote!(if #g != 0.0 { #body })
        } else {
            body
        }
    }

    /// `g += gx[path]` for each active element of an array initializer.
    fn init(&self, init: &ArrayInit, path: &TokenStream, out: &mut TokenStream, depth: usize) {
        match init {
            ArrayInit::Elem(o) => {
                if let Some(t) = self.target(*o) {
                    out.extend(quote!(#t += #path;));
                }
            }
            ArrayInit::List(items) => {
                for (k, item) in items.iter().enumerate() {
                    let k = proc_macro2::Literal::usize_unsuffixed(k);
                    self.init(item, &quote!(#path[#k]), out, depth);
                }
            }
            ArrayInit::Repeat(inner, len) => {
                let r = name("r", depth);
                let mut body = TokenStream::new();
                self.init(inner, &quote!(#path[#r]), &mut body, depth + 1);
                if !body.is_empty() {
                    out.extend(quote!(for #r in 0..#len { #body }));
                }
            }
        }
    }
}

/// Whether a local derivative reads anything at run time (any name, a
/// named constant like `f64::INFINITY` included), rather than being made
/// of literals alone.
fn reads_a_value(tokens: &TokenStream) -> bool {
    tokens.clone().into_iter().any(|t| match t {
        proc_macro2::TokenTree::Ident(_) => true,
        proc_macro2::TokenTree::Group(g) => reads_a_value(&g.stream()),
        _ => false,
    })
}
