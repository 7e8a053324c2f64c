//! Dual numbers with `N` tangent components, the scalar of the code that
//! `hessian!` and `hvp!` generate (forward-over-reverse: the tangent of the
//! adjoint program; Griewank and Walther, "Evaluating Derivatives", 2nd
//! ed., SIAM 2008, chapter 5, "Second-order adjoints").
//!
//! A [`Dual<N>`] is `re + eps[0] e_0 + ... + eps[N-1] e_{N-1}` with
//! `e_i e_j = 0`: every op computes its value exactly as `grad!` does (the
//! same `f64` formula, so the primal parts of a `hessian!` run are `grad!`'s
//! values and gradient to the bit) and carries the tangents by the chain
//! rule, `eps(f(x)) = f'(x) eps(x)`, with `f'` the rule of `OPS.md`.
//! `hessian!` seeds parameter `i` (in the flat order) with `e_i`, so the
//! tangent parts of the adjoints are the Hessian's columns; `hvp!` seeds
//! one direction `v` (`N = 1`) and gets `H v`.
//!
//! Conventions (also in `OPS.md`, "Second derivatives"):
//! - comparisons (`<`, `==`, ...) read the primal parts only, as branch
//!   conditions do: the branch taken is the branch `grad!` takes;
//! - selections (`max`, `min`, `clamp`) hand back the chosen operand with
//!   its tangents, so their second derivatives are 0; piecewise-linear and
//!   piecewise-constant ops (`abs`, `relu`, `signum`, `floor`, ...) have
//!   second derivative 0 everywhere, kinks included;
//! - for the ops whose derivative can be infinite for finite operands (the
//!   list `grad!` guards, `OPS.md`), a tangent component that is exactly 0
//!   stays 0 (`0 * inf` would be NaN), and [`Dual::guarded_mul`] extends
//!   the rule "an adjoint of exactly 0 contributes nothing" to each
//!   component of a dual adjoint.
//!
//! Everything is `#[inline]` and `Copy`: with the seeds known at compile
//! time, LLVM folds the many zero tangents of a small program away.

use crate::rules as f;
use std::cmp::Ordering;
use std::ops::{Add, AddAssign, Div, Mul, Neg, Sub, SubAssign};

pub mod check;
pub mod rules;

/// A value with `N` tangent components (see the [module docs](self)).
///
/// ```
/// use micrograd_runtime::dual::Dual;
/// // f(x, y) = x^2 y at (3, 2), seeded with e_0 and e_1:
/// let (x, y) = (Dual::<2>::variable(3.0, 0), Dual::<2>::variable(2.0, 1));
/// let f = x * x * y;
/// assert_eq!(f.re, 18.0);
/// assert_eq!(f.eps, [12.0, 9.0]); // (2xy, x^2)
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Dual<const N: usize> {
    /// The primal value.
    pub re: f64,
    /// The tangent components.
    pub eps: [f64; N],
}

/// `d * e` with a zero `e` giving 0 even where `d` is infinite or NaN.
#[inline(always)]
fn times(d: f64, e: f64) -> f64 {
    if e == 0.0 { 0.0 } else { d * e }
}

impl<const N: usize> Dual<N> {
    /// All components `-0.0`, the identity of `+`: adjoints start here, so
    /// the first `+=` is a move.
    pub const NEG_ZERO: Self = Dual {
        re: -0.0,
        eps: [-0.0; N],
    };

    /// A constant: no tangent.
    #[inline(always)]
    pub const fn cst(re: f64) -> Self {
        Dual { re, eps: [0.0; N] }
    }

    /// A value with these tangents.
    #[inline(always)]
    pub const fn new(re: f64, eps: [f64; N]) -> Self {
        Dual { re, eps }
    }

    /// Input `i`: tangent `e_i` (all zero if `i >= N`).
    #[inline(always)]
    pub fn variable(re: f64, i: usize) -> Self {
        let mut eps = [0.0; N];
        if i < N {
            eps[i] = 1.0;
        }
        Dual { re, eps }
    }

