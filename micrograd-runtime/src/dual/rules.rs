//! The derivative rules of [`crate::rules`] over [`Dual`] numbers, with
//! the same names and arguments: `hessian!` emits the same local
//! derivatives as `grad!`, with `::micrograd::dual::rules` where `grad!`
//! has `::micrograd::rules`.
//!
//! Each function returns the `f64` rule's value as its primal part (so the
//! primal parts of a `hessian!` run are `grad!`'s numbers to the bit) and,
//! as tangents, the derivative of that rule, computed by running the
//! rule's formula on dual numbers: this is where the second derivatives of
//! `OPS.md` come from. Where a rule has a branch (an edge convention), the
//! branch is chosen by the primal parts, and the tangent is that of the
//! branch taken (a constant branch has no tangent).

use super::Dual;
use crate::rules as f;
use std::f64::consts::{LN_2, LN_10};

/// `n x^(n-1)`, tangent `n (n-1) x^(n-2)`.
#[inline]
pub fn powi_d<const N: usize>(x: Dual<N>, n: i32) -> Dual<N> {
    let d2 = match n {
        0 => 0.0,
        _ => match n.checked_sub(1) {
            Some(m) => f64::from(n) * f::powi_d(x.re, m),
            None => f64::from(n) * (f64::from(n) - 1.0) * x.re.powf(f64::from(n) - 2.0),
        },
    };
    x.chain_safe(f::powi_d(x.re, n), d2)
}

/// `(e x^(e-1), y ln x)`, each 0 (with no tangent) where the `f64` rule
/// takes its edge value and the operand it tests has no tangent either.
#[inline]
pub fn powf_d<const N: usize>(x: Dual<N>, e: Dual<N>, y: Dual<N>) -> (Dual<N>, Dual<N>) {
    let (dx, de) = f::powf_d(x.re, e.re, y.re);
    let tx = if e.is_zero() {
        Dual::cst(0.0)
    } else {
        e * x.powf(e - 1.0)
    };
    let te = if y.is_zero() {
        Dual::cst(0.0)
    } else {
        y * x.ln()
    };
    (tx.with_re(dx), te.with_re(de))
}

/// `cosh x`.
#[inline]
pub fn sinh_d<const N: usize>(x: Dual<N>) -> Dual<N> {
    x.cosh()
}

/// `sinh x`.
#[inline]
pub fn cosh_d<const N: usize>(x: Dual<N>) -> Dual<N> {
    x.sinh()
}

/// `1 + y^2`.
#[inline]
pub fn tan_d<const N: usize>(y: Dual<N>) -> Dual<N> {
    (1.0 + y * y).with_re(f::tan_d(y.re))
}

/// `1 / sqrt((1 - x)(1 + x))`.
#[inline]
pub fn asin_d<const N: usize>(x: Dual<N>) -> Dual<N> {
    (1.0 / ((1.0 - x) * (1.0 + x)).sqrt()).with_re(f::asin_d(x.re))
}

/// `-asin_d(x)`.
#[inline]
pub fn acos_d<const N: usize>(x: Dual<N>) -> Dual<N> {
    -asin_d(x)
}

/// `1 / (1 + x^2)`.
#[inline]
pub fn atan_d<const N: usize>(x: Dual<N>) -> Dual<N> {
    (1.0 / (1.0 + x * x)).with_re(f::atan_d(x.re))
}

/// `1 / hypot(x, 1)`.
#[inline]
pub fn asinh_d<const N: usize>(x: Dual<N>) -> Dual<N> {
    (1.0 / x.hypot(1.0)).with_re(f::asinh_d(x.re))
}

/// `1 / (sqrt(x - 1) sqrt(x + 1))`.
#[inline]
pub fn acosh_d<const N: usize>(x: Dual<N>) -> Dual<N> {
    (1.0 / ((x - 1.0).sqrt() * (x + 1.0).sqrt())).with_re(f::acosh_d(x.re))
}

/// `1 / ((1 - x)(1 + x))`, NaN outside `[-1, 1]`.
#[inline]
pub fn atanh_d<const N: usize>(x: Dual<N>) -> Dual<N> {
    let t = if x.re.abs() > 1.0 {
        Dual::cst(f64::NAN)
    } else {
        1.0 / ((1.0 - x) * (1.0 + x))
    };
    t.with_re(f::atanh_d(x.re))
}

/// `(x, -y) / (x^2 + y^2)`, `(0, 0)` at the origin.
#[inline]
pub fn atan2_d<const N: usize>(y: Dual<N>, x: Dual<N>) -> (Dual<N>, Dual<N>) {
    let (dy, dx) = f::atan2_d(y.re, x.re);
    let h = x.hypot(y);
    if h.re == 0.0 {
        (Dual::cst(dy), Dual::cst(dx))
    } else {
        ((x / h / h).with_re(dy), (-y / h / h).with_re(dx))
    }
}

