//! `#[differentiable]` and `#[grad]` on a `fn` item.
//!
//! The function stays as written (marked `#[inline]`), and a companion of
//! the same name goes next to it in the type namespace: a braced struct
//! with no fields, `struct softplus {}`, which occupies only the type
//! namespace and so does not clash with the function, and travels with it
//! through `use` and `use .. as ..`. Its associated functions are what
//! `grad!` code calls (see `codegen::call`):
//! - `__mg_vjp((x, w, ..), gy)`: the pullback, the adjoints of the
//!   arguments given the adjoint `gy` of the result, `(G1, .., Gk)`, each
//!   `G` of its argument's shape (the body compiled by the same pipeline
//!   as `grad!` with the output's adjoint `gy` instead of 1, or the custom
//!   pullback);
//! - `__mg_value((x, w, ..))`: the same function on `Value`s, for
//!   `compare!`'s dynamic engine;
//! - `__mg_call((x, w, ..))`: the function itself;
//! - `__mg_check(f)`: nothing; its fallback in `grad!` code is the error;
//! - `__mg_dual_value((x, w, ..))` and `__mg_dual_vjp((x, w, ..), gy)`,
//!   generic over `N`: the function and its pullback on dual numbers
//!   `Dual<N>`, for `hessian!` and `hvp!` (see [`dual_fns`]), and
//!   `__MG_SECOND`, whether they exist (stubs otherwise);
//! - `__MG_ARITY` and `TakesArguments<N>`: the number of parameters, which
//!   each call checks (`codegen::call`).
//!
//! A function that returns an array (`-> [f64; N]`) has
//! `__mg_call_array`, `__mg_vjp_array((x, ..), gy)` (`gy` of the result's
//! shape; the gradient of `sum_k gy[k] f(x)[k]`, see [`array_body`]) and
//! `__mg_value_array` instead, and `__MG_DIMS`, the result's lengths. Each
//! companion implements `ReturnsNumber` or `ReturnsArray` and has stubs of
//! any type for the other kind's functions, so a call of the wrong kind
//! is one error, from its check.
//!
//! The body gets `use ::micrograd::ops::F64Ops as _;` at its top, so the
//! ops `f64` lacks (`x.relu()`, `x.sigmoid()`, ...) compile in the
//! function as written.

use crate::codegen::{self, forward::Forward, forward::Mode};
use crate::ir::{Param, ParamTy, Program};
use crate::parse::GradInput;
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::{Error, FnArg, ItemFn, Pat, Result, Type};

/// `#[differentiable]` or `#[differentiable(pullback = path)]`.
pub fn differentiable(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand(attr, item.clone(), false).unwrap_or_else(|e| fail(item, e))
}

/// `#[grad]`: `#[differentiable]` plus `name_grad(..) -> (f64, G)`.
pub fn grad(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand(attr, item.clone(), true).unwrap_or_else(|e| fail(item, e))
}

/// The errors, then the function as written (so its other uses still
/// compile and the errors are the only diagnostics) and a placeholder
/// companion, so calls of it are not also "not `#[differentiable]`".
fn fail(item: TokenStream, error: Error) -> TokenStream {
    let errors = error.into_compile_error();
    match syn::parse2::<ItemFn>(item.clone()) {
        Ok(mut f) => {
            import_ops(&mut f);
            // A method (`self`) is in an `impl`, where a companion (a
            // struct) cannot go: the error alone.
            let companion = match f.sig.receiver() {
                Some(_) => TokenStream::new(),
                None => placeholder(&f),
            };
            quote!(#errors #f #companion)
        }
        Err(_) => quote!(#errors #item),
    }
}

/// The companion of a function whose signature the attribute rejected:
/// it takes any call (the checks all pass, and its arity, `usize::MAX`,
/// makes calls use the stubs of any type), so the attribute's error is
/// the only one.
fn placeholder(f: &ItemFn) -> TokenStream {
    let (name, vis) = (&f.sig.ident, &f.vis);
    let d = quote!(::micrograd::differentiable);
    quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code)]
        #vis struct #name {}
        #[diagnostic::do_not_recommend]
        impl #d::Differentiable for #name {}
        #[diagnostic::do_not_recommend]
        impl #d::ReturnsNumber for #name {}
        #[diagnostic::do_not_recommend]
        impl #d::ReturnsArray for #name {}
        #[diagnostic::do_not_recommend]
        impl<const N: usize> #d::TakesArguments<N> for #name {}
        #[diagnostic::do_not_recommend]
        impl<const I: usize, A> #d::Accepts<I, A> for #name {}
        #[allow(dead_code, clippy::all)]
        impl #name {
            #[doc(hidden)]
            pub const __MG_ARITY: usize = usize::MAX;
            #[doc(hidden)]
            pub const __MG_PARAMS: &'static [#d::ArgShape] = &[];
            #[doc(hidden)]
            #[inline(always)]
            pub fn __mg_check<F>(_: F) {}
        }
    }
}

/// `use ::micrograd::ops::F64Ops as _;` at the top of the body, so the
/// ops `f64` lacks (`x.relu()`, `x.sigmoid()`, `x.softplus()`, ...) resolve
/// in the function as written, with nothing for the user to import.
fn import_ops(f: &mut ItemFn) {
    f.block.stmts.insert(
        0,
        syn::parse_quote!(
            #[allow(unused_imports)]
            use ::micrograd::ops::F64Ops as _;
        ),
    );
}

