//! The syntax `grad!` accepts, and how its closures behave as values.
//! Expected gradients are derived by hand in the comments, or compared with
//! a central finite difference where the hand derivative would be long.

use micrograd::{grad, grad_code};

const TOL: f64 = 1e-12;
const FD_TOL: f64 = 1e-7;
const H: f64 = 1e-5;

fn close(actual: f64, expected: f64, tol: f64) -> bool {
    (actual - expected).abs() <= tol * (1.0 + expected.abs())
}

fn assert_grad<const N: usize>(actual: [f64; N], expected: [f64; N], tol: f64) {
    for i in 0..N {
        assert!(
            close(actual[i], expected[i], tol),
            "grad[{i}]: {actual:?} vs {expected:?}"
        );
    }
}

#[test]
fn lecture_neuron() {
    // o = tanh(x1 w1 + x2 w2 + b) with b chosen so that n = 0.8813735870195432
    // and o = tanh(n) = 1/sqrt(2); do/dn = 1 - o^2 = 0.5, so
    // do/dx1 = w1 * 0.5 = -1.5, do/dw1 = x1 * 0.5 = 1.0,
    // do/dx2 = w2 * 0.5 = 0.5,  do/dw2 = x2 * 0.5 = 0.0, do/db = 0.5.
    let neuron = grad!(|x1, x2, w1, w2, b| (x1 * w1 + x2 * w2 + b).tanh());
    let (o, [dx1, dx2, dw1, dw2, db]) = neuron(2.0, 0.0, -3.0, 1.0, 6.881_373_587_019_543);
    assert!(close(o, 0.5_f64.sqrt(), TOL), "o = {o}");
    assert_grad([dx1, dw1, dx2, dw2, db], [-1.5, 1.0, 0.5, 0.0, 0.5], TOL);
}

#[test]
fn typed_params_and_block_body() {
    // f = (x y + 1)^2 with u = x y + 1: df/dx = 2 u y, df/dy = 2 u x
    let f = grad!(|x: f64, y: f64| {
        let u = x * y + 1.0;
        u * u
    });
    let (x, y) = (0.5, -3.0);
    let u = x * y + 1.0;
    let (v, g) = f(x, y);
    assert!(close(v, u * u, TOL));
    assert_grad(g, [2.0 * u * y, 2.0 * u * x], TOL);
}

#[test]
fn qualified_f64_param_types() {
    // f = x y: df/dx = y, df/dy = x
    let f = grad!(|x: core::primitive::f64, y: ::std::primitive::f64| x * y);
    assert_grad(f(2.0, 3.0).1, [3.0, 2.0], TOL);
}

#[test]
fn integer_literals_are_f64() {
    // f = 2x + 3 - x/4: df/dx = 2 - 1/4 = 1.75
    let (v, g) = grad!(|x| 2 * x + 3 - x / 4)(2.0);
    assert!(close(v, 6.5, TOL));
    assert_grad(g, [1.75], TOL);
}

#[test]
fn fan_out_accumulates() {
    // f = a + a = 2a: df/da = 2
    assert_eq!(grad!(|a| a + a)(3.0), (6.0, [2.0]));
    // f = a a: df/da = 2a
    assert_eq!(grad!(|a| a * a)(3.0), (9.0, [6.0]));
    // f = b (b + 1) through a shared let: df/db = 2b + 1
    let (_, g) = grad!(|b| {
        let c = b + 1;
        b * c
    })(1.5);
    assert_grad(g, [4.0], TOL);
}

#[test]
fn shadowing_and_inner_blocks() {
    // x is shadowed twice: y = ((x + 1) * 2)^2 = 4 (x+1)^2; dy/dx = 8 (x + 1)
    let f = grad!(|x| {
        let x = x + 1;
        let x = {
            let two = 2.0;
            x * two
        };
        x * x
    });
    let (v, g) = f(0.5);
    assert!(close(v, 9.0, TOL));
    assert_grad(g, [12.0], TOL);
}

#[test]
fn compound_assignment_matches_new_binding() {
    // Python-style c += c + 1 is c' = c + (c + 1) = 2c + 1.
    let mutated = grad!(|a, b| {
        let mut c = a * b;
        c += c + 1;
        c
    });
    let rebound = grad!(|a, b| {
        let c = a * b;
        let c = c + (c + 1);
        c
    });
    let (a, b) = (1.5, -2.0);
    assert_eq!(mutated(a, b), rebound(a, b));
    // c' = 2ab + 1: dc'/da = 2b, dc'/db = 2a
    assert_grad(mutated(a, b).1, [2.0 * b, 2.0 * a], TOL);
}

