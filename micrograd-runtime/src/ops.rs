//! The ops that `grad!` and `Value` have and `f64` lacks, as methods on
//! `f64`: `x.relu()`, `x.sigmoid()`, `x.softplus()`, `x.leaky_relu(s)`,
//! `x.gelu()`, `x.silu()`, `x.log_sigmoid()`.
//!
//! A `#[differentiable]` function is also an ordinary Rust function, so its
//! body must compile on `f64`: the attribute puts
//! `use ::micrograd::ops::F64Ops as _;` at the top of the body, and these
//! methods resolve there with nothing to import. Other code can import
//! [`F64Ops`] the same way. Each method computes exactly what the two
//! engines compute for the op (`OPS.md`), through the same functions of
//! [`crate::rules`], so a function's value is the same bits whether it is
//! called directly, from `grad!` or on `Value`s.
//!
//! ```
//! use micrograd_runtime::ops::F64Ops as _;
//! assert_eq!((-2.0f64).relu(), 0.0);
//! assert_eq!(0.0f64.sigmoid(), 0.5);
//! assert_eq!(0.0f64.softplus(), 2.0f64.ln());
//! ```

use crate::rules;

/// The `grad!` ops that `f64` has no method for (see the [module](self)).
pub trait F64Ops: Copy {
    /// `x` if `x > 0`, else 0 (`OPS.md` row 13; NaN gives 0, as on `Value`).
    fn relu(self) -> f64;
    /// `1 / (1 + e^-x)`, stable on both tails (row 14).
    fn sigmoid(self) -> f64;
    /// `ln(1 + e^x)`, stable (row 45).
    fn softplus(self) -> f64;
    /// `x` if `x > 0`, else `slope * x` (row 46).
    fn leaky_relu(self, slope: f64) -> f64;
    /// GELU in GPT-2's tanh approximation (row 47).
    fn gelu(self) -> f64;
    /// `x sigmoid(x)` (row 48).
    fn silu(self) -> f64;
    /// `ln(sigmoid(x))`, stable (row 49).
    fn log_sigmoid(self) -> f64;
}

impl F64Ops for f64 {
    #[inline]
    fn relu(self) -> f64 {
        rules::relu(self)
    }
    #[inline]
    fn sigmoid(self) -> f64 {
        rules::sigmoid(self)
    }
    #[inline]
    fn softplus(self) -> f64 {
        rules::softplus(self)
    }
    #[inline]
    fn leaky_relu(self, slope: f64) -> f64 {
        rules::leaky_relu(self, slope)
    }
    #[inline]
    fn gelu(self) -> f64 {
        rules::gelu(self)
    }
    #[inline]
    fn silu(self) -> f64 {
        rules::silu(self)
    }
    #[inline]
    fn log_sigmoid(self) -> f64 {
        rules::log_sigmoid(self)
    }
}

#[cfg(test)]
mod tests {
    use super::F64Ops;
    use crate::Value;

    /// Each method is the `Value` engine's forward, to the bit.
    #[test]
    fn methods_are_the_value_engines_forward() {
        for x in [
            -800.0, -3.5, -1e-300, -0.0, 0.0, 1e-300, 0.25, 2.0, 40.0, 800.0,
        ] {
            let v = Value::new(x);
            let pairs = [
                (x.relu(), v.relu().data()),
                (x.sigmoid(), v.sigmoid().data()),
                (x.softplus(), v.softplus().data()),
                (x.leaky_relu(0.1), v.leaky_relu(0.1).data()),
                (x.gelu(), v.gelu().data()),
                (x.silu(), v.silu().data()),
                (x.log_sigmoid(), v.log_sigmoid().data()),
            ];
            for (k, (a, b)) in pairs.into_iter().enumerate() {
                assert_eq!(a.to_bits(), b.to_bits(), "method {k} at {x}");
            }
        }
    }
}
