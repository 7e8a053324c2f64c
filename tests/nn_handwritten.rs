//! The hand-written f64 baseline for one training step of micrograd's demo
//! setup (Mlp 2 -> 16 -> 16 -> 1, relu, relu, linear; max-margin loss plus
//! 1e-4 * sum(p^2); SGD), with no graph at all: plain arrays, the forward
//! pass, and a backward pass derived by hand.
//!
//! It lives in `tests/` so its gradients are checked against central finite
//! differences here, and `benches/train.rs` includes this same file with
//! `#[path]`, so the code that is timed is the code that is tested.

// Index loops mirror the subscripts of the formulas (z_j += w_kj h_k);
// iterator chains over three arrays at once would hide them.
#![allow(clippy::needless_range_loop)]

/// Input size of the moons net.
pub const NIN: usize = 2;
/// Width of both hidden layers.
pub const H: usize = 16;

/// Weights stored input-major (`w1t[k][j]` is the weight from input `k` to
/// neuron `j`), so the forward pass is a run of `z += w_k * h_k` updates over
/// contiguous rows, which the compiler vectorizes, instead of dot products,
/// whose serial sum it may not reorder.
#[derive(Clone, Debug, PartialEq)]
pub struct HandMlp {
    pub w1t: [[f64; H]; NIN],
    pub b1: [f64; H],
    pub w2t: [[f64; H]; H],
    pub b2: [f64; H],
    pub w3: [f64; H],
    pub b3: f64,
}

