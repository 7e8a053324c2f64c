//! `hessian!`, `hvp!` and `compare_hessian!`: hand-derived Hessians, the
//! programs of `grad!` (loops, branches, arrays) against finite differences
//! of `grad!`'s gradient, and smooth ops against num-dual's `hessian`.

// Hessians are matrices indexed by (i, j): index loops read like the maths.
#![allow(clippy::needless_range_loop)]

use micrograd::dual::check::HessianCheck;
use micrograd::{compare_hessian, grad, hessian, hessian_code, hvp};
use nalgebra::SVector;
use num_dual::{Dual2SVec64, DualNum};

/// The tolerance against finite differences of the gradient, in
/// `check::disagreement` (relative above 1, absolute below). A central
/// difference with `h = cbrt(eps) max(1, |x|)` (about 6e-6) errs by
/// `h^2 / 6 |g'''|` (truncation, about 6e-12 |g'''|) plus `eps |g| / h`
/// (rounding, about 4e-11 |g|); for these programs, whose third
/// derivatives and gradients stay below 1e3, that is below 1e-7. The
/// largest disagreement measured here is printed by `fd_tolerance_is_met`.
const FD: f64 = 1e-6;

/// Panics unless `h` is symmetric exactly.
fn assert_symmetric<const N: usize>(h: &[[f64; N]; N]) {
    for i in 0..N {
        for j in 0..N {
            assert_eq!(
                h[i][j].to_bits(),
                h[j][i].to_bits(),
                "h[{i}][{j}] != h[{j}][{i}]"
            );
        }
    }
}

