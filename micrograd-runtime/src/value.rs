//! [`Value`]'s constructors, accessors and math methods. The handle
//! itself (an index and an epoch) is defined in `tape.rs`, beside the
//! check that turns it into a tape index; operator overloading lives in
//! `arith.rs`.

use std::fmt;

use crate::op::{self, Code, Op};
use crate::tape::{self, Tape, Value};

impl Value {
    /// A new leaf: an input or a parameter whose gradient you want.
    ///
    /// ```
    /// use micrograd_runtime::{Op, Value};
    /// let x = Value::new(3.0);
    /// assert_eq!((x.data(), x.grad(), x.op()), (3.0, 0.0, Op::Leaf));
    /// ```
    #[inline(always)]
    pub fn new(data: f64) -> Value {
        tape::borrow().push(data, Code::Leaf, 0, 0)
    }

    /// A constant: what an `f64` operand becomes (`x * 2.0`,
    /// `x.powf(3.0)`). Recorded like a leaf, but [`Op::Const`]: nobody
    /// asked for its gradient, so `backward_checked` never reports it and
    /// rules may skip its adjoint.
    #[inline(always)]
    pub(crate) fn constant(data: f64) -> Value {
        tape::borrow().push(data, Code::Const, 0, 0)
    }

    /// Names this value in [`to_dot`](Value::to_dot) pictures and error messages.
    ///
    /// The label belongs to the node: a selection (`max`, `min`, `clamp`)
    /// records no node and returns the chosen operand itself, so labelling
    /// its result renames that operand (`a.max(b).with_label("m")` labels
    /// `a` or `b`).
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let a = Value::new(2.0).with_label("a");
    /// assert_eq!(a.label().as_deref(), Some("a"));
    /// ```
    pub fn with_label(self, label: &str) -> Value {
        tape::with(|t| {
            let i = t.index(self);
            t.set_label(i, label);
        });
        self
    }

    /// The label given by [`with_label`](Value::with_label), if any.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// assert_eq!(Value::new(1.0).label(), None);
    /// ```
    pub fn label(self) -> Option<String> {
        tape::with(|t| {
            let i = t.index(self);
            t.label(i).map(str::to_owned)
        })
    }

    /// The value computed in the forward pass.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// assert_eq!((Value::new(2.0) * 3.0).data(), 6.0);
    /// ```
    #[inline]
    pub fn data(self) -> f64 {
        tape::with(|t| t.data[t.index(self)])
    }

    /// The accumulated gradient: the sum of `d out / d self` over every
    /// `out.backward()` since the last [`zero_grad`](Value::zero_grad).
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(3.0);
    /// let y = x * x; // dy/dx = 2x = 6
    /// y.backward();
    /// assert_eq!(x.grad(), 6.0);
    /// ```
    #[inline]
    pub fn grad(self) -> f64 {
        tape::with(|t| t.grad(t.index(self)))
    }

    /// Overwrites the forward value, as an optimizer step does for parameters.
    ///
    /// Values already computed from this one are not recomputed: rebuild
    /// the expression to see the change.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let w = Value::new(1.0);
    /// w.set_data(w.data() - 0.1 * 2.0);
    /// assert!((w.data() - 0.8).abs() < 1e-15);
    /// ```
    #[inline]
    pub fn set_data(self, x: f64) {
        tape::with(|t| {
            let i = t.index(self);
            t.data[i] = x;
        });
    }

    /// Resets this value's gradient to 0, so the next `backward` starts afresh.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(1.0);
    /// (x * 2.0).backward();
    /// x.zero_grad();
    /// assert_eq!(x.grad(), 0.0);
    /// ```
    #[inline]
    pub fn zero_grad(self) {
        tape::with(|t| {
            t.zero_grads(&[self]);
        });
    }

    /// The op that produced this value ([`Op::Leaf`] for inputs and
    /// parameters, [`Op::Const`] for `f64` operands).
    ///
    /// ```
    /// use micrograd_runtime::{Op, Value};
    /// assert_eq!(Value::new(1.0).tanh().op(), Op::Tanh);
    /// ```
    #[inline]
    pub fn op(self) -> Op {
        tape::with(|t| {
            let r = t.recs[t.index(self)];
            op::public_op(r, &t.side)
        })
    }

    /// The operands of the op that produced this value, in argument order
    /// (for `WeightedSum`: the weights, then the inputs, then the bias).
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let (a, b) = (Value::new(1.0), Value::new(2.0));
    /// let c = a - b;
    /// let kids: Vec<f64> = c.children().iter().map(|v| v.data()).collect();
    /// assert_eq!(kids, [1.0, 2.0]);
    /// ```
    pub fn children(self) -> Vec<Value> {
        tape::with(|t| {
            let i = t.index(self);
            t.children(i).into_iter().map(|c| t.handle(c)).collect()
        })
    }

