//! The input of `grad!`, `grad_code!` and `grad_dot!`: one closure.

use syn::parse::{Parse, ParseStream};
use syn::{Error, Expr, Pat, Result, Type};

/// A parsed `grad!` input.
///
/// Grammar (the body is checked later, by `lower`):
///
/// ```text
/// input  := "move"? "|" param ("," param)* ","? "|" body
/// param  := IDENT (":" "f64")?
/// body   := expr | "{" stmt* expr "}"
/// ```
///
/// At least one parameter; a parameter is a plain name (no `mut`, `ref`,
/// tuple or wildcard pattern) whose type, if written, is `f64`.
pub struct GradInput {
    pub params: Vec<syn::Ident>,
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
                Ok(ident) => {
                    if params.contains(&ident) {
                        errors.push(Error::new_spanned(
                            &ident,
                            format!("parameter `{ident}` is declared twice"),
                        ));
                    }
                    params.push(ident);
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

/// Checks one parameter: a plain name, optionally typed `f64`.
fn param(pat: &Pat) -> Result<syn::Ident> {
    match pat {
        Pat::Ident(p) if p.by_ref.is_none() && p.mutability.is_none() && p.subpat.is_none() => {
            Ok(p.ident.clone())
        }
        Pat::Ident(p) if p.mutability.is_some() => Err(Error::new_spanned(
            pat,
            format!(
                "parameters cannot be `mut`; write `let mut {0} = {0};` in the body instead",
                p.ident
            ),
        )),
        Pat::Type(typed) => {
            let ident = param(&typed.pat)?;
            if is_f64(&typed.ty) {
                Ok(ident)
            } else {
                Err(Error::new_spanned(
                    &typed.ty,
                    "expected parameter type `f64` (or no type): grad! differentiates f64 functions",
                ))
            }
        }
        _ => Err(Error::new_spanned(
            pat,
            "expected a plain parameter name like `x` or `x: f64`",
        )),
    }
}

/// `f64`, `core::primitive::f64` or `std::primitive::f64`, with or without
/// a leading `::`.
fn is_f64(ty: &Type) -> bool {
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
