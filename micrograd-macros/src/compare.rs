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

use crate::codegen;
use crate::ir::{Const, Op, Operand, Program};
use crate::lower;
use crate::parse::GradInput;
use crate::rules::{self, f64_literal};
use proc_macro2::{Literal, Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
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
    expand(tokens, false).unwrap_or_else(|e| {
        let errors = e.into_compile_error();
        quote!({ #errors loop {} })
    })
}

/// `assert_grad!`.
pub fn assert_grad(tokens: TokenStream) -> TokenStream {
    expand(tokens, true).unwrap_or_else(|e| {
        let errors = e.into_compile_error();
        quote!({ #errors loop {} })
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

/// The `Comparison` literal: the three engines of `program`.
fn engines(program: &Program, source: &str) -> TokenStream {
    let f64_ty = quote!(::core::primitive::f64);
    let n = program.params.len();
    let len = Literal::usize_unsuffixed(n);
    let names = program.params.iter().map(|p| p.ident.to_string());
    let indices: Vec<_> = (0..n).map(Literal::usize_unsuffixed).collect();
    let grad_closure = codegen::closure(program);
    let dynamic = dynamic_body(program);
    let forward = forward_body(program);
    let (engines, stat, x) = (ident("__mg_engines"), ident("__mg_static"), ident("__mg_x"));
    // Lints are about code people write; the generated code may contain
    // `(-1.0f64) * x` or `1.0 * g` on purpose (as in `grad!` itself).
    quote!({
        #[allow(clippy::all, clippy::pedantic, clippy::nursery)]
        let #engines = {
            let #stat = #grad_closure;
            ::micrograd::check::Comparison::<#len, _, _, _> {
                source: #source,
                params: [#(#names),*],
                static_grad: move |#x: [#f64_ty; #len]| #stat(#(#x[#indices]),*),
                dynamic_grad: move |#x: [#f64_ty; #len]| -> (#f64_ty, [#f64_ty; #len]) {
                    #dynamic
                },
                value_fn: move |#x: [#f64_ty; #len]| -> #f64_ty { #forward },
            }
        };
        #engines
    })
}

/// A generated name, at `Span::mixed_site()` like `grad!`'s own, so it can
/// never resolve to (or shadow) a name of the user's.
fn ident(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

/// `let __mg_cI: f64 = path;` for the captured constants that live code
/// reads, at the user's tokens so a type error points there. Constants
/// that only dead code mentions are still read (into `_`), so a local the
/// user captured never looks unused.
fn captured(program: &Program, live: &[bool]) -> Vec<TokenStream> {
    let mut used = vec![false; program.consts.len()];
    for (inst, _) in program.insts.iter().zip(live).filter(|(_, l)| **l) {
        for arg in &inst.args[..inst.op.arity()] {
            if let Operand::Const(c) = *arg {
                used[c] = true;
            }
        }
    }
    if let Operand::Const(c) = program.output {
        used[c] = true;
    }
    program
        .consts
        .iter()
        .enumerate()
        .filter_map(|(i, entry)| match &entry.value {
            Const::Captured(path) if used[i] => {
                let name = ident(&format!("__mg_c{i}"));
                Some(quote_spanned!(path.span()=> let #name: ::core::primitive::f64 = #path;))
            }
            Const::Captured(path) => {
                Some(quote_spanned!(path.span()=> let _: ::core::primitive::f64 = #path;))
            }
            Const::Literal(_) => None,
        })
        .collect()
}

/// An operand as an `f64` (parameters read from the point array) or, on
/// the dynamic side, as the `Value` that carries it.
fn operand(program: &Program, operand: Operand, dynamic: bool) -> TokenStream {
    match operand {
        Operand::Param(i) if dynamic => ident(&format!("__mg_dp{i}")).into_token_stream(),
        Operand::Param(i) => ident(&format!("__mg_p{i}")).into_token_stream(),
        Operand::Inst(i) if dynamic && program.insts[i].active => {
            ident(&format!("__mg_d{i}")).into_token_stream()
        }
        Operand::Inst(i) => ident(&format!("__mg_v{i}")).into_token_stream(),
        Operand::Const(i) => match &program.consts[i].value {
            Const::Literal(v) => f64_literal(*v),
            Const::Captured(_) => ident(&format!("__mg_c{i}")).into_token_stream(),
        },
    }
}

/// The forward pass in `f64`, with the same formulas as `grad!`'s forward.
fn forward_body(program: &Program) -> TokenStream {
    let live = program.live();
    let params = (0..program.params.len()).map(|i| {
        let name = ident(&format!("__mg_p{i}"));
        let i = Literal::usize_unsuffixed(i);
        let x = ident("__mg_x");
        quote!(let #name = #x[#i];)
    });
    let constants = captured(program, &live);
    let lines = program
        .insts
        .iter()
        .enumerate()
        .filter(|(i, _)| live[*i])
        .map(|(i, inst)| {
            let y = ident(&format!("__mg_v{i}"));
            let a = operand(program, inst.args[0], false);
            let b = operand(program, inst.args[1], false);
            let forward = rules::rule(inst.op, &a, &b, &y.to_token_stream()).forward;
            quote_spanned!(inst.span=> let #y = #forward;)
        });
    let out = operand(program, program.output, false);
    quote!(#(#params)* #(#constants)* #(#lines)* #out)
}

/// The `Value` replay: build the graph in a scope, `backward`, read grads.
fn dynamic_body(program: &Program) -> TokenStream {
    let value_ty = quote!(::micrograd::Value);
    let live = program.live();
    let n = program.params.len();
    let params = (0..n).map(|i| {
        let name = ident(&format!("__mg_dp{i}"));
        let i = Literal::usize_unsuffixed(i);
        let x = ident("__mg_x");
        quote!(let #name = #value_ty::new(#x[#i]);)
    });
    let constants = captured(program, &live);
    let lines = program
        .insts
        .iter()
        .enumerate()
        .filter(|(i, _)| live[*i])
        .map(|(i, inst)| {
            if !inst.active {
                // Depends only on constants: plain f64, no node, as in grad!.
                let y = ident(&format!("__mg_v{i}"));
                let a = operand(program, inst.args[0], false);
                let b = operand(program, inst.args[1], false);
                let forward = rules::rule(inst.op, &a, &b, &y.to_token_stream()).forward;
                return quote_spanned!(inst.span=> let #y = #forward;);
            }
            let y = ident(&format!("__mg_d{i}"));
            let a = operand(program, inst.args[0], true);
            let b = operand(program, inst.args[1], true);
            let a_is_value = program.is_active(inst.args[0]);
            let value = match inst.op {
                Op::Add => quote!(#a + #b),
                Op::Sub => quote!(#a - #b),
                Op::Mul => quote!(#a * #b),
                Op::Div => quote!(#a / #b),
                Op::Neg => quote!(-#a),
                Op::Exp => quote!(#value_ty::exp(#a)),
                Op::Ln => quote!(#value_ty::ln(#a)),
                Op::Sqrt => quote!(#value_ty::sqrt(#a)),
                Op::Tanh => quote!(#value_ty::tanh(#a)),
                Op::Sin => quote!(#value_ty::sin(#a)),
                Op::Cos => quote!(#value_ty::cos(#a)),
                Op::Abs => quote!(#value_ty::abs(#a)),
                Op::Relu => quote!(#value_ty::relu(#a)),
                Op::Sigmoid => quote!(#value_ty::sigmoid(#a)),
                Op::Powi(k) => quote!(#value_ty::powi(#a, #k)),
                // A constant base with an active exponent: the base becomes
                // a constant leaf, as `f64` operands of `+ - * /` do.
                Op::Powf if a_is_value => quote!(#value_ty::powf(#a, #b)),
                Op::Powf => quote!(#value_ty::powf(#value_ty::new(#a), #b)),
            };
            quote_spanned!(inst.span=> let #y: #value_ty = #value;)
        });
    let out = operand(program, program.output, true);
    let out = if program.is_active(program.output) {
        out
    } else {
        // Constant output: a lone leaf whose backward reaches no parameter.
        quote!(#value_ty::new(#out))
    };
    let grads = (0..n).map(|i| {
        let name = ident(&format!("__mg_dp{i}"));
        quote!(#name.grad())
    });
    let out_name = ident("__mg_out");
    quote!(::micrograd::scope(move || {
        #(#params)*
        #(#constants)*
        #(#lines)*
        let #out_name: #value_ty = #out;
        #out_name.backward();
        (#out_name.data(), [#(#grads),*])
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
        let dynamic = dynamic_body(&program).to_string();
        assert_eq!(
            dynamic.matches(":: micrograd :: Value = ").count(),
            4,
            "{dynamic}"
        );
        assert!(dynamic.contains("Value :: tanh"), "{dynamic}");
        assert!(!dynamic.contains("exp"), "{dynamic}");
        assert!(!forward_body(&program).to_string().contains("exp"));
    }
}