    /// `e^x`.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(1.0);
    /// let y = x.exp();
    /// y.backward(); // dy/dx = e^x
    /// assert!((x.grad() - 1f64.exp()).abs() < 1e-15);
    /// ```
    #[inline]
    pub fn exp(self) -> Value {
        self.unary::<{ Code::Exp as u8 }>(0)
    }

    /// Natural logarithm; NaN for negative inputs, as with `f64::ln`.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(4.0);
    /// x.ln().backward(); // d ln(x)/dx = 1/x
    /// assert_eq!(x.grad(), 0.25);
    /// ```
    #[inline]
    pub fn ln(self) -> Value {
        self.unary::<{ Code::Ln as u8 }>(0)
    }

    /// Square root; NaN for negative inputs, as with `f64::sqrt`.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(4.0);
    /// x.sqrt().backward(); // d sqrt(x)/dx = 0.5 / sqrt(x)
    /// assert_eq!(x.grad(), 0.25);
    /// ```
    #[inline]
    pub fn sqrt(self) -> Value {
        self.unary::<{ Code::Sqrt as u8 }>(0)
    }

    /// Hyperbolic tangent through `f64::tanh`, which saturates to ±1
    /// instead of turning into NaN the way `(e^2x - 1)/(e^2x + 1)` does.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(1000.0);
    /// let y = x.tanh();
    /// y.backward();
    /// assert_eq!((y.data(), x.grad()), (1.0, 0.0));
    /// ```
    #[inline]
    pub fn tanh(self) -> Value {
        self.unary::<{ Code::Tanh as u8 }>(0)
    }

    /// Sine.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(0.0);
    /// x.sin().backward(); // d sin(x)/dx = cos(0) = 1
    /// assert_eq!(x.grad(), 1.0);
    /// ```
    #[inline]
    pub fn sin(self) -> Value {
        self.unary::<{ Code::Sin as u8 }>(0)
    }

    /// Cosine.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(0.0);
    /// x.cos().backward(); // d cos(x)/dx = -sin(0) = 0
    /// assert_eq!(x.grad(), 0.0);
    /// ```
    #[inline]
    pub fn cos(self) -> Value {
        self.unary::<{ Code::Cos as u8 }>(0)
    }

    /// Absolute value, with abs'(0) = 0.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(-2.0);
    /// x.abs().backward();
    /// assert_eq!(x.grad(), -1.0);
    /// ```
    #[inline]
    pub fn abs(self) -> Value {
        self.unary::<{ Code::Abs as u8 }>(0)
    }

    /// `max(x, 0)`, with relu'(0) = 0.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(-2.0);
    /// let y = x.relu();
    /// y.backward();
    /// assert_eq!((y.data(), x.grad()), (0.0, 0.0));
    /// ```
    #[inline]
    pub fn relu(self) -> Value {
        self.unary::<{ Code::Relu as u8 }>(0)
    }

    /// The logistic function `1 / (1 + e^-x)`, finite on both tails.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(0.0);
    /// x.sigmoid().backward(); // y (1 - y) = 0.25 at y = 0.5
    /// assert_eq!(x.grad(), 0.25);
    /// assert_eq!(Value::new(-1000.0).sigmoid().data(), 0.0);
    /// ```
    #[inline]
    pub fn sigmoid(self) -> Value {
        self.unary::<{ Code::Sigmoid as u8 }>(0)
    }

    /// `x^n` for an integer exponent.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(2.0);
    /// x.powi(3).backward(); // 3 x^2 = 12
    /// assert_eq!(x.grad(), 12.0);
    /// ```
    #[inline]
    pub fn powi(self, n: i32) -> Value {
        // The exponent's bits ride in the unused second operand slot.
        self.unary::<{ Code::Powi as u8 }>(n as u32)
    }

    /// `x^e` for a real exponent, an `f64` (a constant, [`Op::Const`]) or a
    /// `Value` (which then gets a gradient too). NaN for negative `x` with a fractional
    /// `e`, as with `f64::powf`.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let (x, e) = (Value::new(4.0), Value::new(0.5));
    /// let y = x.powf(e);
    /// y.backward(); // dx = e x^(e-1) = 0.25, de = y ln(x) = 2 ln 4
    /// assert_eq!(x.grad(), 0.25);
    /// assert!((e.grad() - 2.0 * 4f64.ln()).abs() < 1e-15);
    /// assert_eq!(Value::new(9.0).powf(0.5).data(), 3.0);
    /// ```
    #[inline]
    pub fn powf(self, e: impl Into<Operand>) -> Value {
        let e = e.into().value();
        self.binary::<{ Code::Powf as u8 }>(e)
    }

