//! The derivative rules of the ops whose edges need care, written once for
//! both engines: the `Value` engine calls these functions in its backward
//! sweep, and `grad!` emits calls to them, so the two agree to the bit by
//! construction (see `OPS.md` for the whole table and its conventions).
//!
//! Each op has its forward value (the `f64` method of the same name where
//! there is one) and its local derivative(s), written in terms of the
//! operands and the output `y` where that is exact. "At the edge" comments
//! give the limit each rule takes where the maths needs a convention; each
//! is tested against exact values on both engines.
//!
//! These are plain `#[inline]` functions of `f64`s, public so that
//! generated code can call them; they are not meant as a user API.

use std::f64::consts::{LN_2, LN_10};

/// `x.powi(n)`'s derivative `n x^(n-1)`: 0 when `n == 0` (`x^0` is the
/// constant 1, even at `x = 0`), and for `n = i32::MIN`, where `n - 1`
/// does not fit in an `i32`, `x^(n-1)` through `powf` (exact: the exponent
/// is an integer).
#[inline]
pub fn powi_d(x: f64, n: i32) -> f64 {
    match n {
        0 => 0.0,
        _ => match n.checked_sub(1) {
            Some(m) => f64::from(n) * x.powi(m),
            None => f64::from(n) * x.powf(f64::from(n) - 1.0),
        },
    }
}

/// `x.powf(e)`'s derivatives `(dx, de) = (e x^(e-1), y ln x)`.
/// At the edges: `dx = 0` when `e == 0` (`x^0` is constant, even at 0,
/// where `0 * 0^-1` would be NaN); `de = 0` where `y == 0` (the limit of
/// `y ln x` as `x -> 0+` with `e > 0`); `dx = +inf` at `x = 0` for
/// `0 < e < 1`, which is the true one-sided derivative.
#[inline]
pub fn powf_d(x: f64, e: f64, y: f64) -> (f64, f64) {
    let dx = if e == 0.0 { 0.0 } else { e * x.powf(e - 1.0) };
    let de = if y == 0.0 { 0.0 } else { y * x.ln() };
    (dx, de)
}

/// `sinh' = cosh`.
#[inline]
pub fn sinh_d(x: f64) -> f64 {
    x.cosh()
}

/// `cosh' = sinh`.
#[inline]
pub fn cosh_d(x: f64) -> f64 {
    x.sinh()
}

/// `tan' = 1 + tan^2 = 1 + y^2` (exact identity, reuses the output).
#[inline]
pub fn tan_d(y: f64) -> f64 {
    1.0 + y * y
}

/// `asin' = 1 / sqrt(1 - x^2)`, as `(1 - x)(1 + x)` so that it stays
/// accurate near `|x| = 1`; `+inf` at `x = +-1` (the true one-sided limit),
/// NaN outside `[-1, 1]` like the value.
#[inline]
pub fn asin_d(x: f64) -> f64 {
    1.0 / ((1.0 - x) * (1.0 + x)).sqrt()
}

/// `acos' = -1 / sqrt(1 - x^2)`; `-inf` at `x = +-1`, NaN outside.
#[inline]
pub fn acos_d(x: f64) -> f64 {
    -asin_d(x)
}

/// `atan' = 1 / (1 + x^2)`; for `|x| > 1e154` the square overflows and the
/// result is 0, which is the true value rounded (it is below 1e-308).
#[inline]
pub fn atan_d(x: f64) -> f64 {
    1.0 / (1.0 + x * x)
}

/// `asinh' = 1 / sqrt(x^2 + 1)`, as `1 / hypot(x, 1)` so that large `|x|`
/// does not overflow to 0.
#[inline]
pub fn asinh_d(x: f64) -> f64 {
    1.0 / x.hypot(1.0)
}

/// `acosh' = 1 / sqrt(x^2 - 1)`, as `sqrt(x - 1) sqrt(x + 1)` (no overflow
/// for large `x`, accurate near 1); `+inf` at `x = 1` (the one-sided limit),
/// NaN below 1 like the value.
#[inline]
pub fn acosh_d(x: f64) -> f64 {
    1.0 / ((x - 1.0).sqrt() * (x + 1.0).sqrt())
}