    /// Whether every component is 0 (either sign).
    #[inline(always)]
    pub fn is_zero(self) -> bool {
        self.re == 0.0 && self.eps.iter().all(|&e| e == 0.0)
    }

    /// Whether the primal part is NaN.
    #[inline(always)]
    pub fn is_nan(self) -> bool {
        self.re.is_nan()
    }

    /// `re` with tangents `d * eps` (the chain rule through a derivative
    /// that is finite for finite operands).
    #[inline(always)]
    fn chain(self, re: f64, d: f64) -> Self {
        let mut eps = self.eps;
        for e in &mut eps {
            *e *= d;
        }
        Dual { re, eps }
    }

    /// [`Self::chain`] for a derivative that can be infinite: a zero
    /// tangent component stays 0.
    #[inline(always)]
    fn chain_safe(self, re: f64, d: f64) -> Self {
        let mut eps = self.eps;
        for e in &mut eps {
            *e = times(d, *e);
        }
        Dual { re, eps }
    }

    /// `re` with tangents `da * a.eps + db * b.eps`, zero components of
    /// either staying 0 (for rules whose derivatives can be infinite).
    #[inline(always)]
    fn chain2(re: f64, da: f64, a: Self, db: f64, b: Self) -> Self {
        let mut eps = [0.0; N];
        for (k, e) in eps.iter_mut().enumerate() {
            *e = times(da, a.eps[k]) + times(db, b.eps[k]);
        }
        Dual { re, eps }
    }

    /// The same tangents with another primal part: the rules of
    /// [`rules`] take theirs from the `f64` rule, so that a `hessian!`
    /// gradient is `grad!`'s to the bit.
    #[inline(always)]
    fn with_re(mut self, re: f64) -> Self {
        self.re = re;
        self
    }

    /// `g * l` for an adjoint `g` through a local derivative `l` that can
    /// be infinite: each product of the two-term rule `(g l)' = g' l + g
    /// l'` is 0 where its factor from `g` is exactly 0, so an adjoint (or
    /// an adjoint's tangent) of 0 contributes nothing, as `grad!`'s guard
    /// does for the primal part (`OPS.md`).
    #[inline(always)]
    pub fn guarded_mul(self, l: Self) -> Self {
        let re = if self.re == 0.0 { 0.0 } else { self.re * l.re };
        let mut eps = [0.0; N];
        for (k, e) in eps.iter_mut().enumerate() {
            let first = times(l.re, self.eps[k]);
            let second = if self.re == 0.0 {
                0.0
            } else {
                self.re * l.eps[k]
            };
            *e = first + second;
        }
        Dual { re, eps }
    }

    /// `e^x`.
    #[inline]
    pub fn exp(self) -> Self {
        let y = self.re.exp();
        self.chain_safe(y, y)
    }

    /// `ln x`.
    #[inline]
    pub fn ln(self) -> Self {
        self.chain_safe(self.re.ln(), 1.0 / self.re)
    }

    /// `sqrt x`.
    #[inline]
    pub fn sqrt(self) -> Self {
        let y = self.re.sqrt();
        self.chain_safe(y, 0.5 / y)
    }

    /// `tanh x`.
    #[inline]
    pub fn tanh(self) -> Self {
        let y = self.re.tanh();
        self.chain(y, 1.0 - y * y)
    }

    /// `sin x`.
    #[inline]
    pub fn sin(self) -> Self {
        self.chain(self.re.sin(), self.re.cos())
    }

    /// `cos x`.
    #[inline]
    pub fn cos(self) -> Self {
        self.chain(self.re.cos(), -self.re.sin())
    }

    /// `|x|`; slope 0 at 0, second derivative 0.
    #[inline]
    pub fn abs(self) -> Self {
        self.chain(self.re.abs(), f::abs_d(self.re))
    }

    /// `max(x, 0)`; slope 0 at 0, second derivative 0.
    #[inline]
    pub fn relu(self) -> Self {
        if self.re > 0.0 { self } else { Self::cst(0.0) }
    }