/// One parameter of the function: its generated name, shape, written type
/// and whether it is an array by reference (`&[f64; N]`).
struct Arg {
    ty: Type,
    shape: ParamTy,
    array_ref: bool,
}

fn parse_pullback(attr: TokenStream) -> Result<Option<syn::Path>> {
    if attr.is_empty() {
        return Ok(None);
    }
    let meta: syn::MetaNameValue = syn::parse2(attr.clone()).map_err(|_| {
        Error::new_spanned(
            &attr,
            "expected `#[differentiable]` or `#[differentiable(pullback = my_pullback)]`",
        )
    })?;
    if !meta.path.is_ident("pullback") {
        return Err(Error::new_spanned(
            &meta.path,
            "unknown option; expected `pullback = my_pullback`",
        ));
    }
    match meta.value {
        syn::Expr::Path(p) if p.qself.is_none() => Ok(Some(p.path)),
        other => Err(Error::new_spanned(
            other,
            "expected the path of a pullback function: `pullback = my_pullback`",
        )),
    }
}

fn args(f: &ItemFn) -> Result<(Vec<Param>, Vec<Arg>)> {
    let sig = &f.sig;
    let mut errors: Vec<Error> = Vec::new();
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.push(Error::new_spanned(
            &sig.generics,
            "a `#[differentiable]` function cannot be generic: its parameters are `f64`, arrays of f64 or slices",
        ));
    }
    if let Some(t) = &sig.asyncness {
        errors.push(Error::new_spanned(
            t,
            "a `#[differentiable]` function cannot be `async`",
        ));
    }
    // A call inside `grad!` runs the function and its pullback outside
    // any `unsafe` block of the caller's, so an `unsafe` or foreign-ABI
    // function would be called without one.
    if let Some(t) = &sig.unsafety {
        errors.push(Error::new_spanned(
            t,
            "a `#[differentiable]` function cannot be `unsafe`: `grad!` would call it (and its \
             pullback) outside the caller's `unsafe` block; make it safe, or wrap the unsafe \
             code in a safe function with a custom derivative",
        ));
    }
    if let Some(abi) = &sig.abi {
        errors.push(Error::new_spanned(
            abi,
            "a `#[differentiable]` function cannot be `extern`: it is a Rust function of \
             `f64`s and arrays; write a Rust function that calls the foreign one, with a \
             custom derivative",
        ));
    }
    if let Some(v) = &sig.variadic {
        errors.push(Error::new_spanned(
            v,
            "a `#[differentiable]` function cannot be variadic",
        ));
    }
    match &sig.output {
        syn::ReturnType::Type(_, ty) if crate::parse::is_f64(ty) => {}
        syn::ReturnType::Type(_, ty) if out_dims(f).is_some() => {}
        syn::ReturnType::Type(_, ty) => errors.push(Error::new_spanned(
            ty,
            "a `#[differentiable]` function returns `f64` or an array of f64 (`[f64; 4]`, \
             `[[f64; 2]; 3]`)",
        )),
        syn::ReturnType::Default => errors.push(Error::new_spanned(
            &sig.ident,
            "a `#[differentiable]` function returns `f64`: add `-> f64`",
        )),
    }
    if sig.inputs.is_empty() {
        errors.push(Error::new_spanned(
            &sig.ident,
            "a `#[differentiable]` function needs at least one parameter",
        ));
    }
    let mut params = Vec::new();
    let mut out = Vec::new();
    for input in &sig.inputs {
        let FnArg::Typed(typed) = input else {
            errors.push(Error::new_spanned(
                input,
                "`#[differentiable]` goes on free functions, not methods (`self`): write a free \
                 function `fn f(s: f64, ..)` outside the `impl` and call it from the method",
            ));
            continue;
        };
        let ident = match &*typed.pat {
            Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() && p.mutability.is_none() => {
                p.ident.clone()
            }
            other => {
                errors.push(Error::new_spanned(
                    other,
                    "expected a plain parameter name like `x: f64` (no `mut` or patterns)",
                ));
                continue;
            }
        };
        // `&[f64; N]`: an array by reference, differentiated as the array.
        let (shape, array_ref) = match &*typed.ty {
            Type::Reference(r) if r.mutability.is_none() && matches!(&*r.elem, Type::Array(_)) => {
                (crate::parse::param_type(&r.elem), true)
            }
            ty => (crate::parse::param_type(ty), false),
        };
        match shape {
            Ok(shape) => {
                params.push(Param {
                    ident,
                    ty: shape.clone(),
                    by_ref: array_ref,
                });
                out.push(Arg {
                    ty: (*typed.ty).clone(),
                    shape,
                    array_ref,
                });
            }
            Err(_) => errors.push(Error::new_spanned(
                &typed.ty,
                "expected parameter type `f64`, an array of f64 (`[f64; 3]`, `&[f64; 3]`, \
                 `[[f64; 2]; 4]`) or a slice `&[f64]`",
            )),
        }
    }
    match errors.into_iter().reduce(|mut a, e| {
        a.combine(e);
        a
    }) {
        Some(e) => Err(e),
        None => Ok((params, out)),
    }
}

/// The lengths of the array the function returns, outermost first, if it
/// returns an array of f64.
fn out_dims(f: &ItemFn) -> Option<Vec<TokenStream>> {
    match &f.sig.output {
        syn::ReturnType::Type(_, ty) => match crate::parse::param_type(ty) {
            Ok(ParamTy::Array(dims)) => Some(dims),
            _ => None,
        },
        syn::ReturnType::Default => None,
    }
}

