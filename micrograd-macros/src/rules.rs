//! The derivative rules of the static engine: one arm per op of `OPS.md`,
//! in the table's order, with the table's formula in each comment.
//!
//! Each arm states the forward code and the local derivative of the output
//! `y` with respect to each input (`a`, `b`, or `x` for unary ops), side by
//! side. `diff` multiplies a local derivative by the adjoint `g` of `y`, so
//! the contribution of every edge is `g * local`, except that `g * 1` and
//! `g * -1` are written `g` and `-g` (exact, and one multiplication less).
//! The same formulas are mirrored by [`eval`], which folds literal-only
//! subexpressions at expansion time.

use crate::ir::Op;
use proc_macro2::{Literal, TokenStream};
use quote::quote;

/// The local derivative of an op's output with respect to one input.
pub enum Local {
    /// `dy/dx = 1`: the contribution is `g` itself.
    One,
    /// `dy/dx = -1`: the contribution is `-g`.
    MinusOne,
    /// `dy/dx = 0` everywhere (`powi(0)`): no contribution at all.
    Zero,
    /// Any other derivative, as code over `a`, `b` and `y`.
    Expr(TokenStream),
}

/// What one op computes and how it differentiates.
pub struct Rule {
    /// Code for `y`, reading the operands `a` and `b`.
    pub forward: TokenStream,
    /// Local derivatives with respect to `a` and `b` (`b`'s unused for unary ops).
    pub local: [Local; 2],
}