#[test]
fn every_assignment_operator() {
    // m = ((((x = x) + y) - 1) * y) / 2 with m starting from 0:
    //   m = x; m += y; m -= 1; m *= y; m /= 2  =>  m = (x + y - 1) y / 2
    // dm/dx = y / 2, dm/dy = (x + 2y - 1) / 2
    let f = grad!(|x, y| {
        let mut m = 0.0;
        m = x;
        m += y;
        m -= 1;
        m *= y;
        m /= 2;
        m
    });
    let (x, y) = (0.75, 1.25);
    let (v, g) = f(x, y);
    assert!(close(v, (x + y - 1.0) * y / 2.0, TOL));
    assert_grad(g, [y / 2.0, (x + 2.0 * y - 1.0) / 2.0], TOL);
}

#[test]
fn captured_variables_are_constants() {
    // w and k are outer variables: no gradient flows into them.
    // f = w x + k: df/dx = w
    let w = 3.5;
    let k = -1.0;
    let f = grad!(|x| w * x + k);
    assert_eq!(f(2.0), (6.0, [3.5]));
    // A captured exponent: f = x^p, df/dx = p x^(p-1)
    let p = 1.5_f64;
    let (_, g) = grad!(|x| x.powf(p))(4.0);
    assert_grad(g, [p * 4.0_f64.powf(p - 1.0)], TOL);
}

#[test]
fn captured_paths_and_consts() {
    // f = sin(PI x) + E: df/dx = PI cos(PI x)
    use std::f64::consts::PI;
    const SHIFT: f64 = 0.25;
    let f = grad!(|x| (PI * x).sin() + core::f64::consts::E + SHIFT);
    let x = 0.3;
    let (v, g) = f(x);
    assert!(close(v, (PI * x).sin() + std::f64::consts::E + SHIFT, TOL));
    assert_grad(g, [PI * (PI * x).cos()], TOL);
}

#[test]
fn parens_and_unary_minus() {
    // f = -(x - y) * -(x + y) = (x - y)(x + y) = x^2 - y^2: [2x, -2y]
    let (v, g) = grad!(|x, y| -(x - y) * -(x + y))(3.0, 2.0);
    assert!(close(v, 5.0, TOL));
    assert_grad(g, [6.0, -4.0], TOL);
}

#[test]
fn constant_and_identity_bodies() {
    // f = 3: df/dx = 0; f = x: df/dx = 1; f = y (x unused): [0, 1]
    assert_eq!(grad!(|x| 3.0)(1.0), (3.0, [0.0]));
    assert_eq!(grad!(|x| x)(1.0), (1.0, [1.0]));
    assert_eq!(grad!(|x, y| y)(1.0, 2.0), (2.0, [0.0, 1.0]));
    // A captured value as the whole body.
    let c = 7.0;
    assert_eq!(grad!(|x| c)(1.0), (7.0, [0.0]));
}

#[test]
fn one_two_five_and_twenty_parameters() {
    // f = x^2: [2x]
    assert_eq!(grad!(|x| x * x)(3.0), (9.0, [6.0]));
    // f = x / y: [1/y, -x/y^2]
    assert_grad(grad!(|x, y| x / y)(1.0, 4.0).1, [0.25, -1.0 / 16.0], TOL);
    // f = a b c d e: df/da = b c d e, and so on
    let (v, g) = grad!(|a, b, c, d, e| a * b * c * d * e)(1.0, 2.0, 3.0, 4.0, 5.0);
    assert!(close(v, 120.0, TOL));
    assert_grad(g, [120.0, 60.0, 40.0, 30.0, 24.0], TOL);
    // f = sum_i i * x_i: df/dx_i = i (1-based)
    let f = grad!(|x1,
                   x2,
                   x3,
                   x4,
                   x5,
                   x6,
                   x7,
                   x8,
                   x9,
                   x10,
                   x11,
                   x12,
                   x13,
                   x14,
                   x15,
                   x16,
                   x17,
                   x18,
                   x19,
                   x20| {
        x1 + 2 * x2
            + 3 * x3
            + 4 * x4
            + 5 * x5
            + 6 * x6
            + 7 * x7
            + 8 * x8
            + 9 * x9
            + 10 * x10
            + 11 * x11
            + 12 * x12
            + 13 * x13
            + 14 * x14
            + 15 * x15
            + 16 * x16
            + 17 * x17
            + 18 * x18
            + 19 * x19
            + 20 * x20
    });
    let ones = 1.0;
    let (v, g) = f(
        ones, ones, ones, ones, ones, ones, ones, ones, ones, ones, ones, ones, ones, ones, ones,
        ones, ones, ones, ones, ones,
    );
    assert!(close(v, 210.0, TOL));
    let expected: [f64; 20] = std::array::from_fn(|i| (i + 1) as f64);
    assert_grad(g, expected, TOL);
}