    /// `max(a, b)` as a selection: returns the handle of the operand that
    /// `f64::max` returns, so the gradient goes wholly to it. No node is
    /// recorded (and `op()` of the result is the chosen operand's op).
    ///
    /// The rule, the same comparison `grad!` makes: `b` if `a < b` or `a`
    /// is NaN, otherwise `a`. So `da = 1, db = 0` where `a > b`, the
    /// reverse where `a < b`, and at a tie `a == b` the receiver `a` takes
    /// it all. Clad's pullback of `std::max` and TensorFlow's `maximum` also
    /// give ties to the first operand (PyTorch's `maximum` splits them
    /// evenly); we follow the first. A NaN operand is passed over, as
    /// `f64::max` does, unless both are NaN (then `b`).
    ///
    /// `x.max(0.0)` is relu away from 0, but at `x = 0` it gives `x` the
    /// gradient 1, where [`relu`](Value::relu) gives 0.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let (a, b) = (Value::new(1.0), Value::new(3.0));
    /// let y = a.max(b) * 2.0;
    /// y.backward(); // y = 2 max(a, b) = 2b here: dy/da = 0, dy/db = 2
    /// assert_eq!((y.data(), a.grad(), b.grad()), (6.0, 0.0, 2.0));
    /// let tie = Value::new(2.0);
    /// tie.max(2.0).backward(); // a tie goes to the receiver
    /// assert_eq!(tie.grad(), 1.0);
    /// ```
    #[inline]
    pub fn max(self, other: impl Into<Operand>) -> Value {
        let other = other.into().value();
        let (a, b) = self.data_pair(other);
        if a < b || a.is_nan() { other } else { self }
    }

    /// `min(a, b)` as a selection: returns the handle of the operand that
    /// `f64::min` returns, so the gradient goes wholly to it. No node is
    /// recorded.
    ///
    /// The rule, the same comparison `grad!` makes: `b` if `a > b` or `a`
    /// is NaN, otherwise `a`. So `da = 1, db = 0` where `a < b`, the
    /// reverse where `a > b`, and at a tie the receiver `a` takes it all,
    /// as for [`max`](Value::max) (Clad's and TensorFlow's convention;
    /// PyTorch's `minimum` splits ties evenly). A NaN operand is passed
    /// over unless both are NaN.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(5.0);
    /// let y = x.min(4.0) * x; // x > 4: y = 4x, dy/dx = 4
    /// y.backward();
    /// assert_eq!((y.data(), x.grad()), (20.0, 4.0));
    /// ```
    #[inline]
    pub fn min(self, other: impl Into<Operand>) -> Value {
        let other = other.into().value();
        let (a, b) = self.data_pair(other);
        if a > b || a.is_nan() { other } else { self }
    }

    /// `x` restricted to `[lo, hi]` as a selection: returns the handle of
    /// `lo` where `x < lo`, of `hi` where `x > hi`, and of `x` otherwise,
    /// so the gradient goes wholly to the one returned. No node is
    /// recorded.
    ///
    /// `x` keeps the gradient on the closed interval `lo <= x <= hi`
    /// (`dx = 1` there, 0 outside), as with PyTorch's `clamp`: at a bound
    /// the tie goes to `x`, as ties go to the receiver in
    /// [`max`](Value::max). A NaN `x` stays `x`, as with `f64::clamp`.
    ///
    /// # Panics
    /// Like `f64::clamp`, if `lo > hi` or either bound is NaN; the message
    /// names both bounds.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let (x, lo) = (Value::new(-2.0), Value::new(-1.0));
    /// let y = x.clamp(lo, 1.0);
    /// y.backward(); // x < lo: y = lo, dy/dlo = 1, dy/dx = 0
    /// assert_eq!((y.data(), x.grad(), lo.grad()), (-1.0, 0.0, 1.0));
    /// let at_bound = Value::new(1.0);
    /// at_bound.clamp(-1.0, 1.0).backward(); // the closed interval: x keeps it
    /// assert_eq!(at_bound.grad(), 1.0);
    /// ```
    ///
    /// ```should_panic
    /// use micrograd_runtime::Value;
    /// Value::new(0.0).clamp(1.0, -1.0); // panics: lo > hi
    /// ```
    #[inline]
    #[track_caller]
    pub fn clamp(self, lo: impl Into<Operand>, hi: impl Into<Operand>) -> Value {
        let (lo, hi) = (lo.into().value(), hi.into().value());
        let (l, h) = lo.data_pair(hi);
        assert!(
            l <= h,
            "clamp needs lo <= hi and neither NaN, got lo = {l:?}, hi = {h:?}"
        );
        let x = self.data();
        if x < l {
            lo
        } else if x > h {
            hi
        } else {
            self
        }
    }

    /// Hyperbolic sine; `d/dx = cosh(x)`.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(0.0);
    /// x.sinh().backward(); // cosh(0) = 1
    /// assert_eq!(x.grad(), 1.0);
    /// ```
    #[inline]
    pub fn sinh(self) -> Value {
        self.unary::<{ Code::Sinh as u8 }>(0)
    }