/// `atanh' = 1 / (1 - x^2)`, as `(1 - x)(1 + x)`; `+inf` at `x = +-1`
/// (where the value is infinite), NaN outside `[-1, 1]` like the value.
#[inline]
pub fn atanh_d(x: f64) -> f64 {
    if x.abs() > 1.0 {
        f64::NAN
    } else {
        1.0 / ((1.0 - x) * (1.0 + x))
    }
}

/// `atan2(y, x)`'s derivatives `(dy, dx) = (x, -y) / (x^2 + y^2)`, divided
/// by `hypot(x, y)` twice so that large or tiny operands neither overflow
/// nor underflow. At `(0, 0)`, where `atan2` jumps and has no derivative,
/// the convention is `(0, 0)`, like `relu'(0) = 0`.
#[inline]
pub fn atan2_d(y: f64, x: f64) -> (f64, f64) {
    let h = x.hypot(y);
    if h == 0.0 {
        (0.0, 0.0)
    } else {
        (x / h / h, -y / h / h)
    }
}

/// `hypot(a, b)`'s derivatives `(a, b) / y`, reusing the output; at
/// `(0, 0)`, where the norm has a cone point, the convention is `(0, 0)`
/// (the subgradient of least norm).
#[inline]
pub fn hypot_d(a: f64, b: f64, y: f64) -> (f64, f64) {
    if y == 0.0 { (0.0, 0.0) } else { (a / y, b / y) }
}

/// `ln_1p' = 1 / (1 + x)`; `+inf` at `x = -1`, NaN below like the value.
#[inline]
pub fn ln_1p_d(x: f64) -> f64 {
    if x < -1.0 { f64::NAN } else { 1.0 / (1.0 + x) }
}

/// `exp_m1' = e^x` (computed, not `y + 1`, which loses digits near 0).
#[inline]
pub fn exp_m1_d(x: f64) -> f64 {
    x.exp()
}

/// `exp2' = y ln 2`.
#[inline]
pub fn exp2_d(y: f64) -> f64 {
    y * LN_2
}

/// `d/dx ln(x) / ln(b) = 1 / (x ln b)` for `x >= 0`: `+inf` at `x = 0`
/// (either sign of zero), NaN for `x < 0` like the value.
#[inline]
fn log_base_d(x: f64, ln_b: f64) -> f64 {
    if x < 0.0 {
        f64::NAN
    } else {
        1.0 / (x.abs() * ln_b)
    }
}

/// `log2' = 1 / (x ln 2)`.
#[inline]
pub fn log2_d(x: f64) -> f64 {
    log_base_d(x, LN_2)
}

/// `log10' = 1 / (x ln 10)`.
#[inline]
pub fn log10_d(x: f64) -> f64 {
    log_base_d(x, LN_10)
}

/// `x.log(b) = ln x / ln b`'s derivatives `(dx, db) = (1 / (x ln b),
/// -y / (b ln b))`. A base of 1 gives infinite or NaN values and
/// derivatives, as `f64::log` does.
#[inline]
pub fn log_d(x: f64, b: f64, y: f64) -> (f64, f64) {
    let ln_b = b.ln();
    (log_base_d(x, ln_b), -y / (b * ln_b))
}

/// `cbrt' = 1 / (3 y^2)`, reusing the output; `+inf` at 0, the true value.
#[inline]
pub fn cbrt_d(y: f64) -> f64 {
    1.0 / (3.0 * y * y)
}

/// `recip' = -1 / x^2 = -y^2`; `-inf` at 0.
#[inline]
pub fn recip_d(y: f64) -> f64 {
    -(y * y)
}

