//! The input of `grad!`, `grad_code!` and `grad_dot!`: one closure.

use crate::ir::{Param, ParamTy};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::{Error, Expr, Pat, Result, Type};

/// A parsed `grad!` input.
///
/// Grammar (the body is checked later, by `lower`):
///
/// ```text
/// input  := "move"? "|" param ("," param)* ","? "|" body
/// param  := IDENT (":" type)?
/// type   := "f64" | "[" type ";" LEN "]" | "&" "[" "f64" "]"
/// body   := expr | "{" stmt* expr "}"
/// ```
///
/// At least one parameter; a parameter is a plain name (no `mut`, `ref`,
/// tuple or wildcard pattern). Its type, if written, is `f64`, an array of
/// `f64` of any depth whose lengths are constants (`[[f64; 2]; N]`), or a
/// slice `&[f64]`; no type means `f64`.
pub struct GradInput {
    pub params: Vec<Param>,
    pub body: Expr,
}

impl Parse for GradInput {
    fn parse(input: ParseStream) -> Result<Self> {
        if input.is_empty() {
            return Err(input.error("expected a closure like `|x, y| x * y`"));
        }
        let expr: Expr = input.parse()?;
        if !input.is_empty() {
            return Err(input.error("expected a single closure; found tokens after it"));
        }
        // A closure handed through `macro_rules!` as `$e:expr` arrives in
        // an invisible group.
        let mut expr = expr;
        while let Expr::Group(group) = expr {
            expr = *group.expr;
        }
        let closure = match expr {
            Expr::Closure(closure) => closure,
            other => {
                return Err(Error::new_spanned(
                    other,
                    "expected a closure like `|x, y| x * y`",
                ));
            }
        };
        let mut errors: Vec<Error> = Vec::new();
        if let Some(lifetimes) = &closure.lifetimes {
            errors.push(Error::new_spanned(
                lifetimes,
                "`for<...>` closures are not supported",
            ));
        }
        if let Some(token) = &closure.constness {
            errors.push(Error::new_spanned(
                token,
                "`const` closures are not supported",
            ));
        }
        if let Some(token) = &closure.movability {
            errors.push(Error::new_spanned(
                token,
                "`static` closures are not supported",
            ));
        }
        if let Some(token) = &closure.asyncness {
            errors.push(Error::new_spanned(
                token,
                "`async` closures are not supported",
            ));
        }
        if let syn::ReturnType::Type(arrow, ty) = &closure.output {
            errors.push(Error::new_spanned(
                quote::quote!(#arrow #ty),
                "remove the return type: grad! closures return `(f64, [f64; N])`",
            ));
        }
        let (or1, or2) = (closure.or1_token, closure.or2_token);
        let bars = quote::quote!(#or1 #or2);
        if closure.inputs.is_empty() {
            errors.push(Error::new_spanned(
                &bars,
                "expected at least one parameter: grad! differentiates with respect to its parameters",
            ));
        }
        let mut params = Vec::new();
        for pat in &closure.inputs {
            match param(pat) {
                Ok(p) => {
                    if params.iter().any(|q: &Param| q.ident == p.ident) {
                        errors.push(Error::new_spanned(
                            &p.ident,
                            format!("parameter `{}` is declared twice", p.ident),
                        ));
                    }
                    params.push(p);
                }
                Err(e) => errors.push(e),
            }
        }
        if let Some(error) = errors.into_iter().reduce(|mut all, e| {
            all.combine(e);
            all
        }) {
            return Err(error);
        }
        Ok(GradInput {
            params,
            body: *closure.body,
        })
    }
}

/// Checks one parameter: a plain name, optionally typed.
fn param(pat: &Pat) -> Result<Param> {
    match pat {
        Pat::Ident(p) if p.by_ref.is_none() && p.mutability.is_none() && p.subpat.is_none() => {
            Ok(Param {
                by_ref: false,
                ident: p.ident.clone(),
                ty: ParamTy::Scalar,
            })
        }
        Pat::Ident(p) if p.mutability.is_some() => Err(Error::new_spanned(
            pat,
            format!(
                "parameters cannot be `mut`; write `let mut {0} = {0};` in the body instead",
                p.ident
            ),
        )),
        Pat::Type(typed) => {
            let mut p = param(&typed.pat)?;
            p.ty = param_type(&typed.ty)?;
            Ok(p)
        }
        _ => Err(Error::new_spanned(
            pat,
            "expected a plain parameter name like `x` or `x: f64`",
        )),
    }
}

const PARAM_TYPES: &str = "expected parameter type `f64`, an array of f64 like `[f64; 3]` or \
     `[[f64; 2]; 16]`, or a slice `&[f64]`: grad! differentiates f64 functions";

/// `f64`, `[f64; N]` nested to any depth, or `&[f64]`.
pub fn param_type(ty: &Type) -> Result<ParamTy> {
    if is_f64(ty) {
        return Ok(ParamTy::Scalar);
    }
    match ty {
        Type::Array(_) => {
            let mut dims = Vec::new();
            let mut t = ty;
            while let Type::Array(array) = t {
                dims.push(array.len.to_token_stream());
                t = &array.elem;
            }
            if is_f64(t) {
                Ok(ParamTy::Array(dims))
            } else {
                Err(Error::new_spanned(t, PARAM_TYPES))
            }
        }
        Type::Reference(r) if r.mutability.is_none() => match &*r.elem {
            Type::Slice(s) if is_f64(&s.elem) => Ok(ParamTy::Slice),
            _ => Err(Error::new_spanned(ty, PARAM_TYPES)),
        },
        Type::Paren(p) => param_type(&p.elem),
        // A type passed through `macro_rules!` as `$t:ty`.
        Type::Group(g) => param_type(&g.elem),
        _ => Err(Error::new_spanned(ty, PARAM_TYPES)),
    }
}

/// `f64`, `core::primitive::f64` or `std::primitive::f64`, with or without
/// a leading `::`.
pub fn is_f64(ty: &Type) -> bool {
    if let Type::Group(g) = ty {
        return is_f64(&g.elem);
    }
    let Type::Path(path) = ty else { return false };
    if path.qself.is_some() {
        return false;
    }
    let segments: Vec<String> = path
        .path
        .segments
        .iter()
        .map(|s| {
            if s.arguments.is_empty() {
                s.ident.to_string()
            } else {
                String::new()
            }
        })
        .collect();
    let names: Vec<&str> = segments.iter().map(String::as_str).collect();
    match names.as_slice() {
        ["f64"] => path.path.leading_colon.is_none(),
        ["core" | "std", "primitive", "f64"] => true,
        _ => false,
    }
}
