//! Three answers to one gradient: the static `grad!` code, the dynamic
//! [`Value`](crate::Value) graph, and a central finite difference, with the
//! report that puts them side by side.
//!
//! The `compare!` and `assert_grad!` macros of the `micrograd` crate build a
//! [`Comparison`] from one closure; this module holds everything that does
//! not need to be generated: the [`Flat`] view of a point of scalars and
//! arrays, the finite difference, the report type [`GradCheck`], its table
//! and its assertion.
//!
//! # How the finite-difference step is chosen
//!
//! For each entry `x_i` of the point (every scalar parameter, and every
//! entry of an array parameter, in [`Flat`] order) the estimate is the
//! central difference
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

/// A point of any shape `compare!` accepts, seen as a flat list of `f64`
/// entries: tuple components in order, arrays and `Vec`s row-major.
///
/// This is the order of [`GradCheck`]'s rows, of
/// [`central_difference_flat`]'s results and of a gradient's entries.
///
/// ```
/// use micrograd_runtime::check::Flat;
/// let mut point = ([[1.0, 2.0], [3.0, 4.0]], 5.0, vec![6.0]);
/// assert_eq!(point.flat_len(), 6);
/// assert_eq!(point.flatten(), [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
/// *point.flat_mut(2) = -3.0;
/// assert_eq!(point.0[1][0], -3.0);
/// let mut names = Vec::new();
/// point.0.names_into("w", &mut names);
/// point.1.names_into("b", &mut names);
/// assert_eq!(names, ["w[0][0]", "w[0][1]", "w[1][0]", "w[1][1]", "b"]);
/// ```
pub trait Flat {
    /// Number of f64 entries.
    fn flat_len(&self) -> usize;

    /// Appends the entries in flat order: tuple components in order, arrays
    /// and Vecs row-major.
    fn flatten_into(&self, out: &mut Vec<f64>);

    /// The entry at flat position `j`.
    ///
    /// # Panics
    /// If `j >= self.flat_len()`, with a message naming `j` and the length.
    fn flat_mut(&mut self, j: usize) -> &mut f64;

    /// Appends one name per entry: `name` for an f64, `name[i]` for arrays
    /// and Vecs (recursively `name[i][j]`), `name.k` for component `k` of a
    /// tuple.
    fn names_into(&self, name: &str, out: &mut Vec<String>);

    /// The entries in flat order, as a new `Vec`.
    fn flatten(&self) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.flat_len());
        self.flatten_into(&mut out);
        out
    }
}

/// Which component holds flat entry `j`, given the components' lengths,
/// and `j`'s position inside it; `None` past the end.
fn locate(lens: impl IntoIterator<Item = usize>, mut j: usize) -> Option<(usize, usize)> {
    for (k, n) in lens.into_iter().enumerate() {
        if j < n {
            return Some((k, j));
        }
        j -= n;
    }
    None
}

/// The panic of [`Flat::flat_mut`]. Containers check the whole index
/// before descending, so the message names the outermost point's length.
#[cold]
#[track_caller]
fn out_of_range(j: usize, len: usize) -> ! {
    panic!("flat index {j} is out of range for a point of {len} entries")
}

impl Flat for f64 {
    fn flat_len(&self) -> usize {
        1
    }

    fn flatten_into(&self, out: &mut Vec<f64>) {
        out.push(*self);
    }

    #[track_caller]
    fn flat_mut(&mut self, j: usize) -> &mut f64 {
        if j != 0 {
            out_of_range(j, 1);
        }
        self
    }

    fn names_into(&self, name: &str, out: &mut Vec<String>) {
        out.push(name.to_string());
    }
}

// Arrays and Vecs share these, through their slices.

fn slice_len<T: Flat>(xs: &[T]) -> usize {
    xs.iter().map(Flat::flat_len).sum()
}

fn slice_flatten_into<T: Flat>(xs: &[T], out: &mut Vec<f64>) {
    for x in xs {
        x.flatten_into(out);
    }
}

#[track_caller]
fn slice_flat_mut<T: Flat>(xs: &mut [T], j: usize) -> &mut f64 {
    match locate(xs.iter().map(Flat::flat_len), j) {
        Some((k, r)) => xs[k].flat_mut(r),
        None => out_of_range(j, slice_len(xs)),
    }
}

fn slice_names_into<T: Flat>(xs: &[T], name: &str, out: &mut Vec<String>) {
    for (i, x) in xs.iter().enumerate() {
        x.names_into(&format!("{name}[{i}]"), out);
    }
}

impl<T: Flat, const N: usize> Flat for [T; N] {
    fn flat_len(&self) -> usize {
        slice_len(self)
    }

    fn flatten_into(&self, out: &mut Vec<f64>) {
        slice_flatten_into(self, out);
    }

