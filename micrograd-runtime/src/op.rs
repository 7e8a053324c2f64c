//! The op table of the dynamic engine: forward values and derivative rules.
//!
//! Ops, their order and their derivative formulas follow `OPS.md` at the
//! repository root, the table shared with the `grad!` macro's `rules.rs`.
//! Each rule is written in terms of the inputs (`a`, `b`, or `x`), the
//! output `y` and the adjoint `g` of the output.
//!
//! The tape stores an op as a one-byte [`Code`] (so a node fits in 32
//! bytes); the public [`Op`] is rebuilt from it on demand.

use std::fmt;

use crate::rules;
use std::str::FromStr;

/// What produced a [`Value`](crate::Value): a leaf or one of the ops of `OPS.md`.
///
/// Kept as a plain `Copy` enum rather than a closure so that graphs can be
/// printed, drawn and differentiated by one `match`.
///
/// ```
/// use micrograd_runtime::{Op, Value};
/// let x = Value::new(2.0);
/// assert_eq!(x.op(), Op::Leaf);
/// assert_eq!((x * x).op(), Op::Mul);
/// assert_eq!(x.powi(3).op(), Op::Powi(3));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// An input or a parameter ([`Value::new`](crate::Value::new)): no
    /// operands, its gradient only accumulates.
    Leaf,
    /// A constant: an `f64` given where an op takes a second operand
    /// (`x * 2.0`, `x.powf(3.0)`, `x.max(0.0)`). No operands and no
    /// gradient anyone asked for: [`backward_checked`](crate::Value::backward_checked)
    /// never reports one (see `OPS.md`).
    Const,
    /// `y = a + b`; `da = 1`, `db = 1`.
    Add,
    /// `y = a - b`; `da = 1`, `db = -1`.
    Sub,
    /// `y = a * b`; `da = b`, `db = a`.
    Mul,
    /// `y = a / b`; `da = 1 / b`, `db = -y / b`.
    Div,
    /// `y = -x`; `dx = -1`.
    Neg,
    /// `y = exp(x)`; `dx = y`.
    Exp,
    /// `y = ln(x)`; `dx = 1 / x`.
    Ln,
    /// `y = sqrt(x)`; `dx = 0.5 / y`.
    Sqrt,
    /// `y = tanh(x)`; `dx = 1 - y * y`.
    Tanh,
    /// `y = sin(x)`; `dx = cos(x)`.
    Sin,
    /// `y = cos(x)`; `dx = -sin(x)`.
    Cos,
    /// `y = |x|`; `dx = 1` if `x > 0`, `-1` if `x < 0`, `0` at `x = 0`.
    Abs,
    /// `y = max(x, 0)`; `dx = 1` if `x > 0` else `0` (relu'(0) = 0).
    Relu,
    /// `y = 1 / (1 + e^-x)`, evaluated without overflow on either tail; `dx = y * (1 - y)`.
    Sigmoid,
    /// `y = x^n` for an integer `n`; `dx = n * x^(n-1)` (0 when `n = 0`).
    Powi(i32),
    /// `y = x^e` for a `Value` exponent `e`; `dx = e * x^(e-1)`, `de = y * ln(x)` (0 where `y == 0`).
    Powf,
    /// `y = sinh(x)`; `dx = cosh(x)`.
    Sinh,
    /// `y = cosh(x)`; `dx = sinh(x)`.
    Cosh,
    /// `y = tan(x)`; `dx = 1 + y * y`.
    Tan,
    /// `y = asin(x)`; `dx = 1 / sqrt((1 - x)(1 + x))`.
    Asin,
    /// `y = acos(x)`; `dx = -1 / sqrt((1 - x)(1 + x))`.
    Acos,
    /// `y = atan(x)`; `dx = 1 / (1 + x * x)`.
    Atan,
    /// `y = asinh(x)`; `dx = 1 / hypot(x, 1)`.
    Asinh,
    /// `y = acosh(x)`; `dx = 1 / (sqrt(x - 1) sqrt(x + 1))`.
    Acosh,
    /// `y = atanh(x)`; `dx = 1 / ((1 - x)(1 + x))`.
    Atanh,
    /// `y = a.atan2(b)`; `(da, db) = (b, -a) / (a^2 + b^2)`, `(0, 0)` at the origin.
    Atan2,
    /// `y = a.hypot(b)`; `(da, db) = (a, b) / y`, `(0, 0)` at the origin.
    Hypot,
    /// `y = ln(1 + x)`; `dx = 1 / (1 + x)`.
    Ln1p,
    /// `y = e^x - 1`; `dx = e^x`.
    ExpM1,
    /// `y = 2^x`; `dx = y ln 2`.
    Exp2,
    /// `y = log2(x)`; `dx = 1 / (x ln 2)`.
    Log2,
    /// `y = log10(x)`; `dx = 1 / (x ln 10)`.
    Log10,
    /// `y = a.log(b) = ln a / ln b`; `da = 1 / (a ln b)`, `db = -y / (b ln b)`.
    Log,
    /// `y = cbrt(x)`; `dx = 1 / (3 y^2)`.
    Cbrt,
    /// `y = 1 / x`; `dx = -y^2`.
    Recip,
    /// `y = a.mul_add(b, c) = a b + c` (one rounding); `da = b`, `db = a`, `dc = 1`. Its three operands are in the tape's side buffer.
    MulAdd,
    /// `y = signum(x)`; `dx = 0`.
    Signum,
    /// `y = floor(x)`; `dx = 0`.
    Floor,
    /// `y = ceil(x)`; `dx = 0`.
    Ceil,
    /// `y = round(x)`; `dx = 0`.
    Round,
    /// `y = trunc(x)`; `dx = 0`.
    Trunc,
    /// `y = ln(1 + e^x)`, stable; `dx = sigmoid(x)`.
    Softplus,
    /// `y = x` if `x > 0` else `slope x`; `dx = 1` or `slope`, `dslope = 0` or `x`.
    LeakyRelu,
    /// GELU, tanh approximation (GPT-2's); see `rules::gelu_d`.
    Gelu,
    /// `y = x sigmoid(x)`; `dx = s (1 + x (1 - s))`.
    Silu,
    /// `y = ln(sigmoid(x))`, stable; `dx = sigmoid(-x)`.
    LogSigmoid,
    /// `y = sum_i w_i * x_i + b` as one node; `dw_i = x_i`, `dx_i = w_i`, `db = 1`.
    ///
    /// Not in `OPS.md` (the macro has no n-ary op): it exists so that a
    /// neuron with `n` inputs costs one node instead of `2n`.
    WeightedSum,
    /// `y = act(sum_i w_i * x_i + b)` as one node: a whole neuron, the
    /// fused form [`Neuron`](crate::nn::Neuron) and
    /// [`Layer`](crate::nn::Layer) record. With `d = act'(z)` taken from
    /// `y` as the unary ops do (`1 - y * y`, `y > 0`, `y * (1 - y)`, 1):
    /// `dw_i = d * x_i`, `dx_i = d * w_i`, `db = d`. Operands as for
    /// `WeightedSum`: the weights, the inputs, the bias.
    ///
    /// Not in `OPS.md`, like `WeightedSum`: it is the composition of a
    /// weighted sum and an activation, with the same bits as the two nodes.
    Neuron(Activation),
}

