//! `grad!` on programs: array and slice parameters, captured data, `for`
//! loops, `if`/`else`, local arrays, `max`/`min`/`clamp`. Every expected
//! gradient is derived by hand in a comment, or checked against `compare!`'s
//! other two engines (the `Value` graph and a central finite difference).

use micrograd::{assert_grad, compare, grad, grad_code, grad_dot};

/// Relative agreement with a hand-derived value: a few rounding errors.
const TOL: f64 = 1e-12;

fn close(actual: f64, expected: f64, tol: f64) -> bool {
    (actual - expected).abs() <= tol * expected.abs().max(1.0)
}

fn assert_all_close(actual: &[f64], expected: &[f64], tol: f64) {
    assert_eq!(actual.len(), expected.len());
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(close(*a, *e, tol), "[{i}]: {actual:?} vs {expected:?}");
    }
}

#[test]
fn dot_product_of_an_array_with_captured_data() {
    // f(w) = sum_i w_i x_i, df/dw_i = x_i. The accumulator starts from a
    // literal and must still carry the gradient.
    let xs = [1.5, -2.0, 0.25];
    let f = grad!(|w: [f64; 3]| {
        let mut s = 0.0;
        for i in 0..3 {
            s += w[i] * xs[i];
        }
        s
    });
    let (v, g) = f([2.0, 1.0, 4.0]);
    assert_eq!(v, 3.0 - 2.0 + 1.0);
    assert_eq!(g, xs);
}

#[test]
fn dot_product_of_a_slice_with_a_captured_vec() {
    // Same as above over run-time lengths; the gradient of a slice is a Vec.
    let xs: Vec<f64> = (0..50).map(|i| f64::from(i) * 0.1 - 2.0).collect();
    let xs = &xs;
    let f = grad!(|w: &[f64]| {
        let mut s = 0.0;
        for i in 0..w.len() {
            s += w[i] * xs[i];
        }
        s
    });
    let w: Vec<f64> = (0..50).map(|i| 1.0 / (1.0 + f64::from(i))).collect();
    let (v, g): (f64, Vec<f64>) = f(&w);
    let expected: f64 = w.iter().zip(xs).map(|(a, b)| a * b).sum();
    assert!(close(v, expected, TOL));
    assert_eq!(&g, xs);
}

#[test]
fn rosenbrock_in_n_dimensions() {
    // f(x) = sum_{i<n-1} 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2
    // df/dx_i = -400 x_i (x_{i+1} - x_i^2) - 2 (1 - x_i)   [term i, i < n-1]
    //         + 200 (x_i - x_{i-1}^2)                       [term i-1, i > 0]
    let f = grad!(|x: &[f64]| {
        let mut s = 0.0;
        for i in 0..x.len() - 1 {
            s += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2);
        }
        s
    });
    let x: [f64; 5] = [-1.2, 1.0, 0.5, 2.0, -0.3];
    let n = x.len();
    let mut value = 0.0;
    let mut want = vec![0.0; n];
    for i in 0..n - 1 {
        value += 100.0 * (x[i + 1] - x[i] * x[i]).powi(2) + (1.0 - x[i]).powi(2);
        want[i] += -400.0 * x[i] * (x[i + 1] - x[i] * x[i]) - 2.0 * (1.0 - x[i]);
        want[i + 1] += 200.0 * (x[i + 1] - x[i] * x[i]);
    }
    let (v, g) = f(&x);
    assert!(close(v, value, TOL));
    assert_all_close(&g, &want, TOL);
    // At the minimum (1, ..., 1) the value and the gradient are exactly 0,
    // and +0.0 (a -0.0 would print as "-0").
    let (v, g) = f(&[1.0; 7]);
    assert_eq!((v, &g), (0.0, &vec![0.0; 7]));
    assert!(g.iter().all(|d| d.is_sign_positive()), "{g:?}");
}