/// `|a - b| <= tol * max(|a|, |b|, 1)` for every entry.
fn assert_close<const N: usize>(got: &[[f64; N]; N], want: &[[f64; N]; N], tol: f64) {
    for i in 0..N {
        for j in 0..N {
            let (a, b) = (got[i][j], want[i][j]);
            assert!(
                (a - b).abs() <= tol * a.abs().max(b.abs()).max(1.0),
                "h[{i}][{j}] = {a:e}, expected {b:e}\n{got:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------
// Hand-derived Hessians.
// ---------------------------------------------------------------------

#[test]
fn quadratic_form_is_exact() {
    // f(x) = 1/2 x^T A x + b^T x, A symmetric: gradient A x + b, Hessian A.
    // Dyadic entries, so every product and sum is exact.
    let a = [[2.0, -1.0, 0.5], [-1.0, 3.0, 0.25], [0.5, 0.25, 4.0]];
    let b = [1.0, -2.0, 0.5];
    let f = hessian!(|x: [f64; 3]| {
        let mut s = 0.0;
        for i in 0..3 {
            for j in 0..3 {
                s += 0.5 * a[i][j] * x[i] * x[j];
            }
            s += b[i] * x[i];
        }
        s
    });
    let x = [1.0, 2.0, -1.0];
    let (value, gradient, h) = f(x);
    // A x = (2 - 2 - 0.5, -1 + 6 - 0.25, 0.5 + 0.5 - 4) = (-0.5, 4.75, -3);
    // f = 1/2 x.(A x) + b.x = 1/2 (-0.5 + 9.5 + 3) + (1 - 4 - 0.5) = 2.5
    assert_eq!(value, 2.5);
    assert_eq!(gradient, [0.5, 2.75, -2.5]);
    assert_eq!(h, a);
    assert_symmetric(&h);
    // The same form, written with scalar parameters: the same numbers.
    let g = hessian!(|x, y, z| {
        0.5 * (2.0 * x * x + 3.0 * y * y + 4.0 * z * z) - x * y + 0.5 * x * z + 0.25 * y * z + x
            - 2.0 * y
            + 0.5 * z
    });
    let (v2, g2, h2) = g(1.0, 2.0, -1.0);
    assert_eq!((v2, g2, h2), (value, gradient, a));
}

#[test]
fn lecture_neuron() {
    // o = tanh(n), n = x1 w1 + x2 w2 + b; with t = tanh(n):
    //   do/dp = t' dn/dp, t' = 1 - t^2,
    //   d2o/dp dq = t'' dn/dp dn/dq + t' d2n/dp dq, t'' = -2 t (1 - t^2);
    //   dn/d(x1, x2, w1, w2, b) = (w1, w2, x1, x2, 1), and d2n is 1 for
    //   the pairs (x1, w1) and (x2, w2), 0 elsewhere.
    // At the lecture's point n = 0.8813735870195432 (t = 1/sqrt 2): t' = 1/2,
    // t'' = -1/sqrt 2.
    let f = hessian!(|x1, x2, w1, w2, b| (x1 * w1 + x2 * w2 + b).tanh());
    let p = [2.0, 0.0, -3.0, 1.0, 6.881_373_587_019_543];
    let (o, gradient, h) = f(p[0], p[1], p[2], p[3], p[4]);
    let t = o;
    let (d1, d2) = (1.0 - t * t, -2.0 * t * (1.0 - t * t));
    let u = [p[2], p[3], p[0], p[1], 1.0];
    let mut want = [[0.0; 5]; 5];
    for i in 0..5 {
        for j in 0..5 {
            want[i][j] = d2 * u[i] * u[j];
        }
    }
    for (i, j) in [(0, 2), (2, 0), (1, 3), (3, 1)] {
        want[i][j] += d1;
    }
    assert!((t - 0.5f64.sqrt()).abs() < 1e-15);
    assert_eq!(
        gradient,
        grad!(|x1, x2, w1, w2, b| (x1 * w1 + x2 * w2 + b).tanh())(p[0], p[1], p[2], p[3], p[4]).1
    );
    // Rounding only: the formula and the program round differently.
    assert_close(&h, &want, 1e-15);
    // Two entries by hand, with s = 1/sqrt 2 (t'' = -s):
    // d2o/dx1^2 = t'' w1^2 = -9 s;
    let s = 0.5f64.sqrt();
    assert!((h[0][0] - (-9.0 * s)).abs() < 1e-14);
    // d2o/dx1 dw1 = t'' w1 x1 + t' = -s * -3 * 2 + 0.5 = 6 s + 0.5.
    assert!((h[0][2] - (6.0 * s + 0.5)).abs() < 1e-14);
    assert_symmetric(&h);
}

#[test]
fn rosenbrock_2d() {
    // f = (1 - x)^2 + 100 (y - x^2)^2
    // H = [[2 - 400 (y - x^2) + 800 x^2, -400 x], [-400 x, 200]]
    let f = hessian!(|x, y| (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2));
    // At the minimum (1, 1): [[802, -400], [-400, 200]], exactly.
    let (v, g, h) = f(1.0, 1.0);
    assert_eq!(
        (v, g, h),
        (0.0, [0.0, 0.0], [[802.0, -400.0], [-400.0, 200.0]])
    );
    // At the classic start (-1.2, 1): 2 - 400 (1 - 1.44) + 800 * 1.44 = 1330,
    // -400 * -1.2 = 480.
    let (_, _, h) = f(-1.2, 1.0);
    assert_close(&h, &[[1330.0, 480.0], [480.0, 200.0]], 1e-14);
    assert_symmetric(&h);
}

#[test]
fn rosenbrock_nd_array_and_hvp_on_a_slice() {
    // sum_i 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2; the Hessian is
    // tridiagonal: diagonal 1200 x_i^2 - 400 x_{i+1} + 2 (first n-1 terms)
    // + 200 (last n-1 terms), off-diagonal -400 x_i.
    let f = hessian!(|x: [f64; 4]| {
        let mut s = 0.0;
        for i in 0..3 {
            s += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2);
        }
        s
    });
    let x = [0.5, -1.0, 2.0, 1.5];
    let (_, _, h) = f(x);
    let mut want = [[0.0; 4]; 4];
    for i in 0..4 {
        if i < 3 {
            want[i][i] += 1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0;
            want[i][i + 1] = -400.0 * x[i];
            want[i + 1][i] = -400.0 * x[i];
        }
        if i > 0 {
            want[i][i] += 200.0;
        }
    }
    assert_close(&h, &want, 1e-14);
    // hvp! on a slice, each unit direction: the columns of H.
    let hv = hvp!(|x: &[f64]| {
        let mut s = 0.0;
        for i in 0..x.len() - 1 {
            s += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2);
        }
        s
    });
    for j in 0..4 {
        let mut v = [0.0; 4];
        v[j] = 1.0;
        let (_, _, col) = hv(&x, &v);
        for i in 0..4 {
            assert!((col[i] - h[i][j]).abs() <= 1e-13 * h[i][j].abs().max(1.0));
        }
    }
}

// ---------------------------------------------------------------------
// Programs: loops, branches, arrays, storage, against finite differences.
// ---------------------------------------------------------------------

fn check(report: HessianCheck) -> f64 {
    report.assert_agree(FD);
    report.fd_err()
}

/// The largest disagreement of the programs below; printed for the docs.
fn programs() -> f64 {
    let xs = [[2.0, 0.25], [0.3, -0.5], [-1.2, 0.1], [0.5, 0.1]];
    let ys = vec![-1.2, 0.25];
    let k0 = 0.75;
    let mut worst: f64 = 0.0;
    // A corpus program (case_000 of tests/program_corpus_1.rs): a loop, an
    // else-if chain, max, powf of a parameter.
    worst = worst.max(check(compare_hessian!(
        |m: [[f64; 2]; 3], x, w: [f64; 5]| {
            let mut t0 = 0.0;
            for i in 0..2 {
                t0 = (t0 * m[2][1].sin()) + ys[i];
            }
            let mut t1 = x.exp().powf(w[1]).tanh();
            if t0 < k0 {
                t1 = (t1 * (-1.2)) + (x - k0);
            } else if x > 0.3 && (m.len() as f64) <= m[1][0] {
                t1 *= (k0.max(x).tanh() * 0.5) + 1.0;
            } else {
                t1 -= x.exp().cos();
            }
            (t0 * t1) * 0.25
        },
        (
            [[-0.67, -1.23], [0.86, 0.33], [0.17, -1.04]],
            -0.78,
            [0.93, 0.87, 0.33, -0.82, -0.28]
        )
    )));
    // case_001: nested loops over captured data, Horner in a loop.
    worst = worst.max(check(compare_hessian!(
        |m: [[f64; 2]; 2], x| {
            let mut t0 = 0.0;
            for i in 0..xs.len() {
                let mut t1: f64 = 0.0;
                for j in 0..ys.len() {
                    t1 += xs[i][j] * m[(i + j) % 2][0];
                }
                t0 += t1.tanh();
            }
            let mut t2 = 0.0;
            for i in 0..2 {
                t2 = (t2 * x) + ys[i];
            }
            t0 + t2 * x.sin()
        },
        ([[1.44, -1.49], [0.39, -1.25]], -1.28)
    )));
    // A value overwritten in a loop and read again (y *= y), a local array
    // updated from itself, a branch inside the loop.
    worst = worst.max(check(compare_hessian!(
        |x, w: [f64; 3]| {
            let mut y = x;
            let mut h = [0.0; 3];
            for i in 0..3 {
                y *= 0.9 + 0.1 * y;
                h[i] = w[i] * y;
                if h[i] > 0.0 {
                    h[i] = h[i] * h[i] + w[i].exp();
                } else {
                    h[i] = (h[i] - x).sin();
                }
            }
            for i in 1..3 {
                h[i] += h[i - 1] * w[i];
            }
            h[2] + y.ln()
        },
        (1.3, [0.4, -0.6, 0.8])
    )));
    // A two-layer tanh network with local arrays, all its weights differentiated.
    worst = worst.max(check(compare_hessian!(
        |w1: [[f64; 2]; 3], w2: [f64; 3], b| {
            let mut loss = 0.0;
            for k in 0..xs.len() {
                let mut h = [0.0; 3];
                for j in 0..3 {
                    h[j] = (w1[j][0] * xs[k][0] + w1[j][1] * xs[k][1]).tanh();
                }
                let mut o = b;
                for j in 0..3 {
                    o += w2[j] * h[j];
                }
                loss += (o - xs[k][1]).powi(2);
            }
            loss / xs.len() as f64
        },
        (
            [[0.1, -0.4], [0.7, 0.2], [-0.3, 0.5]],
            [0.6, -0.2, 0.9],
            0.05
        )
    )));
    // Reverse loops, inclusive ranges, powi by a loop variable, selections.
    worst = worst.max(check(compare_hessian!(
        |x: [f64; 4]| {
            let mut s = 0.0;
            for i in (0..4).rev() {
                s = s * x[i] + x[i].powi((i + 1) as i32);
            }
            let mut p = 1.0;
            for i in 0..=2 {
                p *= x[i].max(x[i + 1]) + x[i].clamp(-1.0, 1.0);
            }
            s + p.min(10.0) + x[0].hypot(x[1]) + x[2].atan2(x[3])
        },
        [0.3, -0.8, 1.7, 0.9]
    )));
    worst
}

#[test]
fn fd_tolerance_is_met() {
    let worst = programs();
    println!("largest disagreement of hessian! with FD of grad! on the programs: {worst:e}");
    assert!(worst < FD);
}

#[test]
fn every_op_against_finite_differences() {
    // Each op of OPS.md with every operand differentiated, at a point where
    // it is smooth (away from kinks and branch points).
    let mut worst: f64 = 0.0;
    macro_rules! op {
        ($($c:expr, $p:expr;)*) => {$(
            let report = compare_hessian!($c, $p);
            report.assert_agree(FD);
            worst = worst.max(report.fd_err());
        )*};
    }
    op! {
        |x, y| x + y * y, [0.3, 0.7];
        |x, y| (x - y) * (x - y), [0.3, 0.7];
        |x, y| x * y * x, [0.3, 0.7];
        |x, y| x / y, [0.3, 0.7];
        |x, y| -(x * y), [0.3, 0.7];
        |x, y| (x * y).exp(), [0.3, 0.7];
        |x, y| (x * y).ln(), [0.3, 0.7];
        |x, y| (x * y).sqrt(), [0.3, 0.7];
        |x, y| (x * y).tanh(), [0.3, 0.7];
        |x, y| (x * y).sin(), [0.3, 0.7];
        |x, y| (x * y).cos(), [0.3, 0.7];
        |x, y| (x * y - 0.5).abs() * x, [0.3, 0.7];
        |x, y| (x * y - 0.1).relu() * y, [0.3, 0.7];
        |x, y| (x * y).sigmoid(), [0.3, 0.7];
        |x, y| (x * y).powi(3), [0.3, 0.7];
        |x, y| x.powf(y), [0.3, 0.7];
        |x, y| x.max(y) * x.min(y * y), [0.3, 0.7];
        |x, y| (x * y).clamp(0.0, 1.0) * x, [0.3, 0.7];
        |x, y| (x * y).sinh(), [0.3, 0.7];
        |x, y| (x * y).cosh(), [0.3, 0.7];
        |x, y| (x * y).tan(), [0.3, 0.7];
        |x, y| (x * y).asin(), [0.3, 0.7];
        |x, y| (x * y).acos(), [0.3, 0.7];
        |x, y| (x * y).atan(), [0.3, 0.7];
        |x, y| (x * y).asinh(), [0.3, 0.7];
        |x, y| (x + y + 1.0).acosh(), [0.3, 0.7];
        |x, y| (x * y).atanh(), [0.3, 0.7];
        |x, y| x.atan2(y), [0.3, 0.7];
        |x, y| x.hypot(y), [0.3, 0.7];
        |x, y| (x * y).ln_1p(), [0.3, 0.7];
        |x, y| (x * y).exp_m1(), [0.3, 0.7];
        |x, y| (x * y).exp2(), [0.3, 0.7];
        |x, y| (x * y).log2(), [0.3, 0.7];
        |x, y| (x * y).log10(), [0.3, 0.7];
        |x, y| (x + 2.0).log(y + 2.0), [0.3, 0.7];
        |x, y| (x * y).cbrt(), [0.3, 0.7];
        |x, y| (x * y).recip(), [0.3, 0.7];
        |x, y| x.mul_add(y, x * x), [0.3, 0.7];
        |x, y| (x * y).signum() * x * x + (x * 3.0).floor() * y + (y * 3.0).ceil() * x, [0.3, 0.7];
        |x, y| (x * 3.0).round() * y * y + (y * 3.0).trunc() * x * y, [0.3, 0.7];
        |x, y| (x * y).softplus(), [0.3, 0.7];
        |x, y| (x - y).leaky_relu(x * y), [0.3, 0.7];
        |x, y| (x * y).gelu(), [0.3, 0.7];
        |x, y| (x * y).silu(), [0.3, 0.7];
        |x, y| (x * y).log_sigmoid(), [0.3, 0.7];
        |x, y| { let k: usize = 3; x.powi(k as i32) * y }, [0.3, 0.7];
    }
    println!("largest disagreement over the ops: {worst:e}");
}

// ---------------------------------------------------------------------
// num-dual's hessian (second-order dual numbers) on smooth ops.
// ---------------------------------------------------------------------

/// `|a - b| <= 1e-12 max(|a|, |b|)` (absolute 1e-12 near 0).
fn assert_matches_num_dual<const N: usize>(
    ours: (f64, [f64; N], [[f64; N]; N]),
    theirs: (f64, SVector<f64, N>, nalgebra::SMatrix<f64, N, N>),
) {
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0);
    assert!(close(ours.0, theirs.0));
    for i in 0..N {
        assert!(close(ours.1[i], theirs.1[i]), "gradient {i}");
        for j in 0..N {
            assert!(
                close(ours.2[i][j], theirs.2[(i, j)]),
                "h[{i}][{j}]: {} vs num-dual {}",
                ours.2[i][j],
                theirs.2[(i, j)]
            );
        }
    }
}

/// 22 smooth ops of three numbers, written once: `$mac` gets the closure
/// with its parameters typed `$t` (`f64` for `hessian!`, num-dual's
/// `Dual2SVec64<3>` for a plain closure), so both sides differentiate the
/// same text.
macro_rules! with_smooth3 {
    ($mac:ident, $t:ty) => {
        $mac!(|x: $t, y: $t, z: $t| {
            x.sin() * y.exp() + (x * y * z).tanh() + z.powi(3) / y + (x * x + 1.0).ln() + z.sqrt()
                - x.cos() * z
                + (y * z).sinh() / (x * x).cosh()
                + y.powf(2.5) * x
                + (x * 0.3).atan()
                + (z * 0.5).asin()
                + (y * 0.2).acos() * x
                + (z * x).asinh()
                + (y + 1.5).acosh()
                + (x * 0.4).atanh()
                + (y * x).ln_1p()
                + (z * 0.3).exp_m1()
                + (x * y).exp2()
                + (z + 1.0).log2()
                + (y + 1.0).log10()
                + (x * z).cbrt()
                + (x + y).recip()
                + (z * y).tan()
        })
    };
}

/// The closure itself, for num-dual.
macro_rules! plain {
    ($closure:expr) => {
        $closure
    };
}

#[test]
fn matches_num_dual_on_smooth_ops() {
    let ours = with_smooth3!(hessian, f64);
    let smooth3 = with_smooth3!(plain, Dual2SVec64<3>);
    for p in [[0.3, 0.7, 1.1], [-0.5, 1.3, 0.4], [1.2, 0.9, 1.6]] {
        let theirs = num_dual::hessian(
            |v: SVector<Dual2SVec64<3>, 3>| smooth3(v[0], v[1], v[2]),
            &SVector::from(p),
        );
        assert_matches_num_dual(ours(p[0], p[1], p[2]), theirs);
    }
    // The neuron, and Rosenbrock in 5 dimensions over an array.
    let neuron = hessian!(|x1, x2, w1, w2, b| (x1 * w1 + x2 * w2 + b).tanh());
    let p = [0.3, -0.7, 0.9, 0.4, -0.1];
    let theirs = num_dual::hessian(
        |v: SVector<Dual2SVec64<5>, 5>| (v[0] * v[2] + v[1] * v[3] + v[4]).tanh(),
        &SVector::from(p),
    );
    assert_matches_num_dual(neuron(p[0], p[1], p[2], p[3], p[4]), theirs);
    let rosen = hessian!(|x: [f64; 5]| {
        let mut s = 0.0;
        for i in 0..4 {
            s += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2);
        }
        s
    });
    let theirs = num_dual::hessian(
        |v: SVector<Dual2SVec64<5>, 5>| {
            let mut s = Dual2SVec64::<5>::from(0.0);
            for i in 0..4 {
                s += (v[i + 1] - v[i] * v[i]).powi(2) * 100.0 + (-v[i] + 1.0).powi(2);
            }
            s
        },
        &SVector::from(p),
    );
    assert_matches_num_dual(rosen(p), theirs);
}