impl fmt::Display for Op {
    /// The short name used in graph pictures: `+`, `*`, `tanh`, `powi(3)`...
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Op::Leaf | Op::Const => "",
            Op::Add => "+",
            Op::Sub => "-",
            Op::Mul => "*",
            Op::Div => "/",
            Op::Neg => "neg",
            Op::Exp => "exp",
            Op::Ln => "ln",
            Op::Sqrt => "sqrt",
            Op::Tanh => "tanh",
            Op::Sin => "sin",
            Op::Cos => "cos",
            Op::Abs => "abs",
            Op::Relu => "relu",
            Op::Sigmoid => "sigmoid",
            Op::Powi(n) => return write!(f, "powi({n})"),
            Op::Powf => "powf",
            Op::Sinh => "sinh",
            Op::Cosh => "cosh",
            Op::Tan => "tan",
            Op::Asin => "asin",
            Op::Acos => "acos",
            Op::Atan => "atan",
            Op::Asinh => "asinh",
            Op::Acosh => "acosh",
            Op::Atanh => "atanh",
            Op::Atan2 => "atan2",
            Op::Hypot => "hypot",
            Op::Ln1p => "ln_1p",
            Op::ExpM1 => "exp_m1",
            Op::Exp2 => "exp2",
            Op::Log2 => "log2",
            Op::Log10 => "log10",
            Op::Log => "log",
            Op::Cbrt => "cbrt",
            Op::Recip => "recip",
            Op::MulAdd => "mul_add",
            Op::Signum => "signum",
            Op::Floor => "floor",
            Op::Ceil => "ceil",
            Op::Round => "round",
            Op::Trunc => "trunc",
            Op::Softplus => "softplus",
            Op::LeakyRelu => "leaky_relu",
            Op::Gelu => "gelu",
            Op::Silu => "silu",
            Op::LogSigmoid => "log_sigmoid",
            Op::WeightedSum | Op::Neuron(Activation::Linear) => "wsum",
            Op::Neuron(act) => return write!(f, "{act}(wsum)"),
        };
        f.write_str(name)
    }
}