#[test]
fn stencils_at_several_offsets_and_empty_loops() {
    // The reverse sweep sums the adjoints of x[i], x[i + 1], x[i + 2] in
    // registers carried across iterations and writes each gradient element
    // once; check it against the Value engine and finite differences, on a
    // nested array with a fixed outer index, and on inputs too short for
    // the loop to run at all (no out-of-range write then).
    let w = [[0.3, -0.7, 1.1, 0.4, -1.3], [0.9, 0.2, -0.5, 1.4, 0.6]];
    let report = compare!(
        |m: [[f64; 5]; 2]| {
            let mut s = 0.0;
            for k in 0..2 {
                for i in 0..3 {
                    s += m[k][i] * m[k][i + 1] * (m[k][i + 2] - m[k][i]).tanh();
                }
            }
            s
        },
        w
    );
    report.assert_agree(1e-12, 1e-8);
    let f = grad!(|x: &[f64]| {
        let mut s = 0.0;
        for i in 0..x.len() - 1 {
            s += x[i] * x[i + 1];
        }
        s
    });
    // One element: the loop is empty, f = 0 and so is the gradient.
    assert_eq!(f(&[1.5]), (0.0, vec![0.0]));
    // f = x0 x1 + x1 x2: (x1, x0 + x2, x1).
    assert_eq!(f(&[2.0, 3.0, 5.0]), (21.0, vec![3.0, 7.0, 3.0]));
    // Reads of the same parameter outside the loop, and the loop run
    // twice, add to what it writes: g = 3 x0 + 2 (x0 x1 + x1 x2) + x2^2.
    let g = grad!(|x: &[f64]| {
        let mut s = 3.0 * x[0];
        for _ in 0..2 {
            for i in 0..x.len() - 1 {
                s += x[i] * x[i + 1];
            }
        }
        s + x[2] * x[2]
    });
    // At (2, 3, 5): 6 + 2 (6 + 15) + 25 = 73; dg = (3 + 2 * 3, 2 (2 + 5), 2 * 3 + 2 * 5).
    assert_eq!(g(&[2.0, 3.0, 5.0]), (73.0, vec![9.0, 14.0, 16.0]));
}

#[test]
fn horner_polynomial_in_a_reversed_loop() {
    // p(x) = c0 + c1 x + c2 x^2 + c3 x^3 by Horner's rule, p = p x + c_i for
    // i = 3, 2, 1, 0: dp/dx = c1 + 2 c2 x + 3 c3 x^2, dp/dc_k = x^k. The
    // reverse sweep needs each old p (dp_new/dx = p_old): saved per iteration.
    let f = grad!(|x: f64, c: [f64; 4]| {
        let mut p = 0.0;
        for i in (0..4).rev() {
            p = p * x + c[i];
        }
        p
    });
    let (x, c) = (1.5, [2.0, -1.0, 0.5, 3.0]);
    let (v, (dx, dc)) = f(x, c);
    assert!(close(v, 2.0 - 1.5 + 0.5 * 2.25 + 3.0 * 3.375, TOL));
    assert!(close(dx, -1.0 + 2.0 * 0.5 * 1.5 + 3.0 * 3.0 * 2.25, TOL));
    assert_all_close(&dc, &[1.0, 1.5, 2.25, 3.375], TOL);
}

#[test]
fn piecewise_function_across_its_branch_points() {
    // f(x) = x^2 for x < 0, x for 0 <= x < 1, 2x - 1 for x >= 1 (continuous).
    // f' = 2x, 1, 2; at a branch point the branch taken decides: f'(0) = 1,
    // f'(1) = 2 (the comparison is evaluated exactly as written).
    let f = grad!(|x| {
        if x < 0.0 {
            x * x
        } else if x < 1.0 {
            x
        } else {
            2.0 * x - 1.0
        }
    });
    for (x, value, slope) in [
        (-0.5, 0.25, -1.0),
        (0.0, 0.0, 1.0),
        (0.5, 0.5, 1.0),
        (1.0, 1.0, 2.0),
        (3.0, 5.0, 2.0),
    ] {
        assert_eq!(f(x), (value, [slope]), "at {x}");
    }
}

