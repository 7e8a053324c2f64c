//! Small datasets for the training examples: the lecture notebook's four
//! samples and a seeded two-moons generator.
//!
//! Every generator takes a `u64` seed and draws from [`ChaCha8Rng`], whose
//! output stream is specified by its algorithm rather than by a crate
//! release, so a seed names the same dataset on every machine and version.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Inputs and +-1 (or real-valued) targets, one row per sample.
///
/// Rows are `Vec<f64>` rather than fixed arrays because the two datasets
/// have different input sizes (3 for the notebook, 2 for moons) and the
/// networks take slices.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// One input row per sample; all rows have the same length.
    pub xs: Vec<Vec<f64>>,
    /// One target per sample.
    pub ys: Vec<f64>,
}

impl Dataset {
    /// Number of samples.
    ///
    /// ```
    /// assert_eq!(micrograd_runtime::data::notebook().len(), 4);
    /// ```
    pub fn len(&self) -> usize {
        self.ys.len()
    }

    /// True when there are no samples (clippy wants it beside `len`).
    ///
    /// ```
    /// assert!(!micrograd_runtime::data::notebook().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.ys.is_empty()
    }

    /// Input size of every row, so a network can be sized from the data.
    ///
    /// ```
    /// assert_eq!(micrograd_runtime::data::moons(10, 0.1, 0).nin(), 2);
    /// ```
    pub fn nin(&self) -> usize {
        self.xs.first().map_or(0, Vec::len)
    }
}

/// The four samples the lecture notebook trains its 3 -> 4 -> 4 -> 1 tanh
/// net on, with targets +-1.
///
/// ```
/// let d = micrograd_runtime::data::notebook();
/// assert_eq!(d.xs[1], vec![3.0, -1.0, 0.5]);
/// assert_eq!(d.ys, vec![1.0, -1.0, -1.0, 1.0]);
/// ```
pub fn notebook() -> Dataset {
    Dataset {
        xs: vec![
            vec![2.0, 3.0, -1.0],
            vec![3.0, -1.0, 0.5],
            vec![0.5, 1.0, 1.0],
            vec![1.0, 1.0, -1.0],
        ],
        ys: vec![1.0, -1.0, -1.0, 1.0],
    }
}

/// Two interleaving half circles in the plane, labelled -1 (upper moon) and
/// +1 (lower moon), with Gaussian noise of standard deviation `noise` added
/// to both coordinates.
///
/// The upper moon is `(cos t, sin t)` and the lower one
/// `(1 - cos t, 0.5 - sin t)` for `t` evenly spaced over `[0, pi]`: the shape
/// of scikit-learn's `make_moons`, which micrograd's demo uses, but drawn by
/// our own code and our own generator, so the points differ from sklearn's.
/// The first `n / 2` points are the upper moon.
///
/// ```
/// use micrograd_runtime::data::moons;
/// let d = moons(100, 0.1, 7);
/// assert_eq!(d.len(), 100);
/// assert_eq!(d, moons(100, 0.1, 7)); // same seed, same points
/// assert_eq!(d.ys.iter().filter(|&&y| y > 0.0).count(), 50);
/// ```
pub fn moons(n: usize, noise: f64, seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n_upper = n / 2;
    let n_lower = n - n_upper;
    let mut xs = Vec::with_capacity(n);
    let mut ys = Vec::with_capacity(n);
    for (count, label) in [(n_upper, -1.0), (n_lower, 1.0)] {
        for i in 0..count {
            let t = if count > 1 {
                std::f64::consts::PI * i as f64 / (count - 1) as f64
            } else {
                0.0
            };
            let (x, y) = if label < 0.0 {
                (t.cos(), t.sin())
            } else {
                (1.0 - t.cos(), 0.5 - t.sin())
            };
            let (nx, ny) = gaussian_pair(&mut rng);
            xs.push(vec![x + noise * nx, y + noise * ny]);
            ys.push(label);
        }
    }
    Dataset { xs, ys }
}

/// Two independent standard normal draws by the Box-Muller transform; done
/// here so the runtime needs no distribution crate beyond `rand`.
fn gaussian_pair(rng: &mut impl Rng) -> (f64, f64) {
    // 1 - u lies in (0, 1], so the logarithm is finite.
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    let r = (-2.0 * u1.ln()).sqrt();
    let theta = std::f64::consts::TAU * u2;
    (r * theta.cos(), r * theta.sin())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moons_without_noise_lie_on_the_two_circles() {
        // Upper moon: x^2 + y^2 = 1; lower moon: (x-1)^2 + (y-0.5)^2 = 1.
        let d = moons(20, 0.0, 1);
        for (x, &label) in d.xs.iter().zip(&d.ys) {
            let r2 = if label < 0.0 {
                x[0] * x[0] + x[1] * x[1]
            } else {
                (x[0] - 1.0).powi(2) + (x[1] - 0.5).powi(2)
            };
            assert!((r2 - 1.0).abs() < 1e-12, "{x:?} off its circle");
        }
    }

    #[test]
    fn noise_has_roughly_the_requested_spread() {
        // Residuals from the noiseless points are N(0, 0.1^2): with 2000
        // draws the sample standard deviation is within a few percent.
        let clean = moons(1000, 0.0, 3);
        let noisy = moons(1000, 0.1, 3);
        let r: Vec<f64> = clean
            .xs
            .iter()
            .zip(&noisy.xs)
            .flat_map(|(a, b)| [b[0] - a[0], b[1] - a[1]])
            .collect();
        let mean = r.iter().sum::<f64>() / r.len() as f64;
        let sd = (r.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / r.len() as f64).sqrt();
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((sd - 0.1).abs() < 0.006, "sd {sd}");
    }

    #[test]
    fn different_seeds_give_different_points() {
        assert_ne!(moons(10, 0.1, 1), moons(10, 0.1, 2));
    }
}