/// The one-byte op code stored in a tape node; `Powi`'s exponent lives in
/// the node's unused second operand slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Code {
    Leaf,
    Const,
    Add,
    Sub,
    Mul,
    Div,
    Neg,
    Exp,
    Ln,
    Sqrt,
    Tanh,
    Sin,
    Cos,
    Abs,
    Relu,
    Sigmoid,
    Powi,
    Powf,
    Sinh,
    Cosh,
    Tan,
    Asin,
    Acos,
    Atan,
    Asinh,
    Acosh,
    Atanh,
    Atan2,
    Hypot,
    Ln1p,
    ExpM1,
    Exp2,
    Log2,
    Log10,
    Log,
    Cbrt,
    Recip,
    MulAdd,
    Signum,
    Floor,
    Ceil,
    Round,
    Trunc,
    Softplus,
    LeakyRelu,
    Gelu,
    Silu,
    LogSigmoid,
    /// Operands gathered through `2n + 1` side entries: `n` weight
    /// indices, `n` input indices, the bias.
    WeightedSum,
    /// Weights and inputs each a run of consecutive nodes, as a neuron's
    /// weights and a layer's outputs are: three side entries (first
    /// weight, first input, bias) whatever `n`, and forward and backward
    /// loops over contiguous nodes instead of gathers.
    WeightedSumRun,
    /// A neuron, `act(w . x + b)`, of a layer whose parameters are one run
    /// of leaves, neuron after neuron (`w_0, b_0, w_1, b_1, ...`), applied
    /// to a run of inputs: four side entries per layer application (the
    /// first parameter, the first input, `nin`, the activation), shared by
    /// its neurons, and the neuron's row in slot `b`. See [`dense_operands`].
    Dense,
}

/// A node's op and operand slots; its value and gradient live in
/// the tape's `data` and `grad` columns at the same index.
///
/// `a` and `b` are operand indices; `Powi` keeps its exponent's bits in `b`
/// and the weighted sums keep a start into the tape's side buffer and a length.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rec {
    pub(crate) a: u32,
    pub(crate) b: u32,
    pub(crate) code: Code,
}

const _: () = assert!(std::mem::size_of::<Rec>() == 12);

/// The nonlinearity a layer applies to each neuron's weighted sum: the
/// activation of the fused neuron op ([`Op::Neuron`]). Used through its
/// re-export [`nn::Activation`](crate::nn::Activation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Activation {
    /// `tanh(z)`, the lecture's choice.
    Tanh,
    /// `max(z, 0)`, micrograd's hidden layers.
    Relu,
    /// `1 / (1 + e^-z)`.
    Sigmoid,
    /// `z` unchanged: an output layer that produces a raw score.
    Linear,
}

impl Activation {
    /// The inverse of `act as u32`, for activations kept in the tape's
    /// side buffer.
    pub(crate) fn from_index(i: u32) -> Activation {
        match i {
            0 => Activation::Tanh,
            1 => Activation::Relu,
            2 => Activation::Sigmoid,
            3 => Activation::Linear,
            _ => unreachable!("activation index {i}"),
        }
    }

    /// The lowercase name used by `Display`, `FromStr` and the CLI.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
            Activation::Sigmoid => "sigmoid",
            Activation::Linear => "linear",
        }
    }
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Parses the names `Display` prints, so settings round-trip through text.
///
/// ```
/// use micrograd_runtime::nn::Activation;
/// assert_eq!("relu".parse::<Activation>(), Ok(Activation::Relu));
/// assert!("gelu".parse::<Activation>().is_err());
/// ```
impl FromStr for Activation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [
            Activation::Tanh,
            Activation::Relu,
            Activation::Sigmoid,
            Activation::Linear,
        ]
        .into_iter()
        .find(|a| a.name() == s)
        .ok_or_else(|| format!("unknown activation `{s}`; expected tanh, relu, sigmoid or linear"))
    }
}

/// How a node's operand slots are used, for walking the graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Arity {
    /// No operands.
    Leaf,
    /// Operand in slot `a` only (`b` unused or holding `Powi`'s exponent).
    Unary,
    /// Operands in slots `a` and `b`.
    Binary,
    /// Three operands in the side buffer, starting at `a`.
    Ternary,
    /// `b` operand pairs plus a bias in the side buffer, starting at `a`.
    Nary,
    /// `b` operand pairs in two runs of consecutive nodes; the side buffer
    /// holds the runs' starts and the bias, starting at `a`.
    NaryRun,
    /// A row of a layer's parameter run and a run of inputs; the side
    /// buffer holds the layer's runs, starting at `a`, the row is `b`.
    Dense,
}

impl Code {
    const ALL: [Code; 51] = [
        Code::Leaf,
        Code::Const,
        Code::Add,
        Code::Sub,
        Code::Mul,
        Code::Div,
        Code::Neg,
        Code::Exp,
        Code::Ln,
        Code::Sqrt,
        Code::Tanh,
        Code::Sin,
        Code::Cos,
        Code::Abs,
        Code::Relu,
        Code::Sigmoid,
        Code::Powi,
        Code::Powf,
        Code::Sinh,
        Code::Cosh,
        Code::Tan,
        Code::Asin,
        Code::Acos,
        Code::Atan,
        Code::Asinh,
        Code::Acosh,
        Code::Atanh,
        Code::Atan2,
        Code::Hypot,
        Code::Ln1p,
        Code::ExpM1,
        Code::Exp2,
        Code::Log2,
        Code::Log10,
        Code::Log,
        Code::Cbrt,
        Code::Recip,
        Code::MulAdd,
        Code::Signum,
        Code::Floor,
        Code::Ceil,
        Code::Round,
        Code::Trunc,
        Code::Softplus,
        Code::LeakyRelu,
        Code::Gelu,
        Code::Silu,
        Code::LogSigmoid,
        Code::WeightedSum,
        Code::WeightedSumRun,
        Code::Dense,
    ];