#[test]
fn nested_loop_over_a_matrix() {
    // f(W) = sum_i tanh(sum_j W_ij x_j); df/dW_ij = (1 - tanh(z_i)^2) x_j.
    let xs = [0.5, -1.0, 2.0];
    let f = grad!(|w: [[f64; 3]; 2]| {
        let mut s = 0.0;
        for i in 0..2 {
            let mut z = 0.0;
            for j in 0..3 {
                z += w[i][j] * xs[j];
            }
            s += z.tanh();
        }
        s
    });
    let w = [[0.1, 0.2, -0.3], [1.0, 0.5, 0.25]];
    let (v, g) = f(w);
    let mut value = 0.0;
    for i in 0..2 {
        let z: f64 = (0..3).map(|j| w[i][j] * xs[j]).sum();
        value += z.tanh();
        for j in 0..3 {
            assert!(close(g[i][j], (1.0 - z.tanh().powi(2)) * xs[j], TOL));
        }
    }
    assert!(close(v, value, TOL));
}

#[test]
fn value_read_after_it_is_overwritten_in_a_loop() {
    // y = x^(2^3) = x^8 by squaring three times; dy/dx = 8 x^7. `y *= y`
    // reads y after the previous iteration overwrote it.
    let f = grad!(|x| {
        let mut y = x;
        for _ in 0..3 {
            y *= y;
        }
        y
    });
    let x: f64 = 1.1;
    let (v, [d]) = f(x);
    assert!(close(v, x.powi(8), TOL));
    assert!(close(d, 8.0 * x.powi(7), TOL));
}

#[test]
fn local_array_element_updated_from_itself() {
    // h_i = w_i, then h_i <- h_i^2 twice: h_i = w_i^4, f = sum_i h_i,
    // df/dw_i = 4 w_i^3.
    let f = grad!(|w: [f64; 3]| {
        let mut h = [0.0; 3];
        for i in 0..3 {
            h[i] = w[i];
        }
        for _ in 0..2 {
            for i in 0..3 {
                h[i] = h[i] * h[i];
            }
        }
        h[0] + h[1] + h[2]
    });
    let w = [0.5, -2.0, 1.5];
    let (v, g) = f(w);
    assert!(close(v, 0.0625 + 16.0 + 5.0625, TOL));
    assert_all_close(&g, &[0.5, -32.0, 13.5], TOL);
}

#[test]
fn dead_or_overwritten_infinite_derivatives_do_not_poison() {
    // exp(1000) = inf and its derivative too; neither value reaches the
    // output, so the gradient of 2x is exactly 2 (not 0 * inf = NaN).
    let dead = grad!(|x| {
        let t = x.exp();
        let _u = t * x;
        2.0 * x
    });
    assert_eq!(dead(1000.0), (2000.0, [2.0]));
    let overwritten = grad!(|x| {
        let mut t = 0.0;
        for _ in 0..3 {
            t = x.exp() * x;
            t = 2.0 * x;
        }
        t
    });
    assert_eq!(overwritten(1000.0), (2000.0, [2.0]));
    // The same in a branch: the overwritten value exists on one path only.
    let branch = grad!(|x| {
        let mut t = x.exp();
        if x > 0.0 {
            t = x * 3.0;
        }
        t
    });
    assert_eq!(branch(1000.0), (3000.0, [3.0]));
}

#[test]
fn branch_not_taken_never_evaluates_its_derivative() {
    // sqrt'(x) = 1/(2 sqrt x) is NaN for x < 0 and inf at 0; the branch is
    // not taken there, so the gradient is 0, not NaN.
    let f = grad!(|x| if x > 0.0 { x.sqrt() } else { 0.0 });
    assert_eq!(f(-1.0), (0.0, [0.0]));
    assert_eq!(f(0.0), (0.0, [0.0]));
    assert_eq!(f(4.0), (2.0, [0.25]));
}

#[test]
fn a_million_iterations_that_each_save_a_value() {
    // p = x^n by n multiplications: each iteration's old p is saved for the
    // reverse sweep (dp_new/dx = p_old), one f64 per iteration on the heap.
    // dp/dx = n x^(n-1). Runs on a thread with a 2 MiB stack: a tape sized
    // from the bound on the stack would overflow there.
    let handle = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let f = grad!(|x| {
                let mut p = 1.0;
                for _ in 0..1_000_000 {
                    p *= x;
                }
                p
            });
            f(1.000_000_1)
        })
        .expect("spawn");
    let (v, [d]) = handle.join().expect("no stack overflow");
    let (x, n): (f64, i32) = (1.000_000_1, 1_000_000);
    // 10^6 roundings of relative size 2^-53 each: well under 1e-9 relative.
    assert!(close(v, x.powi(n), 1e-9), "{v}");
    assert!(close(d, f64::from(n) * x.powi(n - 1), 1e-9), "{d}");
}