/// `(a, b) / y`, `(0, 0)` at the origin.
#[inline]
pub fn hypot_d<const N: usize>(a: Dual<N>, b: Dual<N>, y: Dual<N>) -> (Dual<N>, Dual<N>) {
    let (da, db) = f::hypot_d(a.re, b.re, y.re);
    if y.re == 0.0 {
        (Dual::cst(da), Dual::cst(db))
    } else {
        ((a / y).with_re(da), (b / y).with_re(db))
    }
}

/// `1 / (1 + x)`, NaN below -1.
#[inline]
pub fn ln_1p_d<const N: usize>(x: Dual<N>) -> Dual<N> {
    let t = if x.re < -1.0 {
        Dual::cst(f64::NAN)
    } else {
        1.0 / (1.0 + x)
    };
    t.with_re(f::ln_1p_d(x.re))
}

/// `e^x`.
#[inline]
pub fn exp_m1_d<const N: usize>(x: Dual<N>) -> Dual<N> {
    x.exp()
}

/// `y ln 2`.
#[inline]
pub fn exp2_d<const N: usize>(y: Dual<N>) -> Dual<N> {
    (y * LN_2).with_re(f::exp2_d(y.re))
}

/// `1 / (|x| ln b)`, NaN below 0.
#[inline]
fn log_base_d<const N: usize>(x: Dual<N>, ln_b: Dual<N>) -> Dual<N> {
    if x.re < 0.0 {
        Dual::cst(f64::NAN)
    } else {
        1.0 / (x.abs() * ln_b)
    }
}

/// `1 / (x ln 2)`.
#[inline]
pub fn log2_d<const N: usize>(x: Dual<N>) -> Dual<N> {
    log_base_d(x, Dual::cst(LN_2)).with_re(f::log2_d(x.re))
}

/// `1 / (x ln 10)`.
#[inline]
pub fn log10_d<const N: usize>(x: Dual<N>) -> Dual<N> {
    log_base_d(x, Dual::cst(LN_10)).with_re(f::log10_d(x.re))
}

/// `(1 / (x ln b), -y / (b ln b))`.
#[inline]
pub fn log_d<const N: usize>(x: Dual<N>, b: Dual<N>, y: Dual<N>) -> (Dual<N>, Dual<N>) {
    let (dx, db) = f::log_d(x.re, b.re, y.re);
    let ln_b = b.ln();
    (
        log_base_d(x, ln_b).with_re(dx),
        (-y / (b * ln_b)).with_re(db),
    )
}

/// `1 / (3 y^2)`.
#[inline]
pub fn cbrt_d<const N: usize>(y: Dual<N>) -> Dual<N> {
    (1.0 / (3.0 * y * y)).with_re(f::cbrt_d(y.re))
}

/// `-y^2`.
#[inline]
pub fn recip_d<const N: usize>(y: Dual<N>) -> Dual<N> {
    (-(y * y)).with_re(f::recip_d(y.re))
}

/// The stable sigmoid of `crate::rules::sigmoid`; `sigmoid' = y (1 - y)`.
#[inline]
pub fn sigmoid<const N: usize>(x: Dual<N>) -> Dual<N> {
    x.sigmoid()
}

/// `softplus(x)`.
#[inline]
pub fn softplus<const N: usize>(x: Dual<N>) -> Dual<N> {
    x.softplus()
}

/// `sigmoid(x)`.
#[inline]
pub fn softplus_d<const N: usize>(x: Dual<N>) -> Dual<N> {
    x.sigmoid().with_re(f::softplus_d(x.re))
}

/// `log_sigmoid(x)`.
#[inline]
pub fn log_sigmoid<const N: usize>(x: Dual<N>) -> Dual<N> {
    x.log_sigmoid()
}

/// `sigmoid(-x)`.
#[inline]
pub fn log_sigmoid_d<const N: usize>(x: Dual<N>) -> Dual<N> {
    (-x).sigmoid().with_re(f::log_sigmoid_d(x.re))
}

/// `leaky_relu(x, slope)`.
#[inline]
pub fn leaky_relu<const N: usize>(x: Dual<N>, slope: Dual<N>) -> Dual<N> {
    x.leaky_relu(slope)
}

/// `(1, 0)` for `x > 0`, `(slope, x)` otherwise.
#[inline]
pub fn leaky_relu_d<const N: usize>(x: Dual<N>, slope: Dual<N>) -> (Dual<N>, Dual<N>) {
    if x.re > 0.0 {
        (Dual::cst(1.0), Dual::cst(0.0))
    } else {
        (slope, x)
    }
}

/// GELU (tanh approximation).
#[inline]
pub fn gelu<const N: usize>(x: Dual<N>) -> Dual<N> {
    x.gelu()
}

/// `sqrt(2 / pi)` and the cubic coefficient, as in `crate::rules`.
const GELU_C: f64 = 0.797_884_560_802_865_4;
const GELU_K: f64 = 0.044_715;