    /// The inverse of `code as u8`, for ops passed as const parameters.
    pub(crate) const fn from_u8(c: u8) -> Code {
        let code = Code::ALL[c as usize];
        assert!(code as u8 == c);
        code
    }

    #[inline(always)]
    pub(crate) fn arity(self) -> Arity {
        match self {
            Code::Leaf | Code::Const => Arity::Leaf,
            Code::Add
            | Code::Sub
            | Code::Mul
            | Code::Div
            | Code::Powf
            | Code::Atan2
            | Code::Hypot
            | Code::Log
            | Code::LeakyRelu => Arity::Binary,
            Code::MulAdd => Arity::Ternary,
            Code::WeightedSum => Arity::Nary,
            Code::WeightedSumRun => Arity::NaryRun,
            Code::Dense => Arity::Dense,
            _ => Arity::Unary,
        }
    }
}

/// The public op of node `n`; `side` is the tape's side buffer, where a
/// `Dense` node's activation is.
pub(crate) fn public_op(n: Rec, side: &[u32]) -> Op {
    match n.code {
        Code::Leaf => Op::Leaf,
        Code::Const => Op::Const,
        Code::Add => Op::Add,
        Code::Sub => Op::Sub,
        Code::Mul => Op::Mul,
        Code::Div => Op::Div,
        Code::Neg => Op::Neg,
        Code::Exp => Op::Exp,
        Code::Ln => Op::Ln,
        Code::Sqrt => Op::Sqrt,
        Code::Tanh => Op::Tanh,
        Code::Sin => Op::Sin,
        Code::Cos => Op::Cos,
        Code::Abs => Op::Abs,
        Code::Relu => Op::Relu,
        Code::Sigmoid => Op::Sigmoid,
        // The exponent was stored as its two's-complement bits.
        Code::Powi => Op::Powi(n.b as i32),
        Code::Powf => Op::Powf,
        Code::Sinh => Op::Sinh,
        Code::Cosh => Op::Cosh,
        Code::Tan => Op::Tan,
        Code::Asin => Op::Asin,
        Code::Acos => Op::Acos,
        Code::Atan => Op::Atan,
        Code::Asinh => Op::Asinh,
        Code::Acosh => Op::Acosh,
        Code::Atanh => Op::Atanh,
        Code::Atan2 => Op::Atan2,
        Code::Hypot => Op::Hypot,
        Code::Ln1p => Op::Ln1p,
        Code::ExpM1 => Op::ExpM1,
        Code::Exp2 => Op::Exp2,
        Code::Log2 => Op::Log2,
        Code::Log10 => Op::Log10,
        Code::Log => Op::Log,
        Code::Cbrt => Op::Cbrt,
        Code::Recip => Op::Recip,
        Code::MulAdd => Op::MulAdd,
        Code::Signum => Op::Signum,
        Code::Floor => Op::Floor,
        Code::Ceil => Op::Ceil,
        Code::Round => Op::Round,
        Code::Trunc => Op::Trunc,
        Code::Softplus => Op::Softplus,
        Code::LeakyRelu => Op::LeakyRelu,
        Code::Gelu => Op::Gelu,
        Code::Silu => Op::Silu,
        Code::LogSigmoid => Op::LogSigmoid,
        Code::WeightedSum | Code::WeightedSumRun => Op::WeightedSum,
        Code::Dense => Op::Neuron(dense_operands(side, n.a, n.b).act),
    }
}

/// Calls `f` on each operand index of `n` in argument order (for a
/// weighted sum: the weights, the inputs, the bias), with repeats (`x * x`).
#[inline]
pub(crate) fn for_each_operand(n: Rec, side: &[u32], mut f: impl FnMut(u32)) {
    match n.code.arity() {
        Arity::Leaf => {}
        Arity::Unary => f(n.a),
        Arity::Binary => {
            f(n.a);
            f(n.b);
        }
        Arity::Ternary => side[n.a as usize..][..3].iter().for_each(|&c| f(c)),
        Arity::Nary => side[n.a as usize..][..2 * n.b as usize + 1]
            .iter()
            .for_each(|&c| f(c)),
        Arity::NaryRun => {
            let [w, x, bias] = run_operands(side, n.a);
            (w..w + n.b).for_each(&mut f);
            (x..x + n.b).for_each(&mut f);
            f(bias);
        }
        Arity::Dense => {
            let d = dense_operands(side, n.a, n.b);
            (d.row..d.row + d.nin).for_each(&mut f);
            (d.x..d.x + d.nin).for_each(&mut f);
            f(d.row + d.nin);
        }
    }
}

/// The side entries of a `WeightedSumRun` node whose slot `a` is `at`:
/// first weight, first input, bias.
#[inline(always)]
pub(crate) fn run_operands(side: &[u32], at: u32) -> [u32; 3] {
    let at = at as usize;
    [side[at], side[at + 1], side[at + 2]]
}

/// What a `Dense` node needs from the side buffer: its row of the
/// layer's parameters (`nin` weights, then the bias at `row + nin`), its
/// first input, and the activation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DenseOperands {
    pub(crate) row: u32,
    pub(crate) x: u32,
    pub(crate) nin: u32,
    pub(crate) act: Activation,
}