#[test]
fn gradient_shapes_follow_the_parameters() {
    // Scalars only: (f64, [f64; N]).
    let s = grad!(|x, y| x * y);
    let (_, [dx, dy]): (f64, [f64; 2]) = s(2.0, 3.0);
    assert_eq!((dx, dy), (3.0, 2.0));
    // One array: (f64, [f64; 2]).
    let a = grad!(|w: [f64; 2]| w[0] * w[1]);
    assert_eq!(a([2.0, 3.0]), (6.0, [3.0, 2.0]));
    // One slice: (f64, Vec<f64>).
    let sl = grad!(|w: &[f64]| w[0] * w[1]);
    assert_eq!(sl(&[2.0, 3.0]), (6.0, vec![3.0, 2.0]));
    // Several, some arrays: (f64, (G1, G2, G3)), each of its parameter's shape.
    let m = grad!(|w: [[f64; 2]; 2], b: f64, v: &[f64]| w[1][0] * b + v[0]);
    type Grads = ([[f64; 2]; 2], f64, Vec<f64>);
    let (value, (gw, gb, gv)): (f64, Grads) = m([[0.0, 0.0], [5.0, 0.0]], 2.0, &[1.0]);
    assert_eq!(value, 11.0);
    assert_eq!(gw, [[0.0, 0.0], [2.0, 0.0]]);
    assert_eq!((gb, gv), (5.0, vec![1.0]));
}

#[test]
fn integers_bounds_indices_and_casts() {
    // f(w) = sum_{i<n} (i as f64) w_i w_{i+1} + w_0^(n) with n captured:
    // df/dw_0 = 0 * w_1 + n w_0^(n-1), df/dw_i = (i-1) w_{i-1} + i w_{i+1}.
    let n: usize = 3;
    let f = grad!(|w: [f64; 4]| {
        let mut s = 0.0;
        for i in 0..n {
            let j = i + 1;
            s += (i as f64) * w[i] * w[j];
        }
        let k: usize = n;
        s + w[0].powi(k as i32) + (w.len() as f64) * 0.0
    });
    let w = [2.0, 3.0, 5.0, 7.0];
    let (v, g) = f(w);
    assert_eq!(v, 3.0 * 5.0 + 2.0 * 5.0 * 7.0 + 8.0);
    assert_eq!(g, [12.0, 5.0, 3.0 + 2.0 * 7.0, 2.0 * 5.0]);
    // Inclusive ranges and `.rev()`: sum_{i=1..=3} i w_i.
    let g2 = grad!(|w: [f64; 4]| {
        let mut s = 0.0;
        for i in (1..=3).rev() {
            s += (i as f64) * w[i];
        }
        s
    });
    assert_eq!(g2([1.0; 4]), (6.0, [0.0, 1.0, 2.0, 3.0]));
}

#[test]
fn conditions_short_circuit_like_rust() {
    // `i + 1 < w.len() && w[i + 1] > 0.0` never reads past the end; the
    // gradient picks w_i where the next element is positive:
    // f = w0 (w1 > 0) + w1 (w2 > 0) + w2 (never: no next) = w0.
    let f = grad!(|w: [f64; 3]| {
        let mut s = 0.0;
        for i in 0..3 {
            if i + 1 < w.len() && w[i + 1] > 0.0 || !(i < 3) {
                s += w[i];
            }
        }
        s
    });
    assert_eq!(f([1.0, 2.0, -3.0]), (1.0, [1.0, 0.0, 0.0]));
}

#[test]
fn max_min_clamp_are_selections() {
    // The gradient goes to the operand whose value is returned; at a tie to
    // the receiver (OPS.md).
    let f = grad!(|x, y| x.max(y) + 2.0 * x.min(y));
    assert_eq!(f(1.0, 3.0), (5.0, [2.0, 1.0]));
    assert_eq!(f(3.0, 1.0), (5.0, [1.0, 2.0]));
    assert_eq!(f(2.0, 2.0), (6.0, [3.0, 0.0]));
    // clamp: x inside [lo, hi] (bounds included), else the bound it hit.
    let c = grad!(|x, lo, hi| x.clamp(lo, hi));
    assert_eq!(c(0.5, 0.0, 1.0), (0.5, [1.0, 0.0, 0.0]));
    assert_eq!(c(1.0, 0.0, 1.0), (1.0, [1.0, 0.0, 0.0]));
    assert_eq!(c(-2.0, 0.0, 1.0), (0.0, [0.0, 1.0, 0.0]));
    assert_eq!(c(2.0, 0.0, 1.0), (1.0, [0.0, 0.0, 1.0]));
}