    /// Hyperbolic cosine; `d/dx = sinh(x)`.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(0.0);
    /// x.cosh().backward(); // sinh(0) = 0
    /// assert_eq!(x.grad(), 0.0);
    /// ```
    #[inline]
    pub fn cosh(self) -> Value {
        self.unary::<{ Code::Cosh as u8 }>(0)
    }

    /// Tangent; `d/dx = 1 + tan(x)^2`, from the output.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(0.0);
    /// x.tan().backward(); // 1 + tan(0)^2 = 1
    /// assert_eq!(x.grad(), 1.0);
    /// ```
    #[inline]
    pub fn tan(self) -> Value {
        self.unary::<{ Code::Tan as u8 }>(0)
    }

    /// Arcsine; `d/dx = 1 / sqrt(1 - x^2)`: `+inf` at `x = +-1`, NaN outside `[-1, 1]` like the value.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(0.6);
    /// x.asin().backward(); // 1 / sqrt(1 - 0.36) = 1.25
    /// assert!((x.grad() - 1.25).abs() < 1e-15);
    /// ```
    #[inline]
    pub fn asin(self) -> Value {
        self.unary::<{ Code::Asin as u8 }>(0)
    }

    /// Arccosine; `d/dx = -1 / sqrt(1 - x^2)`: `-inf` at `x = +-1`.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(0.6);
    /// x.acos().backward(); // -1 / sqrt(1 - 0.36) = -1.25
    /// assert!((x.grad() + 1.25).abs() < 1e-15);
    /// ```
    #[inline]
    pub fn acos(self) -> Value {
        self.unary::<{ Code::Acos as u8 }>(0)
    }

    /// Arctangent; `d/dx = 1 / (1 + x^2)`.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(2.0);
    /// x.atan().backward(); // 1 / (1 + 4) = 0.2
    /// assert_eq!(x.grad(), 0.2);
    /// ```
    #[inline]
    pub fn atan(self) -> Value {
        self.unary::<{ Code::Atan as u8 }>(0)
    }

    /// Inverse hyperbolic sine; `d/dx = 1 / hypot(x, 1)`.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(0.0);
    /// x.asinh().backward(); // 1 / sqrt(0 + 1) = 1
    /// assert_eq!(x.grad(), 1.0);
    /// ```
    #[inline]
    pub fn asinh(self) -> Value {
        self.unary::<{ Code::Asinh as u8 }>(0)
    }

    /// Inverse hyperbolic cosine; `d/dx = 1 / sqrt(x^2 - 1)`: `+inf` at `x = 1` (the one-sided limit), NaN below.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(2.0);
    /// x.acosh().backward(); // 1 / sqrt(4 - 1)
    /// assert!((x.grad() - 1.0 / 3f64.sqrt()).abs() < 1e-15);
    /// ```
    #[inline]
    pub fn acosh(self) -> Value {
        self.unary::<{ Code::Acosh as u8 }>(0)
    }

    /// Inverse hyperbolic tangent; `d/dx = 1 / (1 - x^2)`: `+inf` at `x = +-1`, NaN outside.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(0.5);
    /// x.atanh().backward(); // 1 / (1 - 0.25)
    /// assert!((x.grad() - 4.0 / 3.0).abs() < 1e-15);
    /// ```
    #[inline]
    pub fn atanh(self) -> Value {
        self.unary::<{ Code::Atanh as u8 }>(0)
    }

    /// `ln(1 + x)`, accurate near 0; `d/dx = 1 / (1 + x)`: `+inf` at `x = -1`.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(1.0);
    /// x.ln_1p().backward(); // 1 / (1 + 1) = 0.5
    /// assert_eq!(x.grad(), 0.5);
    /// ```
    #[inline]
    pub fn ln_1p(self) -> Value {
        self.unary::<{ Code::Ln1p as u8 }>(0)
    }

    /// `e^x - 1`, accurate near 0; `d/dx = e^x`.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(0.0);
    /// x.exp_m1().backward(); // e^0 = 1
    /// assert_eq!(x.grad(), 1.0);
    /// ```
    #[inline]
    pub fn exp_m1(self) -> Value {
        self.unary::<{ Code::ExpM1 as u8 }>(0)
    }

    /// `2^x`; `d/dx = 2^x ln 2`, from the output.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(3.0);
    /// x.exp2().backward(); // 8 ln 2
    /// assert_eq!(x.grad(), 8.0 * std::f64::consts::LN_2);
    /// ```
    #[inline]
    pub fn exp2(self) -> Value {
        self.unary::<{ Code::Exp2 as u8 }>(0)
    }

    /// Base-2 logarithm; `d/dx = 1 / (x ln 2)`: `+inf` at 0.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(4.0);
    /// x.log2().backward(); // 1 / (4 ln 2)
    /// assert_eq!(x.grad(), 1.0 / (4.0 * std::f64::consts::LN_2));
    /// ```
    #[inline]
    pub fn log2(self) -> Value {
        self.unary::<{ Code::Log2 as u8 }>(0)
    }

