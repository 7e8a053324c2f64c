//! The derivative rules of the static engine: one arm per op of `OPS.md`,
//! in the table's order, with the table's formula in each comment.
//!
//! Each arm states the forward code and the local derivative of the output
//! `y` with respect to each input (`a`, `b`, or `x` for unary ops), side by
//! side. `diff` multiplies a local derivative by the adjoint `g` of `y`, so
//! the contribution of every edge is `g * local`, except that `g * 1` and
//! `g * -1` are written `g` and `-g` (exact, and one multiplication less),
//! and a derivative that is 1 or 0 by a condition (relu) selects `g` or 0.
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
    /// `dy/dx = 1` where the condition (code over `a`, `b` and `y`) holds,
    /// else 0: the contribution is a selection, `g` or `0.0`, never a
    /// product, so an infinite or NaN `g` where the op is flat passes 0, as
    /// on the `Value` engine (relu).
    Gate(TokenStream),
}

/// What one op computes and how it differentiates.
pub struct Rule {
    /// Code for `y`, reading the operands `a`, `b` and `c`.
    pub forward: TokenStream,
    /// Local derivatives with respect to `a`, `b` and `c` (unused ones `Zero`).
    pub local: [Local; 3],
}

/// The rule of `op` over operand tokens `a`, `b`, `c` and output tokens `y`.
pub fn rule(op: Op, args: &[TokenStream; 3], y: &TokenStream) -> Rule {
    use Local::{Expr, Gate, MinusOne, One, Zero};
    let [a, b, c] = args;
    // The runtime's shared rules (`micrograd_runtime::rules`), for the ops
    // whose edges need care: both engines call the same functions.
    let r = quote!(::micrograd::rules);
    let (forward, da, db, dc) = match op {
        // 1. Add: y = a + b; da = 1, db = 1
        Op::Add => (quote!(#a + #b), One, One, Zero),
        // 2. Sub: y = a - b; da = 1, db = -1
        Op::Sub => (quote!(#a - #b), One, MinusOne, Zero),
        // 3. Mul: y = a * b; da = b, db = a
        Op::Mul => (quote!(#a * #b), Expr(quote!(#b)), Expr(quote!(#a)), Zero),
        // 4. Div: y = a / b; da = 1 / b, db = -y / b
        Op::Div => (
            quote!(#a / #b),
            Expr(quote!(1.0 / #b)),
            Expr(quote!(-#y / #b)),
            Zero,
        ),
        // 5. Neg: y = -x; dx = -1
        Op::Neg => (quote!(-#a), MinusOne, Zero, Zero),
        // 6. Exp: y = exp(x); dx = y
        Op::Exp => (quote!(#a.exp()), Expr(quote!(#y)), Zero, Zero),
        // 7. Ln: y = ln(x); dx = 1 / x
        Op::Ln => (quote!(#a.ln()), Expr(quote!(1.0 / #a)), Zero, Zero),
        // 8. Sqrt: y = sqrt(x); dx = 0.5 / y
        Op::Sqrt => (quote!(#a.sqrt()), Expr(quote!(0.5 / #y)), Zero, Zero),
        // 9. Tanh: y = tanh(x) through f64::tanh; dx = 1 - y * y
        Op::Tanh => (quote!(#a.tanh()), Expr(quote!(1.0 - #y * #y)), Zero, Zero),
        // 10. Sin: y = sin(x); dx = cos(x)
        Op::Sin => (quote!(#a.sin()), Expr(quote!(#a.cos())), Zero, Zero),
        // 11. Cos: y = cos(x); dx = -sin(x)
        Op::Cos => (quote!(#a.cos()), Expr(quote!(-#a.sin())), Zero, Zero),
        // 12. Abs: y = |x|; dx = 1 if x > 0, -1 if x < 0, 0 at x = 0
        Op::Abs => (
            quote!(#a.abs()),
            Expr(quote!(if #a > 0.0 { 1.0 } else if #a < 0.0 { -1.0 } else { 0.0 })),
            Zero,
            Zero,
        ),
        // 13. Relu: y = x if x > 0 else 0; dx = 1 if x > 0 else 0
        Op::Relu => (
            quote!(if #a > 0.0 { #a } else { 0.0 }),
            Gate(quote!(#a > 0.0)),
            Zero,
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
            (quote!(#a.powi(#n)), local, Zero, Zero)
        }
        // 16. Powf: y = a.powf(b); da = b * a.powf(b - 1) (0 when b == 0),
        // db = y * ln(a) (0 where y == 0, the limit as a -> 0+)
        Op::Powf => (
            quote!(#a.powf(#b)),
            Expr(quote!(#r::powf_d(#a, #b, #y).0)),
            Expr(quote!(#r::powf_d(#a, #b, #y).1)),
            Zero,
        ),
        // 17. Max: y = a.max(b), a selection: db = 1 where `a < b` or a is
        // NaN (y is b), da = 1 elsewhere, ties included (y is a)
        Op::Max => (
            quote!(#a.max(#b)),
            Expr(quote!(if #a < #b || #a.is_nan() { 0.0 } else { 1.0 })),
            Expr(quote!(if #a < #b || #a.is_nan() { 1.0 } else { 0.0 })),
            Zero,
        ),
        // 18. Min: y = a.min(b), a selection: db = 1 where `a > b` or a is
        // NaN (y is b), da = 1 elsewhere, ties included (y is a)
        Op::Min => (
            quote!(#a.min(#b)),
            Expr(quote!(if #a > #b || #a.is_nan() { 0.0 } else { 1.0 })),
            Expr(quote!(if #a > #b || #a.is_nan() { 1.0 } else { 0.0 })),
            Zero,
        ),
        // 19. Clamp: y = x.clamp(lo, hi), a selection: dlo = 1 where x < lo,
        // dhi = 1 where x > hi, dx = 1 on lo <= x <= hi (and for NaN x)
        Op::Clamp => (
            quote!(#a.clamp(#b, #c)),
            Expr(quote!(if #a < #b || #a > #c { 0.0 } else { 1.0 })),
            Expr(quote!(if #a < #b { 1.0 } else { 0.0 })),
            Expr(quote!(if #a > #c { 1.0 } else { 0.0 })),
        ),
        // 20. Sinh: dx = cosh(x)
        Op::Sinh => (quote!(#a.sinh()), Expr(quote!(#r::sinh_d(#a))), Zero, Zero),
        // 21. Cosh: dx = sinh(x)
        Op::Cosh => (quote!(#a.cosh()), Expr(quote!(#r::cosh_d(#a))), Zero, Zero),
        // 22. Tan: dx = 1 + y^2
        Op::Tan => (quote!(#a.tan()), Expr(quote!(#r::tan_d(#y))), Zero, Zero),
        // 23. Asin: dx = 1 / sqrt((1 - x)(1 + x))
        Op::Asin => (quote!(#a.asin()), Expr(quote!(#r::asin_d(#a))), Zero, Zero),
        // 24. Acos: dx = -1 / sqrt((1 - x)(1 + x))
        Op::Acos => (quote!(#a.acos()), Expr(quote!(#r::acos_d(#a))), Zero, Zero),
        // 25. Atan: dx = 1 / (1 + x^2)
        Op::Atan => (quote!(#a.atan()), Expr(quote!(#r::atan_d(#a))), Zero, Zero),
        // 26. Asinh: dx = 1 / hypot(x, 1)
        Op::Asinh => (
            quote!(#a.asinh()),
            Expr(quote!(#r::asinh_d(#a))),
            Zero,
            Zero,
        ),
        // 27. Acosh: dx = 1 / (sqrt(x - 1) sqrt(x + 1))
        Op::Acosh => (
            quote!(#a.acosh()),
            Expr(quote!(#r::acosh_d(#a))),
            Zero,
            Zero,
        ),
        // 28. Atanh: dx = 1 / ((1 - x)(1 + x))
        Op::Atanh => (
            quote!(#a.atanh()),
            Expr(quote!(#r::atanh_d(#a))),
            Zero,
            Zero,
        ),
        // 29. Atan2: y = a.atan2(b); (da, db) = (b, -a) / (a^2 + b^2)
        Op::Atan2 => (
            quote!(#a.atan2(#b)),
            Expr(quote!(#r::atan2_d(#a, #b).0)),
            Expr(quote!(#r::atan2_d(#a, #b).1)),
            Zero,
        ),
        // 30. Hypot: (da, db) = (a, b) / y
        Op::Hypot => (
            quote!(#a.hypot(#b)),
            Expr(quote!(#r::hypot_d(#a, #b, #y).0)),
            Expr(quote!(#r::hypot_d(#a, #b, #y).1)),
            Zero,
        ),
        // 31. Ln1p: dx = 1 / (1 + x)
        Op::Ln1p => (
            quote!(#a.ln_1p()),
            Expr(quote!(#r::ln_1p_d(#a))),
            Zero,
            Zero,
        ),
        // 32. ExpM1: dx = e^x
        Op::ExpM1 => (
            quote!(#a.exp_m1()),
            Expr(quote!(#r::exp_m1_d(#a))),
            Zero,
            Zero,
        ),
        // 33. Exp2: dx = y ln 2
        Op::Exp2 => (quote!(#a.exp2()), Expr(quote!(#r::exp2_d(#y))), Zero, Zero),
        // 34. Log2: dx = 1 / (x ln 2)
        Op::Log2 => (quote!(#a.log2()), Expr(quote!(#r::log2_d(#a))), Zero, Zero),
        // 35. Log10: dx = 1 / (x ln 10)
        Op::Log10 => (
            quote!(#a.log10()),
            Expr(quote!(#r::log10_d(#a))),
            Zero,
            Zero,
        ),
        // 36. Log: y = a.log(b); (da, db) = (1 / (a ln b), -y / (b ln b))
        Op::Log => (
            quote!(#a.log(#b)),
            Expr(quote!(#r::log_d(#a, #b, #y).0)),
            Expr(quote!(#r::log_d(#a, #b, #y).1)),
            Zero,
        ),
        // 37. Cbrt: dx = 1 / (3 y^2)
        Op::Cbrt => (quote!(#a.cbrt()), Expr(quote!(#r::cbrt_d(#y))), Zero, Zero),
        // 38. Recip: dx = -y^2
        Op::Recip => (
            quote!(#a.recip()),
            Expr(quote!(#r::recip_d(#y))),
            Zero,
            Zero,
        ),
        // 39. MulAdd: y = a b + c (one rounding); da = b, db = a, dc = 1
        Op::MulAdd => (
            quote!(#a.mul_add(#b, #c)),
            Expr(quote!(#b)),
            Expr(quote!(#a)),
            One,
        ),
        // 40-44. Signum, Floor, Ceil, Round, Trunc: piecewise constant, dx = 0
        Op::Signum => (quote!(#a.signum()), Zero, Zero, Zero),
        Op::Floor => (quote!(#a.floor()), Zero, Zero, Zero),
        Op::Ceil => (quote!(#a.ceil()), Zero, Zero, Zero),
        Op::Round => (quote!(#a.round()), Zero, Zero, Zero),
        Op::Trunc => (quote!(#a.trunc()), Zero, Zero, Zero),
        // 45. Softplus: y = ln(1 + e^x), stable; dx = sigmoid(x)
        Op::Softplus => (
            quote!(#r::softplus(#a)),
            Expr(quote!(#r::softplus_d(#a))),
            Zero,
            Zero,
        ),
        // 46. LeakyRelu: y = x if x > 0 else slope x; (dx, dslope) =
        // (1, 0) if x > 0 else (slope, x)
        Op::LeakyRelu => (
            quote!(#r::leaky_relu(#a, #b)),
            Expr(quote!(#r::leaky_relu_d(#a, #b).0)),
            Expr(quote!(#r::leaky_relu_d(#a, #b).1)),
            Zero,
        ),
        // 47. Gelu (tanh approximation): dx = gelu_d(x)
        Op::Gelu => (
            quote!(#r::gelu(#a)),
            Expr(quote!(#r::gelu_d(#a))),
            Zero,
            Zero,
        ),
        // 48. Silu: y = x sigmoid(x); dx = s (1 + x (1 - s))
        Op::Silu => (
            quote!(#r::silu(#a)),
            Expr(quote!(#r::silu_d(#a))),
            Zero,
            Zero,
        ),
        // 49. LogSigmoid: y = -softplus(-x), stable; dx = sigmoid(-x)
        Op::LogSigmoid => (
            quote!(#r::log_sigmoid(#a)),
            Expr(quote!(#r::log_sigmoid_d(#a))),
            Zero,
            Zero,
        ),
    };
    Rule {
        forward,
        local: [da, db, dc],
    }
}

/// The rule of `x.powi(n)` for an integer expression `n` (tokens of type
/// `i32`): `dx = n * x.powi(n - 1)`, and 0 when `n == 0`.
pub fn powi_by(x: &TokenStream, n: &TokenStream) -> Rule {
    Rule {
        forward: quote!(#x.powi(#n)),
        local: [
            Local::Expr(quote!(::micrograd::rules::powi_d(#x, #n))),
            Local::Zero,
            Local::Zero,
        ],
    }
}

/// The forward formulas of [`rule`] on numbers, to fold literal-only
/// subexpressions at expansion time (`2.0 * 3.0` becomes `6.0`). `None`
/// for the ops whose forward lives in the runtime's `rules` (the macro does
/// not link it) and for a `clamp` whose bounds would panic: those are
/// computed when the closure runs, as written.
pub fn eval(op: Op, a: f64, b: f64, c: f64) -> Option<f64> {
    Some(match op {
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
        Op::Max => a.max(b),
        Op::Min => a.min(b),
        Op::Clamp if b <= c => a.clamp(b, c),
        Op::Sinh => a.sinh(),
        Op::Cosh => a.cosh(),
        Op::Tan => a.tan(),
        Op::Asin => a.asin(),
        Op::Acos => a.acos(),
        Op::Atan => a.atan(),
        Op::Asinh => a.asinh(),
        Op::Acosh => a.acosh(),
        Op::Atanh => a.atanh(),
        Op::Atan2 => a.atan2(b),
        Op::Hypot => a.hypot(b),
        Op::Ln1p => a.ln_1p(),
        Op::ExpM1 => a.exp_m1(),
        Op::Exp2 => a.exp2(),
        Op::Log2 => a.log2(),
        Op::Log10 => a.log10(),
        Op::Log => a.log(b),
        Op::Cbrt => a.cbrt(),
        Op::Recip => a.recip(),
        Op::MulAdd => a.mul_add(b, c),
        Op::Signum => a.signum(),
        Op::Floor => a.floor(),
        Op::Ceil => a.ceil(),
        Op::Round => a.round(),
        Op::Trunc => a.trunc(),
        Op::Clamp | Op::Softplus | Op::LeakyRelu | Op::Gelu | Op::Silu | Op::LogSigmoid => {
            return None;
        }
    })
}

/// Whether `op`'s output depends on its operand number `arg` at all, so the
/// reverse sweep can skip edges whose rule is [`Local::Zero`].
pub fn has_local(op: Op, arg: usize) -> bool {
    arg < op.arity()
        && !matches!(
            op,
            Op::Powi(0) | Op::Signum | Op::Floor | Op::Ceil | Op::Round | Op::Trunc
        )
}

/// Whether an adjoint of exactly 0 must be tested before `op`'s rule: the
/// ops whose local derivative can be infinite for finite operands (a pole,
/// an overflow, a domain end), where `0 * inf` would be NaN (`OPS.md`, the
/// same list the `Value` engine tests). `+ - *`, the bounded rules and the
/// selections pass `g * d` with `d` finite.
pub fn guards_zero(op: Op) -> bool {
    !matches!(
        op,
        Op::Add
            | Op::Sub
            | Op::Mul
            | Op::Neg
            | Op::Tanh
            | Op::Sin
            | Op::Cos
            | Op::Abs
            | Op::Relu
            | Op::Sigmoid
            | Op::Max
            | Op::Min
            | Op::Clamp
            | Op::MulAdd
            | Op::Signum
            | Op::Floor
            | Op::Ceil
            | Op::Round
            | Op::Trunc
    )
}

/// Which of the operands `a`, `b`, `c` and the output `y` the local
/// derivative of `op` with respect to operand `arg` reads, found by
/// building the rule over placeholder names. The reverse sweep inside a
/// loop recomputes (or saves) exactly these values.
pub fn reads(op: Op, arg: usize) -> [bool; 4] {
    let names = ["__mg_ra", "__mg_rb", "__mg_rc", "__mg_ry"];
    let ident = |n: &str| proc_macro2::Ident::new(n, proc_macro2::Span::call_site());
    let (a, b, c, y) = (
        ident(names[0]),
        ident(names[1]),
        ident(names[2]),
        ident(names[3]),
    );
    let rule = rule(op, &[quote!(#a), quote!(#b), quote!(#c)], &quote!(#y));
    let (Local::Expr(tokens) | Local::Gate(tokens)) = &rule.local[arg] else {
        return [false; 4];
    };
    let text = tokens.to_string();
    names.map(|n| text.contains(n))
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