/// A function that takes any gradient closure of two inputs.
fn descend(f: impl Fn(f64, f64) -> (f64, [f64; 2]), mut p: [f64; 2], steps: usize) -> [f64; 2] {
    for _ in 0..steps {
        let (_, g) = f(p[0], p[1]);
        p = [p[0] - 0.1 * g[0], p[1] - 0.1 * g[1]];
    }
    p
}

#[test]
fn closures_are_values() {
    // Stored, passed to a function and called in a loop: gradient descent on
    // (x - 1)^2 + (y + 2)^2 reaches its minimum at (1, -2).
    let bowl = grad!(|x, y| (x - 1).powi(2) + (y + 2).powi(2));
    let p = descend(bowl, [5.0, 5.0], 200);
    assert_grad(p, [1.0, -2.0], 1e-9);
    // Boxed in a collection alongside another closure of the same signature.
    type Grad1 = Box<dyn Fn(f64) -> (f64, [f64; 1])>;
    let fs: Vec<Grad1> = vec![Box::new(grad!(|x| x.exp())), Box::new(grad!(|x| x * x))];
    // d/dx e^x at 0 = 1; d/dx x^2 at 0 = 0
    assert_eq!(fs[0](0.0).1, [1.0]);
    assert_eq!(fs[1](0.0).1, [0.0]);
    // Copy: the closure only holds f64s, so it can be used after a move.
    let w = 2.0;
    let f = grad!(|x| w * x);
    let g = f;
    assert_eq!(f(1.0), g(1.0));
}

#[test]
fn powi_with_negative_and_parenthesised_exponent() {
    // f = x^-1: -1/x^2
    let (_, g) = grad!(|x| x.powi(-1) + x.powi((2)))(2.0);
    // plus x^2: 2x, so the total is -1/4 + 4
    assert_grad(g, [3.75], TOL);
}

#[test]
fn longer_chain_matches_finite_difference() {
    // The benchmark's chain: o_k = tanh(o_{k-1} w1 + x2 w2 + b), o_0 = x1.
    let f = grad!(|x1, x2, w1, w2, b| {
        let mut o = x1;
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o = (o * w1 + x2 * w2 + b).tanh();
        o
    });
    let p = [0.3, -0.7, 0.9, 0.4, -0.1];
    let call = |p: [f64; 5]| f(p[0], p[1], p[2], p[3], p[4]);
    let (_, g) = call(p);
    for i in 0..5 {
        let (mut hi, mut lo) = (p, p);
        hi[i] += H;
        lo[i] -= H;
        let fd = (call(hi).0 - call(lo).0) / (2.0 * H);
        assert!(
            close(g[i], fd, FD_TOL),
            "grad[{i}] {} vs finite difference {fd}",
            g[i]
        );
    }
}

#[test]
fn literal_subexpressions_are_folded() {
    // 2 * 3 + 0.5 is computed at expansion time: the generated code holds
    // 6.5 and no multiplication of literals.
    let code = grad_code!(|x| (2.0 * 3.0 + 0.5) * x);
    assert!(code.contains("6.5f64 * __mg_p0"), "{code}");
    assert_eq!(grad!(|x| (2.0 * 3.0 + 0.5) * x)(2.0), (13.0, [6.5]));
}

#[test]
fn constants_get_no_adjoint() {
    // d = w * 2 depends only on a captured value: computed forward, but no
    // adjoint variable is declared for it (only __mg_gp0 for x exists).
    let w = 1.5;
    let code = grad_code!(|x| {
        let d = w * 2;
        d * x
    });
    assert!(code.contains("let __mg_v0 = __mg_c0 * 2.0f64;"), "{code}");
    assert!(!code.contains("__mg_g0"), "{code}");
    let f = grad!(|x| {
        let d = w * 2;
        d * x
    });
    assert_eq!(f(4.0), (12.0, [3.0]));
}

#[test]
#[allow(non_upper_case_globals, clippy::disallowed_names)]
fn generated_names_do_not_clash_with_user_names() {
    // Outer variables spelled like the generated names are still the
    // user's: f = __mg_p0 x + __mg_v0 + __mg_c0 + __mg_grad + __mg_e,
    // df/dx = __mg_p0.
    let __mg_p0 = 10.0;
    let __mg_v0 = 100.0;
    let __mg_c0 = 1000.0;
    let __mg_grad = 10000.0;
    let __mg_e = 100000.0;
    let f = grad!(|x| __mg_p0 * x + __mg_v0 + __mg_c0 + __mg_grad + __mg_e + x.sigmoid() * 0.0);
    assert_eq!(f(2.0), (111120.0, [10.0]));
    // And a parameter with such a name is just a parameter.
    assert_eq!(
        grad!(|__mg_p1, __mg_p0| __mg_p1 - __mg_p0)(5.0, 3.0),
        (2.0, [1.0, -1.0])
    );
}
