//! Three answers to one gradient: the static `grad!` code, the dynamic
//! [`Value`](crate::Value) graph, and a central finite difference, with the
//! report that puts them side by side.
//!
//! The `compare!` and `assert_grad!` macros of the `micrograd` crate build a
//! [`Comparison`] from one closure; this module holds everything that does
//! not need to be generated: the finite difference, the report type
//! [`GradCheck`], its table and its assertion.
//!
//! # How the finite-difference step is chosen
//!
//! For each parameter `x_i` the estimate is the central difference
//!
//! ```text
//! f'(x) ~ (f(x + h) - f(x - h)) / ((x + h) - (x - h)),   h = cbrt(eps) * max(1, |x|)
//! ```
//!
//! with `eps = f64::EPSILON`, so `h ~ 6.1e-6` near the origin and relative
//! to `x` away from it. The central difference has truncation error
//! `h^2 / 6 * |f'''|` and rounding error about `eps * |f| / h`; `h = cbrt(eps)`
//! balances the two, so both are about `eps^(2/3) ~ 4e-11` times the size of
//! `f` and its third derivative. The denominator is the distance between
//! the two points *as stored*, not `2h`, which removes the error of rounding
//! `x + h` to the nearest `f64`.
//!
//! # When the finite difference is expected to disagree
//!
//! - Near a kink: `relu` and `abs` within `h` of 0 (or any expression whose
//!   value passes through one) give the average of the one-sided slopes
//!   (0.5 for relu, 0 for abs), while both engines use relu'(0) = abs'(0) = 0
//!   and the slope of whichever side the point is on.
//! - Large curvature: when `|f'''|` is large compared with `|f'|` (a steep
//!   `tanh`, `exp` of a large argument, `1/x` near 0), the `h^2` term grows.
//! - Near a domain edge: `ln`, `sqrt` or `powf` of an argument within `h` of
//!   0 read NaN or a very different slope on one side.
//! - Large values: the rounding error grows with `|f|`, so a gradient that
//!   is tiny compared with the function value is only known to
//!   about `4e-11 * |f|` absolutely.
//!
//! The two engines have no such excuse: they run the same operations with
//! the same rules, and agree to the last bit or within a few rounding
//! errors from summing fan-out contributions in another order.

use std::fmt;

/// Default bound on [`GradCheck::static_dynamic`]: the engines run the same
/// operations, so only the order of summing fan-out contributions differs.
pub const DEFAULT_REL: f64 = 1e-12;

/// Default bound on [`GradCheck::finite_diff_err`]: a few thousand times the
/// `~4e-11` error of a central difference on well-scaled functions, to leave
/// room for moderate curvature and function values in the hundreds.
pub const DEFAULT_FD_TOL: f64 = 1e-6;

/// The finite-difference step for a point coordinate `x`:
/// `cbrt(f64::EPSILON) * max(1, |x|)` (see the [module docs](self)).
///
/// ```
/// use micrograd_runtime::check::fd_step;
/// assert!((fd_step(0.0) - 6.055e-6).abs() < 1e-9);
/// assert_eq!(fd_step(-100.0), 100.0 * fd_step(1.0));
/// ```
pub fn fd_step(x: f64) -> f64 {
    f64::EPSILON.cbrt() * x.abs().max(1.0)
}

/// Central finite differences of `f` at `point`, one per coordinate, with
/// the steps used.
///
/// ```
/// use micrograd_runtime::check::central_difference;
/// // f = x^2 y, df/dx = 2xy = 12, df/dy = x^2 = 9
/// let (d, _) = central_difference(|[x, y]: [f64; 2]| x * x * y, [3.0, 2.0]);
/// assert!((d[0] - 12.0).abs() < 1e-8 && (d[1] - 9.0).abs() < 1e-8);
/// ```
pub fn central_difference<const N: usize>(
    f: impl Fn([f64; N]) -> f64,
    point: [f64; N],
) -> ([f64; N], [f64; N]) {
    let mut grad = [0.0; N];
    let mut steps = [0.0; N];
    for i in 0..N {
        let h = fd_step(point[i]);
        let (mut plus, mut minus) = (point, point);
        plus[i] += h;
        minus[i] -= h;
        // The stored distance, which is exact, rather than 2h.
        grad[i] = (f(plus) - f(minus)) / (plus[i] - minus[i]);
        steps[i] = h;
    }
    (grad, steps)
}

