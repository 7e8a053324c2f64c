//! The moons network of `examples/train.rs` (2 -> 16 -> 16 -> 1; relu,
//! relu, linear; max-margin loss plus `alpha * sum(p^2)`, full batch),
//! written once as an ordinary `grad!` program: the same network, as a
//! program, compiled to its gradient.
//!
//! The parameters are one slice in the flat layout of
//! `Mlp::parameters_f64` (layer by layer, neuron by neuron, each neuron's
//! weights then its bias), so the `grad!` gradient and the `Value`
//! engine's gradients line up entry by entry:
//!
//! | entries     | what                                              |
//! |-------------|---------------------------------------------------|
//! | `0..48`     | layer 1: neuron `j` at `3 j`: 2 weights, 1 bias    |
//! | `48..320`   | layer 2: neuron `j` at `48 + 17 j`: 16 weights, 1 bias |
//! | `320..337`  | layer 3: 16 weights at `320`, the bias at `336`    |

use micrograd::grad;

/// The layer sizes, input first.
pub const SIZES: [usize; 4] = [2, 16, 16, 1];
/// How many parameters the flat layout holds.
pub const PARAMS: usize = 3 * 16 + 17 * 16 + 17;

/// Hands the network's program, one text, to a macro: `grad` for
/// training, `compare` for the three-way check (issue 15: the gradient the
/// training uses and the one `compare!` checks come from the same tokens).
/// `xs` (points of length 2), `ys` (labels -1 or +1) and `alpha` (the L2
/// weight) are captured by name.
#[macro_export]
macro_rules! with_moons_program {
    ($mac:ident, $xs:ident, $ys:ident, $alpha:ident) => {
        $mac!(|p: &[f64]| {
            let mut loss = 0.0;
            for k in 0..$xs.len() {
                // Layer 1: relu(w . x + b) for 16 neurons.
                let mut h1 = [0.0; 16];
                for j in 0..16 {
                    let mut z = p[3 * j + 2];
                    for i in 0..2 {
                        z += p[3 * j + i] * $xs[k][i];
                    }
                    h1[j] = z.relu();
                }
                // Layer 2, the same on h1.
                let mut h2 = [0.0; 16];
                for j in 0..16 {
                    let mut z = p[48 + 17 * j + 16];
                    for i in 0..16 {
                        z += p[48 + 17 * j + i] * h1[i];
                    }
                    h2[j] = z.relu();
                }
                // Layer 3: a linear score.
                let mut score = p[336];
                for i in 0..16 {
                    score += p[320 + i] * h2[i];
                }
                // micrograd's max-margin loss.
                loss += (1.0 - $ys[k] * score).relu();
            }
            let mut reg = 0.0;
            for i in 0..p.len() {
                reg += p[i] * p[i];
            }
            loss / $xs.len() as f64 + $alpha * reg
        })
    };
}

/// The loss at `p` (length [`PARAMS`]) and its gradient, in the same flat
/// order, over the points `xs` (each of length 2) with labels `ys` (-1 or
/// +1).
pub fn loss_and_gradient(p: &[f64], xs: &[[f64; 2]], ys: &[f64], alpha: f64) -> (f64, Vec<f64>) {
    assert_eq!(p.len(), PARAMS, "the moons network has {PARAMS} parameters");
    let f = with_moons_program!(grad, xs, ys, alpha);
    f(p)
}
