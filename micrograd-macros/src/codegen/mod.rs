//! IR -> tokens: the closure that `grad!` expands to, and its readable text.
//!
//! - `straight`: straight-line programs (scalar parameters, no loops,
//!   branches or storage): one `let` per op, adjoints declared at their
//!   first contribution, the minimal code;
//! - `forward`: the forward sweep of any program, in three flavours: the
//!   `grad!` forward (which also saves what the reverse sweep reads), the
//!   plain `f64` forward (`compare!`'s finite difference) and the `Value`
//!   replay (`compare!`'s dynamic engine);
//! - `reverse`: the reverse sweep of programs with loops, branches or
//!   storage (see [`crate::diff::Plan`] for the scheme).
//!
//! Names: parameter `i` is `__mg_p{i}` with adjoint `__mg_gp{i}`,
//! instruction `i` is `__mg_v{i}` with adjoint `__mg_g{i}`, captured
//! constant `i` is `__mg_c{i}`, captured integer `__mg_n{i}`, captured data
//! `__mg_d{i}`, integer `i` is `__mg_i{i}`, storage `k` is `__mg_x{k}` with
//! adjoint `__mg_gx{k}`, value tape `s` is `__mg_t{s}` and branch tape `b` is
//! `__mg_b{b}`. The `__mg_` prefix keeps them apart from the user's names
//! (which are never emitted: every use was resolved by `lower`), and the
//! leading underscore keeps unused-variable lints quiet. They are also
//! created at `Span::mixed_site()`, so even a user variable literally named
//! `__mg_p0` and captured by the body resolves to the user's, not to ours.

pub mod call;
pub mod forward;
pub mod hessian;
mod reverse;
mod straight;

use crate::ir::{
    ArrayInit, CmpOp, Cond, CondVal, Const, IntExpr, IntOp, Op, Operand, ParamTy, Program, Stmt,
    Target,
};
use crate::rules::f64_literal;
use proc_macro2::{Literal, Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};

pub use straight::code_string;
pub use straight::parts as straight_parts;

/// A generated name, at `Span::mixed_site()`.
pub fn name(prefix: &str, i: usize) -> syn::Ident {
    format_ident!("__mg_{}{}", prefix, i, span = Span::mixed_site())
}

pub fn f64_ty() -> TokenStream {
    quote!(::core::primitive::f64)
}

/// An `f64` operand as it reads in generated code.
pub fn operand(program: &Program, operand: Operand) -> TokenStream {
    match operand {
        Operand::Param(i) => name("p", i).into_token_stream(),
        Operand::Inst(i) => name("v", i).into_token_stream(),
        Operand::Const(i) => match &program.consts[i].value {
            Const::Literal(v) => f64_literal(*v),
            Const::Captured { .. } => name("c", i).into_token_stream(),
        },
    }
}