    /// Base-10 logarithm; `d/dx = 1 / (x ln 10)`: `+inf` at 0.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(10.0);
    /// x.log10().backward(); // 1 / (10 ln 10)
    /// assert_eq!(x.grad(), 1.0 / (10.0 * std::f64::consts::LN_10));
    /// ```
    #[inline]
    pub fn log10(self) -> Value {
        self.unary::<{ Code::Log10 as u8 }>(0)
    }

    /// Cube root; `d/dx = 1 / (3 y^2)`, from the output: `+inf` at 0.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(8.0);
    /// x.cbrt().backward(); // 1 / (3 * 4) at y = 2
    /// assert_eq!(x.grad(), 1.0 / 12.0);
    /// ```
    #[inline]
    pub fn cbrt(self) -> Value {
        self.unary::<{ Code::Cbrt as u8 }>(0)
    }

    /// `1 / x`; `d/dx = -1 / x^2 = -y^2`: `-inf` at 0.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(2.0);
    /// x.recip().backward(); // -1 / 4
    /// assert_eq!(x.grad(), -0.25);
    /// ```
    #[inline]
    pub fn recip(self) -> Value {
        self.unary::<{ Code::Recip as u8 }>(0)
    }

    /// `f64::signum`; `d/dx = 0` (piecewise constant).
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(-2.0);
    /// x.signum().backward();
    /// assert_eq!(x.grad(), 0.0);
    /// ```
    #[inline]
    pub fn signum(self) -> Value {
        self.unary::<{ Code::Signum as u8 }>(0)
    }

    /// `f64::floor`; `d/dx = 0` (piecewise constant, also at the jumps).
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(2.5);
    /// x.floor().backward();
    /// assert_eq!(x.grad(), 0.0);
    /// ```
    #[inline]
    pub fn floor(self) -> Value {
        self.unary::<{ Code::Floor as u8 }>(0)
    }

    /// `f64::ceil`; `d/dx = 0`.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(2.5);
    /// x.ceil().backward();
    /// assert_eq!(x.grad(), 0.0);
    /// ```
    #[inline]
    pub fn ceil(self) -> Value {
        self.unary::<{ Code::Ceil as u8 }>(0)
    }

    /// `f64::round`; `d/dx = 0`.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(2.5);
    /// x.round().backward();
    /// assert_eq!(x.grad(), 0.0);
    /// ```
    #[inline]
    pub fn round(self) -> Value {
        self.unary::<{ Code::Round as u8 }>(0)
    }

    /// `f64::trunc`; `d/dx = 0`.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(2.5);
    /// x.trunc().backward();
    /// assert_eq!(x.grad(), 0.0);
    /// ```
    #[inline]
    pub fn trunc(self) -> Value {
        self.unary::<{ Code::Trunc as u8 }>(0)
    }

    /// `ln(1 + e^x)` in a stable form (`x` for large `x`, `e^x` for very negative `x`); `d/dx = sigmoid(x)`.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(0.0);
    /// x.softplus().backward(); // sigmoid(0) = 0.5
    /// assert_eq!(x.grad(), 0.5);
    /// assert_eq!(Value::new(800.0).softplus().data(), 800.0);
    /// ```
    #[inline]
    pub fn softplus(self) -> Value {
        self.unary::<{ Code::Softplus as u8 }>(0)
    }

    /// GELU in the tanh approximation of GPT-2 (`0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`; PyTorch's `approximate = "tanh"`, since `f64` has no `erf`); derivative in `OPS.md`.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(0.0);
    /// x.gelu().backward(); // gelu'(0) = 0.5
    /// assert_eq!(x.grad(), 0.5);
    /// ```
    #[inline]
    pub fn gelu(self) -> Value {
        self.unary::<{ Code::Gelu as u8 }>(0)
    }

    /// SiLU (swish), `x sigmoid(x)`; `d/dx = s (1 + x (1 - s))`, `s = sigmoid(x)`.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(0.0);
    /// x.silu().backward(); // 0.5 (1 + 0) = 0.5
    /// assert_eq!(x.grad(), 0.5);
    /// ```
    #[inline]
    pub fn silu(self) -> Value {
        self.unary::<{ Code::Silu as u8 }>(0)
    }

    /// `ln(sigmoid(x))` in a stable form; `d/dx = sigmoid(-x)`.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(0.0);
    /// x.log_sigmoid().backward(); // sigmoid(0) = 0.5
    /// assert_eq!(x.grad(), 0.5);
    /// ```
    #[inline]
    pub fn log_sigmoid(self) -> Value {
        self.unary::<{ Code::LogSigmoid as u8 }>(0)
    }

