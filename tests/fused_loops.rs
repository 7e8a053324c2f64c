//! Loops whose iterations meet only in one sum are reversed iteration by
//! iteration (`micrograd-macros/src/diff/fuse.rs`), and tapes inside loops
//! with literal bounds are fixed arrays. Every program here is checked
//! against the `Value` engine (1e-12) and central finite differences
//! (`assert_grad!`), and its expansion shows whether the loop was fused:
//! the reverse sweep scales a fused loop's local adjoints by its sum's
//! adjoint, `let __mg_sum{loop}`.

use micrograd::{assert_grad, differentiable, grad, grad_code};

/// `grad_code!` and `assert_grad!` of the same closure, asserting whether
/// a loop of it is fused; evaluates to the expansion.
macro_rules! check {
    ($point:expr, fused = $fused:expr, $($f:tt)+) => {{
        let code: &str = grad_code!($($f)+);
        assert_eq!(code.contains("let __mg_sum"), $fused, "{code}");
        assert_grad!($($f)+, $point);
        code
    }};
}

/// A small network's hinge loss over points, as in the moons demo: each
/// iteration keeps its pre-activations in fixed arrays, nothing is pushed.
#[test]
fn a_loss_over_points_is_fused() {
    let xs = [[0.5, -1.0], [1.5, 0.25], [-0.75, 0.5], [0.1, 0.9]];
    let ys = [1.0, -1.0, 1.0, -1.0];
    let p = [
        0.3, -0.2, 0.1, 0.5, 0.4, -0.3, -0.6, 0.2, 0.05, 0.7, -0.4, 0.9, 0.2,
    ];
    let code = check!(p, fused = true, |p: [f64; 13]| {
        let mut loss = 0.0;
        for k in 0..xs.len() {
            let mut h = [0.0; 3];
            for j in 0..3 {
                let mut z = p[3 * j + 2];
                for i in 0..2 {
                    z += p[3 * j + i] * xs[k][i];
                }
                h[j] = z.relu();
            }
            let mut s = p[12];
            for j in 0..3 {
                s += p[9 + j] * h[j];
            }
            loss += (1.0 - ys[k] * s).relu();
        }
        loss / xs.len() as f64
    });
    assert!(
        code.contains("[0.0f64; 3]") && !code.contains(".push("),
        "{code}"
    );
}

/// The sum's adjoint is known only after the loop, and here depends on the
/// sum itself: d(ln s + s^2)/dw = (1/s + 2 s) ds/dw.
#[test]
fn the_sum_adjoint_may_depend_on_the_sum() {
    let xs = vec![0.5, 1.5, -0.25, 2.0];
    check!([0.4, 0.3], fused = true, |w: [f64; 2]| {
        let mut s = 0.0;
        for k in 0..xs.len() {
            let mut t = w[0] * xs[k];
            for _r in 0..xs.len() {
                t = (t + w[1]).tanh();
            }
            s += t.exp();
        }
        s.ln() + s * s
    });
}

/// The body reads a value, an array and a scalar parameter from before
/// the loop; their adjoints are scaled too.
#[test]
fn values_from_before_the_loop_get_their_share() {
    let xs = vec![[0.5, -1.0], [1.5, 0.25], [-0.75, 0.5]];
    check!(([0.3, -0.7, 1.1], 0.6), fused = true, |w: [f64; 3], b| {
        let c = (w[0] * b).exp();
        let h = [w[1].sin(), w[2] * b];
        let mut s = 0.0;
        for k in 0..xs.len() {
            let mut z = c;
            for i in 0..xs[k].len() {
                z = (z + h[i] * xs[k][i]).tanh();
            }
            s += z * b;
        }
        s * c
    });
}

/// Sums written in branches, subtracted, and in an inner loop.
#[test]
fn the_sum_may_grow_in_branches_and_inner_loops() {
    let xs = vec![0.5, -1.5, 0.25, 2.0, -0.5];
    check!([0.4, -0.3], fused = true, |w: [f64; 2]| {
        let mut s = 0.0;
        for k in 0..xs.len() {
            let mut t = w[0] * xs[k];
            for _r in 0..xs.len() {
                t = t.sin() + w[1];
            }
            if t > 0.0 {
                s += t * t;
            } else {
                s -= t.tanh();
            }
            for i in 0..2 {
                s = s + w[i] * t;
            }
        }
        s
    });
}

