//! `check::Flat` and the checks built on it, for points that contain
//! arrays: flat order and names, `flat_mut` and its panic,
//! `central_difference_flat` against hand-derived gradients, and
//! `Comparison::check` with hand-written engines over a tuple point.
//! Nothing here goes through `compare!`.

use micrograd::check::{
    Comparison, Flat, GradCheck, central_difference, central_difference_flat, fd_step,
};
use micrograd::{Value, scope};

/// Tolerance against a hand-derived gradient: the central difference's
/// truncation error h^2/6 |f'''| with h ~ 6e-6 and its rounding error
/// ~ eps^(2/3) |f| are both far below it for the polynomials used here.
const FD_TOL: f64 = 1e-8;

fn close(got: f64, want: f64, tol: f64) -> bool {
    (got - want).abs() <= tol * want.abs().max(1.0)
}

fn names_of(point: &impl Flat, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    point.names_into(name, &mut out);
    out
}

#[test]
fn scalars_are_one_entry() {
    let mut x = 2.5;
    assert_eq!((x.flat_len(), x.flatten()), (1, vec![2.5]));
    *x.flat_mut(0) = 4.0;
    assert_eq!(x, 4.0);
    assert_eq!(names_of(&x, "x"), ["x"]);
}

#[test]
fn flat_order_is_components_in_order_and_arrays_row_major() {
    let point = (
        [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]],
        7.0,
        vec![[8.0, 9.0], [10.0, 11.0]],
        (12.0, [13.0]),
    );
    let want: Vec<f64> = (1..=13).map(f64::from).collect();
    assert_eq!(point.flat_len(), 13);
    assert_eq!(point.flatten(), want);
    // flatten_into appends, it does not clear.
    let mut out = vec![0.0];
    point.flatten_into(&mut out);
    assert_eq!(out.len(), 14);
    assert_eq!(out[1..], want[..]);
}

#[test]
fn flat_mut_reaches_every_entry_in_flat_order() {
    // Ragged Vecs too: a slice's length comes from the point.
    let mut point = (vec![vec![0.0], vec![0.0, 0.0, 0.0]], [[0.0; 2]; 2], 0.0);
    let n = point.flat_len();
    assert_eq!(n, 9);
    for j in 0..n {
        *point.flat_mut(j) = j as f64;
    }
    assert_eq!(
        point.flatten(),
        (0..9).map(|j| j as f64).collect::<Vec<_>>()
    );
    assert_eq!(point.0[1][2], 3.0);
    assert_eq!(point.1[1][0], 6.0);
    assert_eq!(point.2, 8.0);
}

#[test]
fn names_index_arrays_and_number_tuple_components() {
    let w = [[0.0; 2]; 3];
    let names = names_of(&w, "w");
    assert_eq!(
        names,
        [
            "w[0][0]", "w[0][1]", "w[1][0]", "w[1][1]", "w[2][0]", "w[2][1]"
        ]
    );
    assert_eq!(names[2], "w[1][0]");
    let xs = vec![vec![1.0], vec![2.0, 3.0]];
    assert_eq!(names_of(&xs, "xs"), ["xs[0][0]", "xs[1][0]", "xs[1][1]"]);
    // A tuple's components are `.k`; the macro names each parameter itself.
    assert_eq!(
        names_of(&(1.0, [2.0, 3.0]), "p"),
        ["p.0", "p.1[0]", "p.1[1]"]
    );
    // The names line up with the entries.
    let point = ([[1.0, 2.0], [3.0, 4.0]], vec![5.0]);
    assert_eq!(names_of(&point, "p").len(), point.flat_len());
    // An empty slice has no entries and no names.
    assert!(names_of(&Vec::<f64>::new(), "e").is_empty());
}

