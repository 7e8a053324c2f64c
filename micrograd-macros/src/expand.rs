//! The three pipelines, stage by stage: parse -> lower -> (diff) -> output.
//!
//! On bad input each returns every error as a `compile_error!` inside a
//! block that still has the type the caller expects (a closure of the right
//! arity, or a `&str`), so the user sees our messages and no follow-on type
//! errors or unreachable-code warnings.

use crate::parse::GradInput;
use crate::{codegen, dot, lower};
use proc_macro2::{Literal, TokenStream};
use quote::quote;

/// `grad!`: the closure itself.
pub fn grad(tokens: TokenStream) -> TokenStream {
    let input: GradInput = match syn::parse2(tokens) {
        Ok(input) => input,
        Err(error) => {
            let errors = error.into_compile_error();
            return quote!({ #errors loop {} });
        }
    };
    match lower::lower(&input, false) {
        Ok(program) => codegen::closure(&program),
        Err(error) => {
            let errors = error.into_compile_error();
            let n = input.params.len();
            let len = Literal::usize_unsuffixed(n);
            let f64_ty = quote!(::core::primitive::f64);
            let params = std::iter::repeat_n(quote!(_: #f64_ty), n);
            quote!({
                #errors
                move |#(#params),*| -> (#f64_ty, [#f64_ty; #len]) { (0.0, [0.0; #len]) }
            })
        }
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
    match program {
        Ok(program) => {
            let text = render(&program);
            quote!(#text)
        }
        Err(error) => {
            let errors = error.into_compile_error();
            quote!({ #errors "" })
        }
    }
}