/// Not fused: a value carried from one iteration to the next (`prev`),
/// a sum that is also multiplied, two sums. Each still agrees.
#[test]
fn loops_whose_iterations_interact_keep_the_general_scheme() {
    let xs = vec![0.5, -1.5, 0.25, 2.0];
    check!([0.4, -0.3], fused = false, |w: [f64; 2]| {
        let mut s = 0.0;
        let mut prev = w[1];
        for k in 0..xs.len() {
            let mut t = w[0] * xs[k];
            for _r in 0..xs.len() {
                t = t.sin() + prev;
            }
            s += t;
            prev = t.tanh();
        }
        s
    });
    check!([0.4, -0.3], fused = false, |w: [f64; 2]| {
        let mut s = 1.0;
        for k in 0..xs.len() {
            let mut t = w[0] * xs[k];
            for _r in 0..xs.len() {
                t = t.sin() + w[1];
            }
            s = s * 0.5 + t;
        }
        s
    });
    check!([0.4, -0.3], fused = false, |w: [f64; 2]| {
        let mut s = 0.0;
        let mut q = 0.0;
        for k in 0..xs.len() {
            let mut t = w[0] * xs[k];
            for _r in 0..xs.len() {
                t = t.sin() + w[1];
            }
            s += t;
            q += t * t;
        }
        s * q
    });
    // Nothing to push (a fixed array holds the tape): nothing to gain.
    check!([0.4, -0.3], fused = false, |w: [f64; 2]| {
        let mut s = 0.0;
        for k in 0..4 {
            let mut t = w[0] * xs[k];
            for _r in 0..3 {
                t = t.sin() + w[1];
            }
            s += t;
        }
        s
    });
}

/// A `#[differentiable]` call in the body, with a parameter array as an
/// argument: its pullback's adjoints go to the local adjoints too.
#[differentiable]
fn neuron(w: &[f64; 3], x: &[f64]) -> f64 {
    (w[0] * x[0] + w[1] * x[1] + w[2]).tanh()
}

#[test]
fn calls_in_a_fused_loop() {
    let xs = vec![vec![0.5, -1.0], vec![1.5, 0.25], vec![-0.75, 0.5]];
    check!([0.3, -0.7, 0.2], fused = true, |w: [f64; 3]| {
        let mut s = 0.0;
        for k in 0..xs.len() {
            let mut t = neuron(&w, &xs[k]);
            for _r in 0..xs.len() {
                t = t.sin() * w[2];
            }
            s += t;
        }
        s
    });
}

/// With no points the sum is its start and the gradient is zero: the
/// loop's local adjoints stay 0.
#[test]
fn an_empty_fused_loop() {
    let xs: Vec<f64> = Vec::new();
    let f = grad!(|w: [f64; 2]| {
        let mut s = w[1];
        for k in 0..xs.len() {
            let mut t = w[0] * xs[k];
            for _r in 0..xs.len() {
                t = t.sin();
            }
            s += t;
        }
        s * s
    });
    // f = w1^2.
    assert_eq!(f([0.4, 3.0]), (9.0, [0.0, 6.0]));
}

/// An infinite sum adjoint (ln at 0) reaches what the sum depends on as
/// inf and leaves 0 where the loop's derivative is exactly 0, never
/// `0 * inf = NaN`. f = ln(s), s = sum_k t_k, where t_k is sin applied
/// len(xs) times to w0 xs[k] + w1 * 0. At w0 = 0 every t_k is 0, so s = 0
/// and df/dw0 = (1/s) sum xs = inf, while s does not depend on w1: 0.
/// (Unfused, as on the `Value` engine, the adjoint inf meets the local 0
/// and gives NaN.)
#[test]
fn an_infinite_sum_adjoint_makes_no_nan() {
    let xs = vec![0.5, 1.5];
    // One program text for both macros.
    macro_rules! program {
        ($mac:ident) => {
            $mac!(|w: [f64; 2]| {
                let mut s = 0.0;
                for k in 0..xs.len() {
                    let mut t = w[0] * xs[k];
                    for _r in 0..xs.len() {
                        t = (t + w[1] * 0.0).sin();
                    }
                    s += t;
                }
                s.ln()
            })
        };
    }
    let code: &str = program!(grad_code);
    assert!(code.contains("let __mg_sum"), "{code}");
    let f = program!(grad);
    let (v, g) = f([0.0, 1.0]);
    assert_eq!(v, f64::NEG_INFINITY);
    assert_eq!(g, [f64::INFINITY, 0.0]);
}

/// Fixed-array tapes: literal bounds with a start, `..=`, `.rev()`, two
/// levels; a loop too long for the budget keeps a stack.
#[test]
fn tapes_in_loops_with_literal_bounds_are_fixed_arrays() {
    let code = check!(
        ([0.5, -0.25, 0.75, 1.5], 0.9),
        fused = false,
        |c: [f64; 4], x| {
            let mut p = 0.0;
            for i in (1..=3).rev() {
                for j in 2..4 {
                    p = (p * x + c[i] * c[j - 2]).sin();
                }
            }
            p
        }
    );
    // Three iterations of i, two of j: six slots, indexed by both.
    assert!(code.contains("[0.0f64; 6]"), "{code}");
    assert!(code.contains("(__mg_i0 - 1) * 2 + (__mg_i1 - 2)"), "{code}");
    let code = grad_code!(|x| {
        let mut p = 0.0;
        for _i in 0..2000 {
            p = (p * x).sin() + 1.0;
        }
        p
    });
    assert!(
        code.contains(".push(") && !code.contains("[0.0f64; 2000]"),
        "{code}"
    );
}