/// The body of a function that returns an array, as a `grad!` body of a
/// number: `{ stmts; let __mg_out: [f64; N] = tail; rest }`, where `rest`
/// is `sum_k __mg_gy[k] * __mg_out[k]` (its gradient is the pullback at
/// the output adjoint `__mg_gy`, captured data of the output's shape) or
/// `0.0` (for the `Value` version, which hands `__mg_out` back).
fn array_body(f: &ItemFn, dims: &[TokenStream], dot: bool) -> Result<syn::Expr> {
    let mut stmts = f.block.stmts.clone();
    let tail = match stmts.pop() {
        Some(syn::Stmt::Expr(e, None)) => e,
        other => {
            let tokens = match &other {
                Some(s) => s.to_token_stream(),
                None => f.block.to_token_stream(),
            };
            return Err(Error::new_spanned(
                tokens,
                "expected the array the function returns as its final expression \
                 (a local array, `[a, b]` or a call)",
            ));
        }
    };
    let ret = match &f.sig.output {
        syn::ReturnType::Type(_, ty) => ty.to_token_stream(),
        syn::ReturnType::Default => quote!(f64),
    };
    let rest = if dot {
        let ks: Vec<syn::Ident> = (0..dims.len())
            .map(|d| format_ident!("__mg_k{}", d))
            .collect();
        let mut body = quote!(__mg_dot += __mg_gy #([#ks])* * __mg_out #([#ks])*;);
        for (k, len) in ks.iter().zip(dims).rev() {
            body = quote!(for #k in 0..#len { #body });
        }
        quote!(let mut __mg_dot = 0.0; #body __mg_dot)
    } else {
        quote!(0.0)
    };
    Ok(syn::parse_quote!({
        #(#stmts)*
        let __mg_out: #ret = #tail;
        #rest
    }))
}

/// The first direct call of `name(...)` in `tokens`, if any.
fn self_call(tokens: TokenStream, name: &syn::Ident) -> Option<Span> {
    let mut prev_is_name: Option<Span> = None;
    let mut prev_is_colons = false;
    for tt in tokens {
        match &tt {
            proc_macro2::TokenTree::Group(g) => {
                if let (Some(span), proc_macro2::Delimiter::Parenthesis) =
                    (prev_is_name, g.delimiter())
                {
                    return Some(span);
                }
                if let Some(span) = self_call(g.stream(), name) {
                    return Some(span);
                }
                prev_is_name = None;
                prev_is_colons = false;
            }
            proc_macro2::TokenTree::Ident(i) => {
                // `self::name(` and `name(` count; `other::name(` does not.
                prev_is_name = (i == name && (!prev_is_colons)).then(|| i.span());
                prev_is_colons = false;
            }
            proc_macro2::TokenTree::Punct(p) => {
                prev_is_colons = p.as_char() == ':' || (p.as_char() == '.');
                prev_is_name = None;
            }
            proc_macro2::TokenTree::Literal(_) => {
                prev_is_name = None;
                prev_is_colons = false;
            }
        }
    }
    None
}

fn grad_ty(shape: &ParamTy) -> TokenStream {
    let f64_ty = codegen::f64_ty();
    match shape {
        ParamTy::Scalar => f64_ty,
        ParamTy::Array(dims) => codegen::array_ty(dims, f64_ty),
        ParamTy::Slice => quote!(::std::vec::Vec<#f64_ty>),
    }
}

/// The type of an argument on `Value`s: `f64` becomes `Value` throughout.
fn value_ty(arg: &Arg) -> TokenStream {
    let v = quote!(::micrograd::Value);
    match &arg.shape {
        ParamTy::Scalar => v,
        ParamTy::Array(dims) => {
            let ty = codegen::array_ty(dims, v);
            if arg.array_ref { quote!(&#ty) } else { ty }
        }
        ParamTy::Slice => quote!(&[#v]),
    }
}

fn expand(attr: TokenStream, item: TokenStream, with_grad_fn: bool) -> Result<TokenStream> {
    let pullback = parse_pullback(attr)?;
    let f: ItemFn = syn::parse2(item)
        .map_err(|e| Error::new(e.span(), "`#[differentiable]` goes on a `fn` item"))?;
    let (params, args) = args(&f)?;
    let name = f.sig.ident.clone();
    let vis = f.vis.clone();
    let f64_ty = codegen::f64_ty();
    let a: Vec<syn::Ident> = (0..args.len())
        .map(|i| format_ident!("__mg_a{}", i, span = Span::mixed_site()))
        .collect();
    let tys: Vec<&Type> = args.iter().map(|x| &x.ty).collect();
    let grads: Vec<TokenStream> = args.iter().map(|x| grad_ty(&x.shape)).collect();
    let vtys: Vec<TokenStream> = args.iter().map(value_ty).collect();
    // `-> [f64; N]`: the lengths of the result.
    let out = out_dims(&f);
    let sig = Signature {
        a: &a,
        tys: &tys,
        grads: &grads,
        vtys: &vtys,
        out: out.as_deref(),
    };
    if let (Some(_), Some(path)) = (&out, &pullback) {
        return Err(Error::new_spanned(
            path,
            "custom pullbacks are for functions that return `f64`; a function that returns \
             an array is differentiated through its body",
        ));
    }
    if let (Some(_), true) = (&out, with_grad_fn) {
        return Err(Error::new_spanned(
            &f.sig.output,
            "`#[grad_fn]` needs a function that returns `f64` (a gradient is of a number); \
             use `#[differentiable]` for a function that returns an array",
        ));
    }
    if pullback.is_none() {
        if let Some(span) = self_call(f.block.to_token_stream(), &name) {
            let error = Error::new(
                span,
                format!(
                    "`{name}` calls itself: recursion is not supported in a `#[differentiable]` \
                     function (its loops and branches are); write the recursion as a `for` loop, \
                     or give `{name}` a custom derivative with `#[differentiable(pullback = ...)]`"
                ),
            );
            return Ok(typed_placeholder(f, &sig, error));
        }
    }
    let d = quote!(::micrograd::differentiable);
    // grad!'s gradient shape -> one gradient per argument, as a tuple.
    let all_scalars = args.iter().all(|x| matches!(x.shape, ParamTy::Scalar));
    let n = args.len();
    let reshape = |g: TokenStream| -> TokenStream {
        if all_scalars {
            let ks = (0..n).map(proc_macro2::Literal::usize_unsuffixed);
            quote!((#(#g[#ks],)*))
        } else if n == 1 {
            quote!((#g,))
        } else {
            g
        }
    };
    let program_grads = {
        let program = Program::empty(params.clone());
        codegen::grads_ty(&program)
    };
    let g = format_ident!("__mg_g", span = Span::mixed_site());
    let mut code = None;
    let (grad_body, value_body, extra) = match &pullback {
        None => {
            let input = GradInput {
                params: params.clone(),
                body: syn::Expr::Block(syn::ExprBlock {
                    attrs: Vec::new(),
                    label: None,
                    block: (*f.block).clone(),
                }),
            };
            // A function that returns an array: the pullback is the
            // gradient of `<gy, f(x)>`, and the `Value` version is a
            // second program that hands the array back.
            let lowered = match &out {
                None => crate::lower::lower(&input, false).map(|p| (p, None)),
                Some(dims) => array_body(&f, dims, true).and_then(|dot| {
                    let value = array_body(&f, dims, false)?;
                    let with = |body| GradInput {
                        params: params.clone(),
                        body,
                    };
                    let program = crate::lower::lower_returning(&with(dot), "__mg_out")?;
                    let value = crate::lower::lower_returning(&with(value), "__mg_out")?;
                    Ok((program, Some(value)))
                }),
            };
            let (program, value_program) = match lowered {
                Ok(programs) => programs,
                Err(error) => return Ok(typed_placeholder(f, &sig, error)),
            };
            let seed = format_ident!("__mg_seed", span = Span::mixed_site());
            // An array result's adjoint is captured data of the body
            // (`__mg_gy`), and the seed is 1.
            let seeded = out.is_none().then_some(&seed);
            let closure = codegen::closure_seeded(&program, seeded);
            let closure = codegen::call::scope(&program, closure);
            let pass = args
                .iter()
                .zip(&a)
                .map(|(x, a)| if x.array_ref { quote!(*#a) } else { quote!(#a) });
            let gy = out.is_none().then(|| quote!(__mg_gy));
            let back = reshape(quote!(#g));
            let grad_body = quote!({
                let __mg_closure = #closure;
                let (_, #g) = __mg_closure(#(#pass,)* #gy);
                #back
            });
            code = Some(codegen::code_string(&program));
            let halves = if out.is_some() {
                TokenStream::new()
            } else if program.is_straight_line() && program.callees.is_empty() {
                split(&program, &a)
            } else {
                recompute_halves(&name, &a, &tys, &grads)
            };
            let value_body = value_fn(value_program.as_ref().unwrap_or(&program), &a);
            let mut halves = halves;
            halves.extend(dual_fns(out.is_none().then_some(&program), &args, &a));
            (grad_body, value_body, halves)
        }
        Some(path) => {
            let span = syn::spanned::Spanned::span(path);
            let check = quote_spanned!(span=>
                #[doc(hidden)]
                const __MG_PULLBACK: fn(#(#tys,)* #f64_ty) -> #program_grads = #path;
            );
            let back = reshape(quote!(#g));
            let grad_body = quote!({
                let #g = Self::__MG_PULLBACK(#(#a,)* __mg_gy);
                #back
            });
            // The Value node: the function and the pullback on the data,
            // then one node with those partial derivatives.
            let data: Vec<syn::Ident> = (0..n)
                .map(|i| format_ident!("__mg_x{}", i, span = Span::mixed_site()))
                .collect();
            let to_data = args
                .iter()
                .zip(&a)
                .zip(&data)
                .map(|((x, a), dx)| match &x.shape {
                    ParamTy::Scalar => quote!(let #dx: #f64_ty = #a.data();),
                    ParamTy::Array(_) => quote!(let #dx = #d::ToData::to_data(&#a);),
                    ParamTy::Slice => quote!(let #dx = #d::ToData::to_data(#a);),
                });
            let pass: Vec<TokenStream> = args
                .iter()
                .zip(&data)
                .map(|(x, dx)| match &x.shape {
                    ParamTy::Scalar => quote!(#dx),
                    ParamTy::Array(_) if x.array_ref => quote!(&#dx),
                    ParamTy::Array(_) => quote!(#dx),
                    ParamTy::Slice => quote!(&#dx[..]),
                })
                .collect();
            let back = reshape(quote!(#g));
            let lin = (0..n).map(|k| {
                let k_lit = proc_macro2::Literal::usize_unsuffixed(k);
                let ak = &a[k];
                quote!(#d::Linearize::linearize(&#ak, &#g.#k_lit, &mut __mg_terms);)
            });
            let value_body = quote!({
                #(#to_data)*
                let __mg_y: #f64_ty = #name(#(#pass),*);
                let #g = Self::__MG_PULLBACK(#(#pass,)* 1.0);
                let #g = #back;
                let mut __mg_terms = ::std::vec::Vec::new();
                #(#lin)*
                #d::linear(__mg_y, &__mg_terms)
            });
            let mut extra = check;
            extra.extend(recompute_halves(&name, &a, &tys, &grads));
            extra.extend(dual_fns(None, &args, &a));
            (grad_body, value_body, extra)
        }
    };
    let grad_fn = if with_grad_fn {
        let grad_name = format_ident!("{}_grad", name);
        let regrad = if all_scalars {
            let ks = (0..n).map(proc_macro2::Literal::usize_unsuffixed);
            quote!([#(#g.#ks),*])
        } else if n == 1 {
            quote!(#g.0)
        } else {
            quote!(#g)
        };
        let inputs = &f.sig.inputs;
        let arg_names: Vec<&syn::Ident> = params.iter().map(|p| &p.ident).collect();
        let doc = format!(
            " The value and the gradient of [`{name}`], `(f64, G)` with `G` shaped as \
             `grad!`'s gradient of the same parameters (generated by `#[grad_fn]`)."
        );
        let code_doc = match &code {
            Some(code) => format!(
                " The code it runs (as `grad_code!` prints it for the same body):\n\n \
                 ```text\n{}\n ```",
                code.lines()
                    .map(|l| format!(" {l}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
            None => " It calls the custom pullback with adjoint 1.".to_owned(),
        };
        quote! {
            #[doc = #doc]
            #[doc = ""]
            #[doc = #code_doc]
            #[inline]
            #vis fn #grad_name(#inputs) -> (#f64_ty, #program_grads) {
                let __mg_v: #f64_ty = #name(#(#arg_names),*);
                let #g = #name::__mg_vjp((#(#arg_names,)*), 1.0);
                (__mg_v, #regrad)
            }
        }
    } else {
        TokenStream::new()
    };
    let mut tokens = finish(f, extra, grad_body, value_body, &sig, None);
    tokens.extend(grad_fn);
    Ok(tokens)
}

/// The types of the companion's functions.
struct Signature<'a> {
    a: &'a [syn::Ident],
    tys: &'a [&'a Type],
    grads: &'a [TokenStream],
    vtys: &'a [TokenStream],
    /// The lengths of the array the function returns (`None`: `f64`).
    out: Option<&'a [TokenStream]>,
}

/// The function, `error`, and a companion of the right types whose
/// bodies are unreachable: calls of the function add no errors of their
/// own to the body's.
fn typed_placeholder(f: ItemFn, sig: &Signature, error: Error) -> TokenStream {
    let unreachable = quote!({ ::core::unreachable!() });
    let error = Some(error.into_compile_error());
    finish(f, quote!(), unreachable.clone(), unreachable, sig, error)
}

/// The function (with `#[inline]`) and its companion.
fn finish(
    mut f: ItemFn,
    mut extra: TokenStream,
    grad_body: TokenStream,
    value_body: TokenStream,
    sig: &Signature,
    errors: Option<TokenStream>,
) -> TokenStream {
    let (name, vis) = (f.sig.ident.clone(), f.vis.clone());
    let (a, tys, grads, vtys) = (sig.a, sig.tys, sig.grads, sig.vtys);
    let f64_ty = codegen::f64_ty();
    let v = quote!(::micrograd::Value);
    let d = quote!(::micrograd::differentiable);
    // The result's type, its adjoint's and its `Value` version's. A
    // companion has the functions of its kind (number: `__mg_call`,
    // `__mg_vjp`, `__mg_value`, ...; array: `__mg_call_array`, ...) and
    // stubs of any type for the other kind's, so a call of the wrong kind
    // is one error, from the check of `ReturnsNumber` or `ReturnsArray`.
    let stub = quote!(#[doc(hidden)] #[allow(clippy::all)]);
    let arity = proc_macro2::Literal::usize_unsuffixed(a.len());
    extra.extend(quote! {
        /// How many parameters the function takes (checked at each call).
        #[doc(hidden)]
        pub const __MG_ARITY: usize = #arity;
        /// The shapes of the parameters (each call's known argument types
        /// must fit them, else it uses stubs and its check is the error).
        #[doc(hidden)]
        pub const __MG_PARAMS: &'static [#d::ArgShape] = &[#(<#tys as #d::Shape>::SHAPE),*];
    });
    // The argument types each parameter takes (checked at each call, at
    // the argument): its own, and `&[f64; N]` for a slice.
    let mut accepts = TokenStream::new();
    for (i, ty) in tys.iter().enumerate() {
        let i = proc_macro2::Literal::usize_unsuffixed(i);
        accepts.extend(quote!(impl #d::Accepts<#i, #ty> for #name {}));
        if matches!(ty, Type::Reference(r) if matches!(&*r.elem, Type::Slice(_))) {
            accepts
                .extend(quote!(impl<const N: usize> #d::Accepts<#i, &[#f64_ty; N]> for #name {}));
        }
    }
    let (out_ty, value_out, vjp, value, kind) = match sig.out {
        None => {
            extra.extend(quote! {
                #stub pub const __MG_DIMS: [usize; 8] = [1; 8];
                #stub pub fn __mg_call_array<A, R>(_: A) -> R { ::core::unreachable!() }
                #stub pub fn __mg_vjp_array<A: #d::CallArgs, G>(_: A, _: G) -> A::Grads {
                    ::core::unreachable!()
                }
                #stub pub fn __mg_value_array<A, R>(_: A) -> R { ::core::unreachable!() }
                #[doc(hidden)]
                #[inline(always)]
                pub fn __mg_call((#(#a,)*): (#(#tys,)*)) -> #f64_ty {
                    #name(#(#a),*)
                }
            });
            (
                f64_ty.clone(),
                v.clone(),
                format_ident!("__mg_vjp"),
                format_ident!("__mg_value"),
                quote!(ReturnsNumber),
            )
        }
        Some(dims) => {
            let m = proc_macro2::Literal::usize_unsuffixed(dims.len());
            let out_ty = codegen::array_ty(dims, f64_ty.clone());
            extra.extend(quote! {
                /// The lengths of the array the function returns, for
                /// `let y = f(..);` in `grad!` code.
                #[doc(hidden)]
                pub const __MG_DIMS: [usize; #m] = [#(#dims),*];
                #[doc(hidden)]
                #[inline(always)]
                pub fn __mg_call_array((#(#a,)*): (#(#tys,)*)) -> #out_ty {
                    #name(#(#a),*)
                }
                #stub pub fn __mg_call<A>(_: A) -> #f64_ty { ::core::unreachable!() }
                #stub pub fn __mg_vjp<A: #d::CallArgs, G>(_: A, _: G) -> A::Grads {
                    ::core::unreachable!()
                }
                #stub pub fn __mg_value<A, R>(_: A) -> R { ::core::unreachable!() }
                #stub pub fn __mg_fwd<A: #d::CallArgs>(_: A) -> (#f64_ty, #d::Residuals<A>) {
                    ::core::unreachable!()
                }
                #stub pub fn __mg_bwd<A: #d::CallArgs>(_: #d::Residuals<A>, _: #f64_ty) -> A::Grads {
                    ::core::unreachable!()
                }
            });
            (
                out_ty,
                codegen::array_ty(dims, v.clone()),
                format_ident!("__mg_vjp_array"),
                format_ident!("__mg_value_array"),
                quote!(ReturnsArray),
            )
        }
    };
    // Straight-line callers call the forward and the backward halves; a
    // function with array parameters has no straight-line callers. The
    // placeholder of a function whose body has errors has them too.
    if errors.is_some() && sig.out.is_none() && tys.iter().all(|t| crate::parse::is_f64(t)) {
        let m = proc_macro2::Literal::usize_unsuffixed(a.len());
        extra.extend(quote! {
            #[doc(hidden)]
            pub fn __mg_fwd(_: (#(#tys,)*)) -> (#f64_ty, [#f64_ty; #m]) { ::core::unreachable!() }
            #[doc(hidden)]
            pub fn __mg_bwd(_: [#f64_ty; #m], _: #f64_ty) -> (#(#grads,)*) { ::core::unreachable!() }
        });
    }
    if errors.is_some() {
        extra.extend(dual_fns(None, &[], a));
    }
    import_ops(&mut f);
    let has_inline = f.attrs.iter().any(|at| at.path().is_ident("inline"));
    if !has_inline {
        f.attrs.push(syn::parse_quote!(#[inline]));
    }
    // grad!'s grammar has index loops and no iterators, so this lint
    // would ask for what the body cannot be.
    f.attrs
        .push(syn::parse_quote!(#[allow(clippy::needless_range_loop)]));
    quote! {
        #errors
        #f
        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code)]
        #vis struct #name {}
        #[diagnostic::do_not_recommend]
        impl #d::Differentiable for #name {}
        #[diagnostic::do_not_recommend]
        impl #d::#kind for #name {}
        impl #d::TakesArguments<#arity> for #name {}
        #accepts
        #[allow(clippy::all, clippy::pedantic, clippy::nursery, unused_mut, unused_variables, unused_assignments)]
        impl #name {
            #extra
            #[doc(hidden)]
            #[inline(always)]
            pub fn __mg_check<F>(_: F) {}
            #[doc(hidden)]
            #[inline]
            pub fn #vjp((#(#a,)*): (#(#tys,)*), __mg_gy: #out_ty) -> (#(#grads,)*) #grad_body
            #[doc(hidden)]
            #[inline]
            pub fn #value((#(#a,)*): (#(#vtys,)*)) -> #value_out #value_body
        }
    }
}

/// The body of `__mg_value`: the program replayed on `Value`s (as in
/// `compare!`'s dynamic engine), without `backward`.
fn value_fn(program: &Program, a: &[syn::Ident]) -> TokenStream {
    let plan = crate::diff::plan(program);
    let fwd = Forward {
        program,
        plan: &plan,
        mode: Mode::Value,
    };
    let binds = a.iter().enumerate().map(|(i, a)| {
        let p = codegen::name("p", i);
        quote!(let #p = #a;)
    });
    let captured = codegen::captures(program, &vec![true; program.consts.len()]);
    let declarations = fwd.declarations();
    let body = fwd.stmts(&program.body);
    let to_values = quote!(::micrograd::differentiable::ToValues::to_values);
    let out = match program.out_array {
        // The array the function returns: `Value`s where active.
        Some(crate::ir::Target::Var(v)) => {
            let x = codegen::name("x", v);
            if program.vars[v].active {
                quote!(#x)
            } else {
                quote!(#to_values(&#x))
            }
        }
        Some(crate::ir::Target::Param(p)) => {
            let x = codegen::name("p", p);
            if program.params[p].by_ref {
                quote!(*#x)
            } else {
                quote!(#x)
            }
        }
        Some(crate::ir::Target::Data(d)) => {
            let x = codegen::name("d", d);
            quote!(#to_values(#x))
        }
        None => {
            let out = codegen::operand(program, program.output);
            if program.is_active(program.output) {
                out
            } else {
                quote!(::micrograd::Value::new(#out))
            }
        }
    };
    let inner = quote!({
        #(#binds)*
        #captured
        #declarations
        #body
        #out
    });
    // The pullback (`__mg_vjp`) checks the callees; this copy does not.
    codegen::call::scope_with(program, inner, false)
}

/// `__mg_fwd` and `__mg_bwd` of a straight-line body: the forward keeps
/// every value the reverse reads (the parameters and the live forward
/// values, as one `[f64; M]`), and the backward is the reverse code from
/// them, with the result's adjoint as its seed: what the caller's code
/// would be with the body inlined, nothing recomputed.
fn split(program: &Program, a: &[syn::Ident]) -> TokenStream {
    let f64_ty = codegen::f64_ty();
    let seed = format_ident!("__mg_gy", span = Span::mixed_site());
    let res = format_ident!("__mg_res", span = Span::mixed_site());
    let parts = codegen::straight_parts(program, Some(&seed));
    let params: Vec<syn::Ident> = (0..a.len()).map(|i| codegen::name("p", i)).collect();
    let kept: Vec<&syn::Ident> = params.iter().chain(&parts.bound).collect();
    let m = proc_macro2::Literal::usize_unsuffixed(kept.len());
    let tys = a.iter().map(|_| f64_ty.clone());
    let grads_ty = a.iter().map(|_| f64_ty.clone());
    let (constants, forward, steps, value, grads) = (
        &parts.constants,
        &parts.forward,
        &parts.steps,
        &parts.value,
        &parts.grads,
    );
    quote! {
        #[doc(hidden)]
        #[inline]
        pub fn __mg_fwd((#(#params,)*): (#(#tys,)*)) -> (#f64_ty, [#f64_ty; #m]) {
            #constants
            #forward
            (#value, [#(#kept),*])
        }
        #[doc(hidden)]
        #[inline]
        pub fn __mg_bwd(#res: [#f64_ty; #m], #seed: #f64_ty) -> (#(#grads_ty,)*) {
            let [#(#kept),*] = #res;
            #constants
            #steps
            (#(#grads,)*)
        }
    }
}

/// `__mg_fwd` and `__mg_bwd` that keep the arguments and call the pullback
/// in the backward (a body with loops, branches or calls, or a custom
/// pullback), for functions of numbers only.
fn recompute_halves(
    name: &syn::Ident,
    a: &[syn::Ident],
    tys: &[&Type],
    grads: &[TokenStream],
) -> TokenStream {
    if !tys.iter().all(|t| crate::parse::is_f64(t)) {
        return TokenStream::new();
    }
    let f64_ty = codegen::f64_ty();
    let m = proc_macro2::Literal::usize_unsuffixed(a.len());
    quote! {
        #[doc(hidden)]
        #[inline]
        pub fn __mg_fwd((#(#a,)*): (#(#tys,)*)) -> (#f64_ty, [#f64_ty; #m]) {
            (#name(#(#a),*), [#(#a),*])
        }
        #[doc(hidden)]
        #[inline]
        pub fn __mg_bwd(__mg_res: [#f64_ty; #m], __mg_gy: #f64_ty) -> (#(#grads,)*) {
            let [#(#a),*] = __mg_res;
            Self::__mg_vjp((#(#a,)*), __mg_gy)
        }
    }
}

/// The second-order code `hessian!` and `hvp!` call (see
/// `codegen::hessian::companion`), generic over the dual numbers' size
/// `N`: `__mg_dual_value((x, w, ..))`, the function on `Dual<N>`s (array
/// arguments as arrays of them), and `__mg_dual_vjp((x, w, ..), gy)`, the
/// adjoints of the arguments as `Dual<N>`s given the result's adjoint
/// `gy: Dual<N>`; and `__MG_SECOND`, whether they exist: false (and stubs
/// of any type) for a custom pullback (`program` is `None`: it has no
/// second-derivative rule), a function that returns an array, has a slice
/// parameter or calls a function that returns an array. `hessian!` checks
/// it at each call (`codegen::hessian::second_order_checks`), and
/// `__mg_dual_value` checks its callees' when `hessian!` instantiates it
/// (an inline `const`, so mutual recursion is no cycle).
fn dual_fns(program: Option<&Program>, args: &[Arg], a: &[syn::Ident]) -> TokenStream {
    let supported = program.filter(|p| {
        let mut array_call = false;
        crate::ir::walk(&p.body, &mut |s| {
            array_call |= matches!(
                s,
                crate::ir::Stmt::Init {
                    init: crate::ir::ArrayInit::Call { .. },
                    ..
                }
            );
        });
        !array_call
            && p.out_array.is_none()
            && args.iter().all(|x| !matches!(x.shape, ParamTy::Slice))
    });
    let Some(program) = supported else {
        let d = quote!(::micrograd::differentiable);
        return quote! {
            #[doc(hidden)]
            pub const __MG_SECOND: bool = false;
            #[doc(hidden)]
            #[allow(clippy::all)]
            pub fn __mg_dual_value<A, R>(_: A) -> R { ::core::unreachable!() }
            #[doc(hidden)]
            #[allow(clippy::all)]
            pub fn __mg_dual_vjp<A: #d::CallArgs, G>(_: A, _: G) -> A::Grads {
                ::core::unreachable!()
            }
        };
    };
    let n = syn::Ident::new("__MG_N", Span::mixed_site());
    let dual = quote!(::micrograd::dual::Dual::<#n>);
    let gy = format_ident!("__mg_dgy", span = Span::mixed_site());
    let (value, vjp) = codegen::hessian::companion(program, &dual, &gy);
    let tys: Vec<TokenStream> = args
        .iter()
        .map(|x| match &x.shape {
            ParamTy::Array(dims) => {
                let ty = codegen::array_ty(dims, dual.clone());
                if x.array_ref { quote!(&#ty) } else { ty }
            }
            _ => dual.clone(),
        })
        .collect();
    let grads: Vec<TokenStream> = args
        .iter()
        .map(|x| match &x.shape {
            ParamTy::Array(dims) => codegen::array_ty(dims, dual.clone()),
            _ => dual.clone(),
        })
        .collect();
    let binds: Vec<TokenStream> = args
        .iter()
        .zip(a)
        .enumerate()
        .map(|(i, (x, a))| {
            let p = codegen::name("p", i);
            if x.array_ref {
                quote!(let #p = *#a;)
            } else {
                quote!(let #p = #a;)
            }
        })
        .collect();
    quote! {
        #[doc(hidden)]
        pub const __MG_SECOND: bool = true;
        #[doc(hidden)]
        #[inline]
        pub fn __mg_dual_value<const #n: usize>((#(#a,)*): (#(#tys,)*)) -> #dual {
            #(#binds)*
            #value
        }
        #[doc(hidden)]
        #[inline]
        pub fn __mg_dual_vjp<const #n: usize>((#(#a,)*): (#(#tys,)*), #gy: #dual) -> (#(#grads,)*) {
            #(#binds)*
            #vjp
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_is_a_compile_error_never_a_panic() {
        for (attr, item) in [
            ("", ""),
            ("", "struct S;"),
            ("", "fn f() {}"),
            ("", "fn f<T>(x: T) -> f64 { 0.0 }"),
            ("", "fn f(x: f64) -> f64 { f(x) }"),
            ("", "fn f(x: f64) -> f64 { x % 2.0 }"),
            ("", "fn f(mut x: f64) -> f64 { x }"),
            ("", "fn f(x: f32) -> f64 { 0.0 }"),
            ("", "fn f(x: f64) -> [f64; 2] { let a = [x, x]; }"),
            (
                "",
                "fn f(x: f64) -> [f64; 2] { if x > 0.0 { [x, x] } else { [x, 0.0] } }",
            ),
            ("", "fn f(x: f64) -> [f32; 2] { [x, x] }"),
            ("pullback = p", "fn f(x: f64) -> [f64; 2] { [x, x] }"),
            ("", "async fn f(x: f64) -> f64 { x }"),
            ("", "unsafe fn f(x: f64) -> f64 { x }"),
            ("", "extern \"C\" fn f(x: f64) -> f64 { x }"),
            ("pullback", "fn f(x: f64) -> f64 { x }"),
            ("pullback = 1", "fn f(x: f64) -> f64 { x }"),
            ("foo = bar", "fn f(x: f64) -> f64 { x }"),
        ] {
            let out = differentiable(attr.parse().expect("tokens"), item.parse().expect("tokens"));
            assert!(
                out.to_string().contains("compile_error"),
                "{attr} {item}: {out}"
            );
        }
        // Accepted forms expand without an error.
        for (attr, item) in [
            (
                "",
                "fn f(x: f64, w: &[f64; 2], s: &[f64]) -> f64 { x * w[0] + s[0] }",
            ),
            ("pullback = p", "fn f(x: f64) -> f64 { x.abs() }"),
            ("", "const fn f(x: f64) -> f64 { x * x }"),
        ] {
            let out = grad(attr.parse().expect("tokens"), item.parse().expect("tokens"));
            assert!(
                !out.to_string().contains("compile_error"),
                "{attr} {item}: {out}"
            );
        }
        // Array results: `#[differentiable]` yes, `#[grad_fn]` (a gradient
        // of a number) no.
        for item in [
            "fn f(x: f64) -> [f64; 2] { [x, x * x] }",
            "fn f(w: &[f64; 2]) -> [[f64; 2]; 1] { let mut h = [[0.0; 2]; 1]; h[0][1] = w[0]; h }",
            "fn f(x: f64) -> [f64; 2] { let y = g(x); [y[0], y[1]] }",
        ] {
            let tokens: TokenStream = item.parse().expect("tokens");
            let out = differentiable(TokenStream::new(), tokens.clone());
            assert!(!out.to_string().contains("compile_error"), "{item}: {out}");
            let out = grad(TokenStream::new(), tokens);
            assert!(out.to_string().contains("compile_error"), "{item}: {out}");
        }
    }
}