// ---------------------------------------------------------------------
// Edge cases.
// ---------------------------------------------------------------------

#[test]
fn gradient_is_grads_to_the_bit() {
    let g = grad!(|x, y| (x * y).sin() / (1.0 + x * x) + y.sqrt());
    let h = hessian!(|x, y| (x * y).sin() / (1.0 + x * x) + y.sqrt());
    for p in [[0.3, 0.7], [-2.0, 5.0], [1e-3, 1e3]] {
        let (v1, g1) = g(p[0], p[1]);
        let (v2, g2, _) = h(p[0], p[1]);
        assert_eq!(v1.to_bits(), v2.to_bits());
        assert_eq!(g1.map(f64::to_bits), g2.map(f64::to_bits));
    }
}

#[test]
fn trivial_outputs() {
    // The output is a parameter, a constant, or ignores a parameter.
    assert_eq!(
        hessian!(|x, _y| x)(2.0, 3.0),
        (2.0, [1.0, 0.0], [[0.0; 2]; 2])
    );
    assert_eq!(hessian!(|_x| 2.5)(1.0), (2.5, [0.0], [[0.0]]));
    assert_eq!(
        hessian!(|x, _y| x * x)(3.0, 1.0),
        (9.0, [6.0, 0.0], [[2.0, 0.0], [0.0, 0.0]])
    );
}