/// The rule of `op` over operand tokens `a`, `b` and output tokens `y`.
pub fn rule(op: Op, a: &TokenStream, b: &TokenStream, y: &TokenStream) -> Rule {
    use Local::{Expr, MinusOne, One, Zero};
    let (forward, da, db) = match op {
        // 1. Add: y = a + b; da = 1, db = 1
        Op::Add => (quote!(#a + #b), One, One),
        // 2. Sub: y = a - b; da = 1, db = -1
        Op::Sub => (quote!(#a - #b), One, MinusOne),
        // 3. Mul: y = a * b; da = b, db = a
        Op::Mul => (quote!(#a * #b), Expr(quote!(#b)), Expr(quote!(#a))),
        // 4. Div: y = a / b; da = 1 / b, db = -y / b
        Op::Div => (
            quote!(#a / #b),
            Expr(quote!(1.0 / #b)),
            Expr(quote!(-#y / #b)),
        ),
        // 5. Neg: y = -x; dx = -1
        Op::Neg => (quote!(-#a), MinusOne, Zero),
        // 6. Exp: y = exp(x); dx = y
        Op::Exp => (quote!(#a.exp()), Expr(quote!(#y)), Zero),
        // 7. Ln: y = ln(x); dx = 1 / x
        Op::Ln => (quote!(#a.ln()), Expr(quote!(1.0 / #a)), Zero),
        // 8. Sqrt: y = sqrt(x); dx = 0.5 / y
        Op::Sqrt => (quote!(#a.sqrt()), Expr(quote!(0.5 / #y)), Zero),
        // 9. Tanh: y = tanh(x) through f64::tanh; dx = 1 - y * y
        Op::Tanh => (quote!(#a.tanh()), Expr(quote!(1.0 - #y * #y)), Zero),
        // 10. Sin: y = sin(x); dx = cos(x)
        Op::Sin => (quote!(#a.sin()), Expr(quote!(#a.cos())), Zero),
        // 11. Cos: y = cos(x); dx = -sin(x)
        Op::Cos => (quote!(#a.cos()), Expr(quote!(-#a.sin())), Zero),
        // 12. Abs: y = |x|; dx = 1 if x > 0, -1 if x < 0, 0 at x = 0
        Op::Abs => (
            quote!(#a.abs()),
            Expr(quote!(if #a > 0.0 { 1.0 } else if #a < 0.0 { -1.0 } else { 0.0 })),
            Zero,
        ),
        // 13. Relu: y = x if x > 0 else 0; dx = 1 if x > 0 else 0
        Op::Relu => (
            quote!(if #a > 0.0 { #a } else { 0.0 }),
            Expr(quote!(if #a > 0.0 { 1.0 } else { 0.0 })),
            Zero,
        ),
        // 14. Sigmoid: y = 1/(1+e^-x) for x >= 0, e^x/(1+e^x) for x < 0, so
        // neither tail overflows; dx = y * (1 - y)
        Op::Sigmoid => (
            {
                let e = quote::format_ident!("__mg_e", span = proc_macro2::Span::mixed_site());
                quote!(if #a >= 0.0 {
                    1.0 / (1.0 + (-#a).exp())
                } else {
                    let #e = #a.exp();
                    #e / (1.0 + #e)
                })
            },
            Expr(quote!(#y * (1.0 - #y))),
            Zero,
        ),
        // 15. Powi(n): y = x.powi(n); dx = n * x.powi(n - 1) (0 when n = 0)
        Op::Powi(n) => {
            let local = if n == 0 {
                Zero
            } else {
                // `lower` rejects i32::MIN, so `n - 1` cannot overflow.
                let factor = f64_literal(f64::from(n));
                let m = n - 1;
                Expr(quote!(#factor * #a.powi(#m)))
            };
            (quote!(#a.powi(#n)), local, Zero)
        }
        // 16. Powf: y = a.powf(b); da = b * a.powf(b - 1), db = y * ln(a),
        // and db = 0 where y == 0 (the limit of y * ln(a) as a -> 0+)
        Op::Powf => (
            quote!(#a.powf(#b)),
            Expr(quote!(#b * #a.powf(#b - 1.0))),
            Expr(quote!(if #y == 0.0 { 0.0 } else { #y * #a.ln() })),
        ),
    };
    Rule {
        forward,
        local: [da, db],
    }
}

/// The forward formulas of [`rule`] on numbers, to fold literal-only
/// subexpressions at expansion time (`2.0 * 3.0` becomes `6.0`).
pub fn eval(op: Op, a: f64, b: f64) -> f64 {
    match op {
        Op::Add => a + b,
        Op::Sub => a - b,
        Op::Mul => a * b,
        Op::Div => a / b,
        Op::Neg => -a,
        Op::Exp => a.exp(),
        Op::Ln => a.ln(),
        Op::Sqrt => a.sqrt(),
        Op::Tanh => a.tanh(),
        Op::Sin => a.sin(),
        Op::Cos => a.cos(),
        Op::Abs => a.abs(),
        Op::Relu => {
            if a > 0.0 {
                a
            } else {
                0.0
            }
        }
        Op::Sigmoid => {
            if a >= 0.0 {
                1.0 / (1.0 + (-a).exp())
            } else {
                let e = a.exp();
                e / (1.0 + e)
            }
        }
        Op::Powi(n) => a.powi(n),
        Op::Powf => a.powf(b),
    }
}

/// Whether `op`'s output depends on its operand number `arg` at all, so the
/// reverse sweep can skip edges whose rule is [`Local::Zero`].
pub fn has_local(op: Op, arg: usize) -> bool {
    arg < op.arity() && op != Op::Powi(0)
}

/// Tokens for an f64 constant that are valid anywhere an operand goes,
/// including as a method receiver: suffixed, parenthesised when negative,
/// and named constants for the values that have no literal.
pub fn f64_literal(value: f64) -> TokenStream {
    if value.is_nan() {
        return quote!(::core::primitive::f64::NAN);
    }
    if value.is_infinite() {
        return if value > 0.0 {
            quote!(::core::primitive::f64::INFINITY)
        } else {
            quote!(::core::primitive::f64::NEG_INFINITY)
        };
    }
    // `{:?}` prints the shortest text that reads back as the same f64.
    let text = format!("{:?}f64", value.abs());
    let literal: Literal = text
        .parse()
        .unwrap_or_else(|_| Literal::f64_suffixed(value.abs()));
    if value.is_sign_negative() {
        quote!((-#literal))
    } else {
        quote!(#literal)
    }
}
