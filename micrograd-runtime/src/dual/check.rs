//! `compare_hessian!`'s report: the compiled Hessian against central finite
//! differences of the compiled gradient.
//!
//! The dynamic `Value` engine has no second derivatives (its tape records
//! first-order rules only), so there is no third column here, unlike
//! `compare!`: the independent check is the finite difference of `grad!`'s
//! gradient, whose first derivatives `compare!` already checks against the
//! `Value` engine and against finite differences of the function.

use crate::check::{Flat, disagreement, fd_step};
use std::fmt;

/// Column `j` of the Hessian by a central difference of the gradient:
/// `(g(x + h e_j) - g(x - h e_j)) / (2h)` with `h = fd_step(x_j)` (the
/// step of `compare!`), divided by the distance between the two stored
/// values of `x_j`. Returns `h[i][j] = d g_i / d x_j`, rows in the flat
/// order of [`Flat`]; not symmetrized.
///
/// The error is `O(h^2)` from truncation plus about `eps |g| / h` from
/// rounding: with `h = cbrt(eps) max(1, |x|)` about `1e-10` relative on
/// well-scaled functions.
///
/// ```
/// use micrograd_runtime::dual::check::hessian_fd;
/// // f = x^2 y: g = (2xy, x^2), H = [[2y, 2x], [2x, 0]] = [[4, 6], [6, 0]] at (3, 2)
/// let g = |[x, y]: [f64; 2]| (x * x * y, [2.0 * x * y, x * x]);
/// let h = hessian_fd(g, &[3.0, 2.0]);
/// for (row, want) in h.iter().zip([[4.0, 6.0], [6.0, 0.0]]) {
///     for (a, b) in row.iter().zip(want) {
///         assert!((a - b).abs() < 1e-8);
///     }
/// }
/// ```
pub fn hessian_fd<P: Flat + Clone, G: Flat>(
    grad: impl Fn(P) -> (f64, G),
    point: &P,
) -> Vec<Vec<f64>> {
    let n = point.flat_len();
    let mut h = vec![vec![0.0; n]; n];
    for j in 0..n {
        let x = *point.clone().flat_mut(j);
        let step = fd_step(x);
        let (mut plus, mut minus) = (point.clone(), point.clone());
        *plus.flat_mut(j) += step;
        *minus.flat_mut(j) -= step;
        let dist = *plus.flat_mut(j) - *minus.flat_mut(j);
        let (gp, gm) = (grad(plus).1.flatten(), grad(minus).1.flatten());
        for (row, (a, b)) in h.iter_mut().zip(gp.iter().zip(&gm)) {
            row[j] = (a - b) / dist;
        }
    }
    h
}

/// The value, gradient and Hessian from Hessian-vector products: `hvp`
/// takes a point and a direction of the same shape and returns `(value,
/// gradient, H v)`; column `j` is `H e_j`. Symmetrized as `hessian!`
/// does, `(H + H^T) / 2`. `compare_hessian!` uses it for programs with
/// slices, which `hessian!` rejects.
///
/// ```
/// use micrograd_runtime::dual::check::hessian_from_hvp;
/// // f = x^2 y: H = [[2y, 2x], [2x, 0]]
/// let hvp = |[x, y]: [f64; 2], [u, v]: [f64; 2]| {
///     (x * x * y, [2.0 * x * y, x * x], [2.0 * y * u + 2.0 * x * v, 2.0 * x * u])
/// };
/// let (value, gradient, h) = hessian_from_hvp(hvp, &[3.0, 2.0]);
/// assert_eq!((value, gradient), (18.0, vec![12.0, 9.0]));
/// assert_eq!(h, vec![vec![4.0, 6.0], vec![6.0, 0.0]]);
/// ```
pub fn hessian_from_hvp<P: Flat + Clone, G: Flat>(
    hvp: impl Fn(P, P) -> (f64, G, G),
    point: &P,
) -> (f64, Vec<f64>, Vec<Vec<f64>>) {
    let n = point.flat_len();
    let mut zero = point.clone();
    for j in 0..n {
        *zero.flat_mut(j) = 0.0;
    }
    let (value, gradient, _) = hvp(point.clone(), zero.clone());
    let mut h = vec![vec![0.0; n]; n];
    for j in 0..n {
        let mut dir = zero.clone();
        *dir.flat_mut(j) = 1.0;
        let column = hvp(point.clone(), dir).2.flatten();
        for (row, c) in h.iter_mut().zip(column) {
            row[j] = c;
        }
    }
    symmetrize_rows(&mut h);
    (value, gradient.flatten(), h)
}