/// The disagreement of two numbers: `|a - b| / max(|a|, |b|, 1)`.
///
/// Relative above 1 in magnitude, absolute below: a gradient near zero is
/// the sum of contributions that cancel, and its rounding error is set by
/// the size of those contributions, not by the tiny result. Equal numbers
/// (infinities included) give 0; a NaN, or an infinity against a finite
/// number, gives infinity, so every tolerance check fails on it.
///
/// ```
/// use micrograd_runtime::check::disagreement;
/// assert_eq!(disagreement(200.0, 201.0), 1.0 / 201.0);
/// assert_eq!(disagreement(1e-20, 2e-20), 1e-20);
/// assert_eq!(disagreement(f64::NAN, f64::NAN), f64::INFINITY);
/// ```
pub fn disagreement(a: f64, b: f64) -> f64 {
    if a == b {
        0.0
    } else if a.is_finite() && b.is_finite() {
        (a - b).abs() / a.abs().max(b.abs()).max(1.0)
    } else {
        f64::INFINITY
    }
}

/// The largest [`disagreement`] over paired entries; NaN-proof, unlike
/// `f64::max`, because `disagreement` never returns NaN.
fn worst(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| disagreement(x, y))
        .fold(0.0, f64::max)
}

/// One gradient computed three ways, as built by `compare!`.
///
/// It prints as an aligned table, one row per parameter: the static
/// (`grad!`) gradient, the dynamic (`Value`) gradient, the central finite
/// difference, and the disagreements of static with dynamic and with the
/// finite difference (see [`disagreement`]), then the largest of each.
///
/// ```
/// use micrograd_runtime::check::GradCheck;
/// // A report assembled by hand; `compare!` fills it from one closure.
/// let report = GradCheck {
///     source: "|x| x * x".into(),
///     params: vec!["x".into()],
///     point: vec![3.0],
///     value: 9.0,
///     dynamic_value: 9.0,
///     static_grad: vec![6.0],
///     dynamic_grad: vec![6.0],
///     finite_diff: vec![6.000000000002],
///     steps: vec![1.8e-5],
/// };
/// assert_eq!(report.static_dynamic(), 0.0);
/// assert!(report.finite_diff_err() < 1e-12);
/// report.assert_agree(1e-12, 1e-9);
/// assert!(report.to_string().contains("finite diff"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct GradCheck {
    /// The closure as written.
    pub source: String,
    /// Parameter names, in order.
    pub params: Vec<String>,
    /// Where the gradient was taken.
    pub point: Vec<f64>,
    /// The function's value from the static code.
    pub value: f64,
    /// The function's value from the `Value` graph.
    pub dynamic_value: f64,
    /// The gradient from `grad!`'s generated code.
    pub static_grad: Vec<f64>,
    /// The gradient from `Value::backward`.
    pub dynamic_grad: Vec<f64>,
    /// The central finite difference of the forward-only code.
    pub finite_diff: Vec<f64>,
    /// The step `h` used for each parameter (see [`fd_step`]).
    pub steps: Vec<f64>,
}

impl GradCheck {
    /// The largest disagreement between the two engines, over the value
    /// and every gradient entry.
    pub fn static_dynamic(&self) -> f64 {
        disagreement(self.value, self.dynamic_value)
            .max(worst(&self.static_grad, &self.dynamic_grad))
    }

    /// The largest disagreement of the static gradient with the finite
    /// difference.
    pub fn static_fd(&self) -> f64 {
        worst(&self.static_grad, &self.finite_diff)
    }

    /// The largest disagreement of the dynamic gradient with the finite
    /// difference.
    pub fn dynamic_fd(&self) -> f64 {
        worst(&self.dynamic_grad, &self.finite_diff)
    }

    /// The larger of [`static_fd`](Self::static_fd) and
    /// [`dynamic_fd`](Self::dynamic_fd).
    pub fn finite_diff_err(&self) -> f64 {
        self.static_fd().max(self.dynamic_fd())
    }

    /// Whether the engines agree within `rel` and both match the finite
    /// difference within `fd_tol` (both measured by [`disagreement`]).
    pub fn agrees(&self, rel: f64, fd_tol: f64) -> bool {
        self.static_dynamic() <= rel && self.finite_diff_err() <= fd_tol
    }