/// `abs' = 1` for `x > 0`, `-1` for `x < 0`, and 0 at 0 (and for NaN), the
/// convention of `OPS.md` row 12.
#[inline]
pub fn abs_d(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// `relu(x) = x` for `x > 0`, 0 otherwise (NaN too): the forward of both
/// engines (`OPS.md` row 13).
#[inline]
pub fn relu(x: f64) -> f64 {
    if x > 0.0 { x } else { 0.0 }
}

/// `1 / (1 + e^-x)` for `x >= 0` and `e^x / (1 + e^x)` below: `exp` only
/// sees non-positive arguments, so neither tail overflows.
#[inline]
pub fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// `softplus(x) = ln(1 + e^x)` in the stable form `max(x, 0) +
/// ln_1p(e^-|x|)`: no overflow for large `x` (it is `x` there), no loss of
/// digits for very negative `x` (it is `e^x` there).
#[inline]
pub fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// `softplus' = sigmoid(x)`.
#[inline]
pub fn softplus_d(x: f64) -> f64 {
    sigmoid(x)
}

/// `log_sigmoid(x) = -softplus(-x) = min(x, 0) - ln_1p(e^-|x|)`, stable on
/// both tails.
#[inline]
pub fn log_sigmoid(x: f64) -> f64 {
    x.min(0.0) - (-x.abs()).exp().ln_1p()
}

/// `log_sigmoid' = 1 - sigmoid(x) = sigmoid(-x)`.
#[inline]
pub fn log_sigmoid_d(x: f64) -> f64 {
    sigmoid(-x)
}

/// `leaky_relu(x, slope) = x` for `x > 0`, `slope * x` otherwise.
#[inline]
pub fn leaky_relu(x: f64, slope: f64) -> f64 {
    if x > 0.0 { x } else { slope * x }
}

/// `leaky_relu`'s derivatives `(dx, dslope)`: `(1, 0)` for `x > 0`,
/// `(slope, x)` otherwise, so at the kink `x = 0` the slope side is taken,
/// which for `slope = 0` is `relu'(0) = 0`.
#[inline]
pub fn leaky_relu_d(x: f64, slope: f64) -> (f64, f64) {
    if x > 0.0 { (1.0, 0.0) } else { (slope, x) }
}

/// `sqrt(2 / pi)`, GELU's scale.
const GELU_C: f64 = 0.797_884_560_802_865_4;
/// The cubic coefficient of GELU's tanh approximation.
const GELU_K: f64 = 0.044_715;

/// GELU in the tanh approximation of GPT-2 (Hendrycks and Gimpel 2016,
/// "Gaussian Error Linear Units", section 2): `0.5 x (1 + tanh(u))` with
/// `u = sqrt(2/pi) (x + 0.044715 x^3)`. PyTorch's default `gelu` uses
/// `erf`, which `f64` lacks; this is its `approximate = "tanh"`. Computed
/// as `x sigmoid(2u)` (the same function, since `1 + tanh(u) = 2
/// sigmoid(2u)`), which keeps its digits where `1 + tanh(u)` cancels (x < 0).
#[inline]
pub fn gelu(x: f64) -> f64 {
    x * sigmoid(2.0 * GELU_C * (x + GELU_K * x * x * x))
}

/// `gelu' = s + 2 x s (1 - s) sqrt(2/pi) (1 + 3 * 0.044715 x^2)` with
/// `s = sigmoid(2u)` (derived here from `gelu = x s`, `s' = 2 s (1 - s)
/// u'`). Where `s (1 - s)` is 0 (large `|x|`, sigmoid saturated) the second
/// term is 0: its `x^3` factor would otherwise make `0 * inf = NaN`.
#[inline]
pub fn gelu_d(x: f64) -> f64 {
    let s = sigmoid(2.0 * GELU_C * (x + GELU_K * x * x * x));
    let ds = s * (1.0 - s);
    let second = if ds == 0.0 {
        0.0
    } else {
        2.0 * x * ds * GELU_C * (1.0 + 3.0 * GELU_K * x * x)
    };
    s + second
}

/// SiLU (swish), `x sigmoid(x)`.
#[inline]
pub fn silu(x: f64) -> f64 {
    x * sigmoid(x)
}

/// `silu' = s (1 + x (1 - s))` with `s = sigmoid(x)` (derived here); where
/// `s` underflows to 0 (`x < -745`) it is 0, the true value rounded.
#[inline]
pub fn silu_d(x: f64) -> f64 {
    let s = sigmoid(x);
    if s == 0.0 {
        0.0
    } else {
        s * (1.0 + x * (1.0 - s))
    }
}

/// `mul_add(a, b, c) = a b + c` with one rounding: `(da, db, dc) = (b, a, 1)`.
#[inline]
pub fn mul_add_d(a: f64, b: f64) -> (f64, f64, f64) {
    (b, a, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powi_edges() {
        // x^0 = 1 is constant, even at 0.
        assert_eq!(powi_d(0.0, 0), 0.0);
        // d/dx x^1 = 1 at 0; d/dx x^2 = 0 at 0; d/dx x^-1 = -1/x^2 = -inf at 0.
        assert_eq!(powi_d(0.0, 1), 1.0);
        assert_eq!(powi_d(0.0, 2), 0.0);
        assert_eq!(powi_d(0.0, -1), f64::NEG_INFINITY);
        // 2^(i32::MIN - 1) underflows: the true derivative rounds to 0.
        assert_eq!(powi_d(2.0, i32::MIN), 0.0);
        // (-1)^(MIN - 1) = -1 (odd exponent): MIN * -1 = 2^31.
        assert_eq!(powi_d(-1.0, i32::MIN), 2_147_483_648.0);
    }

    #[test]
    fn powf_edges() {
        // x^0: dx = 0 even at 0 (not 0 * inf); de = 1 * ln 0 = -inf, the
        // one-sided limit of d/de 0^e = 0^e ln 0 (0^e drops from 1 to 0).
        assert_eq!(powf_d(0.0, 0.0, 1.0), (0.0, f64::NEG_INFINITY));
        // sqrt at 0: +inf, the true one-sided derivative; de = 0 (y = 0).
        assert_eq!(powf_d(0.0, 0.5, 0.0), (f64::INFINITY, 0.0));
        // (-2)^3 = -8: dx = 3 * 4 = 12.
        assert_eq!(powf_d(-2.0, 3.0, -8.0).0, 12.0);
    }

    #[test]
    fn stable_forms_on_both_tails() {
        // softplus(800) = 800 (exp(800) overflows in the naive form);
        // softplus(-800) = e^-800 = 0 in f64 (underflow), log_sigmoid the mirror.
        assert_eq!(softplus(800.0), 800.0);
        assert_eq!(softplus(-800.0), 0.0);
        assert_eq!(log_sigmoid(-800.0), -800.0);
        assert_eq!(log_sigmoid(800.0).to_bits(), 0.0f64.to_bits());
        // softplus(0) = ln 2, its slope 1/2.
        assert_eq!(softplus(0.0), LN_2);
        assert_eq!(softplus_d(0.0), 0.5);
        // gelu' and silu' stay finite where the naive forms give 0 * inf.
        assert_eq!(gelu_d(1e200), 1.0);
        assert_eq!(gelu_d(-1e200), 0.0);
        assert_eq!(silu_d(-1e4), 0.0);
    }

    #[test]
    fn undefined_points_have_conventions() {
        assert_eq!(atan2_d(0.0, 0.0), (0.0, 0.0));
        assert_eq!(hypot_d(0.0, 0.0, 0.0), (0.0, 0.0));
        assert_eq!(acosh_d(1.0), f64::INFINITY);
        assert_eq!(atanh_d(1.0), f64::INFINITY);
        assert_eq!(atanh_d(-1.0), f64::INFINITY);
        assert!(atanh_d(1.5).is_nan() && ln_1p_d(-2.0).is_nan() && log2_d(-1.0).is_nan());
        assert_eq!(log2_d(-0.0), f64::INFINITY);
        // atan2 far from 0, where x^2 + y^2 overflows: d/dy = x / (x^2 + y^2)
        // = 4e200 / 25e400 = 1.6e-201, d/dx = -y / (x^2 + y^2) = -1.2e-201.
        let (dy, dx) = atan2_d(3e200, 4e200);
        assert!((dy / 1.6e-201 - 1.0).abs() < 1e-15, "{dy}");
        assert!((dx / -1.2e-201 - 1.0).abs() < 1e-15, "{dx}");
    }
}