    /// `1 / (1 + e^-x)`, computed as `grad!` does.
    #[inline]
    pub fn sigmoid(self) -> Self {
        let y = f::sigmoid(self.re);
        self.chain(y, y * (1.0 - y))
    }

    /// `x^n`.
    #[inline]
    pub fn powi(self, n: i32) -> Self {
        self.chain_safe(self.re.powi(n), f::powi_d(self.re, n))
    }

    /// `x^e`.
    #[inline]
    pub fn powf(self, e: impl Into<Self>) -> Self {
        let e = e.into();
        let y = self.re.powf(e.re);
        let (dx, de) = f::powf_d(self.re, e.re, y);
        Self::chain2(y, dx, self, de, e)
    }

    /// `max(a, b)`, a selection: `b` if `a < b` or `a` is NaN, else `a`.
    #[inline]
    pub fn max(self, b: impl Into<Self>) -> Self {
        let b = b.into();
        let re = self.re.max(b.re);
        if self.re < b.re || self.re.is_nan() {
            b.with_re(re)
        } else {
            self.with_re(re)
        }
    }

    /// `min(a, b)`, a selection: `b` if `a > b` or `a` is NaN, else `a`.
    #[inline]
    pub fn min(self, b: impl Into<Self>) -> Self {
        let b = b.into();
        let re = self.re.min(b.re);
        if self.re > b.re || self.re.is_nan() {
            b.with_re(re)
        } else {
            self.with_re(re)
        }
    }

    /// `x.clamp(lo, hi)`, a selection.
    ///
    /// # Panics
    /// If `lo > hi` or either is NaN, as `f64::clamp`.
    #[inline]
    pub fn clamp(self, lo: impl Into<Self>, hi: impl Into<Self>) -> Self {
        let (lo, hi) = (lo.into(), hi.into());
        let re = self.re.clamp(lo.re, hi.re);
        if self.re < lo.re {
            lo.with_re(re)
        } else if self.re > hi.re {
            hi.with_re(re)
        } else {
            self.with_re(re)
        }
    }

    /// `sinh x`.
    #[inline]
    pub fn sinh(self) -> Self {
        self.chain_safe(self.re.sinh(), f::sinh_d(self.re))
    }

    /// `cosh x`.
    #[inline]
    pub fn cosh(self) -> Self {
        self.chain_safe(self.re.cosh(), f::cosh_d(self.re))
    }

    /// `tan x`.
    #[inline]
    pub fn tan(self) -> Self {
        let y = self.re.tan();
        self.chain_safe(y, f::tan_d(y))
    }

    /// `asin x`.
    #[inline]
    pub fn asin(self) -> Self {
        self.chain_safe(self.re.asin(), f::asin_d(self.re))
    }

    /// `acos x`.
    #[inline]
    pub fn acos(self) -> Self {
        self.chain_safe(self.re.acos(), f::acos_d(self.re))
    }

    /// `atan x`.
    #[inline]
    pub fn atan(self) -> Self {
        self.chain_safe(self.re.atan(), f::atan_d(self.re))
    }

    /// `asinh x`.
    #[inline]
    pub fn asinh(self) -> Self {
        self.chain_safe(self.re.asinh(), f::asinh_d(self.re))
    }

    /// `acosh x`.
    #[inline]
    pub fn acosh(self) -> Self {
        self.chain_safe(self.re.acosh(), f::acosh_d(self.re))
    }

    /// `atanh x`.
    #[inline]
    pub fn atanh(self) -> Self {
        self.chain_safe(self.re.atanh(), f::atanh_d(self.re))
    }

    /// `atan2(self, x)`.
    #[inline]
    pub fn atan2(self, x: impl Into<Self>) -> Self {
        let x = x.into();
        let (da, db) = f::atan2_d(self.re, x.re);
        Self::chain2(self.re.atan2(x.re), da, self, db, x)
    }