#[test]
fn if_statements_and_expressions_inside_loops() {
    // relu written by hand inside a loop over a local array:
    // f(w) = sum_i max(w_i x_i, 0) + (if w_0 > 0 then w_0 else 0)
    let xs = [1.0, -1.0, 2.0];
    let f = grad!(|w: [f64; 3]| {
        let mut h = [0.0; 3];
        let mut s = 0.0;
        for i in 0..3 {
            h[i] = w[i] * xs[i];
            if h[i] > 0.0 {
                s += h[i];
            } else {
                s += 0.0;
            }
        }
        s + if w[0] > 0.0 { w[0] } else { 0.0 }
    });
    // w = (1, 1, -1): h = (1, -1, -2): s = 1, plus w0 = 1.
    assert_eq!(f([1.0, 1.0, -1.0]), (2.0, [2.0, 0.0, 0.0]));
}

#[test]
fn array_literals_and_nested_local_arrays() {
    // m = [[a, b], [b, a]] with a = x y, b = x + y; f = sum of all entries
    // times their row index + 1 = (a + b) + 2 (b + a) = 3 (xy + x + y):
    // df/dx = 3 (y + 1), df/dy = 3 (x + 1).
    let f = grad!(|x, y| {
        let a = x * y;
        let b = x + y;
        let m = [[a, b], [b, a]];
        let mut s = 0.0;
        for i in 0..2 {
            for j in 0..2 {
                s += m[i][j] * (i as f64 + 1.0);
            }
        }
        s
    });
    assert_eq!(f(2.0, 3.0), (3.0 * (6.0 + 5.0), [12.0, 9.0]));
    // `[[v; 2]; 3]` repeats one value: the adjoint sums all six uses.
    let g = grad!(|x| {
        let m = [[x; 2]; 3];
        let mut s = 0.0;
        for i in 0..3 {
            s += m[i][0] * m[i][1];
        }
        s
    });
    assert_eq!(g(2.0), (12.0, [12.0]));
}

#[test]
#[should_panic(expected = "index out of bounds")]
fn an_index_out_of_range_panics_with_rusts_message() {
    let f = grad!(|w: &[f64]| w[3]);
    let _ = f(&[1.0, 2.0]);
}

#[test]
#[cfg(debug_assertions)]
#[should_panic(expected = "subtract with overflow")]
fn a_range_end_below_zero_panics_as_in_rust() {
    // `0..n - 1` with n = 0 overflows: in debug builds Rust panics, and so
    // does the generated code (release builds wrap, as Rust does).
    let f = grad!(|w: &[f64]| {
        let mut s = 0.0;
        for i in 0..w.len() - 1 {
            s += w[i];
        }
        s
    });
    let _ = f(&[]);
}

#[test]
fn compare_checks_array_programs_element_by_element() {
    let xs = [[0.5, -1.0], [2.0, 0.25]];
    let report = compare!(
        |w: [[f64; 2]; 2], b: f64| {
            let mut s = 0.0;
            for k in 0..2 {
                let z = w[k][0] * xs[k][0] + w[k][1] * xs[k][1] + b;
                s += z.tanh();
            }
            s
        },
        ([[0.1, 0.2], [-0.3, 0.4]], 0.05)
    );
    assert_eq!(
        report.params,
        ["w[0][0]", "w[0][1]", "w[1][0]", "w[1][1]", "b"]
    );
    assert_eq!(report.point, [0.1, 0.2, -0.3, 0.4, 0.05]);
    report.assert_agree(1e-12, 1e-8);
    assert!(report.to_string().contains("w[1][0]"));
    // A lone slice parameter is given as a Vec.
    assert_grad!(
        |x: &[f64]| {
            let mut p = 1.0;
            for i in 0..x.len() {
                p *= x[i].sin() + 2.0;
            }
            p
        },
        vec![0.3, -1.2, 2.5],
        fd = 1e-8
    );
}