/// A 16-term dot product with four independent partial sums, so additions
/// overlap instead of waiting on one another.
#[inline]
fn dot(a: &[f64; H], b: &[f64; H]) -> f64 {
    let mut acc = [0.0; 4];
    for c in 0..H / 4 {
        for l in 0..4 {
            acc[l] += a[4 * c + l] * b[4 * c + l];
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

impl HandMlp {
    /// 2*16 + 16 + 16*16 + 16 + 16 + 1 = 337.
    pub const N_PARAMS: usize = H * (NIN + 1) + H * (H + 1) + H + 1;

    pub fn zeros() -> Self {
        HandMlp {
            w1t: [[0.0; H]; NIN],
            b1: [0.0; H],
            w2t: [[0.0; H]; H],
            b2: [0.0; H],
            w3: [0.0; H],
            b3: 0.0,
        }
    }

    /// Reads parameters in `Mlp::parameters()` order (layer by layer,
    /// neuron by neuron, weights then bias), so both engines can start from
    /// the same point.
    pub fn from_params(p: &[f64]) -> Self {
        assert_eq!(
            p.len(),
            Self::N_PARAMS,
            "expected {} parameters",
            Self::N_PARAMS
        );
        let mut m = Self::zeros();
        let mut it = p.iter().copied();
        let mut next = || it.next().unwrap();
        for j in 0..H {
            for k in 0..NIN {
                m.w1t[k][j] = next();
            }
            m.b1[j] = next();
        }
        for j in 0..H {
            for k in 0..H {
                m.w2t[k][j] = next();
            }
            m.b2[j] = next();
        }
        for k in 0..H {
            m.w3[k] = next();
        }
        m.b3 = next();
        m
    }

    /// The inverse of [`HandMlp::from_params`].
    pub fn to_params(&self) -> Vec<f64> {
        let mut p = Vec::with_capacity(Self::N_PARAMS);
        for j in 0..H {
            p.extend((0..NIN).map(|k| self.w1t[k][j]));
            p.push(self.b1[j]);
        }
        for j in 0..H {
            p.extend((0..H).map(|k| self.w2t[k][j]));
            p.push(self.b2[j]);
        }
        p.extend_from_slice(&self.w3);
        p.push(self.b3);
        p
    }

    /// Loss, accuracy and (into `g`, overwritten) the gradient of
    /// `L = mean_i relu(1 - y_i s_i) + alpha * sum(p^2)`.
    ///
    /// Backward, per point with `m_i = 1 - y_i s_i > 0` (else it adds 0):
    /// `ds = -y_i / n`; `dw3 += ds h2`, `db3 += ds`;
    /// `dz2 = ds w3 [z2 > 0]`; `dw2 += dz2 h1^T`, `db2 += dz2`;
    /// `dz1 = (w2^T dz2) [z1 > 0]`; `dw1 += dz1 x^T`, `db1 += dz1`.
    /// The regularizer adds `2 alpha p` to every parameter's gradient.
    pub fn loss_grad(
        &self,
        xs: &[[f64; NIN]],
        ys: &[f64],
        alpha: f64,
        g: &mut HandMlp,
    ) -> (f64, f64) {
        *g = Self::zeros();
        let n = xs.len() as f64;
        let mut data_loss = 0.0;
        let mut correct = 0usize;
        for (x, &y) in xs.iter().zip(ys) {
            let mut z1 = self.b1;
            for k in 0..NIN {
                for j in 0..H {
                    z1[j] += self.w1t[k][j] * x[k];
                }
            }
            let h1 = z1.map(|z| z.max(0.0));
            let mut z2 = self.b2;
            for k in 0..H {
                for j in 0..H {
                    z2[j] += self.w2t[k][j] * h1[k];
                }
            }
            let h2 = z2.map(|z| z.max(0.0));
            let s = self.b3 + dot(&self.w3, &h2);
            if (y > 0.0) == (s > 0.0) {
                correct += 1;
            }
            let margin = 1.0 - y * s;
            if margin <= 0.0 {
                continue;
            }
            data_loss += margin;
            let ds = -y / n;
            g.b3 += ds;
            let mut dz2 = [0.0; H];
            for j in 0..H {
                g.w3[j] += ds * h2[j];
                dz2[j] = if z2[j] > 0.0 { ds * self.w3[j] } else { 0.0 };
                g.b2[j] += dz2[j];
            }
            let mut dz1 = [0.0; H];
            for k in 0..H {
                for j in 0..H {
                    g.w2t[k][j] += dz2[j] * h1[k];
                }
                dz1[k] = if z1[k] > 0.0 {
                    dot(&self.w2t[k], &dz2)
                } else {
                    0.0
                };
                g.b1[k] += dz1[k];
            }
            for k in 0..NIN {
                for j in 0..H {
                    g.w1t[k][j] += dz1[j] * x[k];
                }
            }
        }
        let mut reg = 0.0;
        self.zip_params(g, |p, gp| {
            reg += p * p;
            *gp += 2.0 * alpha * p;
        });
        (data_loss / n + alpha * reg, correct as f64 / n)
    }

    /// `p -= lr * g` for every parameter.
    pub fn sgd(&mut self, g: &HandMlp, lr: f64) {
        for k in 0..NIN {
            for j in 0..H {
                self.w1t[k][j] -= lr * g.w1t[k][j];
            }
        }
        for k in 0..H {
            for j in 0..H {
                self.w2t[k][j] -= lr * g.w2t[k][j];
            }
        }
        for j in 0..H {
            self.b1[j] -= lr * g.b1[j];
            self.b2[j] -= lr * g.b2[j];
            self.w3[j] -= lr * g.w3[j];
        }
        self.b3 -= lr * g.b3;
    }

    /// One full-batch training step; returns the loss and accuracy before
    /// the update, as the demo prints them.
    pub fn step(
        &mut self,
        xs: &[[f64; NIN]],
        ys: &[f64],
        alpha: f64,
        lr: f64,
        g: &mut HandMlp,
    ) -> (f64, f64) {
        let out = self.loss_grad(xs, ys, alpha, g);
        self.sgd(g, lr);
        out
    }

    fn zip_params(&self, g: &mut HandMlp, mut f: impl FnMut(f64, &mut f64)) {
        for k in 0..NIN {
            for j in 0..H {
                f(self.w1t[k][j], &mut g.w1t[k][j]);
            }
        }
        for k in 0..H {
            for j in 0..H {
                f(self.w2t[k][j], &mut g.w2t[k][j]);
            }
        }
        for j in 0..H {
            f(self.b1[j], &mut g.b1[j]);
            f(self.b2[j], &mut g.b2[j]);
            f(self.w3[j], &mut g.w3[j]);
        }
        f(self.b3, &mut g.b3);
    }
}

/// The same step written by hand over the loops of the `grad!` program in
/// `examples/shared/moons_static.rs`: the flat layout of
/// `Mlp::parameters_f64` (neuron by neuron, weights then bias), one dot
/// product per neuron, summed left to right. Where [`HandMlp`] is the
/// floor (a layout chosen so the compiler vectorizes), this is what a
/// person writes for the program's own layout: each point's forward pass
/// keeps its pre-activations, then its backward pass runs at once, and a
/// point whose margin is met or a neuron that relu switched off is skipped.
/// The loss at `p` (length 337) is returned and the gradient written to
/// `g` (length 337, overwritten); `xs` are the points, `ys` labels +-1.
pub fn flat_loss_grad(p: &[f64], xs: &[[f64; NIN]], ys: &[f64], alpha: f64, g: &mut [f64]) -> f64 {
    assert_eq!((p.len(), g.len()), (HandMlp::N_PARAMS, HandMlp::N_PARAMS));
    const L2: usize = NIN * H + H; // 48: layer 2's first parameter
    const L3: usize = L2 + (H + 1) * H; // 320: layer 3's first weight
    g.fill(0.0);
    let n = xs.len() as f64;
    let mut data_loss = 0.0;
    for (x, &y) in xs.iter().zip(ys) {
        let (mut z1, mut h1) = ([0.0; H], [0.0; H]);
        for j in 0..H {
            let w = &p[(NIN + 1) * j..(NIN + 1) * (j + 1)];
            let mut z = w[NIN];
            for i in 0..NIN {
                z += w[i] * x[i];
            }
            (z1[j], h1[j]) = (z, z.max(0.0));
        }
        let (mut z2, mut h2) = ([0.0; H], [0.0; H]);
        for j in 0..H {
            let w = &p[L2 + (H + 1) * j..L2 + (H + 1) * (j + 1)];
            let mut z = w[H];
            for i in 0..H {
                z += w[i] * h1[i];
            }
            (z2[j], h2[j]) = (z, z.max(0.0));
        }
        let mut s = p[L3 + H];
        for i in 0..H {
            s += p[L3 + i] * h2[i];
        }
        // relu(1 - y s): nothing flows back where the margin is met.
        let margin = 1.0 - y * s;
        if margin <= 0.0 {
            continue;
        }
        data_loss += margin;
        let ds = -y / n;
        g[L3 + H] += ds;
        let mut dh2 = [0.0; H];
        for i in 0..H {
            g[L3 + i] += ds * h2[i];
            dh2[i] = ds * p[L3 + i];
        }
        let mut dh1 = [0.0; H];
        for j in 0..H {
            if z2[j] <= 0.0 {
                continue;
            }
            let at = L2 + (H + 1) * j;
            g[at + H] += dh2[j];
            for i in 0..H {
                g[at + i] += dh2[j] * h1[i];
                dh1[i] += dh2[j] * p[at + i];
            }
        }
        for j in 0..H {
            if z1[j] <= 0.0 {
                continue;
            }
            let at = (NIN + 1) * j;
            g[at + NIN] += dh1[j];
            for i in 0..NIN {
                g[at + i] += dh1[j] * x[i];
            }
        }
    }
    let mut reg = 0.0;
    for (w, dw) in p.iter().zip(g.iter_mut()) {
        reg += w * w;
        *dw += 2.0 * alpha * w;
    }
    data_loss / n + alpha * reg
}

#[cfg(test)]
mod tests {
    use super::*;
    use micrograd::data::moons;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    const ALPHA: f64 = 1e-4;

    /// Random weights *and* biases in (-1, 1), so every bias gradient is
    /// exercised too (the demo starts biases at 0).
    fn random_net(seed: u64) -> HandMlp {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let p: Vec<f64> = (0..HandMlp::N_PARAMS)
            .map(|_| rng.random_range(-1.0..1.0))
            .collect();
        HandMlp::from_params(&p)
    }

    fn moons_arrays(n: usize, seed: u64) -> (Vec<[f64; NIN]>, Vec<f64>) {
        let d = moons(n, 0.1, seed);
        (d.xs.iter().map(|x| [x[0], x[1]]).collect(), d.ys)
    }

    #[test]
    fn parameter_count_and_order_round_trip() {
        assert_eq!(HandMlp::N_PARAMS, 337);
        let p: Vec<f64> = (0..337).map(f64::from).collect();
        assert_eq!(HandMlp::from_params(&p).to_params(), p);
    }

    #[test]
    fn gradient_matches_central_finite_differences() {
        // dL/dp_i ~ (L(p + h e_i) - L(p - h e_i)) / 2h, error O(h^2) away
        // from relu kinks; with h = 1e-6 no pre-activation of these 100
        // points lies within h of a kink (the check would fail loudly if one did).
        let (xs, ys) = moons_arrays(100, 5);
        for seed in [1, 2] {
            let net = random_net(seed);
            let mut g = HandMlp::zeros();
            net.loss_grad(&xs, &ys, ALPHA, &mut g);
            let analytic = g.to_params();
            let p = net.to_params();
            let h = 1e-6;
            let mut scratch = HandMlp::zeros();
            let mut nonzero = 0;
            for i in 0..p.len() {
                let mut plus = p.clone();
                plus[i] += h;
                let mut minus = p.clone();
                minus[i] -= h;
                let lp = HandMlp::from_params(&plus)
                    .loss_grad(&xs, &ys, ALPHA, &mut scratch)
                    .0;
                let lm = HandMlp::from_params(&minus)
                    .loss_grad(&xs, &ys, ALPHA, &mut scratch)
                    .0;
                let fd = (lp - lm) / (2.0 * h);
                assert!(
                    (fd - analytic[i]).abs() <= 1e-6 * (1.0 + fd.abs()),
                    "param {i}: analytic {} vs finite difference {fd}",
                    analytic[i]
                );
                if analytic[i].abs() > 1e-3 {
                    nonzero += 1;
                }
            }
            // Guard against a vacuous pass (e.g. every margin satisfied).
            assert!(nonzero > 100, "only {nonzero} gradients are non-trivial");
        }
    }

    #[test]
    fn loss_matches_the_definition_at_zero_weights() {
        // All weights and biases 0: every score is 0, so each margin is
        // 1 - y*0 = 1 and L = mean(1) + 1e-4 * 0 = 1. Accuracy: s > 0 is
        // false, so exactly the y = -1 points (half) count as correct.
        let (xs, ys) = moons_arrays(10, 0);
        let mut g = HandMlp::zeros();
        let (loss, acc) = HandMlp::zeros().loss_grad(&xs, &ys, ALPHA, &mut g);
        assert!((loss - 1.0).abs() < 1e-15);
        assert!((acc - 0.5).abs() < 1e-15);
        // Only b3 gets a gradient: dL/db3 = mean(-y) = 0 for balanced labels.
        assert!(g.b3.abs() < 1e-15);
    }

    #[test]
    fn sgd_steps_lower_the_loss() {
        let (xs, ys) = moons_arrays(100, 5);
        let mut net = random_net(3);
        let mut g = HandMlp::zeros();
        let (first, _) = net.loss_grad(&xs, &ys, ALPHA, &mut g);
        for k in 0..50 {
            let lr = 1.0 - 0.9 * k as f64 / 50.0;
            net.step(&xs, &ys, ALPHA, lr * 0.1, &mut g);
        }
        let (last, _) = net.loss_grad(&xs, &ys, ALPHA, &mut g);
        assert!(last < 0.5 * first, "loss {first} -> {last}");
    }

    #[test]
    fn the_flat_version_matches_the_floor() {
        // Two independent hand derivations in two layouts: the flat one
        // against HandMlp (checked against finite differences above),
        // entry by entry in the flat order.
        let (xs, ys) = moons_arrays(100, 2);
        let net = random_net(7);
        let mut g = HandMlp::zeros();
        let (loss, _) = net.loss_grad(&xs, &ys, ALPHA, &mut g);
        let mut flat = vec![0.0; HandMlp::N_PARAMS];
        let flat_loss = flat_loss_grad(&net.to_params(), &xs, &ys, ALPHA, &mut flat);
        assert!((flat_loss - loss).abs() <= 1e-12 * loss.abs());
        for (k, (a, b)) in flat.iter().zip(g.to_params()).enumerate() {
            assert!((a - b).abs() <= 1e-12 * (1.0 + b.abs()), "{k}: {a} vs {b}");
        }
    }
}