/// Two fused loops adding to the same sum, the second over a different
/// range: each scales by the sum's adjoint, which passes both unchanged.
#[test]
fn two_loops_into_one_sum() {
    let xs = vec![0.5, -1.5, 0.25];
    let ys = vec![2.0, -0.5];
    check!([0.4, -0.3], fused = true, |w: [f64; 2]| {
        let mut s = w[0];
        for k in 0..xs.len() {
            let mut t = w[0] * xs[k];
            for _r in 0..xs.len() {
                t = t.tanh() + w[1];
            }
            s += t;
        }
        for k in 0..ys.len() {
            let mut t = w[1] * ys[k];
            for _r in 0..ys.len() {
                t = t.sin() * w[0];
            }
            s -= t;
        }
        s.exp()
    });
}

/// A `#[differentiable]` function whose body has a fused loop: its
/// pullback, called from `grad!`, reverses it the same way.
#[differentiable]
fn hinge_total(w: &[f64; 2], xs: &[f64]) -> f64 {
    let mut s = 0.0;
    for k in 0..xs.len() {
        let mut t = w[0] * xs[k];
        for _r in 0..xs.len() {
            t = (t + w[1]).tanh();
        }
        s += (1.0 - t).relu();
    }
    s
}

#[test]
fn a_fused_loop_inside_a_differentiable_function() {
    let xs = vec![0.5, -1.5, 0.25, 1.0];
    // The closure itself has no loop; the fused one is in the companion.
    check!([0.4, -0.3], fused = false, |w: [f64; 2]| hinge_total(
        &w, &xs
    ) * w[1]);
}

/// A read of the sum before its fused loop, in a loop or a branch, sees
/// the sum as it was then: the fused loop's stores overwrite it later, so
/// that read is saved (found by review: it read the final sum). With
/// s0 = 2 w0, p = s0^2 and f = p + s0 + sum_k t_k(w1): df/dw0 = 8 w0 + 2.
#[test]
fn a_read_of_the_sum_before_its_fused_loop() {
    let xs = [0.5, -1.5];
    let data = xs.to_vec();
    macro_rules! program {
        ($mac:ident) => {
            $mac!(|w: [f64; 2]| {
                let mut s = w[0];
                for _j in 0..1 {
                    s = s * 2.0;
                }
                let mut p = 1.0;
                for _k in 0..2 {
                    p = p * s;
                }
                for k in 0..xs.len() {
                    let mut t = w[1] * xs[k];
                    for _r in 0..xs.len() {
                        t = t.sin();
                    }
                    s += t;
                }
                p + s
            })
        };
    }
    let code: &str = program!(grad_code);
    assert!(code.contains("let __mg_sum"), "{code}");
    let (_, g) = program!(grad)([0.5, 1.0]);
    assert!((g[0] - 6.0).abs() < 1e-12, "{g:?}");
    // The same through a branch, and through a loop with literal bounds
    // that reads it in a product, in a #[differentiable] function (whose
    // pullback is generated as grad!'s closures are).
    check!([0.5, 1.0], fused = true, |w: [f64; 2]| {
        let mut s = w[0];
        for _j in 0..1 {
            s = s * 2.0;
        }
        let mut p = 1.0;
        if w[1] > 0.0 {
            p = (s * s).sin();
        }
        for k in 0..xs.len() {
            let mut t = w[1] * xs[k];
            for _r in 0..xs.len() {
                t = t.sin();
            }
            s += t;
        }
        p + s
    });
    check!([0.4, -0.3], fused = false, |w: [f64; 2]| read_then_sum(
        &w, &data
    ) * w[0]);
}

#[differentiable]
fn read_then_sum(w: &[f64; 2], xs: &[f64]) -> f64 {
    let mut s = w[0];
    for _j in 0..2 {
        s = s.sin() + w[1];
    }
    let mut p = 0.0;
    for i in 0..2 {
        p += (s * xs[i]).tanh();
    }
    for k in 0..xs.len() {
        let mut t = w[1] * xs[k];
        for _r in 0..xs.len() {
            t = (t + w[0]).tanh();
        }
        s += t;
    }
    p * s
}

/// A NaN sum adjoint (sqrt of a negative sum) reaches every input the loop
/// reads, as it does unfused and on the `Value` engine: f = sqrt(s) + w1
/// with s = -10 + sum_k t_k(w0) < 0.
#[test]
fn a_nan_sum_adjoint_reaches_every_input() {
    let xs = vec![0.5, 1.5];
    let f = grad!(|w: [f64; 2]| {
        let mut s = -10.0;
        for k in 0..xs.len() {
            let mut t = w[0] * xs[k];
            for _r in 0..xs.len() {
                t = (t + w[1] * 0.0).tanh();
            }
            s += t;
        }
        s.sqrt() + w[1]
    });
    let (v, g) = f([0.4, 0.5]);
    assert!(v.is_nan() && g[0].is_nan() && g[1].is_nan(), "{v} {g:?}");
}