    /// Four-quadrant arctangent of `self / x`, `f64::atan2`'s argument order (`self` is the y coordinate); `(d/dself, d/dx) = (x, -self) / (x^2 + self^2)`, and `(0, 0)` at the origin by convention. `x` is a `Value` or an `f64` (a constant).
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let (y, x) = (Value::new(1.0), Value::new(1.0));
    /// y.atan2(x).backward(); // (1, -1) / 2
    /// assert!((y.grad() - 0.5).abs() < 1e-15 && (x.grad() + 0.5).abs() < 1e-15);
    /// ```
    #[inline]
    pub fn atan2(self, x: impl Into<Operand>) -> Value {
        let x = x.into().value();
        self.binary::<{ Code::Atan2 as u8 }>(x)
    }

    /// `sqrt(self^2 + other^2)` without overflow; derivatives `(self, other) / y`, `(0, 0)` at the origin by convention.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let (a, b) = (Value::new(3.0), Value::new(4.0));
    /// a.hypot(b).backward(); // (3, 4) / 5
    /// assert_eq!((a.grad(), b.grad()), (0.6, 0.8));
    /// ```
    #[inline]
    pub fn hypot(self, other: impl Into<Operand>) -> Value {
        let other = other.into().value();
        self.binary::<{ Code::Hypot as u8 }>(other)
    }

    /// Logarithm in base `base` (`ln self / ln base`); `d/dself = 1 / (self ln base)`, `d/dbase = -y / (base ln base)`.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(8.0);
    /// x.log(2.0).backward(); // 1 / (8 ln 2)
    /// assert_eq!(x.grad(), 1.0 / (8.0 * std::f64::consts::LN_2));
    /// ```
    #[inline]
    pub fn log(self, base: impl Into<Operand>) -> Value {
        let base = base.into().value();
        self.binary::<{ Code::Log as u8 }>(base)
    }

    /// `self` where positive, `slope * self` elsewhere; `d/dself = 1` or `slope` (at 0: `slope`, so slope 0 is relu), and `d/dslope = 0` or `self` when `slope` is a `Value`.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(-2.0);
    /// let y = x.leaky_relu(0.1);
    /// y.backward();
    /// assert_eq!((y.data(), x.grad()), (-0.2, 0.1));
    /// ```
    #[inline]
    pub fn leaky_relu(self, slope: impl Into<Operand>) -> Value {
        let slope = slope.into().value();
        self.binary::<{ Code::LeakyRelu as u8 }>(slope)
    }

    /// `self * b + c` with one rounding (`f64::mul_add`); `(d/dself, d/db,
    /// d/dc) = (b, self, 1)`. `b` and `c` are `Value`s or `f64`s
    /// (constants). The node keeps its three operands in the tape's side
    /// buffer (a node record holds two).
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let (a, b) = (Value::new(2.0), Value::new(3.0));
    /// let y = a.mul_add(b, 4.0);
    /// y.backward();
    /// assert_eq!((y.data(), a.grad(), b.grad()), (10.0, 3.0, 2.0));
    /// ```
    #[inline]
    pub fn mul_add(self, b: impl Into<Operand>, c: impl Into<Operand>) -> Value {
        let (b, c) = (b.into().value(), c.into().value());
        tape::with(|t| t.mul_add(self, b, c))
    }

    /// Both values' data with one tape access (each handle checked).
    #[inline]
    fn data_pair(self, other: Value) -> (f64, f64) {
        tape::with(|t| (t.data[t.index(self)], t.data[t.index(other)]))
    }

    /// `sum_i weights[i] * inputs[i] + bias` as a single node.
    ///
    /// A neuron written with `*` and `+` records `2n` nodes and walks them
    /// all in `backward`; this records one, with its own rule
    /// (`dw_i = x_i`, `dx_i = w_i`, `dbias = 1`).
    ///
    /// When `weights` and `inputs` are each a run of consecutively created
    /// values (a neuron's weights, a layer's outputs, leaves made one after
    /// another), the node stores just where the runs start and both passes
    /// loop over contiguous nodes; otherwise each operand is stored and
    /// gathered. Both forms give the same bits. The sum is taken in four
    /// interleaved partial sums, so it may differ from a left-to-right sum
    /// of the same terms in the last bits.
    ///
    /// # Panics
    /// If `weights` and `inputs` differ in length.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let w = [Value::new(-3.0), Value::new(1.0)];
    /// let x = [Value::new(2.0), Value::new(0.0)];
    /// let n = Value::weighted_sum(&w, &x, Value::new(1.0));
    /// n.backward();
    /// assert_eq!(n.data(), -5.0); // -3*2 + 1*0 + 1
    /// assert_eq!((w[0].grad(), x[0].grad()), (2.0, -3.0));
    /// ```
    pub fn weighted_sum(weights: &[Value], inputs: &[Value], bias: Value) -> Value {
        assert_eq!(
            weights.len(),
            inputs.len(),
            "weighted_sum needs as many weights as inputs"
        );
        tape::with(|t| {
            let (w, x) = (t.run_start(weights), t.run_start(inputs));
            t.weighted_sum(weights, w, inputs, x, bias)
        })
    }