    #[track_caller]
    fn flat_mut(&mut self, j: usize) -> &mut f64 {
        slice_flat_mut(self, j)
    }

    fn names_into(&self, name: &str, out: &mut Vec<String>) {
        slice_names_into(self, name, out);
    }
}

impl<T: Flat> Flat for Vec<T> {
    fn flat_len(&self) -> usize {
        slice_len(self)
    }

    fn flatten_into(&self, out: &mut Vec<f64>) {
        slice_flatten_into(self, out);
    }

    #[track_caller]
    fn flat_mut(&mut self, j: usize) -> &mut f64 {
        slice_flat_mut(self, j)
    }

    fn names_into(&self, name: &str, out: &mut Vec<String>) {
        slice_names_into(self, name, out);
    }
}

/// `Flat` for a tuple of the given components (type parameter, index).
macro_rules! flat_tuple {
    ($(($T:ident, $k:tt)),+) => {
        impl<$($T: Flat),+> Flat for ($($T,)+) {
            fn flat_len(&self) -> usize {
                0 $(+ self.$k.flat_len())+
            }

            fn flatten_into(&self, out: &mut Vec<f64>) {
                $(self.$k.flatten_into(out);)+
            }

            #[track_caller]
            fn flat_mut(&mut self, j: usize) -> &mut f64 {
                match locate([$(self.$k.flat_len()),+], j) {
                    $(Some(($k, r)) => self.$k.flat_mut(r),)+
                    _ => out_of_range(j, self.flat_len()),
                }
            }

            fn names_into(&self, name: &str, out: &mut Vec<String>) {
                $(self.$k.names_into(&format!("{name}.{}", $k), out);)+
            }
        }
    };
}

flat_tuple!((A, 0));
flat_tuple!((A, 0), (B, 1));
flat_tuple!((A, 0), (B, 1), (C, 2));
flat_tuple!((A, 0), (B, 1), (C, 2), (D, 3));
flat_tuple!((A, 0), (B, 1), (C, 2), (D, 3), (E, 4));
flat_tuple!((A, 0), (B, 1), (C, 2), (D, 3), (E, 4), (F, 5));
flat_tuple!((A, 0), (B, 1), (C, 2), (D, 3), (E, 4), (F, 5), (G, 6));
flat_tuple!(
    (A, 0),
    (B, 1),
    (C, 2),
    (D, 3),
    (E, 4),
    (F, 5),
    (G, 6),
    (H, 7)
);

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
/// the steps used: [`central_difference_flat`] for a point of scalars.
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
    let (grad, steps) = central_difference_flat(f, &point);
    (
        std::array::from_fn(|i| grad[i]),
        std::array::from_fn(|i| steps[i]),
    )
}

