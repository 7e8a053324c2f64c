//! The ops of `OPS.md` beyond the first sixteen, on both engines, against
//! exact values: interior points from mpmath at 50 digits
//! (`tests/exact/ops_edges.py` prints the tables below), and the edges of
//! each domain derived by hand in the comments.

// The tables hold exact values from mpmath, some of which are close to named
// constants (pi/3, ...) by nature, not by accident.
#![allow(clippy::approx_constant)]

use micrograd::grad;

/// A few ulps: the `f64` functions are within an ulp or two, and each
/// derivative composes a few more roundings.
const TOL: f64 = 1e-14;

fn close(got: f64, want: f64) -> bool {
    got == want || (got - want).abs() <= TOL * want.abs()
}

/// (op, x, y, dy/dx), from `python3 tests/exact/ops_edges.py`.
const UNARY: &[(&str, f64, f64, f64)] = &[
    ("sinh", 0.7, 0.7585837018395335, 1.255169005630943),
    ("sinh", -2.5, -6.0502044810397875, 6.132289479663686),
    ("cosh", 0.7, 1.255169005630943, 0.7585837018395335),
    ("cosh", -2.5, 6.132289479663686, -6.0502044810397875),
    ("tan", 0.7, 0.8422883804630794, 1.7094497158631172),
    ("tan", -1.2, -2.5721516221263188, 7.615963967207054),
    ("asin", 0.5, 0.5235987755982989, 1.1547005383792515),
    ("asin", -0.9, -1.1197695149986342, 2.2941573387056176),
    ("acos", 0.5, 1.0471975511965979, -1.1547005383792515),
    ("acos", -0.9, 2.6905658417935308, -2.2941573387056176),
    ("atan", 0.5, 0.4636476090008061, 0.8),
    ("atan", -3.0, -1.2490457723982544, 0.1),
    ("asinh", 0.5, 0.48121182505960347, 0.8944271909999159),
    ("asinh", -3.0, -1.8184464592320668, 0.31622776601683794),
    ("acosh", 1.5, 0.9624236501192069, 0.8944271909999159),
    ("acosh", 10.0, 2.993222846126381, 0.10050378152592121),
    ("atanh", 0.5, 0.5493061443340549, 1.3333333333333333),
    ("atanh", -0.9, -1.4722194895832201, 5.2631578947368425),
    ("ln_1p", 0.5, 0.4054651081081644, 0.6666666666666666),
    ("ln_1p", -0.9, -2.302585092994046, 10.0),
    ("exp_m1", 0.5, 0.6487212707001282, 1.6487212707001282),
    ("exp_m1", -3.0, -0.950212931632136, 0.049787068367863944),
    ("exp2", 0.5, 1.4142135623730951, 0.9802581434685472),
    ("exp2", -3.0, 0.125, 0.08664339756999316),
    ("log2", 0.5, -1.0, 2.8853900817779268),
    ("log2", 3.0, 1.584962500721156, 0.4808983469629878),
    ("log10", 0.5, -0.3010299956639812, 0.8685889638065036),
    ("log10", 3.0, 0.47712125471966244, 0.14476482730108395),
    ("cbrt", 0.5, 0.7937005259840998, 0.5291336839893999),
    ("cbrt", -3.0, -1.4422495703074083, 0.1602499522563787),
    ("recip", 0.5, 2.0, -4.0),
    ("recip", -3.0, -0.3333333333333333, -0.1111111111111111),
    ("softplus", 0.5, 0.9740769841801067, 0.6224593312018546),
    ("softplus", -3.0, 0.04858735157374206, 0.04742587317756678),
    ("gelu", 0.5, 0.34571400982514394, 0.8673699035346423),
    ("gelu", -3.0, -0.003637392081773019, -0.011584166630969726),
    ("silu", 0.5, 0.3112296656009273, 0.7399611873026518),
    ("silu", -3.0, -0.14227761953270035, -0.08810410601516962),
    ("log_sigmoid", 0.5, -0.4740769841801067, 0.37754066879814546),
    ("log_sigmoid", -3.0, -3.048587351573742, 0.9525741268224333),
];