    /// The op is a const parameter so that each op gets its own copy of
    /// the tape access with the forward `match` folded away (measured: a
    /// shared copy dispatching at run time cost ~2 ns more per node).
    /// Always inlined, as are the operators: an op is ~40 instructions,
    /// and the call around it cost a quarter more (`count-instructions.sh`).
    #[inline(always)]
    pub(crate) fn unary<const OP: u8>(self, b: u32) -> Value {
        // Evaluated at compile time, so the forward `match` folds away.
        let code = const { Code::from_u8(OP) };
        let mut t = tape::borrow();
        let i = t.index(self) as u32;
        t.push_unary_live(code, i, b)
    }

    /// See [`Value::unary`] for why the op is a const parameter.
    #[inline(always)]
    pub(crate) fn binary<const OP: u8>(self, rhs: Value) -> Value {
        let code = const { Code::from_u8(OP) };
        let mut t = tape::borrow();
        let (i, j) = (t.index(self) as u32, t.index(rhs) as u32);
        t.push_binary_live(code, i, j)
    }
}

impl Tape {
    /// Operand indices of node `i`, in argument order.
    pub(crate) fn children(&self, i: usize) -> Vec<usize> {
        let mut kids = Vec::new();
        op::for_each_operand(self.recs[i], &self.side, |c| kids.push(c as usize));
        kids
    }

    /// [`Value::weighted_sum`], given what [`Tape::run_start`] says of the
    /// weights and the inputs: a layer checks its inputs once for all its
    /// neurons, and a neuron knows its weights are a run.
    pub(crate) fn weighted_sum(
        &mut self,
        weights: &[Value],
        weights_run: Option<usize>,
        inputs: &[Value],
        inputs_run: Option<usize>,
        bias: Value,
    ) -> Value {
        let n = u32::try_from(weights.len()).expect("weighted_sum: too many inputs") as usize;
        match (weights_run, inputs_run) {
            // Runs that partly overlap would alias in backward; they only
            // arise from deliberately shifted slices, so they gather.
            (Some(w), Some(x)) if w == x || w.abs_diff(x) >= n => {
                self.weighted_sum_run(w, x, n, bias)
            }
            _ => self.weighted_sum_gather(weights, inputs, bias),
        }
    }

    /// [`Value::weighted_sum`] when weights and inputs are runs of nodes
    /// starting at `w` and `x` (already checked by [`Tape::run_start`]):
    /// three side entries, and a loop over two contiguous slices.
    fn weighted_sum_run(&mut self, w: usize, x: usize, n: usize, bias: Value) -> Value {
        let bi = self.index(bias);
        let (ws, xs) = (&self.data[w..w + n], &self.data[x..x + n]);
        let sum = op::dot_runs(ws, xs) + self.data[bi];
        let start = self.side_start();
        self.side.extend([w as u32, x as u32, bi as u32]);
        self.push(sum, Code::WeightedSumRun, start, n as u32)
    }

    /// [`Value::weighted_sum`] for operands anywhere on the tape: every
    /// handle checked, `2n + 1` side entries.
    fn weighted_sum_gather(&mut self, weights: &[Value], inputs: &[Value], bias: Value) -> Value {
        let sum = op::dot(weights.len(), |k| {
            let (w, x) = (self.index(weights[k]), self.index(inputs[k]));
            (self.data[w], self.data[x])
        });
        let bi = self.index(bias);
        let sum = sum + self.data[bi];
        // Indices were validated above; store them after, so a stale
        // handle panics without leaving half a node's operands behind.
        let start = self.side_start();
        self.side.extend(weights.iter().map(|w| w.idx));
        self.side.extend(inputs.iter().map(|x| x.idx));
        self.side.push(bias.idx);
        self.push(sum, Code::WeightedSum, start, weights.len() as u32)
    }

    /// [`Value::mul_add`]: the three operand indices go to the side buffer.
    pub(crate) fn mul_add(&mut self, a: Value, b: Value, c: Value) -> Value {
        let (i, j, k) = (self.index(a), self.index(b), self.index(c));
        let y = self.data[i].mul_add(self.data[j], self.data[k]);
        let start = self.side_start();
        self.side.extend([i as u32, j as u32, k as u32]);
        self.push(y, Code::MulAdd, start, 0)
    }

    pub(crate) fn side_start(&self) -> u32 {
        u32::try_from(self.side.len()).expect("weighted_sum: side buffer full")
    }
}

/// A leaf, as [`Value::new`] makes: `let p: Value = 0.5.into()` is a
/// parameter whose gradient you can read. (Where an `f64` meets a `Value`
/// in an operator or a method, it becomes a constant instead: see
/// [`Operand`].)
impl From<f64> for Value {
    fn from(x: f64) -> Value {
        Value::new(x)
    }
}

/// So that `Value::from(&v)` works like `Value::from(v)`.
impl From<&Value> for Value {
    fn from(v: &Value) -> Value {
        *v
    }
}