    /// Panics, showing the table, unless [`agrees`](Self::agrees)`(rel, fd_tol)`.
    ///
    /// ```should_panic
    /// use micrograd_runtime::check::GradCheck;
    /// let mut report = GradCheck {
    ///     source: "|x| x.relu()".into(),
    ///     params: vec!["x".into()],
    ///     point: vec![0.0],
    ///     value: 0.0,
    ///     dynamic_value: 0.0,
    ///     static_grad: vec![0.0],
    ///     dynamic_grad: vec![0.0],
    ///     finite_diff: vec![0.5], // a kink: the average of both slopes
    ///     steps: vec![6e-6],
    /// };
    /// report.assert_agree(1e-12, 1e-6);
    /// ```
    #[track_caller]
    pub fn assert_agree(&self, rel: f64, fd_tol: f64) {
        if !self.agrees(rel, fd_tol) {
            panic!(
                "gradients disagree (static vs dynamic allowed {rel:e}, vs finite diff allowed {fd_tol:e})\n{self}"
            );
        }
    }
}

/// A number in a table cell: fixed-point for ordinary magnitudes, where it
/// is easiest to read, scientific for very large or very small ones.
fn cell(x: f64) -> String {
    let a = x.abs();
    if a == 0.0 || (1e-3..1e6).contains(&a) || !x.is_finite() {
        format!("{x:.15}")
    } else {
        format!("{x:.15e}")
    }
}

/// A disagreement: short scientific, or 0.
fn err_cell(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else {
        format!("{x:.1e}")
    }
}

impl fmt::Display for GradCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.source)?;
        let at: Vec<String> = self
            .params
            .iter()
            .zip(&self.point)
            .map(|(p, x)| format!("{p} = {x}"))
            .collect();
        writeln!(f, "at {}", at.join(", "))?;
        writeln!(
            f,
            "value {} (static), {} (dynamic)",
            cell(self.value),
            cell(self.dynamic_value)
        )?;
        let header = [
            "param",
            "static (grad!)",
            "dynamic (Value)",
            "finite diff",
            "s vs d",
            "s vs fd",
        ];
        let mut rows: Vec<[String; 6]> = vec![header.map(String::from)];
        for i in 0..self.params.len() {
            let (s, d, fd) = (
                self.static_grad[i],
                self.dynamic_grad[i],
                self.finite_diff[i],
            );
            rows.push([
                self.params[i].clone(),
                cell(s),
                cell(d),
                cell(fd),
                err_cell(disagreement(s, d)),
                err_cell(disagreement(s, fd)),
            ]);
        }
        let mut widths = [0; 6];
        for row in &rows {
            for (w, c) in widths.iter_mut().zip(row) {
                *w = (*w).max(c.chars().count());
            }
        }
        for row in &rows {
            write!(f, "{:<w$}", row[0], w = widths[0])?;
            for (c, w) in row.iter().zip(widths).skip(1) {
                write!(f, "  {c:>w$}")?;
            }
            writeln!(f)?;
        }
        write!(
            f,
            "largest disagreement: static vs dynamic {}, static vs finite diff {}, dynamic vs finite diff {}",
            err_cell(self.static_dynamic()),
            err_cell(self.static_fd()),
            err_cell(self.dynamic_fd())
        )
    }
}