/// Central finite differences of `f` at a point of any [`Flat`] shape, one
/// per flat entry (in [`Flat::flatten`] order), with the steps used.
///
/// Entry `j` is moved by `h = fd_step(x_j)` each way with every other
/// entry held, and the difference is divided by the distance between the
/// two stored values of `x_j` (see the [module docs](self)).
///
/// ```
/// use micrograd_runtime::check::central_difference_flat;
/// // f = w[0] * w[1] + b^2: df/dw[0] = w[1] = 2, df/dw[1] = w[0] = 1, df/db = 2b = 6
/// let f = |(w, b): ([f64; 2], f64)| w[0] * w[1] + b * b;
/// let (d, steps) = central_difference_flat(f, &([1.0, 2.0], 3.0));
/// assert_eq!(steps.len(), 3);
/// for (d, want) in d.iter().zip([2.0, 1.0, 6.0]) {
///     assert!((d - want).abs() < 1e-8);
/// }
/// ```
pub fn central_difference_flat<P: Flat + Clone>(
    f: impl Fn(P) -> f64,
    point: &P,
) -> (Vec<f64>, Vec<f64>) {
    let flat = point.flatten();
    let mut grad = Vec::with_capacity(flat.len());
    let mut steps = Vec::with_capacity(flat.len());
    for (j, &x) in flat.iter().enumerate() {
        let h = fd_step(x);
        let (mut plus, mut minus) = (point.clone(), point.clone());
        *plus.flat_mut(j) += h;
        *minus.flat_mut(j) -= h;
        // The stored distance, which is exact, rather than 2h.
        let dist = *plus.flat_mut(j) - *minus.flat_mut(j);
        grad.push((f(plus) - f(minus)) / dist);
        steps.push(h);
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
/// It prints as an aligned table, one row per flat entry of the point
/// (a scalar parameter, or one entry of an array parameter, `w[1][0]`): the static
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
    /// One name per flat entry of the point, in [`Flat`] order: `x`,
    /// `w[1][0]`.
    pub params: Vec<String>,
    /// Where the gradient was taken, flattened in the same order.
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
    /// The step `h` used for each entry (see [`fd_step`]).
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
    // -0.0 and 0.0 are the same gradient: print both as 0.
    let x = if x == 0.0 { 0.0 } else { x };
    let a = x.abs();
    if a == 0.0 || (1e-3..1e6).contains(&a) || !x.is_finite() {
        // At most 16 significant digits, about what an f64 holds: fewer
        // decimals for more digits before the point (259401.8895103835,
        // not 259401.889510383451125).
        let before = if a >= 1.0 {
            a.log10().floor() as usize + 1
        } else {
            1
        };
        format!("{x:.*}", 16 - before)
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

/// Above this many entries a report prints a summary (the rows that
/// disagree most) unless asked for everything with `{:#}`.
pub const SUMMARY_ABOVE: usize = 20;

/// How many rows the summary of a large report shows.
pub const SUMMARY_ROWS: usize = 10;

/// Prints as a table, one row per flat entry. A report of more than
/// [`SUMMARY_ABOVE`] entries (an MLP's 337 parameters) prints a summary
/// first: the point's first entries, then the [`SUMMARY_ROWS`] rows that
/// disagree most, largest first; `format!("{report:#}")` prints every row.
impl fmt::Display for GradCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.source)?;
        let n = self.params.len();
        let summary = n > SUMMARY_ABOVE && !f.alternate();
        let shown_at = if summary { 6.min(n) } else { n };
        let at: Vec<String> = self
            .params
            .iter()
            .zip(&self.point)
            .take(shown_at)
            .map(|(p, x)| format!("{p} = {x}"))
            .collect();
        if shown_at < n {
            writeln!(f, "at {}, ... ({n} entries)", at.join(", "))?;
        } else {
            writeln!(f, "at {}", at.join(", "))?;
        }
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
        let mut order: Vec<usize> = (0..n).collect();
        if summary {
            let worst = |i: usize| {
                disagreement(self.static_grad[i], self.dynamic_grad[i])
                    .max(disagreement(self.static_grad[i], self.finite_diff[i]))
            };
            order.sort_by(|&a, &b| worst(b).total_cmp(&worst(a)));
            order.truncate(SUMMARY_ROWS);
            writeln!(
                f,
                "{n} entries; the {SUMMARY_ROWS} that disagree most (all with {{:#}}):"
            )?;
        }
        for i in order {
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
        )?;
        // A finite difference that disagrees while the engines agree is
        // most often a kink or a jump within a step of the point.
        let kinks: Vec<&str> = KINK_METHODS
            .iter()
            .copied()
            .filter(|m| self.source.contains(&format!(".{m}(")))
            .collect();
        if self.finite_diff_err() > DEFAULT_FD_TOL && !kinks.is_empty() {
            write!(
                f,
                "\nnote: the closure uses {}, which {} a kink or a jump; within a \
                 finite-difference step of it the difference averages both sides, \
                 while both engines take the side the point is on (OPS.md)",
                kinks
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if kinks.len() == 1 { "has" } else { "have" }
            )?;
        }
        Ok(())
    }
}

/// Methods whose derivative jumps somewhere, for the report's note.
const KINK_METHODS: [&str; 11] = [
    "relu",
    "abs",
    "max",
    "min",
    "clamp",
    "leaky_relu",
    "signum",
    "floor",
    "ceil",
    "round",
    "trunc",
];

