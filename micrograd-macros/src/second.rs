//! The pipelines of the second-order macros, stage by stage as in
//! `expand.rs`: parse -> lower (the same as `grad!`, so the errors are the
//! same) -> `codegen::hessian`.
//!
//! On bad input each returns the errors inside a block that still has the
//! type the caller expects, so the errors are the only diagnostics.

use crate::codegen::hessian::{self, Seed};
use crate::codegen::{self};
use crate::ir::Program;
use crate::parse::GradInput;
use crate::{expand, lower};
use proc_macro2::{Group, Span, TokenStream, TokenTree};
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{Expr, Ident, Token};

/// Lowers the closure as `grad!` does; `hessian!` also rejects slices.
fn program(tokens: TokenStream, seed: Seed) -> syn::Result<Program> {
    let program = syn::parse2::<GradInput>(tokens).and_then(|input| lower::lower(&input, false))?;
    hessian::check_calls(&program)?;
    if seed == Seed::Full {
        hessian::check_full(&program)?;
    }
    Ok(program)
}

/// `inner` (an expression) with the program's callees in scope (see
/// `codegen::call::scope`) and the checks that each has second-order code.
fn scoped(program: &Program, inner: TokenStream) -> TokenStream {
    if program.callees.is_empty() {
        return inner;
    }
    let checks = hessian::second_order_checks(program);
    codegen::call::scope(program, quote!({ #checks #inner }))
}

/// Lints are about code people write (as for `grad!`).
fn bind(closure: TokenStream, name: &str) -> TokenStream {
    let name = Ident::new(name, Span::mixed_site());
    quote!({
        #[allow(clippy::all, clippy::pedantic, clippy::nursery, unused_mut, unused_variables, unused_assignments)]
        let #name = #closure;
        #name
    })
}

/// `hessian!`.
pub fn hessian(tokens: TokenStream) -> TokenStream {
    closure(tokens, Seed::Full)
}

/// `hvp!`.
pub fn hvp(tokens: TokenStream) -> TokenStream {
    closure(tokens, Seed::Direction)
}

/// `hessian_code!`.
pub fn hessian_code(tokens: TokenStream) -> TokenStream {
    code(tokens, Seed::Full)
}

/// `hvp_code!`.
pub fn hvp_code(tokens: TokenStream) -> TokenStream {
    code(tokens, Seed::Direction)
}

/// `hessian!` and `hvp!`: the closure itself.
fn closure(tokens: TokenStream, seed: Seed) -> TokenStream {
    match program(tokens.clone(), seed) {
        Ok(program) => bind(
            scoped(&program, hessian::closure(&program, seed)),
            "__mg_hessian",
        ),
        Err(error) => {
            let errors = error.into_compile_error();
            let (params, types) = expand::fallback_params(tokens).unwrap_or_default();
            let program = expand::placeholder(params);
            let decls: Vec<TokenStream> = types.iter().map(|ty| quote!(_: #ty)).collect();
            let grads = codegen::grads_ty(&program);
            let zeros = codegen::zero_grads(&program);
            let f64_ty = codegen::f64_ty();
            match seed {
                Seed::Full => {
                    let h = hessian::hessian_ty(&program);
                    let n = hessian::flat_count(&program);
                    quote!({
                        #errors
                        move |#(#decls),*| -> (#f64_ty, #grads, #h) { (0.0, #zeros, [[0.0; #n]; #n]) }
                    })
                }
                Seed::Direction => quote!({
                    #errors
                    move |#(#decls,)* #(#decls),*| -> (#f64_ty, #grads, #grads) { (0.0, #zeros, #zeros) }
                }),
            }
        }
    }
}

/// `hessian_code!` and `hvp_code!`: the generated closure as text.
fn code(tokens: TokenStream, seed: Seed) -> TokenStream {
    crate::expand::rendered(program(tokens, seed), |p| hessian::code_string(p, seed))
}

/// `compare_hessian!(closure, point)`.
struct Input {
    closure: TokenStream,
    point: Expr,
}

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(
                input.error("expected a closure like `|x, y| x * x * y`, then `, [1.0, 2.0]`")
            );
        }
        let closure: Expr = input.parse()?;
        if input.parse::<Option<Token![,]>>()?.is_none() || input.is_empty() {
            return Err(input.error(
                "expected a point after the closure: `compare_hessian!(|x, y| x * x * y, [1.0, 2.0])`",
            ));
        }
        let point: Expr = input.parse()?;
        input.parse::<Option<Token![,]>>()?;
        if !input.is_empty() {
            return Err(input.error("expected nothing after the point"));
        }
        Ok(Input {
            closure: quote!(#closure),
            point,
        })
    }
}

/// The report with nothing in it, for fallbacks.
fn empty_report() -> TokenStream {
    quote!(::micrograd::dual::check::HessianCheck {
        names: ::std::vec::Vec::new(),
        value: 0.0,
        gradient: ::std::vec::Vec::new(),
        grad_gradient: ::std::vec::Vec::new(),
        hessian: ::std::vec::Vec::new(),
        fd_hessian: ::std::vec::Vec::new(),
    })
}

/// `compare_hessian!`: `hessian!` at the point beside central differences
/// of `grad!`'s gradient, as a `HessianCheck`.
pub fn compare_hessian(tokens: TokenStream) -> TokenStream {
    let expanded = syn::parse2::<Input>(tokens).and_then(|input| {
        // Slices are welcome here: their Hessian is built from `hvp!`.
        let program = program(input.closure, Seed::Direction)?;
        Ok(compare_body(&program, &input.point))
    });
    expanded.unwrap_or_else(|error| {
        let errors = error.into_compile_error();
        let report = empty_report();
        quote!({ #errors #report })
    })
}

/// `tokens` with every identifier `from` renamed `to`.
fn rename(tokens: TokenStream, from: &str, to: &Ident) -> TokenStream {
    tokens
        .into_iter()
        .map(|tree| match tree {
            TokenTree::Ident(ident) if ident == from => TokenTree::Ident(to.clone()),
            TokenTree::Group(g) => {
                let mut group = Group::new(g.delimiter(), rename(g.stream(), from, to));
                group.set_span(g.span());
                TokenTree::Group(group)
            }
            other => other,
        })
        .collect()
}

fn compare_body(program: &Program, point: &Expr) -> TokenStream {
    let slices = program
        .params
        .iter()
        .any(|p| matches!(p.ty, crate::ir::ParamTy::Slice));
    let grad = codegen::closure(program);
    let point_ty = crate::compare::point_ty(&program.params);
    let names = crate::compare::names_fn(program);
    let args: Vec<TokenStream> = (0..program.params.len())
        .map(|i| crate::compare::from_point(program, i))
        .collect();
    let ident = |s: &str| Ident::new(s, Span::mixed_site());
    let (h, g, x, report) = (
        ident("__mg_h"),
        ident("__mg_g"),
        ident("__mg_x"),
        ident("__mg_report"),
    );
    let (value, gradient, hessian, ours, theirs) = (
        ident("__mg_value"),
        ident("__mg_gradient"),
        ident("__mg_hessian"),
        ident("__mg_ours"),
        ident("__mg_theirs"),
    );
    let borrows = program.data.iter().filter_map(|path| {
        let ident = path.path.get_ident()?;
        (path.qself.is_none()).then(|| quote!(let #ident = &#ident;))
    });
    // The compiled Hessian: `hessian!`'s, or for slices `hvp!`'s columns.
    let compiled = if slices {
        let hvp = hessian::closure(program, Seed::Direction);
        let y = ident("__mg_y");
        let dirs = args.iter().map(|a| rename(a.clone(), "__mg_x", &y));
        quote!(
            let #h = #hvp;
            let (#value, #ours, #hessian) = ::micrograd::dual::check::hessian_from_hvp(
                |#x: #point_ty, #y: #point_ty| #h(#(#args,)* #(#dirs),*),
                &#x,
            );
        )
    } else {
        let hess = hessian::closure(program, Seed::Full);
        quote!(
            let #h = #hess;
            let (#value, #gradient, #hessian) = #h(#(#args),*);
            let #ours = ::micrograd::check::Flat::flatten(&#gradient);
            let #hessian: ::std::vec::Vec<::std::vec::Vec<::core::primitive::f64>> =
                #hessian.iter().map(|row| row.to_vec()).collect();
        )
    };
    let report_block = quote!({
        #(#borrows)*
        let #g = #grad;
        let #x: #point_ty = #point;
        #compiled
        let #theirs = ::micrograd::check::Flat::flatten(&#g(#(#args),*).1);
        ::micrograd::dual::check::HessianCheck {
            names: (#names)(&#x),
            value: #value,
            grad_gradient: #theirs,
            gradient: #ours,
            hessian: #hessian,
            fd_hessian: ::micrograd::dual::check::hessian_fd(
                |#x: #point_ty| #g(#(#args),*),
                &#x,
            ),
        }
    });
    let report_block = scoped(program, report_block);
    quote!({
        #[allow(clippy::all, clippy::pedantic, clippy::nursery, unused_mut, unused_variables, unused_assignments)]
        let #report = #report_block;
        #report
    })
}