#[test]
fn a_place_read_twice_is_one_value() {
    // x[i] * x[i] reads x[i] once, and its adjoint (2 x[i]) is added to
    // the gradient once; a store in between makes it two reads.
    let code = grad_code!(|x: [f64; 2]| x[0] * x[0]);
    assert_eq!(code.matches("__mg_p0[0]").count(), 1, "{code}");
    assert_eq!(code.matches("__mg_gp0[0] +=").count(), 1, "{code}");
    let f = grad!(|x: [f64; 2]| {
        let mut h = [x[0], x[1]];
        let a = h[0];
        h[0] = x[1];
        a * h[0]
    });
    // a = x0, then h0 = x1: f = x0 x1.
    assert_eq!(f([2.0, 3.0]), (6.0, [3.0, 2.0]));
}

#[test]
fn expansion_shows_loops_and_branches() {
    let code = grad_code!(|w: [f64; 3]| {
        let mut s = 0.0;
        for i in 0..3 {
            if w[i] > 0.0 {
                s += w[i] * w[i];
            }
        }
        s
    });
    // The forward loop, then the reverse loop running backwards, taking the
    // saved branch outcome.
    assert!(code.contains("for __mg_i0 in 0..3"), "{code}");
    assert!(code.contains("for __mg_i0 in (0..3).rev()"), "{code}");
    assert!(code.contains("__mg_b0[__mg_i0] = __mg_cond0"), "{code}");
    let dot = grad_dot!(|w: [f64; 3]| {
        let mut s = 0.0;
        for i in 0..3 {
            if w[i] > 0.0 {
                s += w[i];
            } else {
                s -= w[i];
            }
        }
        s
    });
    assert!(dot.contains("subgraph cluster_loop0"), "{dot}");
    assert!(dot.contains("label=\"for i in 0 .. 3\""), "{dot}");
    assert!(dot.contains("subgraph cluster_then0") && dot.contains("subgraph cluster_else0"));
}

/// A parameter type handed through `macro_rules!` as a `$t:ty` fragment
/// arrives wrapped in an invisible group; it is the same type.
macro_rules! sum_of_squares {
    ($t:ty) => {
        grad!(|w: $t| {
            let mut s = 0.0;
            for i in 0..w.len() {
                s += w[i] * w[i];
            }
            s
        })
    };
}

#[test]
fn types_through_macro_rules() {
    // f = sum w_i^2, df/dw_i = 2 w_i.
    let f = sum_of_squares!([f64; 3]);
    assert_eq!(f([1.0, 2.0, 3.0]), (14.0, [2.0, 4.0, 6.0]));
    let g = sum_of_squares!(&[f64]);
    assert_eq!(g(&[1.0, -2.0]), (5.0, vec![2.0, -4.0]));
}

#[test]
fn a_read_of_storage_stays_before_a_later_store_to_it() {
    // u = v * 2 reads v, then v is overwritten, then w = u: the adjoint
    // of the read belongs to the old v. f = w + v = 2 x + 3 y:
    // df/dx = 2, df/dy = 3.
    let f = grad!(|x, y| {
        let mut v = x;
        let mut w = 0.0;
        for _ in 0..1 {
            let u = v * 2.0;
            v = y * 3.0;
            w = u;
        }
        w + v
    });
    assert_eq!(f(1.0, 1.0), (5.0, [2.0, 3.0]));
}

/// A whole closure handed through `macro_rules!` as `$e:expr`.
macro_rules! wrapped {
    ($e:expr) => {
        grad!($e)
    };
}

#[test]
fn a_closure_through_macro_rules() {
    // f = x y: (y, x).
    let f = wrapped!(|x, y| x * y);
    assert_eq!(f(2.0, 3.0), (6.0, [3.0, 2.0]));
}