/// The three engines of one closure, built by `compare!` without a point,
/// so each can be called (and timed) on its own.
///
/// All three take the point as an array: `static_grad` wraps the `grad!`
/// closure, `dynamic_grad` builds the same expression on `Value`s inside a
/// [`scope`](crate::scope) and runs `backward`, and `value_fn` is the
/// forward pass alone, in plain `f64`, for the finite difference.
///
/// ```
/// use micrograd_runtime::check::Comparison;
/// use micrograd_runtime::{scope, Value};
/// // Written by hand here; `compare!(|x| x * x)` generates the same shape.
/// let square = Comparison {
///     source: "|x| x * x",
///     params: ["x"],
///     static_grad: |[x]: [f64; 1]| (x * x, [2.0 * x]),
///     dynamic_grad: |[x]: [f64; 1]| {
///         scope(|| {
///             let v = Value::new(x);
///             let y = v * v;
///             y.backward();
///             (y.data(), [v.grad()])
///         })
///     },
///     value_fn: |[x]: [f64; 1]| x * x,
/// };
/// let report = square.check([3.0]);
/// assert_eq!(report.static_grad, [6.0]);
/// assert_eq!(report.dynamic_grad, [6.0]);
/// report.assert_agree(0.0, 1e-9);
/// ```
#[derive(Clone, Copy)]
pub struct Comparison<const N: usize, S, D, V> {
    /// The closure as written.
    pub source: &'static str,
    /// Parameter names, in order.
    pub params: [&'static str; N],
    /// `grad!`'s generated code: value and gradient.
    pub static_grad: S,
    /// The `Value` graph: build, `backward`, read the gradients.
    pub dynamic_grad: D,
    /// The forward pass only, in `f64`.
    pub value_fn: V,
}

impl<const N: usize, S, D, V> Comparison<N, S, D, V>
where
    S: Fn([f64; N]) -> (f64, [f64; N]),
    D: Fn([f64; N]) -> (f64, [f64; N]),
    V: Fn([f64; N]) -> f64,
{
    /// Runs the three engines at `point` and reports.
    pub fn check(&self, point: [f64; N]) -> GradCheck {
        let (value, static_grad) = (self.static_grad)(point);
        let (dynamic_value, dynamic_grad) = (self.dynamic_grad)(point);
        let (finite_diff, steps) = central_difference(&self.value_fn, point);
        GradCheck {
            source: self.source.to_string(),
            params: self.params.iter().map(|p| p.to_string()).collect(),
            point: point.to_vec(),
            value,
            dynamic_value,
            static_grad: static_grad.to_vec(),
            dynamic_grad: dynamic_grad.to_vec(),
            finite_diff: finite_diff.to_vec(),
            steps: steps.to_vec(),
        }
    }
}

impl<const N: usize, S, D, V> fmt::Debug for Comparison<N, S, D, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Comparison")
            .field("source", &self.source)
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn central_difference_error_is_second_order() {
        // f = sin(x): f' = cos(x), and the central difference's error is
        // h^2/6 * |f'''| = h^2/6 * |cos x| <= 6.2e-12 at h = 6.1e-6 (plus
        // rounding eps/h ~ 4e-11).
        let (d, steps) = central_difference(|[x]: [f64; 1]| x.sin(), [0.7]);
        assert_eq!(steps[0], fd_step(0.7));
        assert!((d[0] - 0.7f64.cos()).abs() < 1e-10, "{}", d[0]);
    }

    #[test]
    fn kink_gives_the_average_slope() {
        // relu at 0: (h - 0) / 2h = 0.5, the documented disagreement.
        let relu = |[x]: [f64; 1]| x.max(0.0);
        let (d, _) = central_difference(relu, [0.0]);
        assert!((d[0] - 0.5).abs() < 1e-15);
    }

    #[test]
    fn table_lines_up() {
        let report = GradCheck {
            source: "|x, long_name| x * long_name".into(),
            params: vec!["x".into(), "long_name".into()],
            point: vec![2.0, -3.0],
            value: -6.0,
            dynamic_value: -6.0,
            static_grad: vec![-3.0, 2.0],
            dynamic_grad: vec![-3.0, 2.0],
            finite_diff: vec![-3.0000000001, 2.0],
            steps: vec![6e-6, 1.8e-5],
        };
        let text = report.to_string();
        let lines: Vec<&str> = text.lines().collect();
        // Header and two rows have the same width, and the columns end at
        // the same places.
        let table = &lines[3..6];
        assert!(table.iter().all(|l| l.len() == table[0].len()), "{text}");
        assert!(table[1].starts_with("x "));
        assert!(table[2].starts_with("long_name"));
        assert!(text.contains("3.3e-11"), "{text}");
    }

    #[test]
    fn nan_fails_every_check() {
        let report = GradCheck {
            source: "|x| x.ln()".into(),
            params: vec!["x".into()],
            point: vec![-1.0],
            value: f64::NAN,
            dynamic_value: f64::NAN,
            static_grad: vec![-1.0],
            dynamic_grad: vec![-1.0],
            finite_diff: vec![f64::NAN],
            steps: vec![6e-6],
        };
        assert_eq!(report.static_dynamic(), f64::INFINITY);
        assert!(!report.agrees(1.0, 1.0));
    }
}
