//! IR -> tokens: the closure that `grad!` expands to, and its readable text.
//!
//! Names: parameter `i` is `__mg_p{i}` with adjoint `__mg_gp{i}`, instruction
//! `i` is `__mg_v{i}` with adjoint `__mg_g{i}`, captured constant `i` is
//! `__mg_c{i}`. The `__mg_` prefix keeps them apart from the user's names
//! (which are never emitted: every use was resolved by `lower`), and the
//! leading underscore keeps unused-variable lints quiet. They are also
//! created at `Span::mixed_site()`, so even a user variable literally named
//! `__mg_p0` and captured by the body resolves to the user's, not to ours.

use crate::diff::{self, Write};
use crate::ir::{Const, Operand, Program};
use crate::rules::{self, Local, f64_literal};
use proc_macro2::{Literal, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

fn operand(program: &Program, operand: Operand) -> TokenStream {
    match operand {
        Operand::Param(i) => {
            format_ident!("__mg_p{}", i, span = Span::mixed_site()).into_token_stream()
        }
        Operand::Inst(i) => {
            format_ident!("__mg_v{}", i, span = Span::mixed_site()).into_token_stream()
        }
        Operand::Const(i) => match &program.consts[i].value {
            Const::Literal(v) => f64_literal(*v),
            Const::Captured(_) => {
                format_ident!("__mg_c{}", i, span = Span::mixed_site()).into_token_stream()
            }
        },
    }
}

fn adjoint(operand: Operand) -> syn::Ident {
    match operand {
        Operand::Param(i) => format_ident!("__mg_gp{}", i, span = Span::mixed_site()),
        Operand::Inst(i) => format_ident!("__mg_g{}", i, span = Span::mixed_site()),
        Operand::Const(i) => format_ident!("__mg_gc{}", i, span = Span::mixed_site()),
    }
}

use quote::ToTokens;

/// The `move` closure `Fn(f64, ..) -> (f64, [f64; N])` for `program`.
pub fn closure(program: &Program) -> TokenStream {
    let f64_ty = quote!(::core::primitive::f64);
    let n = program.params.len();
    let len = Literal::usize_unsuffixed(n);
    let params = (0..n).map(|i| {
        let name = format_ident!("__mg_p{}", i, span = Span::mixed_site());
        let span = program.params[i].ident.span();
        quote_spanned!(span=> #name: #f64_ty)
    });

    let backward = diff::backward(program);

    // Captured constants, read once per call and coerced to f64 at the
    // user's tokens so a type error points there.
    let mut constants = Vec::new();
    let mut used = vec![false; program.consts.len()];
    for (i, inst) in program.insts.iter().enumerate() {
        if backward.live[i] {
            for arg in &inst.args[..inst.op.arity()] {
                if let Operand::Const(c) = *arg {
                    used[c] = true;
                }
            }
        }
    }
    if let Operand::Const(c) = program.output {
        used[c] = true;
    }
    for (i, entry) in program.consts.iter().enumerate() {
        if let (Const::Captured(path), true) = (&entry.value, used[i]) {
            let name = format_ident!("__mg_c{}", i, span = Span::mixed_site());
            let span = path.span();
            constants.push(quote_spanned!(span=> let #name: #f64_ty = #path;));
        }
    }

    let forward = program
        .insts
        .iter()
        .enumerate()
        .filter(|(i, _)| backward.live[*i])
        .map(|(i, inst)| {
            let y = format_ident!("__mg_v{}", i, span = Span::mixed_site());
            let a = operand(program, inst.args[0]);
            let b = operand(program, inst.args[1]);
            let rule = rules::rule(inst.op, &a, &b, &y.to_token_stream());
            let forward = rule.forward;
            let span = inst.span;
            quote_spanned!(span=> let #y = #forward;)
        });

    let output_inst = match program.output {
        Operand::Inst(i) => Some(i),
        _ => None,
    };
    let steps = backward.steps.iter().map(|step| {
        let inst = &program.insts[step.inst];
        let y = format_ident!("__mg_v{}", step.inst, span = Span::mixed_site()).into_token_stream();
        let a = operand(program, inst.args[0]);
        let b = operand(program, inst.args[1]);
        let rule = rules::rule(inst.op, &a, &b, &y);
        // The output's adjoint is the seed 1: `1.0 * local` is folded by the
        // compiler (exactly, since x * 1 == x), so it is written as such.
        let g = if Some(step.inst) == output_inst {
            quote!(1.0)
        } else {
            adjoint(Operand::Inst(step.inst)).into_token_stream()
        };
        let [da, db] = rule.local;
        let local = if step.arg == 0 { da } else { db };
        let contribution = match local {
            Local::One => g,
            Local::MinusOne => quote!(-#g),
            // A lone name or literal needs no parentheses.
            Local::Expr(e) if e.clone().into_iter().count() == 1 => quote!(#g * #e),
            Local::Expr(e) => quote!(#g * (#e)),
            Local::Zero => quote!(0.0),
        };
        let target = adjoint(step.target);
        match step.write {
            Write::Declare { mutable: false } => quote!(let #target = #contribution;),
            Write::Declare { mutable: true } => quote!(let mut #target = #contribution;),
            Write::Accumulate => quote!(#target += #contribution;),
        }
    });

    let value = operand(program, program.output);
    let grads = (0..n).map(|i| {
        if program.output == Operand::Param(i) {
            quote!(1.0)
        } else if backward.param_reached[i] {
            adjoint(Operand::Param(i)).into_token_stream()
        } else {
            quote!(0.0)
        }
    });

    quote! {
        move |#(#params),*| -> (#f64_ty, [#f64_ty; #len]) {
            #(#constants)*
            #(#forward)*
            #(#steps)*
            (#value, [#(#grads),*])
        }
    }
}

/// The generated closure as formatted Rust, inside a function that names
/// its type, with a legend mapping the generated names to the user's.
pub fn code_string(program: &Program) -> String {
    let closure = closure(program);
    let n = program.params.len();
    let len = Literal::usize_unsuffixed(n);
    let f64s = std::iter::repeat_n(quote!(f64), n);
    let item = quote! {
        fn grad() -> impl Fn(#(#f64s),*) -> (f64, [f64; #len]) {
            #closure
        }
    };
    let code = match syn::parse2::<syn::File>(item) {
        Ok(file) => prettyplease::unparse(&file),
        Err(_) => closure.to_string(),
    };
    let mut legend =
        String::from("// generated by grad!: forward values __mg_v*, adjoints __mg_g*\n");
    for (i, p) in program.params.iter().enumerate() {
        legend.push_str(&format!(
            "// __mg_p{i} = {} (adjoint __mg_gp{i})\n",
            p.ident
        ));
    }
    for (i, c) in program.consts.iter().enumerate() {
        if matches!(c.value, Const::Captured(_)) {
            legend.push_str(&format!("// __mg_c{i} = {}\n", c.text));
        }
    }
    legend + &code
}