/// The side entries of a layer application, starting at `at`: first
/// parameter, first input, `nin`, activation. Row `r` starts `r * (nin +
/// 1)` after the first parameter.
#[inline(always)]
pub(crate) fn dense_operands(side: &[u32], at: u32, r: u32) -> DenseOperands {
    let s = &side[at as usize..][..4];
    let nin = s[2];
    DenseOperands {
        row: s[0] + r * (nin + 1),
        x: s[1],
        nin,
        act: Activation::from_index(s[3]),
    }
}

/// `act(z)` with the same `f64` functions as the unary ops, so a fused
/// neuron and a weighted sum followed by an activation node agree to the bit.
#[inline(always)]
pub(crate) fn activate(act: Activation, z: f64) -> f64 {
    match act {
        Activation::Tanh => forward_unary(Code::Tanh, z, 0),
        Activation::Relu => forward_unary(Code::Relu, z, 0),
        Activation::Sigmoid => forward_unary(Code::Sigmoid, z, 0),
        Activation::Linear => z,
    }
}

/// The adjoint of `z` given the adjoint `g` of `y = act(z)`: the unary
/// ops' rules (`Tanh`, `Relu`, `Sigmoid`), computed the same way.
#[inline(always)]
pub(crate) fn activation_adjoint(act: Activation, y: f64, g: f64) -> f64 {
    match act {
        Activation::Tanh => g * (1.0 - y * y),
        // y > 0 exactly when z > 0, and relu'(0) = 0.
        Activation::Relu => {
            if y > 0.0 {
                g
            } else {
                0.0
            }
        }
        Activation::Sigmoid => g * (y * (1.0 - y)),
        Activation::Linear => g,
    }
}

/// Forward of a weighted sum without its bias: `sum_k a(k) * b(k)` for
/// `k < n`, where `pair(k)` gives `(a(k), b(k))`.
///
/// Summed in four interleaved partial sums (term `k` into lane `k % 4`),
/// combined as `(s0 + s1) + (s2 + s3)`: four independent chains of
/// additions overlap, where a single running sum waits ~4 cycles per term
/// (measured: the forward of the moons training step spent a quarter of
/// its time there). Both forms of the op go through here, so they agree to
/// the bit; the node-per-op form sums left to right and agrees to rounding.
#[inline(always)]
pub(crate) fn dot(n: usize, pair: impl Fn(usize) -> (f64, f64)) -> f64 {
    let mut s = [0.0; 4];
    let full = n - n % 4;
    for k in (0..full).step_by(4) {
        for (lane, s) in s.iter_mut().enumerate() {
            let (a, b) = pair(k + lane);
            *s += a * b;
        }
    }
    for (lane, s) in s.iter_mut().enumerate().take(n - full) {
        let (a, b) = pair(full + lane);
        *s += a * b;
    }
    (s[0] + s[1]) + (s[2] + s[3])
}

/// [`dot`] of two runs of values, `sum_k w[k] * x[k]`, in the same order
/// and so with the same bits: the form that compiles to SIMD, with no
/// index arithmetic or bounds checks, for the runs the tape holds.
#[inline(always)]
pub(crate) fn dot_runs(w: &[f64], x: &[f64]) -> f64 {
    debug_assert_eq!(w.len(), x.len());
    let mut s = [0.0; 4];
    let (w4, x4) = (w.chunks_exact(4), x.chunks_exact(4));
    let (w_tail, x_tail) = (w4.remainder(), x4.remainder());
    for (w, x) in w4.zip(x4) {
        for lane in 0..4 {
            s[lane] += w[lane] * x[lane];
        }
    }
    for ((s, w), x) in s.iter_mut().zip(w_tail).zip(x_tail) {
        *s += w * x;
    }
    (s[0] + s[1]) + (s[2] + s[3])
}

/// A unary rule: `dx = d(x)` for the operand in slot `a`.
#[inline(always)]
fn unary<'s, S: Adjoints<'s>>(sw: &mut S, a: u32, d: impl FnOnce(f64) -> f64, g: f64) {
    let a = sw.operand(a);
    let x = sw.x(a);
    if g != 0.0 {
        sw.add(a, g * d(x));
    }
}

/// A binary rule: `(da, db) = d(a, b)` for the operands in slots `a`, `b`.
#[inline(always)]
fn binary<'s, S: Adjoints<'s>>(
    sw: &mut S,
    a: u32,
    b: u32,
    d: impl FnOnce(f64, f64) -> (f64, f64),
    g: f64,
) {
    let (a, b) = (sw.operand(a), sw.operand(b));
    let (da, db) = d(sw.x(a), sw.x(b));
    if g != 0.0 {
        sw.add2(a, g * da, b, g * db);
    }
}

/// Forward of the binary ops, in `OPS.md` order.
#[inline(always)]
pub(crate) fn forward_binary(code: Code, a: f64, b: f64) -> f64 {
    match code {
        Code::Add => a + b,
        Code::Sub => a - b,
        Code::Mul => a * b,
        Code::Div => a / b,
        Code::Powf => a.powf(b),
        _ => forward_binary_more(code, a, b),
    }
}