    /// `hypot(self, b)`.
    #[inline]
    pub fn hypot(self, b: impl Into<Self>) -> Self {
        let b = b.into();
        let y = self.re.hypot(b.re);
        let (da, db) = f::hypot_d(self.re, b.re, y);
        Self::chain2(y, da, self, db, b)
    }

    /// `ln(1 + x)`.
    #[inline]
    pub fn ln_1p(self) -> Self {
        self.chain_safe(self.re.ln_1p(), f::ln_1p_d(self.re))
    }

    /// `e^x - 1`.
    #[inline]
    pub fn exp_m1(self) -> Self {
        self.chain_safe(self.re.exp_m1(), f::exp_m1_d(self.re))
    }

    /// `2^x`.
    #[inline]
    pub fn exp2(self) -> Self {
        let y = self.re.exp2();
        self.chain_safe(y, f::exp2_d(y))
    }

    /// `log2 x`.
    #[inline]
    pub fn log2(self) -> Self {
        self.chain_safe(self.re.log2(), f::log2_d(self.re))
    }

    /// `log10 x`.
    #[inline]
    pub fn log10(self) -> Self {
        self.chain_safe(self.re.log10(), f::log10_d(self.re))
    }

    /// `ln x / ln base`.
    #[inline]
    pub fn log(self, base: impl Into<Self>) -> Self {
        let b = base.into();
        let y = self.re.log(b.re);
        let (da, db) = f::log_d(self.re, b.re, y);
        Self::chain2(y, da, self, db, b)
    }

    /// `cbrt x`.
    #[inline]
    pub fn cbrt(self) -> Self {
        let y = self.re.cbrt();
        self.chain_safe(y, f::cbrt_d(y))
    }

    /// `1 / x`.
    #[inline]
    pub fn recip(self) -> Self {
        let y = self.re.recip();
        self.chain_safe(y, f::recip_d(y))
    }

    /// `self * b + c` with one rounding in the primal part.
    #[inline]
    pub fn mul_add(self, b: impl Into<Self>, c: impl Into<Self>) -> Self {
        let (b, c) = (b.into(), c.into());
        let mut eps = c.eps;
        for (k, e) in eps.iter_mut().enumerate() {
            *e += b.re * self.eps[k] + self.re * b.eps[k];
        }
        Dual {
            re: self.re.mul_add(b.re, c.re),
            eps,
        }
    }

    /// `signum x`: piecewise constant, no tangent.
    #[inline]
    pub fn signum(self) -> Self {
        Self::cst(self.re.signum())
    }

    /// `floor x`: piecewise constant, no tangent.
    #[inline]
    pub fn floor(self) -> Self {
        Self::cst(self.re.floor())
    }

    /// `ceil x`: piecewise constant, no tangent.
    #[inline]
    pub fn ceil(self) -> Self {
        Self::cst(self.re.ceil())
    }

    /// `round x`: piecewise constant, no tangent.
    #[inline]
    pub fn round(self) -> Self {
        Self::cst(self.re.round())
    }

    /// `trunc x`: piecewise constant, no tangent.
    #[inline]
    pub fn trunc(self) -> Self {
        Self::cst(self.re.trunc())
    }

    /// `ln(1 + e^x)`, stable.
    #[inline]
    pub fn softplus(self) -> Self {
        self.chain_safe(f::softplus(self.re), f::softplus_d(self.re))
    }

    /// `x` for `x > 0`, `slope * x` otherwise.
    #[inline]
    pub fn leaky_relu(self, slope: impl Into<Self>) -> Self {
        let s = slope.into();
        let (dx, ds) = f::leaky_relu_d(self.re, s.re);
        Self::chain2(f::leaky_relu(self.re, s.re), dx, self, ds, s)
    }

    /// GELU, tanh approximation.
    #[inline]
    pub fn gelu(self) -> Self {
        self.chain_safe(f::gelu(self.re), f::gelu_d(self.re))
    }

    /// `x sigmoid(x)`.
    #[inline]
    pub fn silu(self) -> Self {
        self.chain_safe(f::silu(self.re), f::silu_d(self.re))
    }