/// Op `op` on operand tokens of a number type `ty` with the ops of the
/// table as its own methods (`Value`, `Dual<N>`): `+ - * /` and negation as
/// operators, `ty::powi(a, n)`, else `ty::method(a)` for one operand and
/// `ty::method(recv, b, c)` for more (`recv`: `a` as a `ty`).
pub fn op_on(
    op: Op,
    ty: &TokenStream,
    [a, b, c]: [TokenStream; 3],
    recv: TokenStream,
) -> TokenStream {
    match op {
        Op::Add => quote!(#a + #b),
        Op::Sub => quote!(#a - #b),
        Op::Mul => quote!(#a * #b),
        Op::Div => quote!(#a / #b),
        Op::Neg => quote!(-#a),
        Op::Powi(n) => quote!(#ty::powi(#a, #n)),
        other => {
            let m = proc_macro2::Ident::new(&other.symbol(), Span::call_site());
            match other.arity() {
                1 => quote!(#ty::#m(#a)),
                2 => quote!(#ty::#m(#recv, #b)),
                _ => quote!(#ty::#m(#recv, #b, #c)),
            }
        }
    }
}

/// An integer expression as `usize` code.
pub fn int(e: &IntExpr) -> TokenStream {
    match e {
        IntExpr::Lit(v) => Literal::u64_unsuffixed(*v).into_token_stream(),
        IntExpr::Int(i) => name("i", *i).into_token_stream(),
        IntExpr::Captured(i) => name("n", *i).into_token_stream(),
        IntExpr::Len(target, index) => {
            let base = storage(*target);
            let index = index.iter().map(int);
            quote!(#base #([#index])*.len())
        }
        IntExpr::Bin(op, a, b) => {
            let (a, b) = (int(a), int(b));
            match op {
                IntOp::Add => quote!((#a + #b)),
                IntOp::Sub => quote!((#a - #b)),
                IntOp::Mul => quote!((#a * #b)),
                IntOp::Div => quote!((#a / #b)),
                IntOp::Rem => quote!((#a % #b)),
            }
        }
    }
}

/// The name of an array's storage in the forward sweep.
pub fn storage(target: Target) -> syn::Ident {
    match target {
        Target::Var(v) => name("x", v),
        Target::Param(p) => name("p", p),
        Target::Data(d) => name("d", d),
    }
}

/// `[i][j]...` for an index list.
pub fn index(index: &[IntExpr]) -> TokenStream {
    let index = index.iter().map(int);
    quote!(#([#index])*)
}

/// The type of an array with these lengths (outermost first) of `elem`.
pub fn array_ty(dims: &[TokenStream], elem: TokenStream) -> TokenStream {
    dims.iter()
        .rev()
        .fold(elem, |inner, len| quote!([#inner; #len]))
}

/// An array of these lengths filled with `elem`.
pub fn array_fill(dims: &[TokenStream], elem: TokenStream) -> TokenStream {
    dims.iter()
        .rev()
        .fold(elem, |inner, len| quote!([#inner; #len]))
}

/// The closure's parameter list entry for parameter `i`.
pub fn param_decl(program: &Program, i: usize) -> TokenStream {
    let f64_ty = f64_ty();
    let p = name("p", i);
    let span = program.params[i].ident.span();
    match &program.params[i].ty {
        ParamTy::Scalar => quote_spanned!(span=> #p: #f64_ty),
        ParamTy::Array(dims) => {
            let ty = array_ty(dims, f64_ty);
            quote_spanned!(span=> #p: #ty)
        }
        ParamTy::Slice => quote_spanned!(span=> #p: &[#f64_ty]),
    }
}

/// The closure's parameter types as a user writes them, for the `*_code!`
/// texts.
pub fn written_param_tys(program: &Program) -> Vec<TokenStream> {
    let f64_ty = quote!(f64);
    program
        .params
        .iter()
        .map(|p| match &p.ty {
            ParamTy::Scalar => f64_ty.clone(),
            ParamTy::Array(dims) => array_ty(dims, f64_ty.clone()),
            ParamTy::Slice => quote!(&[f64]),
        })
        .collect()
}

/// `item` formatted as Rust (the tokens of `closure` if it does not
/// parse), with the generated code's long paths shortened, for the
/// `*_code!` texts.
pub fn pretty(item: TokenStream, closure: &TokenStream) -> String {
    let code = match syn::parse2::<syn::File>(item) {
        Ok(file) => prettyplease::unparse(&file),
        Err(_) => closure.to_string(),
    };
    code.replace("::core::primitive::f64", "f64")
        .replace("::core::primitive::usize", "usize")
        .replace("::std::vec::Vec", "Vec")
        .replace("::micrograd::dual::Dual", "Dual")
        .replace("::micrograd::dual::", "dual::")
}

/// The type of parameter `i`'s gradient.
pub fn grad_ty(program: &Program, i: usize) -> TokenStream {
    match &program.params[i].ty {
        ParamTy::Scalar => f64_ty(),
        ParamTy::Array(dims) => array_ty(dims, f64_ty()),
        ParamTy::Slice => quote!(::std::vec::Vec<::core::primitive::f64>),
    }
}

/// The gradient part of the return type, by the rule of `grad!`'s docs:
/// `[f64; N]` for scalars only, the one gradient for a lone array or
/// slice, else a tuple with one gradient per parameter.
pub fn grads_ty(program: &Program) -> TokenStream {
    let n = program.params.len();
    if program
        .params
        .iter()
        .all(|p| matches!(p.ty, ParamTy::Scalar))
    {
        let len = Literal::usize_unsuffixed(n);
        let f64_ty = f64_ty();
        return quote!([#f64_ty; #len]);
    }
    if n == 1 {
        return grad_ty(program, 0);
    }
    let tys = (0..n).map(|i| grad_ty(program, i));
    quote!((#(#tys,)*))
}

/// Gathers per-parameter gradient expressions into the return shape.
pub fn grads_value(program: &Program, grads: Vec<TokenStream>) -> TokenStream {
    if program
        .params
        .iter()
        .all(|p| matches!(p.ty, ParamTy::Scalar))
    {
        return quote!([#(#grads),*]);
    }
    if grads.len() == 1 {
        return grads.into_iter().next().unwrap_or_default();
    }
    quote!((#(#grads,)*))
}

/// Zero gradients of the return shape (for fallbacks).
pub fn zero_grads(program: &Program) -> TokenStream {
    let grads = program
        .params
        .iter()
        .map(|p| match &p.ty {
            ParamTy::Scalar => quote!(0.0),
            ParamTy::Array(dims) => array_fill(dims, quote!(0.0f64)),
            ParamTy::Slice => quote!(::std::vec::Vec::new()),
        })
        .collect();
    grads_value(program, grads)
}

/// The `move` closure `grad!` expands to.
pub fn closure(program: &Program) -> TokenStream {
    closure_seeded(program, None)
}

/// [`closure`], taking the output's adjoint as one more `f64` parameter
/// when `seed` names it: a `#[differentiable]` function's pullback.
pub fn closure_seeded(program: &Program, seed: Option<&syn::Ident>) -> TokenStream {
    if program.is_straight_line() {
        straight::closure(program, seed)
    } else {
        reverse::closure(program, seed)
    }
}

/// Reads of captured values at the top of the closure: constants as `f64`
/// and integers as `usize` at the user's tokens (so a type error points
/// there), and data borrowed once.
pub fn captures(program: &Program, used_consts: &[bool]) -> TokenStream {
    let f64_ty = f64_ty();
    let mut out = TokenStream::new();
    for (i, entry) in program.consts.iter().enumerate() {
        if let (Const::Captured { path, cast }, true) = (&entry.value, used_consts[i]) {
            let c = name("c", i);
            let span = syn::spanned::Spanned::span(path);
            out.extend(if *cast {
                quote_spanned!(span=> let #c: #f64_ty = #path as #f64_ty;)
            } else {
                quote_spanned!(span=> let #c: #f64_ty = #path;)
            });
        }
    }
    for (i, path) in program.captured_ints.iter().enumerate() {
        let n = name("n", i);
        let span = syn::spanned::Spanned::span(path);
        out.extend(quote_spanned!(span=> let #n: ::core::primitive::usize = #path;));
    }
    for (i, path) in program.data.iter().enumerate() {
        let d = name("d", i);
        let span = syn::spanned::Spanned::span(path);
        out.extend(quote_spanned!(span=> let #d = &#path;));
    }
    out
}

/// Which constants the live code reads.
pub fn used_consts(program: &Program, live: &crate::ir::Liveness) -> Vec<bool> {
    let mut used = vec![false; program.consts.len()];
    for (i, inst) in program.insts.iter().enumerate() {
        if live.insts[i] {
            for o in inst.operands() {
                if let Operand::Const(c) = o {
                    used[c] = true;
                }
            }
        }
    }
    crate::ir::walk(&program.body, &mut |s| match s {
        crate::ir::Stmt::Store {
            value: Operand::Const(c),
            ..
        } => used[*c] = true,
        crate::ir::Stmt::Init { init, .. } => {
            let mut elems = Vec::new();
            init.elems(&mut elems);
            for o in elems {
                if let Operand::Const(c) = o {
                    used[c] = true;
                }
            }
        }
        crate::ir::Stmt::If(b) => mark_cond(&b.cond, &mut used),
        _ => {}
    });
    if let Operand::Const(c) = program.output {
        used[c] = true;
    }
    used
}

fn mark_cond(cond: &crate::ir::Cond, used: &mut [bool]) {
    use crate::ir::{Cond, CondVal};
    match cond {
        Cond::Cmp { a, b, .. } => {
            for side in [a, b] {
                if let CondVal::F64(Operand::Const(c)) = side {
                    used[*c] = true;
                }
            }
        }
        Cond::And(a, b) | Cond::Or(a, b) => {
            mark_cond(a, used);
            mark_cond(b, used);
        }
        Cond::Not(a) => mark_cond(a, used),
    }
}

/// A condition as a `bool` expression, for every flavour of code: each
/// comparison computes its own operands when reached (`pre`: instructions
/// written by `inst`, integer `let`s), so `&&` and `||` short-circuit as
/// in Rust; `number` writes an `f64` side of a comparison.
pub fn cond(
    c: &Cond,
    inst: &dyn Fn(usize) -> TokenStream,
    number: &dyn Fn(Operand) -> TokenStream,
) -> TokenStream {
    match c {
        Cond::Cmp { pre, op, a, b } => {
            let pre: TokenStream = pre
                .iter()
                .map(|s| match s {
                    Stmt::Inst(i) => inst(*i),
                    Stmt::Int(i, e) => {
                        let (n, e) = (name("i", *i), int(e));
                        quote!(let #n: ::core::primitive::usize = #e;)
                    }
                    _ => TokenStream::new(),
                })
                .collect();
            let side = |v: &CondVal| match v {
                CondVal::F64(o) => number(*o),
                CondVal::Int(e) => int(e),
            };
            let (a, b) = (side(a), side(b));
            let op = match op {
                CmpOp::Lt => quote!(<),
                CmpOp::Le => quote!(<=),
                CmpOp::Gt => quote!(>),
                CmpOp::Ge => quote!(>=),
                CmpOp::Eq => quote!(==),
                CmpOp::Ne => quote!(!=),
            };
            if pre.is_empty() {
                quote!((#a #op #b))
            } else {
                quote!({ #pre #a #op #b })
            }
        }
        Cond::And(a, b) => {
            let (a, b) = (cond(a, inst, number), cond(b, inst, number));
            quote!((#a && #b))
        }
        Cond::Or(a, b) => {
            let (a, b) = (cond(a, inst, number), cond(b, inst, number));
            quote!((#a || #b))
        }
        Cond::Not(a) => {
            let a = cond(a, inst, number);
            quote!((!#a))
        }
    }
}

/// `t += adjoint[path]` for each active element of an array initializer,
/// `t` the element's adjoint (`target`, none for a constant); `call`
/// reverses an array that a call returned, at its adjoint `path`.
pub fn init_adjoints(
    init: &ArrayInit,
    path: &TokenStream,
    out: &mut TokenStream,
    depth: usize,
    target: &dyn Fn(Operand) -> Option<TokenStream>,
    call: &dyn Fn(&ArrayInit, &TokenStream, &mut TokenStream),
) {
    match init {
        ArrayInit::Elem(o) => {
            if let Some(t) = target(*o) {
                out.extend(quote!(#t += #path;));
            }
        }
        ArrayInit::List(items) => {
            for (k, item) in items.iter().enumerate() {
                let k = Literal::usize_unsuffixed(k);
                init_adjoints(item, &quote!(#path[#k]), out, depth, target, call);
            }
        }
        ArrayInit::Repeat(inner, len) => {
            let r = name("r", depth);
            let mut body = TokenStream::new();
            init_adjoints(
                inner,
                &quote!(#path[#r]),
                &mut body,
                depth + 1,
                target,
                call,
            );
            if !body.is_empty() {
                out.extend(quote!(for #r in 0..#len { #body }));
            }
        }
        ArrayInit::Call { .. } => call(init, path, out),
    }
}