/// Forward of OPS.md's binary ops from row 20 on. Out of line, so that the
/// hot `forward_binary` stays small enough to inline into the tape's push
/// (with these arms in it, the push's closure stopped being inlined: 40 ->
/// 75 instructions per node building a chain, `count-instructions.sh`).
#[inline(never)]
fn forward_binary_more(code: Code, a: f64, b: f64) -> f64 {
    match code {
        Code::Atan2 => a.atan2(b),
        Code::Hypot => a.hypot(b),
        Code::Log => a.log(b),
        Code::LeakyRelu => rules::leaky_relu(a, b),
        _ => unreachable!("{code:?} is not a binary op"),
    }
}

/// Forward of the unary ops, in `OPS.md` order; `n` is `Powi`'s exponent.
#[inline(always)]
pub(crate) fn forward_unary(code: Code, x: f64, n: i32) -> f64 {
    match code {
        Code::Neg => -x,
        Code::Exp => x.exp(),
        Code::Ln => x.ln(),
        Code::Sqrt => x.sqrt(),
        Code::Tanh => x.tanh(),
        Code::Sin => x.sin(),
        Code::Cos => x.cos(),
        Code::Abs => x.abs(),
        Code::Relu => rules::relu(x),
        Code::Sigmoid => rules::sigmoid(x),
        Code::Powi => x.powi(n),
        _ => forward_unary_more(code, x),
    }
}

/// Forward of OPS.md's unary ops from row 20 on, out of line for the same
/// reason as [`forward_binary_more`].
#[inline(never)]
fn forward_unary_more(code: Code, x: f64) -> f64 {
    match code {
        Code::Sinh => x.sinh(),
        Code::Cosh => x.cosh(),
        Code::Tan => x.tan(),
        Code::Asin => x.asin(),
        Code::Acos => x.acos(),
        Code::Atan => x.atan(),
        Code::Asinh => x.asinh(),
        Code::Acosh => x.acosh(),
        Code::Atanh => x.atanh(),
        Code::Ln1p => x.ln_1p(),
        Code::ExpM1 => x.exp_m1(),
        Code::Exp2 => x.exp2(),
        Code::Log2 => x.log2(),
        Code::Log10 => x.log10(),
        Code::Cbrt => x.cbrt(),
        Code::Recip => x.recip(),
        Code::Signum => x.signum(),
        Code::Floor => x.floor(),
        Code::Ceil => x.ceil(),
        Code::Round => x.round(),
        Code::Trunc => x.trunc(),
        Code::Softplus => rules::softplus(x),
        Code::Gelu => rules::gelu(x),
        Code::Silu => rules::silu(x),
        Code::LogSigmoid => rules::log_sigmoid(x),
        _ => unreachable!("{code:?} is not a unary op"),
    }
}

/// What a derivative rule may do during the reverse sweep: reach an
/// operand, read a value, add to a gradient. `backward.rs` implements it
/// (its `Sweep`); the rules below see nothing else of the sweep, so this
/// file needs nothing from the rest of the engine. Every method is
/// always inlined there: the rules compile to the same code as if they
/// were written against the sweep itself.
pub(crate) trait Adjoints<'s> {
    /// The sweep's phase: in the sparse one a neuron is handled alone,
    /// not with its layer.
    const SPARSE: bool;
    /// A node index checked against the graph's length.
    type Node: Copy;
    /// Node `i`'s record, and `i` as a checked index.
    fn node(&self, i: usize) -> (Rec, Self::Node);
    /// Checks operand `c` and marks it as reached.
    fn operand(&mut self, c: u32) -> Self::Node;
    /// A node's forward value.
    fn x(&self, n: Self::Node) -> f64;
    /// Whether a node is a constant, whose adjoint a rule may skip.
    fn is_constant(&self, n: Self::Node) -> bool;
    /// A node's adjoint, complete when the sweep handles the node.
    fn adjoint(&mut self, n: Self::Node) -> f64;
    /// Adds `v` to a node's gradient.
    fn add(&mut self, n: Self::Node, v: f64);
    /// Adds `va` to `a`'s gradient and `vb` to `b`'s.
    fn add2(&mut self, a: Self::Node, va: f64, b: Self::Node, vb: f64);
    /// The tape's side buffer (the weighted sums' and layers' operands).
    fn side(&self) -> &'s [u32];
    /// Marks operands `start..start + n` as reached.
    fn reach_run(&mut self, start: usize, n: usize);
    /// The rule of a weighted sum over runs of nodes (`dw_k = x_k`, `dx_k = w_k`).
    fn weighted_sum_run(&mut self, w: usize, x: usize, n: usize, g: f64);
    /// The reached neurons of node `i`'s layer, rows `r` down to 0, together;
    /// returns the lowest node handled.
    fn dense_rows(&mut self, i: usize, at: u32, r: u32) -> usize;
    /// One neuron's rule given its weighted sum's adjoint `g`.
    fn neuron_row(&mut self, row: usize, x: usize, n: usize, g: f64);
}