#[test]
fn the_largest_tuple_is_eight_components() {
    let point = (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, [8.0, 9.0]);
    assert_eq!(
        point.flatten(),
        [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    );
    assert_eq!(names_of(&point, "t")[8], "t.7[1]");
}

#[test]
#[should_panic(expected = "flat index 9 is out of range for a point of 9 entries")]
fn flat_mut_past_the_end_names_the_index_and_the_length() {
    // The message names the whole point's length, not an inner component's.
    let mut point = ([[0.0; 2]; 2], 0.0, vec![0.0; 4]);
    point.flat_mut(9);
}

#[test]
#[should_panic(expected = "flat index 1 is out of range for a point of 1 entries")]
fn flat_mut_of_a_scalar_past_zero_panics() {
    let mut x = 0.0;
    x.flat_mut(1);
}

#[test]
#[should_panic(expected = "flat index 0 is out of range for a point of 0 entries")]
fn flat_mut_of_an_empty_vec_panics() {
    let mut xs: Vec<f64> = Vec::new();
    xs.flat_mut(0);
}

#[test]
fn central_difference_flat_of_an_array_and_a_scalar() {
    // f(w, b) = (w . x + b)^2 with the constant x = (1, -2, 0.5); s = w . x + b:
    // df/dw_i = 2 s x_i, df/db = 2 s. At w = (0.5, 1, -2), b = 0.25:
    // s = 0.5 - 2 - 1 + 0.25 = -2.25.
    let x = [1.0, -2.0, 0.5];
    let f = |(w, b): ([f64; 3], f64)| {
        let s: f64 = w.iter().zip(&x).map(|(w, x)| w * x).sum::<f64>() + b;
        s * s
    };
    let point = ([0.5, 1.0, -2.0], 0.25);
    let (d, steps) = central_difference_flat(f, &point);
    let s = -2.25;
    let want = [2.0 * s * x[0], 2.0 * s * x[1], 2.0 * s * x[2], 2.0 * s];
    assert_eq!(d.len(), 4);
    for (j, (&got, &want)) in d.iter().zip(&want).enumerate() {
        assert!(close(got, want, FD_TOL), "entry {j}: {got} vs {want}");
    }
    // One step per entry, by the documented rule.
    let steps_want: Vec<f64> = point.flatten().into_iter().map(fd_step).collect();
    assert_eq!(steps, steps_want);
}

#[test]
fn central_difference_flat_of_a_matrix_and_a_slice() {
    // f(m, v) = sum_ij m_ij^2 (i + 2j + 1) + v_0 v_1^3:
    // df/dm_ij = 2 m_ij (i + 2j + 1), df/dv_0 = v_1^3, df/dv_1 = 3 v_0 v_1^2.
    let f = |(m, v): ([[f64; 2]; 2], Vec<f64>)| {
        let mut y = v[0] * v[1].powi(3);
        for (i, row) in m.iter().enumerate() {
            for (j, mij) in row.iter().enumerate() {
                y += mij * mij * (i + 2 * j + 1) as f64;
            }
        }
        y
    };
    let (m, v): ([[f64; 2]; 2], Vec<f64>) = ([[1.5, -0.5], [2.0, 3.0]], vec![-1.0, 0.75]);
    let want = [
        2.0 * m[0][0] * 1.0,
        2.0 * m[0][1] * 3.0,
        2.0 * m[1][0] * 2.0,
        2.0 * m[1][1] * 4.0,
        v[1].powi(3),
        3.0 * v[0] * v[1] * v[1],
    ];
    let (d, _) = central_difference_flat(f, &(m, v));
    for (j, (&got, &want)) in d.iter().zip(&want).enumerate() {
        assert!(close(got, want, FD_TOL), "entry {j}: {got} vs {want}");
    }
}

#[test]
fn the_array_form_is_the_flat_form() {
    // Same step, same stored-distance denominator: the same bits.
    let f = |[x, y]: [f64; 2]| (x * y).sin() + x.exp();
    let point = [0.3, -700.0];
    let (d, steps) = central_difference(f, point);
    let (d_flat, steps_flat) = central_difference_flat(f, &point);
    assert_eq!(d.to_vec(), d_flat);
    assert_eq!(steps.to_vec(), steps_flat);
}

/// The point of `|w: [f64; 2], b, xs: &[f64]| (w[0] * w[1] + b) * sum(xs)`.
type Point = ([f64; 2], f64, Vec<f64>);
/// Its gradient, in the parameters' shapes.
type Grad = ([f64; 2], f64, Vec<f64>);

fn names(point: &Point) -> Vec<String> {
    let mut out = Vec::new();
    point.0.names_into("w", &mut out);
    point.1.names_into("b", &mut out);
    point.2.names_into("xs", &mut out);
    out
}

/// f = p q with p = w0 w1 + b and q = sum_k xs_k:
/// df/dw0 = w1 q, df/dw1 = w0 q, df/db = q, df/dxs_k = p.
fn static_engine((w, b, xs): Point) -> (f64, Grad) {
    let (p, q) = (w[0] * w[1] + b, xs.iter().sum::<f64>());
    (p * q, ([w[1] * q, w[0] * q], q, vec![p; xs.len()]))
}

fn dynamic_engine((w, b, xs): Point) -> (f64, Grad) {
    scope(|| {
        let (w0, w1, bv) = (Value::new(w[0]), Value::new(w[1]), Value::new(b));
        let xv: Vec<Value> = xs.iter().map(|&x| Value::new(x)).collect();
        let y = (w0 * w1 + bv) * xv.iter().copied().sum::<Value>();
        y.backward();
        let gx = xv.iter().map(|x| x.grad()).collect();
        (y.data(), ([w0.grad(), w1.grad()], bv.grad(), gx))
    })
}

fn value_fn((w, b, xs): Point) -> f64 {
    (w[0] * w[1] + b) * xs.iter().sum::<f64>()
}

#[test]
fn comparison_checks_a_tuple_point() {
    let engines = Comparison {
        source: "|w: [f64; 2], b, xs: &[f64]| (w[0] * w[1] + b) * sum(xs)",
        names,
        static_grad: static_engine,
        dynamic_grad: dynamic_engine,
        value_fn,
    };
    // p = 2 * -1.5 + 0.5 = -2.5, q = 1 + 2 + 0.5 = 3.5
    let report: GradCheck = engines.check(([2.0, -1.5], 0.5, vec![1.0, 2.0, 0.5]));
    assert_eq!(
        report.params,
        ["w[0]", "w[1]", "b", "xs[0]", "xs[1]", "xs[2]"]
    );
    assert_eq!(report.point, [2.0, -1.5, 0.5, 1.0, 2.0, 0.5]);
    assert_eq!(report.value, -2.5 * 3.5);
    assert_eq!(
        report.static_grad,
        [-1.5 * 3.5, 2.0 * 3.5, 3.5, -2.5, -2.5, -2.5]
    );
    assert_eq!(report.steps.len(), 6);
    // The engines agree to the bit here; the finite difference within FD_TOL.
    report.assert_agree(0.0, FD_TOL);
    let table = report.to_string();
    assert!(table.contains("w[1]") && table.contains("xs[2]"), "{table}");
    // Another slice length: the names come from the point.
    let report = engines.check(([1.0, 1.0], 0.0, vec![2.0]));
    assert_eq!(report.params, ["w[0]", "w[1]", "b", "xs[0]"]);
    report.assert_agree(0.0, FD_TOL);
}

#[test]
fn comparison_is_copy_and_debug_shows_the_source() {
    let engines = Comparison {
        source: "|w: [f64; 2], b, xs: &[f64]| ...",
        names,
        static_grad: static_engine,
        dynamic_grad: dynamic_engine,
        value_fn,
    };
    // Copy although the point holds a Vec: only `fn(&Point)` is stored.
    let copy = engines;
    assert_eq!(copy.source, engines.source);
    assert_eq!(
        format!("{engines:?}"),
        r#"Comparison { source: "|w: [f64; 2], b, xs: &[f64]| ...", .. }"#
    );
}

#[test]
fn a_wrong_gradient_is_reported_by_name() {
    // The static engine forgets b's gradient (0 instead of q).
    let engines = Comparison {
        source: "broken",
        names,
        static_grad: |point: Point| {
            let (y, (gw, _, gx)) = static_engine(point);
            (y, (gw, 0.0, gx))
        },
        dynamic_grad: dynamic_engine,
        value_fn,
    };
    let report = engines.check(([2.0, -1.5], 0.5, vec![1.0]));
    assert!(!report.agrees(1e-12, 1e-6));
    assert!(report.dynamic_fd() < FD_TOL);
    let row = report.to_string();
    let row = row
        .lines()
        .find(|l| l.starts_with("b "))
        .unwrap()
        .to_owned();
    assert!(row.contains("1.0e0"), "{row}");
}

#[test]
#[should_panic(expected = "broken: static gradient has 1 entries for a point of 2")]
fn a_gradient_of_the_wrong_length_panics() {
    let engines = Comparison {
        source: "broken",
        names: |_: &Vec<f64>| vec!["xs[0]".into(), "xs[1]".into()],
        static_grad: |xs: Vec<f64>| (xs[0] + xs[1], vec![1.0]),
        dynamic_grad: |xs: Vec<f64>| (xs[0] + xs[1], vec![1.0, 1.0]),
        value_fn: |xs: Vec<f64>| xs[0] + xs[1],
    };
    engines.check(vec![1.0, 2.0]);
}
