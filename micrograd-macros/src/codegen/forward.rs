//! The forward sweep of any program, as written: loops stay loops, branches
//! stay branches, storage is Rust locals declared once at the top.
//!
//! Three flavours walk the same statements:
//! - [`Mode::Grad`]: `grad!`'s forward sweep, which also saves on tapes
//!   the loads and branch outcomes that the reverse sweep reads
//!   (see [`crate::diff::Plan`]);
//! - [`Mode::Plain`]: the same in `f64` without tapes (`compare!`'s forward
//!   pass for finite differences);
//! - [`Mode::Value`]: the dynamic engine's replay: every active value is a
//!   `::micrograd::Value`, constants stay `f64` operands.

use super::{array_fill, index, int, name, operand, storage};
use crate::diff::{Dim, Plan};
use crate::ir::{ArrayInit, Cond, Kind, Operand, Place, Program, Stmt, Target};
use crate::rules;
use proc_macro2::{Literal, TokenStream};
use quote::{ToTokens, quote, quote_spanned};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Grad,
    Plain,
    Value,
}

pub struct Forward<'a> {
    pub program: &'a Program,
    pub plan: &'a Plan,
    pub mode: Mode,
}

fn value_ty() -> TokenStream {
    quote!(::micrograd::Value)
}

impl Forward<'_> {
    /// Whether operand `o` is a `Value` in this flavour.
    fn is_value(&self, o: Operand) -> bool {
        self.mode == Mode::Value && self.program.is_active(o)
    }

    /// Operand tokens as an `f64` (reading a `Value`'s data if need be).
    fn number(&self, o: Operand) -> TokenStream {
        let t = operand(self.program, o);
        if self.is_value(o) {
            quote!(#t.data())
        } else {
            t
        }
    }

    /// Operand tokens as a `Value` (a constant becomes a leaf).
    fn value(&self, o: Operand) -> TokenStream {
        let t = operand(self.program, o);
        if self.is_value(o) {
            t
        } else {
            let v = value_ty();
            quote!(#v::new(#t))
        }
    }

    /// Declarations of storage, tapes and branch tapes, at the top.
    pub fn declarations(&self) -> TokenStream {
        let mut out = TokenStream::new();
        for (k, var) in self.program.vars.iter().enumerate() {
            if !self.plan.live.vars[k] {
                continue;
            }
            let x = name("x", k);
            let zero = if self.mode == Mode::Value && var.active {
                let v = value_ty();
                quote!(#v::new(0.0))
            } else {
                quote!(0.0f64)
            };
            let init = array_fill(&var.dims, zero);
            out.extend(quote!(let mut #x = #init;));
        }
        if self.mode == Mode::Grad {
            for (k, var) in self.program.vars.iter().enumerate() {
                if self.plan.restore[k] && self.plan.live.vars[k] {
                    let (rs, ri) = (name("rs", k), name("ri", k));
                    let f64_ty = super::f64_ty();
                    let ty = super::array_ty(&var.dims, f64_ty.clone());
                    if self.plan.saves_elements[k] {
                        out.extend(saved_buffer(&rs, &f64_ty));
                    }
                    out.extend(saved_buffer(&ri, &ty));
                }
            }
            for (s, depth) in self.plan.sites.iter().enumerate() {
                let t = name("t", s);
                let f64_ty = super::f64_ty();
                out.extend(match (&self.plan.site_dims[s], depth) {
                    (Some(dims), _) => fixed_tape(&t, dims, quote!(0.0f64)),
                    (None, 0) => quote!(let mut #t: #f64_ty = 0.0;),
                    (None, _) => saved_buffer(&t, &f64_ty),
                });
            }
            for (b, depth) in self.plan.branch_sites.iter().enumerate() {
                let t = name("b", b);
                match (&self.plan.branch_dims[b], depth) {
                    (Some(dims), _) => out.extend(fixed_tape(&t, dims, quote!(false))),
                    (None, Some(0)) => out.extend(quote!(let mut #t: bool = false;)),
                    (None, Some(_)) => out.extend(saved_buffer(&t, &quote!(bool))),
                    (None, None) => {}
                }
            }
        }
        out
    }

    /// Hands the buffers of [`Self::declarations`] back for the next call
    /// (`micrograd::saved`), at the end of a gradient.
    pub fn give_back(&self) -> TokenStream {
        let mut out = TokenStream::new();
        let mut back = |t: syn::Ident| {
            let slot = slot_name(&t);
            out.extend(quote!(::micrograd::saved::give_back(&#slot, #t);));
        };
        for (k, _) in self.program.vars.iter().enumerate() {
            if self.plan.restore[k] && self.plan.live.vars[k] {
                if self.plan.saves_elements[k] {
                    back(name("rs", k));
                }
                back(name("ri", k));
            }
        }
        for (s, depth) in self.plan.sites.iter().enumerate() {
            if *depth > 0 && self.plan.site_dims[s].is_none() {
                back(name("t", s));
            }
        }
        for (b, depth) in self.plan.branch_sites.iter().enumerate() {
            if matches!(depth, Some(d) if *d > 0) && self.plan.branch_dims[b].is_none() {
                back(name("b", b));
            }
        }
        out
    }

    /// The forward code of a region.
    pub fn stmts(&self, stmts: &[Stmt]) -> TokenStream {
        let mut out = TokenStream::new();
        for stmt in stmts {
            out.extend(self.stmt(stmt));
        }
        out
    }

    fn stmt(&self, stmt: &Stmt) -> TokenStream {
        let program = self.program;
        match stmt {
            Stmt::Inst(i) => {
                if !self.plan.live.insts[*i] {
                    return TokenStream::new();
                }
                let line = self.inst(*i);
                match (self.mode, self.plan.taped[*i]) {
                    (Mode::Grad, Some(s)) => {
                        let (t, v) = (name("t", s), name("v", *i));
                        match (&self.plan.site_dims[s], self.plan.sites[s]) {
                            (Some(dims), _) => {
                                let slot = tape_slot(dims);
                                quote!(#line #t[#slot] = #v;)
                            }
                            (None, 0) => quote!(#line #t = #v;),
                            (None, _) => quote!(#line #t.push(#v);),
                        }
                    }
                    _ => line,
                }
            }
            Stmt::Int(i, e) => {
                let n = name("i", *i);
                let e = int(e);
                quote!(let #n: ::core::primitive::usize = #e;)
            }
            Stmt::Store { place, value } => {
                let Target::Var(v) = place.target else {
                    return TokenStream::new();
                };
                if !self.plan.live.vars[v] {
                    return TokenStream::new();
                }
                let x = name("x", v);
                let idx = index(&place.index);
                let value = if self.mode == Mode::Value && program.vars[v].active {
                    self.value(*value)
                } else {
                    operand(program, *value)
                };
                // Storage that is restored saves what the store overwrites.
                let save = if self.mode == Mode::Grad && self.plan.restores(v, stmt) {
                    let r = name("rs", v);
                    quote!(#r.push(#x #idx);)
                } else {
                    TokenStream::new()
                };
                quote!(#save #x #idx = #value;)
            }
            Stmt::Init { var, init } => {
                if !self.plan.live.vars[*var] {
                    return TokenStream::new();
                }
                let x = name("x", *var);
                let value = self.array_init(init, program.vars[*var].active);
                let save = if self.mode == Mode::Grad && self.plan.restore[*var] {
                    let r = name("ri", *var);
                    quote!(#r.push(#x);)
                } else {
                    TokenStream::new()
                };
                quote!(#save #x = #value;)
            }
            Stmt::For(l) => {
                if !self.plan.live.stmt(stmt) {
                    return TokenStream::new();
                }
                let i = name("i", l.var);
                let range = range(l, l.rev);
                let body = self.stmts(&l.body);
                quote!(for #i in #range { #body })
            }
            Stmt::If(b) => {
                if !self.plan.live.stmt(stmt) {
                    return TokenStream::new();
                }
                let cond = self.cond(&b.cond);
                let then = self.stmts(&b.then);
                let els = self.stmts(&b.els);
                let els = if els.is_empty() {
                    TokenStream::new()
                } else {
                    quote!(else { #els })
                };
                match (self.mode, self.plan.branch_sites[b.id]) {
                    (Mode::Grad, Some(depth)) => {
                        let (t, c) = (name("b", b.id), name("cond", b.id));
                        let save = match (&self.plan.branch_dims[b.id], depth) {
                            (Some(dims), _) => {
                                let slot = tape_slot(dims);
                                quote!(#t[#slot] = #c;)
                            }
                            (None, 0) => quote!(#t = #c;),
                            (None, _) => quote!(#t.push(#c);),
                        };
                        quote!({ let #c: bool = #cond; #save if #c { #then } #els })
                    }
                    _ => quote!(if #cond { #then } #els),
                }
            }
        }
    }

    /// `let __mg_v{i} = ...;` for one instruction.
    pub fn inst(&self, i: usize) -> TokenStream {
        let program = self.program;
        let inst = &program.insts[i];
        let y = name("v", i);
        let span = inst.span;
        let f64_ty = super::f64_ty();
        if self.mode == Mode::Value && inst.active {
            let v = value_ty();
            let value = self.value_op(i);
            return quote_spanned!(span=> let #y: #v = #value;);
        }
        match &inst.kind {
            Kind::Op { op, args } => {
                let a = args.map(|a| self.number(a));
                let forward = rules::rule(*op, &a, &y.to_token_stream()).forward;
                quote_spanned!(span=> let #y = #forward;)
            }
            Kind::PowiBy { base, exp } => {
                let x = self.number(*base);
                let n = int(exp);
                quote_spanned!(span=> let #y = #x.powi((#n) as i32);)
            }
            Kind::Load(place) => {
                let src = place_tokens(place);
                quote_spanned!(span=> let #y: #f64_ty = #src;)
            }
            Kind::FromInt(e) => {
                let n = int(e);
                quote_spanned!(span=> let #y = (#n) as #f64_ty;)
            }
            Kind::Call { callee, args } => {
                let args = super::call::f64_args(program, args, &|o| self.number(o));
                let call = super::call::plain_call(*callee, &args, span);
                quote_spanned!(span=> let #y: #f64_ty = #call;)
            }
        }
    }

    /// An active instruction on `Value`s.
    fn value_op(&self, i: usize) -> TokenStream {
        let program = self.program;
        let v = value_ty();
        match &program.insts[i].kind {
            Kind::Op { op, args } => {
                let [a, b, c] = args.map(|o| operand(program, o));
                // A constant receiver of an op with operands becomes a
                // constant value, as `f64` operands of `+ - * /` do.
                let recv = self.value(args[0]);
                super::op_on(*op, &v, [a, b, c], recv)
            }
            Kind::PowiBy { base, exp } => {
                let x = self.value(*base);
                let n = int(exp);
                quote!(#v::powi(#x, (#n) as i32))
            }
            Kind::Load(place) => place_tokens(place),
            // Never active (an integer carries no gradient); a constant leaf
            // if it were.
            Kind::FromInt(e) => {
                let n = int(e);
                quote!(#v::new((#n) as ::core::primitive::f64))
            }
            Kind::Call { callee, args } => {
                let args = super::call::value_args(program, args, &|o| self.value(o));
                super::call::value_call(*callee, &args, program.insts[i].span)
            }
        }
    }

    fn array_init(&self, init: &ArrayInit, active: bool) -> TokenStream {
        match init {
            ArrayInit::Elem(o) => {
                if self.mode == Mode::Value && active {
                    self.value(*o)
                } else {
                    operand(self.program, *o)
                }
            }
            ArrayInit::List(items) => {
                let items = items.iter().map(|i| self.array_init(i, active));
                quote!([#(#items),*])
            }
            ArrayInit::Repeat(inner, len) => {
                let inner = self.array_init(inner, active);
                quote!([#inner; #len])
            }
            // The whole array from the function (on `Value`s, its `Value`
            // version, when the array is active there).
            ArrayInit::Call { callee, args, span } => {
                if self.mode == Mode::Value && active {
                    let args = super::call::value_args(self.program, args, &|o| self.value(o));
                    super::call::value_array_call(*callee, &args, *span)
                } else {
                    let args = super::call::f64_args(self.program, args, &|o| self.number(o));
                    super::call::array_call(*callee, &args, *span)
                }
            }
        }
    }

    /// A condition as a `bool` expression (see [`super::cond`]).
    pub fn cond(&self, cond: &Cond) -> TokenStream {
        super::cond(cond, &|i| self.inst(i), &|o| self.number(o))
    }
}

/// The tokens that read a place (`__mg_x3[i]`, `__mg_p0[i][j]`).
pub fn place_tokens(place: &Place) -> TokenStream {
    let base = storage(place.target);
    let idx = index(&place.index);
    quote!(#base #idx)
}

/// A loop's range, forwards or reversed.
pub fn range(l: &crate::ir::For, rev: bool) -> TokenStream {
    let (a, b) = (int(&l.start), int(&l.end));
    let r = if l.inclusive {
        quote!(#a..=#b)
    } else {
        quote!(#a..#b)
    };
    if rev { quote!((#r).rev()) } else { r }
}

/// `let mut tape = [fill; slots];`: a tape kept as a fixed array (see
/// [`Dim`]).
fn fixed_tape(tape: &syn::Ident, dims: &[Dim], fill: TokenStream) -> TokenStream {
    let slots = Literal::u64_unsuffixed(dims.iter().map(|d| d.len).product());
    quote!(let mut #tape = [#fill; #slots];)
}

/// The slot of the current iteration in a tape kept as a fixed array: the
/// iteration numbers of its loops in mixed radix, outermost first.
pub fn tape_slot(dims: &[Dim]) -> TokenStream {
    let mut slot = TokenStream::new();
    for (k, d) in dims.iter().enumerate() {
        let i = name("i", d.var);
        let number = if d.start == 0 {
            quote!(#i)
        } else {
            let start = Literal::u64_unsuffixed(d.start);
            quote!((#i - #start))
        };
        slot = if k == 0 {
            number
        } else {
            let len = Literal::u64_unsuffixed(d.len);
            quote!((#slot * #len + #number))
        };
    }
    slot
}

/// The thread-local slot of a saved buffer (see `micrograd::saved`).
fn slot_name(buffer: &syn::Ident) -> syn::Ident {
    let upper = buffer.to_string().to_uppercase();
    quote::format_ident!("__MG_SLOT{}", upper, span = proc_macro2::Span::mixed_site())
}

/// `let mut buffer: Vec<elem> = ...;` taking the buffer this site of this
/// closure handed back on its last call on this thread, with its slot.
fn saved_buffer(buffer: &syn::Ident, elem: &TokenStream) -> TokenStream {
    let slot = slot_name(buffer);
    quote! {
        ::std::thread_local! {
            static #slot: ::core::cell::Cell<::std::vec::Vec<#elem>> =
                const { ::core::cell::Cell::new(::std::vec::Vec::new()) };
        }
        let mut #buffer: ::std::vec::Vec<#elem> = #slot.take();
    }
}