#[test]
fn kinks_and_selections_have_no_curvature() {
    // relu'' = abs'' = 0, at the kink too; max at a tie gives its receiver.
    let f = hessian!(|x, y| x.relu() * 3.0 + y.abs() + x.max(y));
    assert_eq!(f(0.0, 0.0).2, [[0.0; 2]; 2]);
    assert_eq!(f(1.0, -1.0).2, [[0.0; 2]; 2]);
    // x relu(y): the only curvature is the cross term relu'(y) = 1.
    let g = hessian!(|x, y| x * y.relu());
    assert_eq!(g(2.0, 3.0).2, [[0.0, 1.0], [1.0, 0.0]]);
    assert_eq!(g(2.0, -3.0).2, [[0.0; 2]; 2]);
}

#[test]
fn a_zero_adjoint_passes_nothing() {
    // A dead exp(1000) and a branch not taken whose derivatives are
    // infinite or NaN leave the Hessian exact.
    let f = hessian!(|x, y| {
        let _t = (x * 1000.0).exp();
        let s = if x > 0.0 { x.sqrt() } else { 0.0 };
        s + x * y
    });
    let (_, g, h) = f(-1.0, 2.0);
    assert_eq!((g, h), ([2.0, -1.0], [[0.0, 1.0], [1.0, 0.0]]));
    // y sqrt(x) at x = 0 with y = 0: the adjoint of sqrt is 0, but its
    // tangent (in y) is not: d2/dx dy = 1 / (2 sqrt x) = inf, a true
    // infinity; d2/dy2 = 0 stays exact (no 0 * inf from the x direction).
    let g = hessian!(|x, y| y * x.sqrt());
    let (_, grad, h) = g(0.0, 0.0);
    assert_eq!(grad, [0.0, 0.0]);
    assert_eq!(h[1][1], 0.0);
    assert!(h[0][1].is_infinite());
}

