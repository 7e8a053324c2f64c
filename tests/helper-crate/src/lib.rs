//! Test fixture for `micrograd`'s cross-crate tests (`tests/cross_crate.rs`
//! in the root crate): `#[differentiable]` functions defined in another
//! crate, at the root and in a module, called from `grad!` there.

use micrograd::differentiable;

/// `ln(1 + e^x)` through the `f64` method the attribute brings in
/// (`micrograd::ops::F64Ops`).
#[differentiable]
pub fn soft(x: f64) -> f64 {
    x.softplus()
}

/// Small neural-net pieces.
pub mod nn {
    use micrograd::differentiable;

    /// `tanh(w . x + b)`.
    #[differentiable]
    pub fn neuron(w: &[f64; 3], x: &[f64; 3], b: f64) -> f64 {
        let mut s = b;
        for i in 0..3 {
            s += w[i] * x[i];
        }
        s.tanh()
    }

    /// Two relu units over the same input: `h_j = relu(w_j . x)`.
    #[differentiable]
    pub fn layer(w: &[[f64; 3]; 2], x: &[f64; 3]) -> [f64; 2] {
        let mut h = [0.0; 2];
        for j in 0..2 {
            let mut s = 0.0;
            for i in 0..3 {
                s += w[j][i] * x[i];
            }
            h[j] = s.relu();
        }
        h
    }

    /// `x^2` whose derivative is clipped to `[-1, 1]`: a custom pullback
    /// defined in this crate.
    #[differentiable(pullback = clipped_square_pullback)]
    pub fn clipped_square(x: f64) -> f64 {
        x * x
    }

    /// The pullback of [`clipped_square`]: `gy * clamp(2 x, -1, 1)`.
    pub fn clipped_square_pullback(x: f64, gy: f64) -> [f64; 1] {
        [gy * (2.0 * x).clamp(-1.0, 1.0)]
    }
}