    /// `-softplus(-x)`, stable.
    #[inline]
    pub fn log_sigmoid(self) -> Self {
        self.chain_safe(f::log_sigmoid(self.re), f::log_sigmoid_d(self.re))
    }
}

impl<const N: usize> Default for Dual<N> {
    #[inline(always)]
    fn default() -> Self {
        Self::cst(0.0)
    }
}

impl<const N: usize> From<f64> for Dual<N> {
    #[inline(always)]
    fn from(re: f64) -> Self {
        Self::cst(re)
    }
}

/// The primal part of an `f64` (itself) or of a [`Dual`]: what a branch
/// condition of generated code compares.
pub trait Primal: Copy {
    /// The primal value.
    fn primal(self) -> f64;
}

impl Primal for f64 {
    #[inline(always)]
    fn primal(self) -> f64 {
        self
    }
}

impl<const N: usize> Primal for Dual<N> {
    #[inline(always)]
    fn primal(self) -> f64 {
        self.re
    }
}

/// [`Primal::primal`] as a function, for generated code.
#[inline(always)]
pub fn primal(x: impl Primal) -> f64 {
    x.primal()
}

impl<const N: usize> Add for Dual<N> {
    type Output = Self;
    #[inline(always)]
    fn add(self, b: Self) -> Self {
        let mut eps = self.eps;
        for (e, d) in eps.iter_mut().zip(b.eps) {
            *e += d;
        }
        Dual {
            re: self.re + b.re,
            eps,
        }
    }
}

impl<const N: usize> Sub for Dual<N> {
    type Output = Self;
    #[inline(always)]
    fn sub(self, b: Self) -> Self {
        let mut eps = self.eps;
        for (e, d) in eps.iter_mut().zip(b.eps) {
            *e -= d;
        }
        Dual {
            re: self.re - b.re,
            eps,
        }
    }
}

impl<const N: usize> Mul for Dual<N> {
    type Output = Self;
    #[inline(always)]
    fn mul(self, b: Self) -> Self {
        let mut eps = [0.0; N];
        for (k, e) in eps.iter_mut().enumerate() {
            *e = self.eps[k] * b.re + self.re * b.eps[k];
        }
        Dual {
            re: self.re * b.re,
            eps,
        }
    }
}

impl<const N: usize> Div for Dual<N> {
    type Output = Self;
    #[inline(always)]
    fn div(self, b: Self) -> Self {
        let re = self.re / b.re;
        let mut eps = [0.0; N];
        for (k, e) in eps.iter_mut().enumerate() {
            *e = (self.eps[k] - re * b.eps[k]) / b.re;
        }
        Dual { re, eps }
    }
}

impl<const N: usize> Neg for Dual<N> {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        let mut eps = self.eps;
        for e in &mut eps {
            *e = -*e;
        }
        Dual { re: -self.re, eps }
    }
}

impl<const N: usize> Add<f64> for Dual<N> {
    type Output = Self;
    #[inline(always)]
    fn add(self, b: f64) -> Self {
        Dual {
            re: self.re + b,
            eps: self.eps,
        }
    }
}

impl<const N: usize> Sub<f64> for Dual<N> {
    type Output = Self;
    #[inline(always)]
    fn sub(self, b: f64) -> Self {
        Dual {
            re: self.re - b,
            eps: self.eps,
        }
    }
}

impl<const N: usize> Mul<f64> for Dual<N> {
    type Output = Self;
    #[inline(always)]
    fn mul(self, b: f64) -> Self {
        self.chain(self.re * b, b)
    }
}

impl<const N: usize> Div<f64> for Dual<N> {
    type Output = Self;
    #[inline(always)]
    fn div(self, b: f64) -> Self {
        let mut eps = self.eps;
        for e in &mut eps {
            *e /= b;
        }
        Dual {
            re: self.re / b,
            eps,
        }
    }
}