#[test]
fn hvp_is_hessian_times_v() {
    let f = |x: [f64; 3], y: f64| (x[0] * x[1] * y).sin() + x[2].exp() * y * y;
    let _ = f;
    let h = hessian!(|x: [f64; 3], y| (x[0] * x[1] * y).sin() + x[2].exp() * y * y);
    let hv = hvp!(|x: [f64; 3], y| (x[0] * x[1] * y).sin() + x[2].exp() * y * y);
    let (x, y) = ([0.3, -1.1, 0.4], 0.8);
    let (v, dy) = ([1.0, -2.0, 0.5], 3.0);
    let (value, gradient, hmat) = h(x, y);
    let (value2, gradient2, (hv_x, hv_y)) = hv(x, y, v, dy);
    assert_eq!(
        (value, gradient.0, gradient.1),
        (value2, gradient2.0, gradient2.1)
    );
    let flat_v = [v[0], v[1], v[2], dy];
    let want: Vec<f64> = (0..4)
        .map(|i| (0..4).map(|j| hmat[i][j] * flat_v[j]).sum())
        .collect();
    let got = [hv_x[0], hv_x[1], hv_x[2], hv_y];
    for i in 0..4 {
        assert!(
            (got[i] - want[i]).abs() < 1e-13 * want[i].abs().max(1.0),
            "{got:?} vs {want:?}"
        );
    }
}