/// Adds node `i`'s adjoint times each local derivative to its operands'
/// gradients: the chain rule for one node. One arm per op, in `OPS.md`
/// order, each the derivative column of the table next to its forward.
///
/// Each operand is checked once ([`Adjoints::operand`]), which also marks it
/// as part of the graph, before its value or gradient is touched; doing so
/// from the same `match` saves a second dispatch on the op per node.
///
/// An adjoint of exactly 0 passes nothing on through the rules whose local
/// derivative can be infinite for finite data (see the comment inside).
///
/// Returns the lowest node handled: `i`, except for a neuron in the dense
/// phase, which handles the reached neurons of its layer below it too
/// ([`Adjoints::dense_rows`]).
#[inline(always)]
pub(crate) fn propagate<'s, S: Adjoints<'s>>(sw: &mut S, i: usize) -> usize {
    let (Rec { a, b, code }, node) = sw.node(i);
    let (y, g) = (sw.x(node), sw.adjoint(node));
    // An adjoint of exactly 0 contributes nothing (`OPS.md`): the rules
    // whose local derivative can be infinite for finite data (`/`, `ln`,
    // `sqrt`, `exp`, the powers and the ops of `rules` but `mul_add`)
    // test it (the macro's `rules::guards_zero` lists the same ops), so a node
    // that is dead or on a branch not taken passes no `0 * inf = NaN` on.
    // `+ - *` and the bounded rules need no test: tested per node, it cost
    // 2 instructions a node on the chain (`count-instructions.sh`).
    let zero = g == 0.0;
    match code {
        Code::Leaf | Code::Const => {}
        // y = a + b: da = 1, db = 1
        Code::Add => {
            let (a, b) = (sw.operand(a), sw.operand(b));
            sw.add2(a, g, b, g);
        }
        // y = a - b: da = 1, db = -1
        Code::Sub => {
            let (a, b) = (sw.operand(a), sw.operand(b));
            sw.add2(a, g, b, -g);
        }
        // y = a * b: da = b, db = a
        Code::Mul => {
            let (a, b) = (sw.operand(a), sw.operand(b));
            let (xa, xb) = (sw.x(a), sw.x(b));
            sw.add2(a, g * xb, b, g * xa);
        }
        // y = a / b: da = 1 / b, db = -y / b
        Code::Div => {
            let (a, b) = (sw.operand(a), sw.operand(b));
            let xb = sw.x(b);
            if !zero {
                sw.add2(a, g / xb, b, g * (-y / xb));
            }
        }
        // y = -x: dx = -1
        Code::Neg => {
            let a = sw.operand(a);
            sw.add(a, -g);
        }
        // y = exp(x): dx = y
        Code::Exp => {
            let a = sw.operand(a);
            if !zero {
                sw.add(a, g * y);
            }
        }
        // y = ln(x): dx = 1 / x
        Code::Ln => {
            let a = sw.operand(a);
            let x = sw.x(a);
            if !zero {
                sw.add(a, g / x);
            }
        }
        // y = sqrt(x): dx = 0.5 / y
        Code::Sqrt => {
            let a = sw.operand(a);
            if !zero {
                sw.add(a, g * (0.5 / y));
            }
        }
        // y = tanh(x): dx = 1 - y * y
        Code::Tanh => {
            let a = sw.operand(a);
            sw.add(a, g * (1.0 - y * y));
        }
        // y = sin(x): dx = cos(x)
        Code::Sin => {
            let a = sw.operand(a);
            let x = sw.x(a);
            sw.add(a, g * x.cos());
        }
        // y = cos(x): dx = -sin(x)
        Code::Cos => {
            let a = sw.operand(a);
            let x = sw.x(a);
            sw.add(a, g * -x.sin());
        }
        // y = |x|: dx = 1 if x > 0, -1 if x < 0, 0 at x = 0
        Code::Abs => {
            let a = sw.operand(a);
            let x = sw.x(a);
            sw.add(a, g * rules::abs_d(x));
        }
        // y = relu(x): dx = 1 if x > 0 else 0
        Code::Relu => {
            let a = sw.operand(a);
            let x = sw.x(a);
            sw.add(a, if x > 0.0 { g } else { 0.0 });
        }
        // y = sigmoid(x): dx = y * (1 - y)
        Code::Sigmoid => {
            let a = sw.operand(a);
            sw.add(a, g * (y * (1.0 - y)));
        }
        // y = x^n: dx = n * x^(n-1), 0 when n = 0
        Code::Powi => {
            let a = sw.operand(a);
            let n = b as i32;
            let x = sw.x(a);
            if !zero {
                sw.add(a, g * rules::powi_d(x, n));
            }
        }
        // y = x^e: dx = e * x^(e-1), de = y * ln(x), de = 0 where y == 0
        Code::Powf => {
            let (a, b) = (sw.operand(a), sw.operand(b));
            let (x, e) = (sw.x(a), sw.x(b));
            let (dx, de) = rules::powf_d(x, e, y);
            // A constant exponent (`x.powf(3.0)`) gets no adjoint (its
            // `y ln x` is NaN for a negative base, which nobody asked for).
            let de = if sw.is_constant(b) { 0.0 } else { de };
            if !zero {
                sw.add2(a, g * dx, b, g * de);
            }
        }
        // The ops of OPS.md rows 20 to 49: their local derivatives are the
        // shared `rules` functions that `grad!` calls too.
        Code::Sinh => unary(sw, a, rules::sinh_d, g),
        Code::Cosh => unary(sw, a, rules::cosh_d, g),
        Code::Tan => unary(sw, a, |_| rules::tan_d(y), g),
        Code::Asin => unary(sw, a, rules::asin_d, g),
        Code::Acos => unary(sw, a, rules::acos_d, g),
        Code::Atan => unary(sw, a, rules::atan_d, g),
        Code::Asinh => unary(sw, a, rules::asinh_d, g),
        Code::Acosh => unary(sw, a, rules::acosh_d, g),
        Code::Atanh => unary(sw, a, rules::atanh_d, g),
        Code::Atan2 => binary(sw, a, b, rules::atan2_d, g),
        Code::Hypot => binary(sw, a, b, |p, q| rules::hypot_d(p, q, y), g),
        Code::Ln1p => unary(sw, a, rules::ln_1p_d, g),
        Code::ExpM1 => unary(sw, a, rules::exp_m1_d, g),
        Code::Exp2 => unary(sw, a, |_| rules::exp2_d(y), g),
        Code::Log2 => unary(sw, a, rules::log2_d, g),
        Code::Log10 => unary(sw, a, rules::log10_d, g),
        Code::Log => binary(sw, a, b, |p, q| rules::log_d(p, q, y), g),
        Code::Cbrt => unary(sw, a, |_| rules::cbrt_d(y), g),
        Code::Recip => unary(sw, a, |_| rules::recip_d(y), g),
        // y = a b + c: da = b, db = a, dc = 1 (operands in the side buffer)
        Code::MulAdd => {
            let ops = &sw.side()[a as usize..][..3];
            let (p, q, r) = (sw.operand(ops[0]), sw.operand(ops[1]), sw.operand(ops[2]));
            let (xp, xq) = (sw.x(p), sw.x(q));
            // Like `*`: finite local derivatives, no test of the adjoint.
            let (dp, dq, dr) = rules::mul_add_d(xp, xq);
            sw.add(p, g * dp);
            sw.add(q, g * dq);
            sw.add(r, g * dr);
        }
        // Piecewise constant: dx = 0, nothing to pass on.
        Code::Signum | Code::Floor | Code::Ceil | Code::Round | Code::Trunc => {
            sw.operand(a);
        }
        Code::Softplus => unary(sw, a, rules::softplus_d, g),
        Code::LeakyRelu => binary(sw, a, b, rules::leaky_relu_d, g),
        Code::Gelu => unary(sw, a, rules::gelu_d, g),
        Code::Silu => unary(sw, a, rules::silu_d, g),
        Code::LogSigmoid => unary(sw, a, rules::log_sigmoid_d, g),
        // y = sum_i w_i * x_i + bias: dw_i = x_i, dx_i = w_i, dbias = 1
        Code::WeightedSum => {
            let n = b as usize;
            let operands = &sw.side()[a as usize..][..2 * n + 1];
            // Every operand is reached before any gradient changes; the
            // second `operand` call per index only re-checks it.
            for &c in operands {
                sw.operand(c);
            }
            let (ws, rest) = operands.split_at(n);
            let (xs, bias) = rest.split_at(n);
            for (&w, &x) in ws.iter().zip(xs) {
                let (w, x) = (sw.operand(w), sw.operand(x));
                let (dw, dx) = (sw.x(x), sw.x(w));
                sw.add(w, g * dw);
                sw.add(x, g * dx);
            }
            let bias = sw.operand(bias[0]);
            sw.add(bias, g);
        }
        // The same rule over two runs of nodes, which forward made either
        // identical or disjoint. Operands are reached first, then each
        // gradient receives the same additions in the same order as in the
        // gathered form above: the same bits. The runs are marked in one
        // check each (usually all marked already), and the update is a
        // loop over four plain slices, which compiles to SIMD.
        Code::WeightedSumRun => {
            let [w, x, bias] = run_operands(sw.side(), a);
            let (w, x, n) = (w as usize, x as usize, b as usize);
            sw.reach_run(w, n);
            if w != x {
                sw.reach_run(x, n);
            }
            let bias = sw.operand(bias);
            sw.weighted_sum_run(w, x, n, g);
            sw.add(bias, g);
        }
        // y = act(sum_i w_i * x_i + bias), a neuron: the activation's rule
        // then the weighted sum's, with the same bits as the two nodes.
        // The parameters are leaves (see `Sweep::update_rows`) and take
        // their share directly; a neuron whose adjoint is exactly 0 (an
        // inactive relu) would only add zeros, so it is skipped.
        Code::Dense if !S::SPARSE => return sw.dense_rows(i, a, b),
        Code::Dense => {
            let d = dense_operands(sw.side(), a, b);
            let g = activation_adjoint(d.act, y, g);
            if g != 0.0 {
                let (row, x, n) = (d.row as usize, d.x as usize, d.nin as usize);
                sw.reach_run(x, n);
                sw.neuron_row(row, x, n, g);
            }
        }
    }
    i
}