/// [`super::symmetrize`] for a matrix of rows.
// Both `h[i][j]` and `h[j][i]` are read: the indices are the point.
#[allow(clippy::needless_range_loop)]
fn symmetrize_rows(h: &mut [Vec<f64>]) {
    for i in 0..h.len() {
        for j in 0..=i {
            let m = 0.5 * h[i][j] + 0.5 * h[j][i] + 0.0;
            h[i][j] = m;
            h[j][i] = m;
        }
    }
}

/// The compiled Hessian beside the finite difference of the compiled
/// gradient, made by `compare_hessian!(closure, point)`.
#[derive(Clone, Debug)]
pub struct HessianCheck {
    /// One name per flat entry (`x`, `w[1][0]`).
    pub names: Vec<String>,
    /// `hessian!`'s value at the point.
    pub value: f64,
    /// `hessian!`'s gradient, flattened.
    pub gradient: Vec<f64>,
    /// `grad!`'s gradient at the point, flattened.
    pub grad_gradient: Vec<f64>,
    /// `hessian!`'s Hessian, rows in the flat order.
    pub hessian: Vec<Vec<f64>>,
    /// [`hessian_fd`] of `grad!`'s gradient.
    pub fd_hessian: Vec<Vec<f64>>,
}

/// The tolerance of [`HessianCheck::assert_agree`] between `hessian!`'s
/// gradient and `grad!`'s: the same numbers, but summed in another order
/// where `grad!` carries adjoints across loop iterations, so equal to the
/// bit on straight-line programs and within rounding in loops.
pub const GRADIENT_REL: f64 = 1e-12;

impl HessianCheck {
    /// The largest [`disagreement`] between `hessian!`'s gradient and
    /// `grad!`'s (infinite if their lengths differ).
    pub fn gradient_err(&self) -> f64 {
        if self.gradient.len() != self.grad_gradient.len() {
            return f64::INFINITY;
        }
        self.gradient
            .iter()
            .zip(&self.grad_gradient)
            .map(|(&a, &b)| {
                if a.is_nan() && b.is_nan() {
                    0.0
                } else {
                    disagreement(a, b)
                }
            })
            .fold(0.0, f64::max)
    }

    /// The largest [`disagreement`] between the two Hessians.
    pub fn fd_err(&self) -> f64 {
        self.hessian
            .iter()
            .flatten()
            .zip(self.fd_hessian.iter().flatten())
            .map(|(&a, &b)| disagreement(a, b))
            .fold(0.0, f64::max)
    }

    /// The largest `|H[i][j] - H[j][i]|` of the compiled Hessian (0: it is
    /// symmetric by construction).
    pub fn asymmetry(&self) -> f64 {
        let n = self.hessian.len();
        let mut worst: f64 = 0.0;
        for i in 0..n {
            for j in 0..n {
                worst = worst.max((self.hessian[i][j] - self.hessian[j][i]).abs());
            }
        }
        worst
    }

    /// Panics with the table unless the gradient is `grad!`'s (within
    /// [`GRADIENT_REL`]), the Hessian is symmetric and within `fd_tol` of
    /// the finite difference.
    ///
    /// # Panics
    /// As said, with the report as message.
    #[track_caller]
    pub fn assert_agree(&self, fd_tol: f64) {
        assert!(
            self.gradient_err() <= GRADIENT_REL
                && self.asymmetry() == 0.0
                && self.fd_err() <= fd_tol,
            "hessian! disagrees (tolerance {fd_tol:e}):\n{self}"
        );
    }
}

impl fmt::Display for HessianCheck {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            out,
            "value {:e}; gradient vs grad!'s {:e}; asymmetry {:e}; max disagreement with FD of grad! {:e}",
            self.value,
            self.gradient_err(),
            self.asymmetry(),
            self.fd_err()
        )?;
        writeln!(
            out,
            "{:<16} {:>22} {:>22} {:>10}",
            "entry", "hessian!", "FD of grad!", "disagree"
        )?;
        for (i, row) in self.hessian.iter().enumerate() {
            for (j, &a) in row.iter().enumerate() {
                let b = self.fd_hessian[i][j];
                let name = format!(
                    "{},{}",
                    self.names.get(i).map_or("?", String::as_str),
                    self.names.get(j).map_or("?", String::as_str)
                );
                writeln!(
                    out,
                    "{name:<16} {a:>22.15e} {b:>22.15e} {:>10.1e}",
                    disagreement(a, b)
                )?;
            }
        }
        Ok(())
    }
}