/// The three engines of one closure, built by `compare!` without a point,
/// so each can be called (and timed) on its own.
///
/// All three take the point `P`: `[f64; N]` when every parameter is a
/// scalar, otherwise a tuple of the parameters' values (arrays as arrays,
/// slices as `Vec<f64>`). `static_grad` wraps the `grad!` closure,
/// `dynamic_grad` builds the same program on `Value`s inside a
/// [`scope`](crate::scope) and runs `backward`, and `value_fn` is the
/// forward pass alone, in plain `f64`, for the finite difference. Both
/// gradients have the point's [`Flat`] entries in the same order, and
/// `names` names them.
///
/// ```
/// use micrograd_runtime::check::Comparison;
/// use micrograd_runtime::{scope, Value};
/// // Written by hand here; `compare!(|x| x * x)` generates the same shape.
/// let square = Comparison {
///     source: "|x| x * x",
///     names: |_| vec!["x".into()],
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
///
/// A point with an array parameter, `|w: [f64; 2], b| w[0] * w[1] + b`:
///
/// ```
/// use micrograd_runtime::check::{Comparison, Flat};
/// use micrograd_runtime::{scope, Value};
/// type Point = ([f64; 2], f64);
/// let engines = Comparison {
///     source: "|w: [f64; 2], b| w[0] * w[1] + b",
///     // The macro names each parameter's entries after the parameter.
///     names: |(w, b): &Point| {
///         let mut names = Vec::new();
///         w.names_into("w", &mut names);
///         b.names_into("b", &mut names);
///         names
///     },
///     // d/dw[0] = w[1], d/dw[1] = w[0], d/db = 1
///     static_grad: |(w, b): Point| (w[0] * w[1] + b, ([w[1], w[0]], 1.0)),
///     dynamic_grad: |(w, b): Point| {
///         scope(|| {
///             let (w0, w1, b) = (Value::new(w[0]), Value::new(w[1]), Value::new(b));
///             let y = w0 * w1 + b;
///             y.backward();
///             (y.data(), ([w0.grad(), w1.grad()], b.grad()))
///         })
///     },
///     value_fn: |(w, b): Point| w[0] * w[1] + b,
/// };
/// let report = engines.check(([1.0, 2.0], 3.0));
/// assert_eq!(report.params, ["w[0]", "w[1]", "b"]);
/// assert_eq!(report.point, [1.0, 2.0, 3.0]);
/// assert_eq!(report.static_grad, [2.0, 1.0, 1.0]);
/// report.assert_agree(0.0, 1e-9);
/// assert!(report.to_string().contains("w[1]"));
/// ```
pub struct Comparison<P, S, D, V> {
    /// The closure as written.
    pub source: &'static str,
    /// One name per flat entry of a point (a slice's length is known only
    /// from the point).
    pub names: fn(&P) -> Vec<String>,
    /// `grad!`'s generated code: value and gradient.
    pub static_grad: S,
    /// The `Value` graph: build, `backward`, read the gradients.
    pub dynamic_grad: D,
    /// The forward pass only, in `f64`.
    pub value_fn: V,
}

// By hand rather than derived: a derive would also require `P: Clone`
// (`P: Copy`), though only `fn(&P)` is stored, and a point holding a `Vec`
// would then make the whole `Comparison` non-`Copy`.
impl<P, S: Clone, D: Clone, V: Clone> Clone for Comparison<P, S, D, V> {
    fn clone(&self) -> Self {
        Comparison {
            source: self.source,
            names: self.names,
            static_grad: self.static_grad.clone(),
            dynamic_grad: self.dynamic_grad.clone(),
            value_fn: self.value_fn.clone(),
        }
    }
}

impl<P, S: Copy, D: Copy, V: Copy> Copy for Comparison<P, S, D, V> {}

impl<P, G, S, D, V> Comparison<P, S, D, V>
where
    P: Flat + Clone,
    G: Flat,
    S: Fn(P) -> (f64, G),
    D: Fn(P) -> (f64, G),
    V: Fn(P) -> f64,
{
    /// Runs the three engines at `point` and reports, one row per flat
    /// entry of the point.
    ///
    /// # Panics
    /// If a gradient or `names` does not have one entry per flat entry of
    /// the point: the engines were not built for this point's shape.
    pub fn check(&self, point: P) -> GradCheck {
        let (value, static_grad) = (self.static_grad)(point.clone());
        let (dynamic_value, dynamic_grad) = (self.dynamic_grad)(point.clone());
        let (finite_diff, steps) = central_difference_flat(&self.value_fn, &point);
        let (static_grad, dynamic_grad) = (static_grad.flatten(), dynamic_grad.flatten());
        let params = (self.names)(&point);
        let n = finite_diff.len();
        // `worst` zips, so a short gradient would otherwise pass unseen.
        for (what, len) in [
            ("names", params.len()),
            ("static gradient", static_grad.len()),
            ("dynamic gradient", dynamic_grad.len()),
        ] {
            assert_eq!(
                len, n,
                "{}: {what} has {len} entries for a point of {n}",
                self.source
            );
        }
        GradCheck {
            source: self.source.to_string(),
            params,
            point: point.flatten(),
            value,
            dynamic_value,
            static_grad,
            dynamic_grad,
            finite_diff,
            steps,
        }
    }
}

impl<P, S, D, V> fmt::Debug for Comparison<P, S, D, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Comparison")
            .field("source", &self.source)
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
    fn cells_hold_at_most_sixteen_significant_digits() {
        assert_eq!(cell(259_401.889_510_383_45), "259401.8895103835");
        assert_eq!(cell(0.459_447_751_396_446_2), "0.459447751396446");
        assert_eq!(cell(-2.5), "-2.500000000000000");
        assert_eq!(cell(-0.0), "0.000000000000000");
        assert_eq!(cell(1e6), "1.000000000000000e6");
        assert_eq!(cell(f64::NAN), "NaN");
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