/// (op, a, b, y, dy/da, dy/db), from the same script.
const BINARY: &[(&str, f64, f64, f64, f64, f64)] = &[
    ("atan2", 1.0, 2.0, 0.4636476090008061, 0.4, -0.2),
    ("atan2", -1.5, -0.5, -1.892546881191539, -0.2, 0.6),
    ("hypot", 3.0, -4.0, 5.0, 0.6, -0.8),
    (
        "hypot",
        0.5,
        2.0,
        2.0615528128088303,
        0.24253562503633297,
        0.9701425001453319,
    ),
    (
        "log",
        8.0,
        2.0,
        3.0,
        0.18033688011112042,
        -2.1640425613334453,
    ),
    (
        "log",
        0.5,
        10.0,
        -0.3010299956639812,
        0.8685889638065036,
        0.013073566600422686,
    ),
    (
        "powf",
        2.5,
        1.5,
        3.952847075210474,
        2.3717082451262845,
        3.6219571395312187,
    ),
    (
        "powf",
        0.5,
        -2.5,
        5.656854249492381,
        -28.284271247461902,
        -3.921032573874189,
    ),
];

/// `grad!` of `x.op()` at `x`.
fn static_unary(op: &str, x: f64) -> (f64, [f64; 1]) {
    match op {
        "sinh" => grad!(|x| x.sinh())(x),
        "cosh" => grad!(|x| x.cosh())(x),
        "tan" => grad!(|x| x.tan())(x),
        "asin" => grad!(|x| x.asin())(x),
        "acos" => grad!(|x| x.acos())(x),
        "atan" => grad!(|x| x.atan())(x),
        "asinh" => grad!(|x| x.asinh())(x),
        "acosh" => grad!(|x| x.acosh())(x),
        "atanh" => grad!(|x| x.atanh())(x),
        "ln_1p" => grad!(|x| x.ln_1p())(x),
        "exp_m1" => grad!(|x| x.exp_m1())(x),
        "exp2" => grad!(|x| x.exp2())(x),
        "log2" => grad!(|x| x.log2())(x),
        "log10" => grad!(|x| x.log10())(x),
        "cbrt" => grad!(|x| x.cbrt())(x),
        "recip" => grad!(|x| x.recip())(x),
        "softplus" => grad!(|x| x.softplus())(x),
        "gelu" => grad!(|x| x.gelu())(x),
        "silu" => grad!(|x| x.silu())(x),
        "log_sigmoid" => grad!(|x| x.log_sigmoid())(x),
        _ => unreachable!("{op}"),
    }
}

/// `grad!` of `a.op(b)` at `(a, b)`.
fn static_binary(op: &str, a: f64, b: f64) -> (f64, f64, f64) {
    match op {
        "atan2" => {
            let (y, [da, db]) = grad!(|a, b| a.atan2(b))(a, b);
            (y, da, db)
        }
        "hypot" => {
            let (y, [da, db]) = grad!(|a, b| a.hypot(b))(a, b);
            (y, da, db)
        }
        "log" => {
            let (y, [da, db]) = grad!(|a, b| a.log(b))(a, b);
            (y, da, db)
        }
        "powf" => {
            let (y, [da, db]) = grad!(|a, b| a.powf(b))(a, b);
            (y, da, db)
        }
        _ => unreachable!("{op}"),
    }
}

#[test]
fn interior_points_match_mpmath_on_grad() {
    for &(op, x, y, d) in UNARY {
        let (gy, [gd]) = static_unary(op, x);
        assert!(
            close(gy, y) && close(gd, d),
            "{op}({x}): ({gy}, {gd}) vs ({y}, {d})"
        );
    }
    for &(op, a, b, y, da, db) in BINARY {
        let (gy, ga, gb) = static_binary(op, a, b);
        assert!(
            close(gy, y) && close(ga, da) && close(gb, db),
            "{op}({a}, {b}): ({gy}, {ga}, {gb}) vs ({y}, {da}, {db})"
        );
    }
}
