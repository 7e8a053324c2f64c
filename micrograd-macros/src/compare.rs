//! `compare!` and `assert_grad!`: one closure, three engines.
//!
//! The closure goes through the same `parse` and `lower` as `grad!`, and the
//! one lowered [`Program`] is emitted three times:
//! - `codegen::closure`: the `grad!` code itself;
//! - a `Value` replay: each live SSA instruction becomes the same op on
//!   `::micrograd::Value` inside `::micrograd::scope`, constants stay `f64`
//!   operands (and instructions that depend only on constants are computed
//!   in `f64`, as `grad!` does), then `backward` and the parameter grads;
//! - the forward pass alone in `f64`, with `rules`' forward formulas, for
//!   the finite difference.
//!
//! Because both engines replay the same instruction list, a disagreement
//! can only come from the engines' rules, never from two front ends reading
//! the source differently.

use crate::codegen::{self, forward::Forward, forward::Mode};
use crate::ir::{ParamTy, Program};
use crate::lower;
use crate::parse::GradInput;
use proc_macro2::{Literal, Span, TokenStream};
use quote::{ToTokens, quote};
use syn::parse::{Parse, ParseStream};
use syn::{Expr, Ident, Token};

/// The input of `compare!` / `assert_grad!`.
///
/// ```text
/// compare!(closure)                          -> a Comparison (three callable engines)
/// compare!(closure, point)                   -> a GradCheck report at `point`
/// assert_grad!(closure, point (, rel = e)? (, fd = e)?)
/// ```
///
/// `closure` follows `grad!`'s grammar; `point` is any expression of type
/// `[f64; N]`.
struct CompareInput {
    closure: TokenStream,
    point: Option<Expr>,
    options: Vec<(Ident, Expr)>,
}

impl Parse for CompareInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(input.error("expected a closure like `|x, y| x * y`, then `, [1.0, 2.0]`"));
        }
        // A closure's body never contains a top-level comma, so it ends there.
        let closure: Expr = input.parse()?;
        let mut point = None;
        let mut options = Vec::new();
        while input.parse::<Option<Token![,]>>()?.is_some() {
            if input.is_empty() {
                break;
            }
            if input.peek(Ident) && input.peek2(Token![=]) && !input.peek2(Token![==]) {
                let name: Ident = input.parse()?;
                input.parse::<Token![=]>()?;
                options.push((name, input.parse()?));
            } else if point.is_none() && options.is_empty() {
                point = Some(input.parse()?);
            } else {
                return Err(input.error("expected `rel = ...` or `fd = ...`"));
            }
        }
        if !input.is_empty() {
            return Err(input.error("expected `,` between the closure and the point"));
        }
        Ok(CompareInput {
            closure: closure.into_token_stream(),
            point,
            options,
        })
    }
}

/// `compare!`.
pub fn compare(tokens: TokenStream) -> TokenStream {
    expand(tokens.clone(), false).unwrap_or_else(|e| fallback(tokens, false, e))
}

/// `assert_grad!`.
pub fn assert_grad(tokens: TokenStream) -> TokenStream {
    expand(tokens.clone(), true).unwrap_or_else(|e| fallback(tokens, true, e))
}