#[test]
#[should_panic(expected = "hvp!: the direction for `x` has another length than the point")]
fn hvp_direction_of_another_length_panics() {
    let hv = hvp!(|x: &[f64]| x[0] * x[0]);
    let _ = hv(&[1.0, 2.0], &[1.0]);
}

#[test]
fn hessian_code_shows_dual_numbers() {
    let code = hessian_code!(|x, y| x * y.exp());
    assert!(code.contains("Dual::<"), "{code}");
    assert!(code.contains("guarded_mul"), "{code}");
    assert!(code.contains("symmetrize"), "{code}");
}

#[test]
fn named_lengths_and_nested_arrays() {
    // Lengths that are constants, not literals: the Hessian's size is a
    // constant expression. f = sum_i w[i][0] w[i][1] b^2: the flat order
    // is w[0][0], w[0][1], w[1][0], w[1][1], w[2][0], w[2][1], b.
    const N: usize = 3;
    let f = hessian!(|w: [[f64; 2]; N], b| {
        let mut s = 0.0;
        for i in 0..N {
            s += w[i][0] * w[i][1] * b * b;
        }
        s
    });
    let w = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
    let (value, (gw, gb), h) = f(w, 0.5);
    // sum w0 w1 = 2 + 12 + 30 = 44; f = 44 b^2 = 11; df/db = 88 b = 44.
    assert_eq!((value, gb), (11.0, 44.0));
    assert_eq!(gw, [[0.5, 0.25], [1.0, 0.75], [1.5, 1.25]]);
    // d2f/dw[i][0] dw[i][1] = b^2 = 0.25; d2f/dw[i][k] db = 2 b w[i][1-k];
    // d2f/db2 = 2 sum w0 w1 = 88.
    let mut want = [[0.0; 7]; 7];
    for i in 0..3 {
        let (a, c) = (2 * i, 2 * i + 1);
        want[a][c] = 0.25;
        want[c][a] = 0.25;
        want[a][6] = 2.0 * 0.5 * w[i][1];
        want[6][a] = want[a][6];
        want[c][6] = 2.0 * 0.5 * w[i][0];
        want[6][c] = want[c][6];
    }
    want[6][6] = 88.0;
    assert_eq!(h, want);
}