impl<const N: usize> Add<Dual<N>> for f64 {
    type Output = Dual<N>;
    #[inline(always)]
    fn add(self, b: Dual<N>) -> Dual<N> {
        Dual {
            re: self + b.re,
            eps: b.eps,
        }
    }
}

impl<const N: usize> Sub<Dual<N>> for f64 {
    type Output = Dual<N>;
    #[inline(always)]
    fn sub(self, b: Dual<N>) -> Dual<N> {
        let mut eps = b.eps;
        for e in &mut eps {
            *e = -*e;
        }
        Dual {
            re: self - b.re,
            eps,
        }
    }
}

impl<const N: usize> Mul<Dual<N>> for f64 {
    type Output = Dual<N>;
    #[inline(always)]
    fn mul(self, b: Dual<N>) -> Dual<N> {
        b.chain(self * b.re, self)
    }
}

impl<const N: usize> Div<Dual<N>> for f64 {
    type Output = Dual<N>;
    #[inline(always)]
    fn div(self, b: Dual<N>) -> Dual<N> {
        let re = self / b.re;
        let mut eps = b.eps;
        for e in &mut eps {
            *e = -re * *e / b.re;
        }
        Dual { re, eps }
    }
}

impl<const N: usize> AddAssign for Dual<N> {
    #[inline(always)]
    fn add_assign(&mut self, b: Self) {
        *self = *self + b;
    }
}

impl<const N: usize> SubAssign for Dual<N> {
    #[inline(always)]
    fn sub_assign(&mut self, b: Self) {
        *self = *self - b;
    }
}

impl<const N: usize> AddAssign<f64> for Dual<N> {
    #[inline(always)]
    fn add_assign(&mut self, b: f64) {
        self.re += b;
    }
}

impl<const N: usize> SubAssign<f64> for Dual<N> {
    #[inline(always)]
    fn sub_assign(&mut self, b: f64) {
        self.re -= b;
    }
}

/// Equality of the primal parts only (see the [module docs](self)).
impl<const N: usize> PartialEq for Dual<N> {
    #[inline(always)]
    fn eq(&self, b: &Self) -> bool {
        self.re == b.re
    }
}

/// Order of the primal parts only.
impl<const N: usize> PartialOrd for Dual<N> {
    #[inline(always)]
    fn partial_cmp(&self, b: &Self) -> Option<Ordering> {
        self.re.partial_cmp(&b.re)
    }
}

impl<const N: usize> PartialEq<f64> for Dual<N> {
    #[inline(always)]
    fn eq(&self, b: &f64) -> bool {
        self.re == *b
    }
}

impl<const N: usize> PartialOrd<f64> for Dual<N> {
    #[inline(always)]
    fn partial_cmp(&self, b: &f64) -> Option<Ordering> {
        self.re.partial_cmp(b)
    }
}

impl<const N: usize> PartialEq<Dual<N>> for f64 {
    #[inline(always)]
    fn eq(&self, b: &Dual<N>) -> bool {
        *self == b.re
    }
}

impl<const N: usize> PartialOrd<Dual<N>> for f64 {
    #[inline(always)]
    fn partial_cmp(&self, b: &Dual<N>) -> Option<Ordering> {
        self.partial_cmp(&b.re)
    }
}

/// Symmetrizes a Hessian computed column by column: `(H + H^T) / 2`,
/// written `0.5 a + 0.5 b` (exact halving, so the diagonal is kept as it
/// is), with `-0.0` normalised to `0.0`. Forward-over-reverse computes
/// every entry, and `H[i][j]` and `H[j][i]` come from different sums, so
/// they may differ in the last bits; the mean is symmetric exactly and
/// uses both.
#[inline]
// Both `h[i][j]` and `h[j][i]` are read: the indices are the point.
#[allow(clippy::needless_range_loop)]
pub fn symmetrize<const N: usize>(h: &mut [[f64; N]; N]) {
    for i in 0..N {
        for j in 0..=i {
            let m = 0.5 * h[i][j] + 0.5 * h[j][i] + 0.0;
            h[i][j] = m;
            h[j][i] = m;
        }
    }
}