/// The errors, then a value of the type the macro would have produced, so
/// the user sees our messages and no follow-on type errors or
/// unreachable-code warnings (input that is not even a closure gets the
/// engines of a closure of no parameters).
fn fallback(tokens: TokenStream, asserting: bool, error: syn::Error) -> TokenStream {
    let errors = error.into_compile_error();
    let Ok(input) = syn::parse2::<CompareInput>(tokens) else {
        // Not even `closure, point`: the report, the most common use.
        let report = empty_report();
        return quote!({ #errors #report });
    };
    if asserting || input.point.is_some() {
        let report = empty_report();
        return quote!({ #errors #report });
    }
    let (params, _) = crate::expand::fallback_params(input.closure).unwrap_or_default();
    let point = point_ty(&params);
    let program = crate::expand::placeholder(params);
    let grads = codegen::grads_ty(&program);
    let zeros = codegen::zero_grads(&program);
    let f64_ty = quote!(::core::primitive::f64);
    quote!({
        #errors
        ::micrograd::check::Comparison::<#point, _, _, _> {
            source: "",
            names: |_: &#point| ::std::vec::Vec::new(),
            static_grad: move |_: #point| -> (#f64_ty, #grads) { (0.0, #zeros) },
            dynamic_grad: move |_: #point| -> (#f64_ty, #grads) { (0.0, #zeros) },
            value_fn: move |_: #point| -> #f64_ty { 0.0 },
        }
    })
}

fn expand(tokens: TokenStream, asserting: bool) -> syn::Result<TokenStream> {
    let input: CompareInput = syn::parse2(tokens.clone())?;
    let grad_input: GradInput = syn::parse2(input.closure.clone())?;
    let program = lower::lower(&grad_input, false)?;
    let engines = engines(&program, &source_text(&input.closure));

    let (mut rel, mut fd) = (
        quote!(::micrograd::check::DEFAULT_REL),
        quote!(::micrograd::check::DEFAULT_FD_TOL),
    );
    for (name, value) in &input.options {
        match name.to_string().as_str() {
            "rel" if asserting => rel = quote!(#value),
            "fd" if asserting => fd = quote!(#value),
            _ if asserting => {
                return Err(syn::Error::new_spanned(
                    name,
                    format!(
                        "unknown option `{name}`; supported: `rel = ...` (static vs dynamic), `fd = ...` (vs finite difference)"
                    ),
                ));
            }
            _ => {
                return Err(syn::Error::new_spanned(
                    name,
                    "compare! takes no options; tolerances belong to `assert_grad!` or `GradCheck::assert_agree`",
                ));
            }
        }
    }
    match (input.point, asserting) {
        (None, false) => Ok(engines),
        (Some(point), false) => Ok(quote!((#engines).check(#point))),
        (Some(point), true) => {
            let (report, rel_name, fd_name) =
                (ident("__mg_report"), ident("__mg_rel"), ident("__mg_fd"));
            Ok(quote!({
                let #rel_name: ::core::primitive::f64 = #rel;
                let #fd_name: ::core::primitive::f64 = #fd;
                let #report = (#engines).check(#point);
                #report.assert_agree(#rel_name, #fd_name);
                #report
            }))
        }
        (None, true) => Err(syn::Error::new_spanned(
            &input.closure,
            "expected a point after the closure: `assert_grad!(|x| x * x, [3.0])`",
        )),
    }
}

/// The closure's text for the report, formatted the way `rustfmt` would
/// write it (token streams print with spaces everywhere: `x . tanh ()`).
fn source_text(closure: &TokenStream) -> String {
    let item = quote!(fn __mg_f() { let _ = #closure; });
    let Ok(file) = syn::parse2::<syn::File>(item) else {
        return closure.to_string();
    };
    let text = prettyplease::unparse(&file);
    let Some(start) = text.find("let _ = ") else {
        return closure.to_string();
    };
    let body = text[start + "let _ = ".len()..]
        .trim_end()
        .trim_end_matches('}')
        .trim_end()
        .trim_end_matches(';');
    body.lines()
        .map(|l| l.strip_prefix("    ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

/// How the point of `compare!` holds the parameters: an array of scalars,
/// the lone non-scalar parameter itself, or a tuple of all of them.
enum PointShape {
    Scalars,
    Single,
    Tuple,
}

fn point_shape(program: &Program) -> PointShape {
    if program
        .params
        .iter()
        .all(|p| matches!(p.ty, ParamTy::Scalar))
    {
        PointShape::Scalars
    } else if program.params.len() == 1 {
        PointShape::Single
    } else {
        PointShape::Tuple
    }
}

/// A report with nothing in it, for fallbacks.
fn empty_report() -> TokenStream {
    quote!(::micrograd::check::GradCheck {
        source: ::std::string::String::new(),
        params: ::std::vec::Vec::new(),
        point: ::std::vec::Vec::new(),
        value: 0.0,
        dynamic_value: 0.0,
        static_grad: ::std::vec::Vec::new(),
        dynamic_grad: ::std::vec::Vec::new(),
        finite_diff: ::std::vec::Vec::new(),
        steps: ::std::vec::Vec::new(),
    })
}

/// The point type of `compare!` for `params`: `[f64; N]` for scalars,
/// else the parameters' types (a slice as `Vec<f64>`), alone or in a tuple.
pub(crate) fn point_ty(params: &[crate::ir::Param]) -> TokenStream {
    let f64_ty = quote!(::core::primitive::f64);
    let one = |ty: &ParamTy| match ty {
        ParamTy::Scalar => f64_ty.clone(),
        ParamTy::Array(dims) => codegen::array_ty(dims, f64_ty.clone()),
        ParamTy::Slice => quote!(::std::vec::Vec<#f64_ty>),
    };
    if params.iter().all(|p| matches!(p.ty, ParamTy::Scalar)) {
        let len = Literal::usize_unsuffixed(params.len());
        quote!([#f64_ty; #len])
    } else if params.len() == 1 {
        one(&params[0].ty)
    } else {
        let tys = params.iter().map(|p| one(&p.ty));
        quote!((#(#tys,)*))
    }
}

/// Parameter `i` read from the point `__mg_x` (by value; a slice borrowed).
pub(crate) fn from_point(program: &Program, i: usize) -> TokenStream {
    let x = ident("__mg_x");
    let k = Literal::usize_unsuffixed(i);
    let value = match point_shape(program) {
        PointShape::Scalars => quote!(#x[#k]),
        PointShape::Single => quote!(#x),
        PointShape::Tuple => quote!(#x.#k),
    };
    match program.params[i].ty {
        ParamTy::Slice => quote!(&#value),
        _ => value,
    }
}

/// The `Comparison` literal: the three engines of `program`.
fn engines(program: &Program, source: &str) -> TokenStream {
    let f64_ty = quote!(::core::primitive::f64);
    let point = point_ty(&program.params);
    let grads = codegen::grads_ty(program);
    let grad_closure = codegen::closure(program);
    let plan = crate::diff::plan(program);
    let dynamic = dynamic_body(program, &plan);
    let forward = forward_body(program, &plan);
    let names = names_fn(program);
    let (engines, stat, x) = (ident("__mg_engines"), ident("__mg_static"), ident("__mg_x"));
    let args = (0..program.params.len()).map(|i| from_point(program, i));
    // The three engines all read captured data: borrow a captured `Vec`
    // once here (by its own name), so each `move` closure copies the
    // reference instead of the first one taking the `Vec`.
    let borrows = program.data.iter().filter_map(|path| {
        let ident = path.path.get_ident()?;
        (path.qself.is_none()).then(|| quote!(let #ident = &#ident;))
    });
    // Lints are about code people write; the generated code may contain
    // `(-1.0f64) * x` or `1.0 * g` on purpose (as in `grad!` itself).
    let scoped = |inner| codegen::call::scope(program, inner);
    scoped(quote!({
        #[allow(clippy::all, clippy::pedantic, clippy::nursery, unused_mut, unused_variables, unused_assignments)]
        let #engines = {
            #(#borrows)*
            let #stat = #grad_closure;
            ::micrograd::check::Comparison::<#point, _, _, _> {
                source: #source,
                names: #names,
                static_grad: move |#x: #point| #stat(#(#args),*),
                dynamic_grad: move |#x: #point| -> (#f64_ty, #grads) {
                    #dynamic
                },
                value_fn: move |#x: #point| -> #f64_ty { #forward },
            }
        };
        #engines
    }))
}

/// The report's names: the parameters for scalars, `w[i][j]` for arrays.
pub(crate) fn names_fn(program: &Program) -> TokenStream {
    let point = point_ty(&program.params);
    let p = ident("__mg_point");
    let out = ident("__mg_names");
    let shape = point_shape(program);
    let lines = program.params.iter().enumerate().map(|(i, param)| {
        let name = param.ident.to_string();
        let k = Literal::usize_unsuffixed(i);
        let component = match shape {
            PointShape::Scalars => quote!(&#p[#k]),
            PointShape::Single => quote!(#p),
            PointShape::Tuple => quote!(&#p.#k),
        };
        quote!(::micrograd::check::Flat::names_into(#component, #name, &mut #out);)
    });
    quote!(|#p: &#point| -> ::std::vec::Vec<::std::string::String> {
        let mut #out = ::std::vec::Vec::new();
        #(#lines)*
        #out
    })
}

/// A generated name, at `Span::mixed_site()` like `grad!`'s own, so it can
/// never resolve to (or shadow) a name of the user's.
fn ident(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

/// `__mg_p{i}` bound from the point, as `f64` data (`value` false) or as
/// `Value`s of the same shape.
fn bind_params(program: &Program, value: bool) -> TokenStream {
    let v = quote!(::micrograd::Value);
    let mut out = TokenStream::new();
    for (i, param) in program.params.iter().enumerate() {
        let p = codegen::name("p", i);
        let src = from_point(program, i);
        out.extend(match (&param.ty, value) {
            (_, false) => quote!(let #p = #src;),
            (ParamTy::Scalar, true) => quote!(let #p = #v::new(#src);),
            (ParamTy::Array(dims), true) => {
                let mapped = map_nested(src, dims.len(), &quote!(#v::new));
                quote!(let #p = #mapped;)
            }
            (ParamTy::Slice, true) => quote!(
                let #p: ::std::vec::Vec<#v> = (#src).iter().map(|__mg_e| #v::new(*__mg_e)).collect();
            ),
        });
    }
    out
}

/// `array.map(f)` through `depth` levels of nesting.
fn map_nested(array: TokenStream, depth: usize, f: &TokenStream) -> TokenStream {
    if depth <= 1 {
        return quote!(#array.map(#f));
    }
    let r = ident(&format!("__mg_row{depth}"));
    let inner = map_nested(quote!(#r), depth - 1, f);
    quote!(#array.map(|#r| #inner))
}

/// The forward pass in `f64`, with the same formulas as `grad!`'s forward.
fn forward_body(program: &Program, plan: &crate::diff::Plan) -> TokenStream {
    let fwd = Forward {
        program,
        plan,
        mode: Mode::Plain,
    };
    let params = bind_params(program, false);
    let captured = codegen::captures(program, &vec![true; program.consts.len()]);
    let declarations = fwd.declarations();
    let body = fwd.stmts(&program.body);
    let out = codegen::operand(program, program.output);
    quote!(#params #captured #declarations #body #out)
}

/// The `Value` replay: build the graph in a scope, `backward`, read grads.
fn dynamic_body(program: &Program, plan: &crate::diff::Plan) -> TokenStream {
    let v = quote!(::micrograd::Value);
    let fwd = Forward {
        program,
        plan,
        mode: Mode::Value,
    };
    let params = bind_params(program, true);
    let captured = codegen::captures(program, &vec![true; program.consts.len()]);
    let declarations = fwd.declarations();
    let body = fwd.stmts(&program.body);
    let out = codegen::operand(program, program.output);
    let out = if program.is_active(program.output) {
        out
    } else {
        // Constant output: a lone leaf whose backward reaches no parameter.
        quote!(#v::new(#out))
    };
    let grad = quote!(|__mg_e: #v| __mg_e.grad());
    let grads = program
        .params
        .iter()
        .enumerate()
        .map(|(i, param)| {
            let p = codegen::name("p", i);
            match &param.ty {
                ParamTy::Scalar => quote!(#p.grad()),
                ParamTy::Array(dims) => map_nested(quote!(#p), dims.len(), &grad),
                ParamTy::Slice => quote!(#p.iter().map(|__mg_e| __mg_e.grad()).collect()),
            }
        })
        .collect();
    let grads = codegen::grads_value(program, grads);
    let out_name = ident("__mg_out");
    quote!(::micrograd::scope(move || {
        #params
        #captured
        #declarations
        #body
        let #out_name: #v = #out;
        #out_name.backward();
        (#out_name.data(), #grads)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `assert_grad!`'s or `compare!`'s expansion of `src`, as text.
    fn expand(src: &str, asserting: bool) -> String {
        let tokens: TokenStream = src.parse().expect("valid tokens");
        let out = if asserting {
            assert_grad(tokens)
        } else {
            compare(tokens)
        };
        out.to_string()
    }

    #[test]
    fn bad_input_is_a_compile_error_never_a_panic() {
        for (src, asserting) in [
            ("", false),
            ("|x| x % 2.0, [1.0]", false),
            ("x, [1.0]", false),
            ("|x| x, [1.0] 2.0", false),
            ("|x| x, [1.0], rel = 1e-9", false),
            ("|x| x, [1.0], tol = 1e-9", true),
            ("|x| x, [1.0], rel = 1e-9, [2.0]", true),
            ("|x| x", true),
            ("|x: f32| x, [1.0]", true),
        ] {
            let out = expand(src, asserting);
            assert!(out.contains("compile_error"), "{src} gave {out}");
        }
    }

    #[test]
    fn both_forms_accept_a_trailing_comma_and_options() {
        for (src, asserting) in [
            ("|x| x.tanh()", false),
            ("|x| x.tanh(),", false),
            ("|x, y| x * y, [1.0, 2.0],", false),
            ("|x| x.exp(), p", true),
            ("|x| x.exp(), [0.5], fd = 1e-7", true),
            ("|x| x.exp(), [0.5], rel = 0.0, fd = 1e-7,", true),
        ] {
            let out = expand(src, asserting);
            assert!(!out.contains("compile_error"), "{src} gave {out}");
        }
    }

    #[test]
    fn source_text_reads_like_rust() {
        let closure: TokenStream = "|x, y| { let t = x . tanh (); t * y }"
            .parse()
            .expect("valid tokens");
        assert_eq!(
            source_text(&closure),
            "|x, y| {\n    let t = x.tanh();\n    t * y\n}"
        );
    }

    #[test]
    fn each_live_instruction_becomes_one_value_op() {
        // x * y + x.tanh(): three instructions, three Value ops; the dead
        // `let u = x.exp();` generates nothing on either side.
        let input: GradInput = syn::parse2(
            "|x, y| { let u = x.exp(); x * y + x.tanh() }"
                .parse()
                .expect("valid tokens"),
        )
        .expect("a closure");
        let program = lower::lower(&input, false).expect("lowers");
        let plan = crate::diff::plan(&program);
        let dynamic = dynamic_body(&program, &plan).to_string();
        assert_eq!(
            dynamic.matches(":: micrograd :: Value = ").count(),
            4,
            "{dynamic}"
        );
        assert!(dynamic.contains("Value :: tanh"), "{dynamic}");
        assert!(!dynamic.contains("exp"), "{dynamic}");
        assert!(!forward_body(&program, &plan).to_string().contains("exp"));
    }
}
