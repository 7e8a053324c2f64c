//! Straight-line programs: one `let` per op, then one adjoint line per
//! edge, adjoints declared at their first contribution (no zero
//! initialisation, no `mut` unless a value has several contributions).

use super::{captures, f64_ty, name, operand, used_consts};
use crate::diff::{self, Write};
use crate::ir::{Const, Kind, Operand, Program};
use crate::rules::{self, Local};
use proc_macro2::{Literal, TokenStream};
use quote::{quote, quote_spanned};

fn adjoint(operand: Operand) -> syn::Ident {
    match operand {
        Operand::Param(i) => name("gp", i),
        Operand::Inst(i) => name("g", i),
        Operand::Const(i) => name("gc", i),
    }
}

/// The three operand tokens of an op instruction.
pub fn args(program: &Program, args: &[Operand; 3]) -> [TokenStream; 3] {
    args.map(|a| operand(program, a))
}

use quote::ToTokens;

/// The `move` closure `Fn(f64, ..) -> (f64, [f64; N])` for `program`;
/// with `seed`, the closure takes one more `f64`, the adjoint of the
/// output (a pullback), instead of 1.
pub fn closure(program: &Program, seed: Option<&syn::Ident>) -> TokenStream {
    let f64_ty = f64_ty();
    let n = program.params.len();
    let len = Literal::usize_unsuffixed(n);
    let params = (0..n).map(|i| super::param_decl(program, i));
    let seed_decl = seed.map(|s| quote!(, #s: #f64_ty));
    let p = parts(program, seed);
    let (constants, forward, steps, value, grads) =
        (p.constants, p.forward, p.steps, p.value, p.grads);
    quote! {
        move |#(#params),* #seed_decl| -> (#f64_ty, [#f64_ty; #len]) {
            #constants
            #forward
            #steps
            (#value, [#(#grads),*])
        }
    }
}

/// The pieces of a straight-line program's code.
pub struct Parts {
    /// Reads of captured constants.
    pub constants: TokenStream,
    /// The forward lines.
    pub forward: TokenStream,
    /// The names the forward lines bind (`__mg_v3`; a call's residuals
    /// `__mg_R3` are not among them).
    pub bound: Vec<syn::Ident>,
    /// The reverse lines.
    pub steps: TokenStream,
    pub value: TokenStream,
    /// One gradient per parameter.
    pub grads: Vec<TokenStream>,
}

/// The forward and reverse code of a straight-line program, with the
/// output's adjoint `seed` (1 when `None`).
pub fn parts(program: &Program, seed: Option<&syn::Ident>) -> Parts {
    let f64_ty = f64_ty();
    let one = match seed {
        Some(s) => s.to_token_stream(),
        None => quote!(1.0),
    };
    let mut vjp_done = std::collections::HashSet::new();
    let n = program.params.len();
    let backward = diff::backward(program);
    let live = program.live();
    let constants = captures(program, &used_consts(program, &live));

    let mut bound = Vec::new();
    let forward: TokenStream = program
        .insts
        .iter()
        .enumerate()
        .filter(|(i, _)| backward.live[*i])
        .filter_map(|(i, inst)| {
            let y = name("v", i);
            bound.push(y.clone());
            if let Kind::Call { callee, args } = &inst.kind {
                let args = super::call::f64_args(program, args, &|o| operand(program, o));
                let span = inst.span;
                // The callee's forward keeps what its reverse reads (its
                // residuals), so the reverse sweep recomputes nothing.
                if inst.active {
                    let call = super::call::fwd_call(*callee, &args, span);
                    let r = name("R", i);
                    return Some(quote_spanned!(span=> let (#y, #r) = #call;));
                }
                let call = super::call::plain_call(*callee, &args, span);
                return Some(quote_spanned!(span=> let #y: #f64_ty = #call;));
            }
            let Kind::Op { op, args: a } = &inst.kind else {
                return None;
            };
            let rule = rules::rule(*op, &args(program, a), &y.to_token_stream());
            let forward = rule.forward;
            let span = inst.span;
            Some(quote_spanned!(span=> let #y = #forward;))
        })
        .collect();

    let output_inst = match program.output {
        Operand::Inst(i) => Some(i),
        _ => None,
    };
    let steps = backward.steps.iter().filter_map(|step| {
        let inst = &program.insts[step.inst];
        if let Kind::Call {
            callee,
            args: call_args,
        } = &inst.kind
        {
            // The callee's pullback, once per call, at the call's adjoint:
            // the callee's own reverse code, so what it tests (an adjoint
            // of exactly 0 at a pole) it tests as if inlined.
            let grads = name("G", step.inst);
            let mut out = TokenStream::new();
            if vjp_done.insert(step.inst) {
                let g = if Some(step.inst) == output_inst {
                    one.clone()
                } else {
                    adjoint(Operand::Inst(step.inst)).into_token_stream()
                };
                let _ = call_args;
                let call = super::call::bwd_call(*callee, &name("R", step.inst), &g, inst.span);
                out.extend(quote!(let #grads = #call;));
            }
            let k = Literal::usize_unsuffixed(step.arg);
            let contribution = quote!(#grads.#k);
            let target = adjoint(step.target);
            out.extend(match step.write {
                Write::Declare { mutable: false } => quote!(let #target = #contribution;),
                Write::Declare { mutable: true } => quote!(let mut #target = #contribution;),
                Write::Accumulate => quote!(#target += #contribution;),
            });
            return Some(out);
        }
        let Kind::Op { op, args: a } = &inst.kind else {
            return None;
        };
        let y = name("v", step.inst).into_token_stream();
        let rule = rules::rule(*op, &args(program, a), &y);
        // The output's adjoint is the seed 1: `1.0 * local` is folded by the
        // compiler (exactly, since x * 1 == x), so it is written as such.
        let g = if Some(step.inst) == output_inst {
            one.clone()
        } else {
            adjoint(Operand::Inst(step.inst)).into_token_stream()
        };
        let [da, db, dc] = rule.local;
        let local = [da, db, dc]
            .into_iter()
            .nth(step.arg)
            .unwrap_or(Local::Zero);
        // An adjoint of exactly 0 passes nothing on where the local
        // derivative can be infinite (`OPS.md`): no `0 * inf = NaN`.
        let test = rules::guards_zero(*op) && (Some(step.inst) != output_inst || seed.is_some());
        let contribution = if test {
            let c = contribution(g.clone(), local);
            quote!(if #g == 0.0 { 0.0 } else { #c })
        } else {
            contribution(g, local)
        };
        let target = adjoint(step.target);
        Some(match step.write {
            Write::Declare { mutable: false } => quote!(let #target = #contribution;),
            Write::Declare { mutable: true } => quote!(let mut #target = #contribution;),
            Write::Accumulate => quote!(#target += #contribution;),
        })
    });

    let value = operand(program, program.output);
    let grads = (0..n).map(|i| {
        if program.output == Operand::Param(i) {
            one.clone()
        } else if backward.param_reached[i] {
            adjoint(Operand::Param(i)).into_token_stream()
        } else {
            quote!(0.0)
        }
    });

    Parts {
        constants,
        forward,
        bound,
        steps: steps.collect(),
        value,
        grads: grads.collect(),
    }
}

/// `g * local`, with `g * 1` and `g * -1` written `g` and `-g` (exact),
/// and a gate as the selection of `g` or 0.
pub fn contribution(g: TokenStream, local: Local) -> TokenStream {
    match local {
        Local::One => g,
        Local::MinusOne => quote!(-#g),
        // A lone name or literal needs no parentheses.
        Local::Expr(e) if e.clone().into_iter().count() == 1 => quote!(#g * #e),
        Local::Expr(e) => quote!(#g * (#e)),
        Local::Gate(c) => quote!((if #c { #g } else { 0.0 })),
        Local::Zero => quote!(0.0),
    }
}

/// The generated closure as formatted Rust, inside a function that names
/// its type, with a legend mapping the generated names to the user's.
pub fn code_string(program: &Program) -> String {
    let closure = super::closure(program);
    let params = super::written_param_tys(program);
    let grads = super::grads_ty(program);
    let item = quote! {
        fn grad() -> impl Fn(#(#params),*) -> (f64, #grads) {
            #closure
        }
    };
    let code = super::pretty(item, &closure);
    let mut legend =
        String::from("// generated by grad!: forward values __mg_v*, adjoints __mg_g*\n");
    for (i, p) in program.params.iter().enumerate() {
        legend.push_str(&format!(
            "// __mg_p{i} = {} (adjoint __mg_gp{i})\n",
            p.ident
        ));
    }
    for (i, c) in program.consts.iter().enumerate() {
        if matches!(c.value, Const::Captured { .. }) {
            legend.push_str(&format!("// __mg_c{i} = {}\n", c.text));
        }
    }
    for (i, path) in program.captured_ints.iter().enumerate() {
        legend.push_str(&format!("// __mg_n{i} = {}\n", quote!(#path)));
    }
    for (i, path) in program.data.iter().enumerate() {
        legend.push_str(&format!("// __mg_d{i} = &{}\n", quote!(#path)));
    }
    for (i, d) in program.ints.iter().enumerate() {
        legend.push_str(&format!("// __mg_i{i} = {} (usize)\n", d.name));
    }
    for (k, v) in program.vars.iter().enumerate() {
        legend.push_str(&format!(
            "// __mg_x{k} = {} (storage; adjoint __mg_gx{k})\n",
            v.name
        ));
    }
    for (k, path) in program.callees.iter().enumerate() {
        legend.push_str(&format!(
            "// __mg_f{k} = {} (#[differentiable]: __mg_f{k}::__mg_call((..)) is the function, \
             __mg_f{k}::__mg_fwd((..)) its value and residuals R, \
             __mg_f{k}::__mg_bwd(R, g) its pullback at adjoint g; in loops \
             __mg_f{k}::__mg_vjp((..), g) recomputes)\n",
            quote!(#path).to_string().replace(' ', "")
        ));
    }
    legend + &code
}