/// The second operand of a [`Value`] method (`powf`, `max`, `min`,
/// `clamp`, ...): a `Value` (or `&Value`), which gets its gradient, or
/// an `f64`, which becomes a **constant** ([`Op::Const`]): it carries no
/// gradient and [`backward_checked`](Value::backward_checked) never
/// reports it. The operators treat an `f64` on either side the same way.
///
/// ```
/// use micrograd_runtime::{Op, Value};
/// let (x, e) = (Value::new(2.0), Value::new(3.0));
/// assert_eq!(x.powf(3.0).children()[1].op(), Op::Const);
/// assert_eq!(x.powf(e).children()[1].op(), Op::Leaf);
/// assert_eq!(x.powf(&e).data(), 8.0);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Operand(OperandKind);

#[derive(Clone, Copy, Debug)]
enum OperandKind {
    Value(Value),
    Const(f64),
}

impl Operand {
    /// The operand's handle, recording a constant for an `f64`.
    #[inline(always)]
    pub(crate) fn value(self) -> Value {
        match self.0 {
            OperandKind::Value(v) => v,
            OperandKind::Const(c) => Value::constant(c),
        }
    }
}

impl From<Value> for Operand {
    #[inline(always)]
    fn from(v: Value) -> Operand {
        Operand(OperandKind::Value(v))
    }
}

impl From<&Value> for Operand {
    #[inline(always)]
    fn from(v: &Value) -> Operand {
        Operand(OperandKind::Value(*v))
    }
}

impl From<f64> for Operand {
    #[inline(always)]
    fn from(c: f64) -> Operand {
        Operand(OperandKind::Const(c))
    }
}

/// `Value(data=…, grad=…)`, the way micrograd prints a value.
///
/// ```
/// use micrograd_runtime::Value;
/// assert_eq!(Value::new(2.0).to_string(), "Value(data=2, grad=0)");
/// ```
impl fmt::Display for Value {
    /// Honours a precision (`{:.3}` prints `Value(data=2.000, grad=0.000)`),
    /// and prints a freed value (or one from another tape) as such
    /// instead of panicking.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.peek() {
            Some((data, grad)) => match f.precision() {
                Some(p) => write!(f, "Value(data={data:.p$}, grad={grad:.p$})"),
                None => write!(f, "Value(data={data}, grad={grad})"),
            },
            None => write!(f, "Value(<freed or from another tape #{}>)", self.idx),
        }
    }
}

impl Value {
    /// Data and gradient, or `None` for a handle that is not live on this
    /// thread's tape: never panics.
    fn peek(self) -> Option<(f64, f64)> {
        tape::with(|t| {
            let i = self.idx as usize;
            (i < t.len() && t.handle(i).epoch == self.epoch).then(|| (t.data[i], t.grad(i)))
        })
    }
}

/// Shows data, grad, op and label; a freed value (or one from another
/// tape) prints as such instead
/// of panicking, so debugging output never aborts.
impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let node = tape::with(|t| {
            let live =
                (self.idx as usize) < t.len() && t.handle(self.idx as usize).epoch == self.epoch;
            live.then(|| {
                let i = self.idx as usize;
                (
                    t.data[i],
                    t.grad(i),
                    op::public_op(t.recs[i], &t.side),
                    t.label(self.idx as usize).map(str::to_owned),
                )
            })
        });
        match node {
            Some((data, grad, op, label)) => f
                .debug_struct("Value")
                .field("data", &data)
                .field("grad", &grad)
                .field("op", &op)
                .field("label", &label)
                .finish(),
            None => write!(f, "Value(<freed or from another tape #{}>)", self.idx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(v: Value) -> Code {
        tape::with(|t| t.recs[t.index(v)].code)
    }

    #[test]
    fn consecutive_operands_take_the_run_form_and_others_gather() {
        tape::scope(|| {
            let ws: Vec<Value> = (0..3).map(|k| Value::new(f64::from(k))).collect();
            let xs: Vec<Value> = (0..3).map(|k| Value::new(f64::from(k))).collect();
            let b = Value::new(1.0);
            assert_eq!(code(Value::weighted_sum(&ws, &xs, b)), Code::WeightedSumRun);
            assert_eq!(code(Value::weighted_sum(&ws, &ws, b)), Code::WeightedSumRun);
            let shuffled = [xs[1], xs[0], xs[2]];
            assert_eq!(
                code(Value::weighted_sum(&ws, &shuffled, b)),
                Code::WeightedSum
            );
            // Overlapping but not identical runs would alias in backward.
            let all: Vec<Value> = ws.iter().chain(&xs).copied().collect();
            assert_eq!(
                code(Value::weighted_sum(&all[..3], &all[1..4], b)),
                Code::WeightedSum
            );
            assert_eq!(code(Value::weighted_sum(&[], &[], b)), Code::WeightedSum);
        });
    }
}