#[test]
fn arrays_written_in_one_loop_and_read_in_the_next_per_sample() {
    // A layer's outputs, stored once per neuron and read once per neuron of
    // the next layer, for each of several samples: the reverse sweep
    // restores the array as it passes each store instead of saving every
    // read. Checked against the Value engine and finite differences.
    let xs = [[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]];
    assert_grad!(
        |w: [[f64; 2]; 3], v: [f64; 3]| {
            let mut loss = 0.0;
            for k in 0..3 {
                let mut h = [0.0; 3];
                for j in 0..3 {
                    h[j] = (w[j][0] * xs[k][0] + w[j][1] * xs[k][1]).tanh();
                }
                let mut out = 0.0;
                for j in 0..3 {
                    for i in 0..3 {
                        out += v[j] * h[i] * h[j];
                    }
                }
                loss += out * out;
            }
            loss
        },
        ([[0.3, -0.2], [0.1, 0.4], [-0.5, 0.25]], [0.7, -0.3, 0.2]),
        fd = 1e-8
    );
}

#[test]
fn saved_buffers_are_reused_across_calls_sizes_panics_and_threads() {
    // p = prod_i w[i], computed as p *= w[i]: the reverse sweep saves each
    // old p (a tape per call, kept per thread between calls by
    // `micrograd::saved`). dp/dw[i] = prod_{j != i} w[j]. The same closure
    // runs long, short, after a panic mid-sweep, and on several threads at
    // once; every call must see an empty tape.
    let f = grad!(|w: &[f64]| {
        let mut p = 1.0;
        for i in 0..w.len() {
            p *= w[i];
        }
        p
    });
    let expected = |w: &[f64]| -> Vec<f64> {
        (0..w.len())
            .map(|i| (0..w.len()).filter(|&j| j != i).map(|j| w[j]).product())
            .collect()
    };
    let check = |w: &[f64]| {
        let (v, g) = f(w);
        assert!(close(v, w.iter().product(), 1e-12));
        assert_all_close(&g, &expected(w), 1e-12);
    };
    let long: Vec<f64> = (0..50).map(|i| 1.0 + 0.01 * f64::from(i)).collect();
    check(&long);
    check(&[2.0, 3.0]);
    check(&long);
    // `w[2]` panics on two elements after the loop filled the tape: the
    // next call starts from an empty one. q = p * w[2], so
    // dq/dw[i] = w[2] prod_{j != i} w[j], plus p for i = 2.
    let g = grad!(|w: &[f64]| {
        let mut p = 1.0;
        for i in 0..w.len() {
            p *= w[i];
        }
        p * w[2]
    });
    assert!(std::panic::catch_unwind(|| g(&[2.0, 3.0])).is_err());
    let w = [1.5, -2.0, 4.0];
    let (v, d) = g(&w);
    let p: f64 = w.iter().product();
    assert!(close(v, p * w[2], 1e-12));
    let mut want: Vec<f64> = expected(&w).iter().map(|e| e * w[2]).collect();
    want[2] += p;
    assert_all_close(&d, &want, 1e-12);
    check(&w);
    std::thread::scope(|s| {
        for t in 0..4 {
            let w: Vec<f64> = (0..10 + t).map(|i| 0.5 + 0.1 * f64::from(i)).collect();
            s.spawn(move || {
                for _ in 0..20 {
                    let (v, g) = f(&w);
                    assert!(close(v, w.iter().product(), 1e-12));
                    assert_all_close(&g, &expected(&w), 1e-12);
                }
            });
        }
    });
}

#[test]
fn stores_after_an_array_initialisation_and_reads_between_them() {
    // Per sample, h is initialised and filled in a loop: stores that the
    // initialisation covers (nothing reads h in between, so the reverse
    // sweep restores the whole array once instead of saving each element).
    // Then h[0] is updated from itself and h[1] overwritten after a read,
    // stores that must save what they overwrite, and a loop both reads and
    // writes h. Checked against the Value engine and finite differences.
    let xs = [0.5, -1.25, 2.0];
    assert_grad!(
        |w: [f64; 3], c: f64| {
            let mut loss = 0.0;
            for k in 0..3 {
                let mut h = [0.0; 3];
                for j in 0..3 {
                    h[j] = (w[j] * xs[k] + c).tanh();
                }
                let mut s = 0.0;
                for i in 0..3 {
                    s += h[i] * w[i];
                }
                h[0] = h[0] * s;
                let t = h[1];
                h[1] = s.sin();
                for j in 1..3 {
                    h[j] = h[j] + t * h[j - 1];
                }
                loss += h[0] * h[1] + h[2] * t;
            }
            loss
        },
        ([0.3, -0.7, 1.1], 0.2),
        fd = 1e-8
    );
}

