//! Calls of `#[differentiable]` functions in generated code.
//!
//! Each callee path `p` gets a generated name `__mg_u{k}`, brought in by
//! `use p as __mg_u{k};` in a block around the generated code, and the
//! code calls `__mg_f{k}`, an alias of that companion when the call passes
//! as many arguments as the function takes (`__MG_ARITY`), else of stubs
//! of any type (`__mg_s{k}`), so a wrong count is only its check's error. For a
//! `#[differentiable]` function that `use` brings both namespaces: the
//! function (value namespace, called by the forward sweep) and its
//! companion (type namespace, whose `__mg_vjp` is the pullback, the
//! adjoints of the arguments given the adjoint of the result, and
//! `__mg_value` the `Value` version). For a plain function
//! it brings only the function, so the type-namespace name falls through to
//! a fallback struct of the same generated name declared in an outer block,
//! whose `__mg_check` requires `micrograd::differentiable::Differentiable`
//! of the function: one error, at the call, with that trait's message.

use super::{index, name};
use crate::ir::{CallArg, IntExpr, Operand, ParamTy, Program, Target};
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};

/// The generated name of callee `k`.
pub fn callee(k: usize) -> syn::Ident {
    name("f", k)
}

/// Wraps `inner` (an expression) in the blocks that bring the program's
/// callees into scope. `spans` locates each callee's first call.
pub fn scope(program: &Program, inner: TokenStream) -> TokenStream {
    scope_with(program, inner, true)
}