#[test]
fn newton_example_output_is_in_the_readme() {
    // The README's Newton table, recomputed as `examples/newton.rs` prints
    // its Newton columns.
    let readme = include_str!("../README.md");
    let newton = hessian!(|x, y| (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2));
    let mut n = [-1.2f64, 1.0];
    for step in 0..8 {
        let (f, g, h) = newton(n[0], n[1]);
        let norm = g[0].hypot(g[1]);
        let line = format!(
            "{step:>4}  ({:>9.6}, {:>9.6}) {f:>11.3e} {norm:>9.2e}",
            n[0], n[1]
        );
        assert!(readme.contains(&line), "README.md lacks: {line}");
        let ([a, b], c) = (h[0], h[1][1]);
        let det = a * c - b * b;
        n[0] -= (c * g[0] - b * g[1]) / det;
        n[1] -= (a * g[1] - b * g[0]) / det;
    }
}

#[test]
fn a_million_iterations_with_saved_loads() {
    // A value read from storage and then overwritten is saved on a heap
    // tape per iteration: a million of them on a 2 MiB test stack, in both
    // hessian! and hvp!. p_{k+1} = p_k (1 - 1e-6 x) + 1e-6 y.
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let h = hessian!(|x, y| {
                let mut p = 1.0;
                for _i in 0..1_000_000 {
                    p = p * (1.0 - 1e-6 * x) + 1e-6 * y;
                }
                p * p
            });
            let hv = hvp!(|x, y| {
                let mut p = 1.0;
                for _i in 0..1_000_000 {
                    p = p * (1.0 - 1e-6 * x) + 1e-6 * y;
                }
                p * p
            });
            let (value, gradient, hm) = h(0.5, 2.0);
            let (value2, gradient2, hvv) = hv(0.5, 2.0, 1.0, 0.0);
            assert_eq!((value, gradient), (value2, gradient2));
            // H e_0 is the first column before symmetrization: equal to the
            // symmetrized entry up to the rounding of a million steps.
            assert_eq!(hvv[0], hm[0][0]);
            assert!((hvv[1] - hm[1][0]).abs() < 1e-10 * hm[1][0].abs());
            // p -> y / x + (1 - y / x) e^{-x} after 1e6 steps (1e-6 each):
            // at (0.5, 2), p = 4 - 3 e^{-0.5}; the value only roughly.
            assert!((value.sqrt() - (4.0 - 3.0 * (-0.5f64).exp())).abs() < 1e-5);
            assert!(hm.iter().flatten().all(|v| v.is_finite()));
        })
        .expect("spawn")
        .join()
        .expect("no overflow");
}

#[test]
fn compare_hessian_takes_slices_through_hvp() {
    // hessian! rejects slices; compare_hessian! builds their Hessian from
    // hvp!'s columns H e_j. The N-dimensional Rosenbrock at a point of 4.
    let report = compare_hessian!(
        |x: &[f64]| {
            let mut s = 0.0;
            for i in 0..x.len() - 1 {
                s += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2);
            }
            s
        },
        vec![0.5, -1.0, 2.0, 1.5]
    );
    report.assert_agree(FD);
    // The diagonal entry at 0: 1200 x0^2 - 400 x1 + 2 = 300 + 400 + 2.
    assert_eq!(report.hessian[0][0], 702.0);
    assert_eq!(report.names, ["x[0]", "x[1]", "x[2]", "x[3]"]);
}