#[test]
fn accumulator_loops_tested_once_before_the_loop() {
    // The reverse of `z = z - t` in a loop runs only when z's adjoint is
    // nonzero, tested once before the loop, with no test inside. Here
    // relu(z) at z = -inf passes 0 to z, and the loop's exp(1000 x) has an
    // infinite local derivative: 0 * inf must not make NaN. f = relu(z) + c
    // with z = -sum exp(1000 x_i): df/dx = 0, df/dc = 1.
    let f = grad!(|x: [f64; 3], c: f64| {
        let mut z = 0.0;
        for i in 0..3 {
            z = z - (x[i] * 1000.0).exp();
        }
        z.relu() + c
    });
    let (v, (dx, dc)) = f([1.0, 2.0, 3.0], 0.5);
    assert_eq!((v, dx, dc), (0.5, [0.0; 3], 1.0));
    // z_i = x_i - z_{i-1}, z_{-1} = 0 (the load is the second operand: its
    // adjoint flips sign each iteration and stays nonzero), and z = z - t:
    // y = z_2 = x2 - x1 + x0; s = -sum x_i^2. f = y^2 + s:
    // df/dx = 2y (1, -1, 1) - 2x.
    let g = grad!(|x: [f64; 3]| {
        let mut y = 0.0;
        for i in 0..3 {
            y = x[i] - y;
        }
        let mut s = 0.0;
        for i in 0..3 {
            s = s - x[i] * x[i];
        }
        y * y + s
    });
    let x = [0.5, -1.5, 2.0];
    let y = x[2] - x[1] + x[0];
    let (v, d) = g(x);
    assert!(close(
        v,
        y * y - x.iter().map(|a| a * a).sum::<f64>(),
        1e-12
    ));
    let want = [
        2.0 * y - 2.0 * x[0],
        -2.0 * y - 2.0 * x[1],
        2.0 * y - 2.0 * x[2],
    ];
    assert_all_close(&d, &want, 1e-12);
}

/// `h[j] = ..` in a loop over `j` after `let mut h = [0.0; n]`: the
/// `let`'s reverse zeroes `h`'s whole adjoint, so each store's reverse
/// leaves its element's adjoint as it is (`diff::settled_stores`). Where
/// the `let` has active elements, or the loop writes one element twice,
/// the reset stays, and the gradients say why.
#[test]
fn a_layer_s_stores_reset_no_adjoint_the_let_resets() {
    let code = grad_code!(|w: [f64; 3]| {
        let mut h = [0.0; 3];
        for j in 0..3 {
            h[j] = (w[j] * 2.0).relu();
        }
        h[0] * h[1] + h[2]
    });
    assert!(!code.contains("__mg_gx0[__mg_i0] = -0.0"), "{code}");
    // h = [2 w0, 2 w1, 2 w2] for positive w: f = 4 w0 w1 + 2 w2.
    let report = assert_grad!(
        |w: [f64; 3]| {
            let mut h = [0.0; 3];
            for j in 0..3 {
                h[j] = (w[j] * 2.0).relu();
            }
            h[0] * h[1] + h[2]
        },
        [0.5, 1.5, 2.0]
    );
    assert_eq!(report.static_grad, [6.0, 2.0, 2.0]);
    // The `let` reads w: the stores' resets keep its reverse from passing
    // h's adjoint on to w as well. f = 3 w0 + 3 w1, df/dw = (3, 3).
    let f = grad!(|w: [f64; 2]| {
        let mut h = [w[0], w[1]];
        for j in 0..2 {
            h[j] = w[j] * 3.0;
        }
        h[0] + h[1]
    });
    assert_eq!(f([1.0, 2.0]).1, [3.0, 3.0]);
    // One element written in every iteration: only the last store counts.
    // f = 3 w1.
    let f = grad!(|w: [f64; 2]| {
        let mut h = [0.0; 2];
        for j in 0..2 {
            h[0] = w[j] * 3.0;
        }
        h[0]
    });
    assert_eq!(f([1.0, 2.0]).1, [0.0, 3.0]);
}