/// [`scope`], with or without the checks (code that is emitted twice for
/// one source, like a companion's gradient and `Value` version, checks
/// once, so a plain callee is one error).
pub fn scope_with(program: &Program, inner: TokenStream, check: bool) -> TokenStream {
    if program.callees.is_empty() {
        return inner;
    }
    let d = quote!(::micrograd::differentiable);
    // Which callees are called for a number, which for an array (`let y =
    // f(..);` then `y[j]`): each use checks that the function returns that.
    // And the numbers of arguments each callee is called with.
    let mut number_calls = vec![false; program.callees.len()];
    let mut array_calls = vec![false; program.callees.len()];
    let mut arities: Vec<Vec<usize>> = vec![Vec::new(); program.callees.len()];
    let mut arity = |callee: usize, n: usize| {
        if !arities[callee].contains(&n) {
            arities[callee].push(n);
        }
    };
    crate::ir::walk(&program.body, &mut |s| match s {
        crate::ir::Stmt::Inst(i) => {
            if let crate::ir::Kind::Call { callee, args } = &program.insts[*i].kind {
                number_calls[*callee] = true;
                arity(*callee, args.len());
            }
        }
        crate::ir::Stmt::Init {
            init: crate::ir::ArrayInit::Call { callee, args, .. },
            ..
        } => {
            array_calls[*callee] = true;
            arity(*callee, args.len());
        }
        _ => {}
    });
    // Calls in conditions are not in `walk`.
    for inst in &program.insts {
        if let crate::ir::Kind::Call { callee, args } = &inst.kind {
            number_calls[*callee] = true;
            arity(*callee, args.len());
        }
    }
    // Functions of any type, for a callee that is not `#[differentiable]`
    // or is called with the wrong number of arguments: its one error is
    // its check, not the types of the code that calls it.
    let stubs = quote! {
        #[allow(dead_code, clippy::all)]
        const __MG_DIMS: [usize; 8] = [1; 8];
        #[allow(dead_code, clippy::all)]
        fn __mg_call_array<A, R>(_: A) -> R {
            ::core::unreachable!()
        }
        #[allow(dead_code, clippy::all)]
        fn __mg_vjp_array<A: #d::CallArgs, G>(_: A, _: G) -> A::Grads {
            ::core::unreachable!()
        }
        #[allow(dead_code, clippy::all)]
        fn __mg_value_array<A, R>(_: A) -> R {
            ::core::unreachable!()
        }
        #[allow(dead_code, clippy::all)]
        fn __mg_vjp<A: #d::CallArgs, G>(_: A, _: G) -> A::Grads {
            ::core::unreachable!()
        }
        #[allow(dead_code, clippy::all)]
        fn __mg_call<A, R>(_: A) -> R {
            ::core::unreachable!()
        }
        #[allow(dead_code, clippy::all)]
        fn __mg_fwd<A: #d::CallArgs>(_: A) -> (::core::primitive::f64, #d::Residuals<A>) {
            ::core::unreachable!()
        }
        #[allow(dead_code, clippy::all)]
        fn __mg_bwd<A: #d::CallArgs>(_: #d::Residuals<A>, _: ::core::primitive::f64) -> A::Grads {
            ::core::unreachable!()
        }
        #[allow(dead_code, clippy::all)]
        fn __mg_value<A, R>(_: A) -> R {
            ::core::unreachable!()
        }
        #[allow(dead_code, clippy::all)]
        fn __mg_dual_value<A, R>(_: A) -> R {
            ::core::unreachable!()
        }
        #[allow(dead_code, clippy::all)]
        fn __mg_dual_vjp<A: #d::CallArgs, G>(_: A, _: G) -> A::Grads {
            ::core::unreachable!()
        }
    };
    let mut fallbacks = TokenStream::new();
    let mut uses = TokenStream::new();
    let mut checks = TokenStream::new();
    for (k, path) in program.callees.iter().enumerate() {
        let (f, u, st) = (callee(k), name("u", k), name("s", k));
        let span = syn::spanned::Spanned::span(path);
        // A name alone (`h(x)`) may be a closure or other local variable,
        // which `use` cannot bring in: the `use` gets the name with
        // mixed-site hygiene (it sees items, as before, and no local
        // variables) and a macro of that name from an outer block (so it
        // always finds something), and the value falls through to a
        // `LocalVariable`, whose check is the one error.
        let (local, path) = match path.get_ident() {
            Some(ident) if path.leading_colon.is_none() => {
                let n = name("n", k);
                let hidden = syn::Ident::new(
                    &ident.to_string(),
                    Span::mixed_site().located_at(ident.span()),
                );
                (
                    quote! {
                        #[allow(non_upper_case_globals, dead_code)]
                        const #u: #d::LocalVariable = #d::LocalVariable {};
                        #[allow(unused_macros)]
                        macro_rules! #n { () => {} }
                        #[allow(unused_imports)]
                        use #n as #ident;
                    },
                    syn::Path::from(hidden),
                )
            }
            _ => (TokenStream::new(), path.clone()),
        };
        let path = &path;
        fallbacks.extend(quote! {
            #[allow(non_camel_case_types, dead_code)]
            struct #u {}
            #[diagnostic::do_not_recommend]
            impl #d::ReturnsNumber for #u {}
            #[diagnostic::do_not_recommend]
            impl #d::ReturnsArray for #u {}
            #[diagnostic::do_not_recommend]
            impl<const N: usize> #d::TakesArguments<N> for #u {}
            #[diagnostic::do_not_recommend]
            impl<const I: usize, A> #d::Accepts<I, A> for #u {}
            #[allow(dead_code, clippy::all)]
            impl #u {
                #[inline(always)]
                fn __mg_check<F: #d::Differentiable>(_: F) {}
                const __MG_ARITY: usize = usize::MAX;
                const __MG_PARAMS: &'static [#d::ArgShape] = &[];
                const __MG_SECOND: bool = true;
                #stubs
            }
            #[allow(non_camel_case_types, dead_code)]
            struct #st {}
            #local
            #[allow(dead_code, clippy::all)]
            impl #st {
                #stubs
            }
        });
        // `__mg_f{k}`: the companion when the call passes as many
        // arguments as the function takes, else the stubs.
        // And when every argument whose type the macro knows fits its
        // parameter (else the stubs, and the check of that argument is the
        // one error).
        let n = proc_macro2::Literal::usize_unsuffixed(arities[k].first().copied().unwrap_or(0));
        let fits = program.call_sigs.iter().filter(|c| c.callee == k).map(|c| {
            let shapes = c.args.iter().map(|a| match a {
                Some((_, ty)) => quote!(::core::option::Option::Some(<#ty as #d::Shape>::SHAPE)),
                None => quote!(::core::option::Option::None),
            });
            quote!(&& #d::fits(#u::__MG_PARAMS, &[#(#shapes),*]))
        });
        let fits: TokenStream = fits.collect();
        uses.extend(quote! {
            #[allow(unused_imports)]
            use #path as #u;
            #[allow(non_camel_case_types)]
            type #f = <#d::Select<{ #u::__MG_ARITY == #n #fits }> as #d::Pick<#u, #st>>::T;
        });
        // Our name (mixed-site hygiene), located at the user's callee, so
        // the error points at the call.
        let u_at = at(u.clone(), span);
        if check {
            checks.extend(quote_spanned!(span=> #u_at::__mg_check(#u_at);));
            if path.get_ident().is_some() {
                checks.extend(quote_spanned!(span=> #d::function_item(#u_at);));
            }
            for n in &arities[k] {
                let n = proc_macro2::Literal::usize_unsuffixed(*n);
                checks.extend(quote_spanned!(span=> #d::takes_arguments::<#u_at, #n>();));
            }
            // Each argument's type, at the argument, when the count is
            // right (else `AnyArguments`: the count is the one error).
            for c in program.call_sigs.iter().filter(|c| c.callee == k) {
                let n = proc_macro2::Literal::usize_unsuffixed(c.args.len());
                for (i, a) in c.args.iter().enumerate() {
                    let Some((arg_span, ty)) = a else { continue };
                    let i = proc_macro2::Literal::usize_unsuffixed(i);
                    let u_arg = at(u.clone(), *arg_span);
                    checks.extend(quote_spanned!(*arg_span=>
                        #d::accepts::<
                            <#d::Select<{ #u_arg::__MG_ARITY == #n }> as #d::Pick<#u_arg, #d::AnyArguments>>::T,
                            #i,
                            #ty,
                        >();
                    ));
                }
            }
            if number_calls[k] {
                checks.extend(quote_spanned!(span=> #d::returns_number::<#u_at>();));
            }
            if array_calls[k] {
                checks.extend(quote_spanned!(span=> #d::returns_array::<#u_at>();));
            }
        }
    }
    quote!({
        #fallbacks
        {
            #uses
            #checks
            #inner
        }
    })
}

/// Where an array argument lives in the forward code, dereferenced so it
/// can be indexed or passed again (`__mg_p0`, `(*__mg_d0)`).
fn array_base(program: &Program, target: Target) -> TokenStream {
    match target {
        Target::Param(p) => {
            let n = name("p", p);
            match program.params[p].ty {
                ParamTy::Slice => quote!((*#n)),
                _ => quote!(#n),
            }
        }
        Target::Data(d) => {
            let n = name("d", d);
            quote!((*#n))
        }
        Target::Var(v) => name("x", v).into_token_stream(),
    }
}

/// The arguments of a call in `f64` code (the forward sweep, the reverse
/// sweep's gradient call, the plain forward): `number` reads a scalar.
pub fn f64_args(
    program: &Program,
    args: &[CallArg],
    number: &dyn Fn(Operand) -> TokenStream,
) -> Vec<TokenStream> {
    args.iter()
        .map(|a| match a {
            CallArg::Scalar(o) => number(*o),
            CallArg::Array {
                target,
                index: idx,
                by_ref,
            } => {
                // A slice parameter passed as written (`sum_sq(x)`) is
                // already a reference.
                if let Some(p) = whole_slice(program, *target, idx, *by_ref) {
                    return name("p", p).into_token_stream();
                }
                let base = array_base(program, *target);
                let idx = index(idx);
                if *by_ref {
                    quote!(&#base #idx)
                } else {
                    quote!(#base #idx)
                }
            }
        })
        .collect()
}

/// The slice parameter an argument passes whole, as written (`f(x)`, not
/// `f(&x)` or a row of it), if it is one.
fn whole_slice(program: &Program, target: Target, idx: &[IntExpr], by_ref: bool) -> Option<usize> {
    match target {
        Target::Param(p) if !by_ref && idx.is_empty() => {
            matches!(program.params[p].ty, ParamTy::Slice).then_some(p)
        }
        _ => None,
    }
}

/// The arguments in `compare!`'s `Value` replay: parameters are `Value`s
/// there already; captured data becomes leaves of the same shape.
pub fn value_args(
    program: &Program,
    args: &[CallArg],
    value: &dyn Fn(Operand) -> TokenStream,
) -> Vec<TokenStream> {
    args.iter()
        .map(|a| match a {
            CallArg::Scalar(o) => value(*o),
            CallArg::Array {
                target,
                index: idx,
                by_ref,
            } => {
                if let Some(p) = whole_slice(program, *target, idx, *by_ref) {
                    let n = name("p", p);
                    return quote!(&#n);
                }
                let idx = index(idx);
                let owned = match target {
                    Target::Param(p) => {
                        let n = name("p", *p);
                        quote!(#n #idx)
                    }
                    _ => {
                        let base = array_base(program, *target);
                        quote!(::micrograd::differentiable::ToValues::to_values(&#base #idx))
                    }
                };
                if *by_ref {
                    quote!(&#owned)
                } else {
                    quote!(#owned)
                }
            }
        })
        .collect()
}

/// `__mg_f{k}::__mg_call((args,))`: the function itself, through its
/// companion (for a function that returns an array, or no function, a
/// stub of any type, so the check of the call is the one error).
/// At the user's callee (`span`), so a type error points at the call.
pub fn plain_call(callee_index: usize, args: &[TokenStream], span: Span) -> TokenStream {
    entry(callee_index, "__mg_call", quote!((#(#args,)*)), span)
}

/// `__mg_f{k}::__mg_call((args,))`: a function that returns an array,
/// through its companion (whose fallback, for a function without the
/// attribute, has any type, so the missing attribute is the only error).
pub fn array_call(callee_index: usize, args: &[TokenStream], span: Span) -> TokenStream {
    entry(callee_index, "__mg_call_array", quote!((#(#args,)*)), span)
}

/// `__mg_f{k}::__mg_vjp_array((args,), gy)`: the pullback of a function
/// that returns an array, at the result's adjoint `gy` (an array of the
/// same shape).
pub fn vjp_array_call(
    callee_index: usize,
    args: &[TokenStream],
    gy: &TokenStream,
    span: Span,
) -> TokenStream {
    entry(
        callee_index,
        "__mg_vjp_array",
        quote!((#(#args,)*), #gy),
        span,
    )
}

/// `__mg_f{k}::__mg_value_array((args,))`: on `Value`s, the array of them.
pub fn value_array_call(callee_index: usize, args: &[TokenStream], span: Span) -> TokenStream {
    entry(callee_index, "__mg_value_array", quote!((#(#args,)*)), span)
}

/// The length of dimension `d` of what callee `k` returns, from its
/// companion (`let y = layer(..);` without a type: `[f64; __MG_DIMS[0]]`).
pub fn out_dim(callee_index: usize, d: usize, span: Span) -> TokenStream {
    let f = at(callee(callee_index), span);
    let d = proc_macro2::Literal::usize_unsuffixed(d);
    quote_spanned!(span=> { #f::__MG_DIMS[#d] })
}

/// `__mg_f{k}::__mg_dual_value((args,))`: the call on dual numbers
/// (`codegen::hessian`).
pub fn dual_value_call(callee_index: usize, args: &[TokenStream], span: Span) -> TokenStream {
    entry(callee_index, "__mg_dual_value", quote!((#(#args,)*)), span)
}

/// `__mg_f{k}::__mg_dual_vjp((args,), g)`: the pullback on dual numbers.
pub fn dual_vjp_call(
    callee_index: usize,
    args: &[TokenStream],
    g: &TokenStream,
    span: Span,
) -> TokenStream {
    entry(
        callee_index,
        "__mg_dual_vjp",
        quote!((#(#args,)*), #g),
        span,
    )
}

/// `__mg_f{k}::method(operands)`, at the user's callee (`span`), so a type
/// error points at the call: the one way the entry points below are
/// written.
fn entry(callee_index: usize, method: &str, operands: TokenStream, span: Span) -> TokenStream {
    let f = at(callee(callee_index), span);
    let method = syn::Ident::new(method, span);
    quote_spanned!(span=> #f::#method(#operands))
}

/// Our hygienic name, located at the user's tokens.
fn at(mut f: syn::Ident, span: Span) -> syn::Ident {
    f.set_span(Span::mixed_site().located_at(span));
    f
}

/// `__mg_f{k}::__mg_vjp((args,), g)`: the adjoints of the arguments, one
/// per argument, given the adjoint `g` of the call's result.
pub fn vjp_call(
    callee_index: usize,
    args: &[TokenStream],
    g: &TokenStream,
    span: Span,
) -> TokenStream {
    entry(callee_index, "__mg_vjp", quote!((#(#args,)*), #g), span)
}

/// `__mg_f{k}::__mg_fwd((args,))`: the value and the residuals that
/// `__mg_bwd` reads (straight-line callers).
pub fn fwd_call(callee_index: usize, args: &[TokenStream], span: Span) -> TokenStream {
    entry(callee_index, "__mg_fwd", quote!((#(#args,)*)), span)
}

/// `__mg_f{k}::__mg_bwd(residuals, g)`: the pullback from the residuals.
pub fn bwd_call(
    callee_index: usize,
    residuals: &syn::Ident,
    g: &TokenStream,
    span: Span,
) -> TokenStream {
    entry(callee_index, "__mg_bwd", quote!(#residuals, #g), span)
}

/// `__mg_f{k}::__mg_value((args,))`: the call on `Value`s.
pub fn value_call(callee_index: usize, args: &[TokenStream], span: Span) -> TokenStream {
    entry(callee_index, "__mg_value", quote!((#(#args,)*)), span)
}

/// The reverse-sweep contributions of a call whose arguments' adjoints
/// (its pullback's result) are in `grads`: `target += grads.k` for each
/// active scalar argument, and an element-wise `+=` into a parameter
/// array's gradient.
pub fn contributions(
    args: &[CallArg],
    grads: &TokenStream,
    target: &dyn Fn(Operand) -> Option<TokenStream>,
) -> TokenStream {
    let mut out = TokenStream::new();
    for (k, a) in args.iter().enumerate() {
        let k = proc_macro2::Literal::usize_unsuffixed(k);
        match a {
            CallArg::Scalar(o) => {
                if let Some(t) = target(*o) {
                    out.extend(quote!(#t += #grads.#k;));
                }
            }
            CallArg::Array {
                target: Target::Param(p),
                index: idx,
                ..
            } => {
                let gp = name("gp", *p);
                let idx = index(idx);
                out.extend(quote!(
                    ::micrograd::differentiable::add_into(&mut #gp #idx, &#grads.#k);
                ));
            }
            CallArg::Array { .. } => {}
        }
    }
    out
}
