//! Newton's method with `hessian!` against gradient descent with the same
//! compiled gradient, on the Rosenbrock function
//! `f(x, y) = (1 - x)^2 + 100 (y - x^2)^2` from the classic start
//! `(-1.2, 1.0)`; the minimum is `f(1, 1) = 0`.
//!
//! Run: `cargo run --example newton` (no arguments).
//!
//! Newton's step solves `H d = -g` with the exact 2x2 Hessian; there is no
//! line search, so this is the pure method. Gradient descent uses the
//! fixed rate 1e-3 (the largest eigenvalue of the Hessian near the path is
//! about 1000, and a rate above 2 / 1000 diverges).

use micrograd::{grad, hessian};

fn main() {
    let newton = hessian!(|x, y| (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2));
    let gradient = grad!(|x, y| (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2));
    let rate = 1e-3;

    println!(
        "Rosenbrock f(x, y) = (1 - x)^2 + 100 (y - x^2)^2 from (-1.2, 1.0); minimum f(1, 1) = 0"
    );
    println!(
        "Newton: (x, y) -= H^-1 g with hessian!; gradient descent: (x, y) -= {rate} g with grad!"
    );
    println!();
    println!(
        "{:>4}  {:>22} {:>11} {:>9}   {:>22} {:>11}",
        "step", "Newton (x, y)", "f", "|g|", "gradient descent (x, y)", "f"
    );
    let (mut n, mut d) = ([-1.2f64, 1.0], [-1.2f64, 1.0]);
    let mut step = 0;
    loop {
        let (f, g, h) = newton(n[0], n[1]);
        let (fd, gd) = gradient(d[0], d[1]);
        let norm = g[0].hypot(g[1]);
        println!(
            "{step:>4}  ({:>9.6}, {:>9.6}) {f:>11.3e} {norm:>9.2e}   ({:>9.6}, {:>9.6}) {fd:>11.3e}",
            n[0], n[1], d[0], d[1]
        );
        if norm < 1e-10 || step == 20 {
            break;
        }
        // Newton: solve [[a, b], [b, c]] s = -g (Cramer's rule).
        let ([a, b], c) = (h[0], h[1][1]);
        let det = a * c - b * b;
        n[0] -= (c * g[0] - b * g[1]) / det;
        n[1] -= (a * g[1] - b * g[0]) / det;
        d[0] -= rate * gd[0];
        d[1] -= rate * gd[1];
        step += 1;
    }
    // How far gradient descent gets with many more steps.
    let mut d = [-1.2f64, 1.0];
    for k in 1..=100_000 {
        let (_, g) = gradient(d[0], d[1]);
        d[0] -= rate * g[0];
        d[1] -= rate * g[1];
        if k == 1_000 || k == 10_000 || k == 100_000 {
            let (f, _) = gradient(d[0], d[1]);
            println!(
                "gradient descent after {k:>6} steps: ({:.6}, {:.6}), f = {f:.3e}",
                d[0], d[1]
            );
        }
    }
    println!("Newton reached the minimum in {step} steps.");
}