/// `s + 2 x s (1 - s) sqrt(2/pi) (1 + 3 * 0.044715 x^2)`, the second term
/// 0 (no tangent) where `s (1 - s)` is 0.
#[inline]
pub fn gelu_d<const N: usize>(x: Dual<N>) -> Dual<N> {
    let s = (2.0 * GELU_C * (x + GELU_K * x * x * x)).sigmoid();
    let ds = s * (1.0 - s);
    let second = if ds.re == 0.0 {
        Dual::cst(0.0)
    } else {
        2.0 * x * ds * GELU_C * (1.0 + 3.0 * GELU_K * x * x)
    };
    (s + second).with_re(f::gelu_d(x.re))
}

/// `silu(x)`.
#[inline]
pub fn silu<const N: usize>(x: Dual<N>) -> Dual<N> {
    x.silu()
}

/// `s (1 + x (1 - s))`, 0 where `s` underflows.
#[inline]
pub fn silu_d<const N: usize>(x: Dual<N>) -> Dual<N> {
    let s = x.sigmoid();
    let t = if s.re == 0.0 {
        Dual::cst(0.0)
    } else {
        s * (1.0 + x * (1.0 - s))
    };
    t.with_re(f::silu_d(x.re))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tangent of each dual rule against a central difference of its
    /// `f64` rule, and its primal part against the `f64` rule to the bit.
    #[test]
    fn tangents_are_derivatives_of_the_f64_rules() {
        type D = Dual<1>;
        /// A rule's name, its dual and `f64` forms, and a point.
        type Case = (&'static str, fn(D) -> D, fn(f64) -> f64, f64);
        let unary: [Case; 17] = [
            ("powi_d(3)", |x| powi_d(x, 3), |x| f::powi_d(x, 3), 0.7),
            ("powi_d(-2)", |x| powi_d(x, -2), |x| f::powi_d(x, -2), 1.3),
            ("sinh_d", sinh_d, f::sinh_d, 0.4),
            ("cosh_d", cosh_d, f::cosh_d, -0.4),
            ("tan_d", tan_d, f::tan_d, 0.6),
            ("asin_d", asin_d, f::asin_d, 0.3),
            ("acos_d", acos_d, f::acos_d, -0.2),
            ("atan_d", atan_d, f::atan_d, 1.7),
            ("asinh_d", asinh_d, f::asinh_d, -2.0),
            ("acosh_d", acosh_d, f::acosh_d, 1.9),
            ("atanh_d", atanh_d, f::atanh_d, 0.5),
            ("ln_1p_d", ln_1p_d, f::ln_1p_d, 0.8),
            ("log2_d", log2_d, f::log2_d, 2.5),
            ("cbrt_d", cbrt_d, f::cbrt_d, 1.4),
            ("gelu_d", gelu_d, f::gelu_d, -0.8),
            ("silu_d", silu_d, f::silu_d, 0.9),
            ("log_sigmoid_d", log_sigmoid_d, f::log_sigmoid_d, 0.3),
        ];
        for (name, dual, plain, x) in unary {
            let d = dual(D::variable(x, 0));
            assert_eq!(d.re.to_bits(), plain(x).to_bits(), "{name}: primal");
            let h = 1e-5;
            let fd = (plain(x + h) - plain(x - h)) / (2.0 * h);
            assert!(
                (d.eps[0] - fd).abs() <= 1e-7 * fd.abs().max(1.0),
                "{name}: tangent {} vs finite difference {fd}",
                d.eps[0]
            );
        }
        // Two operands: d/dx of each output of powf_d(x, e = 2.5).
        let (e, h) = (2.5, 1e-5);
        let p = |x: f64| f::powf_d(x, e, x.powf(e));
        let x = D::variable(1.3, 0);
        let (dx, de) = powf_d(x, D::cst(e), x.powf(e));
        let fd = |k: usize| {
            let (a, b) = (p(1.3 + h), p(1.3 - h));
            if k == 0 {
                (a.0 - b.0) / (2.0 * h)
            } else {
                (a.1 - b.1) / (2.0 * h)
            }
        };
        assert!((dx.eps[0] - fd(0)).abs() < 1e-7);
        assert!((de.eps[0] - fd(1)).abs() < 1e-7);
    }

    #[test]
    fn kinks_and_selections_have_no_curvature() {
        type D = Dual<2>;
        let x = D::variable(0.0, 0);
        // relu'' = abs'' = 0, also at the kink: the local derivatives
        // `grad!` emits for them are constants.
        assert_eq!(x.relu().eps, [0.0, 0.0]);
        assert_eq!(x.abs().eps, [0.0, 0.0]);
        let (dx, ds) = leaky_relu_d(D::variable(-1.0, 0), D::variable(0.1, 1));
        // d/dx (dL/dx) = 0, d/dslope (dL/dx) = 1, d/dx (dL/dslope) = 1.
        assert_eq!(
            (dx.re, dx.eps, ds.re, ds.eps),
            (0.1, [0.0, 1.0], -1.0, [1.0, 0.0])
        );
    }
}
