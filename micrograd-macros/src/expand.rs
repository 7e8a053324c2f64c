//! The three pipelines, stage by stage: parse -> lower -> (diff) -> output.
//!
//! On bad input each returns every error as a `compile_error!` inside a
//! block that still has the type the caller expects (a closure of the right
//! arity, or a `&str`), so the user sees our messages and no follow-on type
//! errors or unreachable-code warnings.

use crate::ir::{Param, ParamTy};
use crate::parse::GradInput;
use crate::{codegen, dot, lower};
use proc_macro2::TokenStream;
use quote::{ToTokens, quote};

/// `grad!`: the closure itself.
pub fn grad(tokens: TokenStream) -> TokenStream {
    let program =
        syn::parse2::<GradInput>(tokens.clone()).and_then(|input| lower::lower(&input, false));
    match program {
        Ok(program) => {
            // Lints are about code people write: the generated code may
            // contain `(-1.0f64) * x` or `1.0 * g`, which is deliberate.
            let closure = codegen::closure(&program);
            let name = quote::format_ident!("__mg_grad", span = proc_macro2::Span::mixed_site());
            codegen::call::scope(
                &program,
                quote!({
                    #[allow(clippy::all, clippy::pedantic, clippy::nursery, unused_mut, unused_variables, unused_assignments)]
                    let #name = #closure;
                    #name
                }),
            )
        }
        Err(error) => {
            let errors = error.into_compile_error();
            // Not even a closure: a closure of no parameters, which an
            // unused binding accepts without a word (a diverging `loop {}`
            // would warn that the next statement is unreachable).
            let (params, types) = fallback_params(tokens).unwrap_or_default();
            let program = placeholder(params);
            let decls = types.iter().map(|ty| quote!(_: #ty));
            let grads = codegen::grads_ty(&program);
            let zeros = codegen::zero_grads(&program);
            quote!({
                #errors
                move |#(#decls),*| -> (::core::primitive::f64, #grads) { (0.0, #zeros) }
            })
        }
    }
}

/// A program with these parameters and nothing else, for fallbacks.
pub fn placeholder(params: Vec<Param>) -> crate::ir::Program {
    crate::ir::Program::empty(params)
}

/// The parameters of a closure that failed to compile, for a fallback of
/// the type the user meant: each parameter keeps its written type (`f64`
/// when none), and its gradient the shape of that type (an array of any
/// element type gives an array gradient, `&[T]` a `Vec`). `None` when the
/// input is not a closure.
pub fn fallback_params(tokens: TokenStream) -> Option<(Vec<Param>, Vec<TokenStream>)> {
    let mut expr: syn::Expr = syn::parse2(tokens).ok()?;
    while let syn::Expr::Group(group) = expr {
        expr = *group.expr;
    }
    let syn::Expr::Closure(closure) = expr else {
        return None;
    };
    let mut params = Vec::new();
    let mut types = Vec::new();
    for (i, pat) in closure.inputs.iter().enumerate() {
        let (ty, written) = match pat {
            syn::Pat::Type(t) => (shape_of(&t.ty), t.ty.to_token_stream()),
            _ => (ParamTy::Scalar, quote!(::core::primitive::f64)),
        };
        params.push(Param {
            by_ref: false,
            ident: quote::format_ident!("p{}", i),
            ty,
        });
        types.push(written);
    }
    Some((params, types))
}

/// The shape of a parameter type, whatever its element type.
fn shape_of(ty: &syn::Type) -> ParamTy {
    match ty {
        syn::Type::Array(_) => {
            let mut dims = Vec::new();
            let mut t = ty;
            while let syn::Type::Array(array) = t {
                dims.push(array.len.to_token_stream());
                t = &array.elem;
            }
            ParamTy::Array(dims)
        }
        syn::Type::Reference(r) if matches!(&*r.elem, syn::Type::Slice(_)) => ParamTy::Slice,
        syn::Type::Paren(p) => shape_of(&p.elem),
        _ => ParamTy::Scalar,
    }
}

/// `grad_code!`: the closure `grad!` would generate, as formatted text.
pub fn grad_code(tokens: TokenStream) -> TokenStream {
    text(tokens, false, codegen::code_string)
}

/// `grad_dot!`: the expression graph as Graphviz DOT text.
pub fn grad_dot(tokens: TokenStream) -> TokenStream {
    text(tokens, true, dot::dot)
}

fn text(
    tokens: TokenStream,
    with_text: bool,
    render: fn(&crate::ir::Program) -> String,
) -> TokenStream {
    let program =
        syn::parse2::<GradInput>(tokens).and_then(|input| lower::lower(&input, with_text));
    rendered(program, render)
}

/// A `&str` expression: the lowered program as `render` writes it, or the
/// errors (for the `*_code!` and `*_dot!` macros).
pub fn rendered(
    program: syn::Result<crate::ir::Program>,
    render: impl Fn(&crate::ir::Program) -> String,
) -> TokenStream {
    match program {
        Ok(program) => {
            let text = render(&program);
            // Read the captured names as `grad!` would, so they count as used
            // and a wrong type is the same error here as there.
            let captures = codegen::captures(&program, &vec![true; program.consts.len()]);
            if captures.is_empty() {
                quote!(#text)
            } else {
                quote!({
                    #[allow(unused_variables)]
                    let _ = || { #captures };
                    #text
                })
            }
        }
        Err(error) => {
            let errors = error.into_compile_error();
            quote!({ #errors "" })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A body of `rounds` x 9 ops + 1, the shape of `tests/grad_expansion.rs`.
    fn body(rounds: usize) -> TokenStream {
        let mut src = String::from("|x, y| { let mut a = x; let mut b = y;");
        for _ in 0..rounds {
            src.push_str("a = (a * 0.999 + b * 0.001).tanh(); b = b + a.sin() * 0.5 - y * 0.01;");
        }
        src.push_str("a * b }");
        src.parse().expect("generated source is valid Rust tokens")
    }

    fn count_tokens(tokens: TokenStream) -> usize {
        tokens
            .into_iter()
            .map(|t| match t {
                proc_macro2::TokenTree::Group(g) => 1 + count_tokens(g.stream()),
                _ => 1,
            })
            .sum()
    }

    #[test]
    fn expansion_grows_linearly() {
        // Reverse mode emits one forward line per op and one adjoint line per
        // edge, so doubling the ops should double the output; symbolic
        // differentiation would grow much faster. Sizes are printed for
        // BENCHMARKS.md (`cargo test -p micrograd-macros -- --nocapture`).
        let sizes: Vec<(usize, usize, usize)> = [28, 56, 111]
            .iter()
            .map(|&rounds| {
                let input = body(rounds);
                let input_tokens = count_tokens(input.clone());
                let output = grad(input);
                let output_tokens = count_tokens(output.clone());
                (rounds * 9 + 1, input_tokens, output_tokens)
            })
            .collect();
        for (ops, input, output) in &sizes {
            println!(
                "{ops} ops: {input} input tokens -> {output} output tokens ({:.2} per input token)",
                *output as f64 / *input as f64
            );
        }
        for pair in sizes.windows(2) {
            let ((_, in_a, out_a), (_, in_b, out_b)) = (pair[0], pair[1]);
            let input_ratio = in_b as f64 / in_a as f64;
            let output_ratio = out_b as f64 / out_a as f64;
            assert!(
                (output_ratio / input_ratio - 1.0).abs() < 0.05,
                "input grew {input_ratio:.3}x but output grew {output_ratio:.3}x"
            );
        }
    }

    #[test]
    fn loops_are_not_unrolled() {
        // The expansion grows with the source, not with the trip count: the
        // same program over 0..10 and 0..20 expands to the same number of
        // tokens (only the bound's literal and the tape's length differ), and
        // so does it over 0..10_000 and 0..1_000_000 (loops too long for a
        // tape kept as a fixed array, which is then a stack).
        let program = |n: &str| -> TokenStream {
            format!(
                "|x: f64, w: [f64; 4]| {{ let mut p = 1.0; \
                 for i in 0..{n} {{ p = p * x + w[i % 4]; if p > 2.0 {{ p = p.sin(); }} }} p }}"
            )
            .parse()
            .expect("valid tokens")
        };
        let tokens = |n: &str| count_tokens(grad(program(n)));
        assert_eq!(tokens("10"), tokens("20"));
        assert_eq!(tokens("10_000"), tokens("1_000_000"));
        assert!(!grad(program("10")).to_string().contains("compile_error"));
    }

    #[test]
    fn bad_input_never_panics() {
        // Every rejected construct becomes compile_error!, never a panic.
        for src in [
            "",
            "x",
            "|| 1.0",
            "|x| x % 2.0",
            "|x| { let a = x; }",
            "|x| x.powi(2.5)",
            "|x| x.powi(99999999999)",
            "|x| x.powi(-2147483648)",
            "|x| 1e999 * x",
            "|(a, b)| a",
            "|x: f32| x",
            "|x| { x = 1.0; x }",
            "|x| if x { 1 } else { 2 }",
            "|x| f::<u8>(x)",
            "|x| (x)(x)",
            "|x| f(&mut x)",
            "|x| x.foo::<u8>()",
            "|x| 5u8 * x",
            "|x| \"s\"",
            "|x| { }",
            "|x| x.exp(1)",
            "|x| x.powf()",
            "|x| x.powf(1, 2)",
            "|x| { let a; a }",
        ] {
            let tokens: TokenStream = src.parse().expect("valid tokens");
            let out = grad(tokens.clone()).to_string();
            assert!(out.contains("compile_error"), "{src} gave {out}");
            assert!(
                grad_code(tokens.clone())
                    .to_string()
                    .contains("compile_error")
            );
            assert!(grad_dot(tokens).to_string().contains("compile_error"));
        }
    }

    #[test]
    fn non_finite_folded_constants_are_named() {
        // 1e999 parses as +inf and 0/0 folds to NaN: neither has a literal.
        let out = grad(
            "|x| (0.0 / 0.0) * x + (-1e308 * 10.0) * x"
                .parse()
                .expect("tokens"),
        )
        .to_string();
        assert!(out.contains("NAN") && out.contains("NEG_INFINITY"), "{out}");
    }

    #[test]
    fn op_table_matches_ops_md() {
        // Same op names in the same order as the shared table, which
        // ends where the dynamic engine's own fused ops begin.
        let ops_md = include_str!("../../OPS.md");
        let (table, fused) = ops_md
            .split_once("## Fused ops of the dynamic engine")
            .expect("OPS.md has a section for the fused ops");
        assert!(fused.contains("`WeightedSum`") && fused.contains("`Neuron(act)`"));
        let names: Vec<&str> = table
            .lines()
            .filter(|l| l.starts_with("| ") || l.starts_with("|1") || l.starts_with("|2"))
            .filter_map(|l| l.split('`').nth(1))
            .filter_map(|cell| cell.split('(').next())
            .collect();
        let ops = [
            crate::ir::Op::Add,
            crate::ir::Op::Sub,
            crate::ir::Op::Mul,
            crate::ir::Op::Div,
            crate::ir::Op::Neg,
            crate::ir::Op::Exp,
            crate::ir::Op::Ln,
            crate::ir::Op::Sqrt,
            crate::ir::Op::Tanh,
            crate::ir::Op::Sin,
            crate::ir::Op::Cos,
            crate::ir::Op::Abs,
            crate::ir::Op::Relu,
            crate::ir::Op::Sigmoid,
            crate::ir::Op::Powi(2),
            crate::ir::Op::Powf,
            crate::ir::Op::Max,
            crate::ir::Op::Min,
            crate::ir::Op::Clamp,
            crate::ir::Op::Sinh,
            crate::ir::Op::Cosh,
            crate::ir::Op::Tan,
            crate::ir::Op::Asin,
            crate::ir::Op::Acos,
            crate::ir::Op::Atan,
            crate::ir::Op::Asinh,
            crate::ir::Op::Acosh,
            crate::ir::Op::Atanh,
            crate::ir::Op::Atan2,
            crate::ir::Op::Hypot,
            crate::ir::Op::Ln1p,
            crate::ir::Op::ExpM1,
            crate::ir::Op::Exp2,
            crate::ir::Op::Log2,
            crate::ir::Op::Log10,
            crate::ir::Op::Log,
            crate::ir::Op::Cbrt,
            crate::ir::Op::Recip,
            crate::ir::Op::MulAdd,
            crate::ir::Op::Signum,
            crate::ir::Op::Floor,
            crate::ir::Op::Ceil,
            crate::ir::Op::Round,
            crate::ir::Op::Trunc,
            crate::ir::Op::Softplus,
            crate::ir::Op::LeakyRelu,
            crate::ir::Op::Gelu,
            crate::ir::Op::Silu,
            crate::ir::Op::LogSigmoid,
        ];
        let ours: Vec<&str> = ops.iter().map(|op| op.name()).collect();
        assert_eq!(names, ours);
    }
}
