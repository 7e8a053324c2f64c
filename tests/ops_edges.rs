//! The ops of `OPS.md` beyond the first sixteen, on both engines, against
//! exact values: interior points from mpmath at 50 digits
//! (`tests/exact/ops_edges.py` prints the tables below), and the edges of
//! each domain derived by hand in the comments.

// The tables hold exact values from mpmath, some of which are close to named
// constants (pi/3, ...) by nature, not by accident.
#![allow(clippy::approx_constant)]

use micrograd::{Value, grad, scope};

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
        "floor" => grad!(|x| x.floor())(x),
        "ceil" => grad!(|x| x.ceil())(x),
        "round" => grad!(|x| x.round())(x),
        "trunc" => grad!(|x| x.trunc())(x),
        "signum" => grad!(|x| x.signum())(x),
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
        "leaky_relu" => {
            let (y, [da, db]) = grad!(|a, b| a.leaky_relu(b))(a, b);
            (y, da, db)
        }
        _ => unreachable!("{op}"),
    }
}

/// `Value`'s `x.op()` at `x`: value and gradient.
fn dynamic_unary(op: &str, x: f64) -> (f64, f64) {
    scope(|| {
        let x = Value::new(x);
        let y = match op {
            "sinh" => x.sinh(),
            "cosh" => x.cosh(),
            "tan" => x.tan(),
            "asin" => x.asin(),
            "acos" => x.acos(),
            "atan" => x.atan(),
            "asinh" => x.asinh(),
            "acosh" => x.acosh(),
            "atanh" => x.atanh(),
            "ln_1p" => x.ln_1p(),
            "exp_m1" => x.exp_m1(),
            "exp2" => x.exp2(),
            "log2" => x.log2(),
            "log10" => x.log10(),
            "cbrt" => x.cbrt(),
            "recip" => x.recip(),
            "softplus" => x.softplus(),
            "gelu" => x.gelu(),
            "silu" => x.silu(),
            "log_sigmoid" => x.log_sigmoid(),
            "floor" => x.floor(),
            "ceil" => x.ceil(),
            "round" => x.round(),
            "trunc" => x.trunc(),
            "signum" => x.signum(),
            _ => unreachable!("{op}"),
        };
        y.backward();
        (y.data(), x.grad())
    })
}

/// `Value`'s `a.op(b)` at `(a, b)`: value and both gradients.
fn dynamic_binary(op: &str, a: f64, b: f64) -> (f64, f64, f64) {
    scope(|| {
        let (a, b) = (Value::new(a), Value::new(b));
        let y = match op {
            "atan2" => a.atan2(b),
            "hypot" => a.hypot(b),
            "log" => a.log(b),
            "powf" => a.powf(b),
            "leaky_relu" => a.leaky_relu(b),
            _ => unreachable!("{op}"),
        };
        y.backward();
        (y.data(), a.grad(), b.grad())
    })
}

#[test]
fn interior_points_match_mpmath_on_value() {
    for &(op, x, y, d) in UNARY {
        let (vy, vd) = dynamic_unary(op, x);
        assert!(
            close(vy, y) && close(vd, d),
            "{op}({x}): ({vy}, {vd}) vs ({y}, {d})"
        );
        // The engines run the same functions: the same bits.
        let (gy, [gd]) = static_unary(op, x);
        assert_eq!(
            (gy.to_bits(), gd.to_bits()),
            (vy.to_bits(), vd.to_bits()),
            "{op}({x})"
        );
    }
    for &(op, a, b, y, da, db) in BINARY {
        let (vy, va, vb) = dynamic_binary(op, a, b);
        assert!(
            close(vy, y) && close(va, da) && close(vb, db),
            "{op}({a}, {b}): ({vy}, {va}, {vb}) vs ({y}, {da}, {db})"
        );
        assert_eq!(static_binary(op, a, b), (vy, va, vb), "{op}({a}, {b})");
    }
}

/// Both engines at one point: value and derivative of a unary op.
fn both_unary(op: &str, x: f64) -> [(f64, f64); 2] {
    let (gy, [gd]) = static_unary(op, x);
    [(gy, gd), dynamic_unary(op, x)]
}

/// Asserts `op` at `x` gives `want` on both engines (NaN matches NaN,
/// and the sign of a zero or an infinity counts).
fn edge(op: &str, x: f64, want: (f64, f64)) {
    let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
    for (engine, (y, d)) in ["grad!", "Value"].iter().zip(both_unary(op, x)) {
        assert!(
            same(y, want.0) && same(d, want.1),
            "{engine}: {op}({x:e}) = ({y:e}, {d:e}), want ({:e}, {:e})",
            want.0,
            want.1
        );
    }
}

#[test]
fn domain_edges_on_both_engines() {
    let (inf, nan) = (f64::INFINITY, f64::NAN);
    // asin' = 1/sqrt(1 - x^2) -> +inf as x -> +-1 (the one-sided limit);
    // outside [-1, 1] value and derivative are NaN.
    edge("asin", 1.0, (std::f64::consts::FRAC_PI_2, inf));
    edge("asin", -1.0, (-std::f64::consts::FRAC_PI_2, inf));
    edge("asin", 1.5, (nan, nan));
    edge("acos", 1.0, (0.0, -inf));
    // acosh'(1) = +inf (one-sided); below 1 NaN.
    edge("acosh", 1.0, (0.0, inf));
    edge("acosh", 0.5, (nan, nan));
    // atanh(+-1) = +-inf with derivative 1/(1 - x^2) = +inf; NaN outside.
    edge("atanh", 1.0, (inf, inf));
    edge("atanh", -1.0, (-inf, inf));
    edge("atanh", 2.0, (nan, nan));
    // ln_1p(-1) = -inf, derivative 1/(1 + x) = +inf; below -1 NaN.
    edge("ln_1p", -1.0, (-inf, inf));
    edge("ln_1p", -2.0, (nan, nan));
    // log2 and log10 at either zero: -inf with derivative +inf.
    edge("log2", 0.0, (-inf, inf));
    edge("log2", -0.0, (-inf, inf));
    edge("log10", 0.0, (-inf, inf));
    edge("log10", -1.0, (nan, nan));
    // cbrt'(0) = 1/(3 y^2) = +inf (the true derivative); recip'(0) = -inf.
    edge("cbrt", 0.0, (0.0, inf));
    edge("recip", 0.0, (inf, -inf));
    // Large |x|: atan' = 1/(1 + x^2) underflows to 0 (true value < 1e-308);
    // asinh' = 1/hypot(x, 1) = 1e-200, not 0 (no overflow in x^2).
    edge("atan", 1e200, (std::f64::consts::FRAC_PI_2, 0.0));
    edge("asinh", 1e200, ((2e200f64).ln(), 1e-200));
    // sinh/cosh overflow to inf together (their derivatives are each other).
    edge("sinh", 800.0, (inf, inf));
    edge("cosh", -800.0, (inf, -inf));
    // Piecewise constant ops: derivative 0 everywhere, at the jumps too.
    edge("floor", 2.0, (2.0, 0.0));
    edge("ceil", -0.5, (-0.0, 0.0));
    edge("round", 2.5, (3.0, 0.0));
    edge("trunc", -2.7, (-2.0, 0.0));
    edge("signum", 0.0, (1.0, 0.0));
    // Stable forms on both tails: softplus(x) = x for large x (slope 1),
    // e^x for very negative x (here 0 with slope 0 after underflow);
    // log_sigmoid is its mirror; gelu and silu saturate to x and 0.
    edge("softplus", 800.0, (800.0, 1.0));
    edge("softplus", -800.0, (0.0, 0.0));
    edge("log_sigmoid", -800.0, (-800.0, 1.0));
    edge("log_sigmoid", 800.0, (0.0, 0.0));
    edge("gelu", 1e200, (1e200, 1.0));
    edge("gelu", -1e200, (-0.0, 0.0));
    edge("silu", -1e4, (-0.0, 0.0));
    edge("exp_m1", 1e-300, (1e-300, 1.0));
}

#[test]
fn two_operand_edges_on_both_engines() {
    // atan2 in all four quadrants and on the axes: d/dy = x / r^2,
    // d/dx = -y / r^2 with r = 1 on the unit circle, hand-derived.
    for (y, x) in [(0.0, 1.0), (1.0, 0.0), (0.0, -1.0), (-1.0, 0.0)] {
        let want = (f64::atan2(y, x), x, -y);
        assert_eq!(static_binary("atan2", y, x), want, "atan2({y}, {x})");
        assert_eq!(dynamic_binary("atan2", y, x), want, "atan2({y}, {x})");
    }
    // At the origin atan2 jumps: no derivative, the convention is (0, 0).
    for engine in [
        static_binary("atan2", 0.0, 0.0),
        dynamic_binary("atan2", 0.0, 0.0),
    ] {
        assert_eq!(engine, (0.0, 0.0, 0.0));
    }
    // hypot: (a, b) / y away from 0, no overflow at 1e300; (0, 0) at 0.
    let s = std::f64::consts::FRAC_1_SQRT_2;
    for engine in [
        static_binary("hypot", 1e300, 1e300),
        dynamic_binary("hypot", 1e300, 1e300),
    ] {
        assert!((engine.0 / (1e300 * std::f64::consts::SQRT_2) - 1.0).abs() < 1e-15);
        assert!((engine.1 - s).abs() < 1e-15 && (engine.2 - s).abs() < 1e-15);
    }
    assert_eq!(static_binary("hypot", 0.0, 0.0), (0.0, 0.0, 0.0));
    assert_eq!(dynamic_binary("hypot", 0.0, 0.0), (0.0, 0.0, 0.0));
    // leaky_relu: at the kink the slope side (dx = slope, dslope = x = 0).
    assert_eq!(static_binary("leaky_relu", 0.0, 0.1), (0.0, 0.1, 0.0));
    assert_eq!(dynamic_binary("leaky_relu", 0.0, 0.1), (0.0, 0.1, 0.0));
    assert_eq!(dynamic_binary("leaky_relu", 2.0, 0.1), (2.0, 1.0, 0.0));
}

#[test]
fn powers_at_the_edges_on_both_engines() {
    // x^0 = 1 is constant: gradient 0, also at x = 0 (issue 13's first row).
    assert_eq!(grad!(|x| x.powf(0.0))(0.0), (1.0, [0.0]));
    let x = Value::new(0.0);
    x.powf(0.0).backward();
    assert_eq!(x.grad(), 0.0);
    // sqrt as a power: +inf at 0, the true one-sided derivative, not NaN.
    assert_eq!(grad!(|x| x.powf(0.5))(0.0), (0.0, [f64::INFINITY]));
    // 2^i32::MIN underflows to 0, and so does its derivative MIN 2^(MIN-1);
    // n - 1 must not wrap (issue 13's second row).
    let x = Value::new(2.0);
    let y = x.powi(i32::MIN);
    y.backward();
    assert_eq!((y.data(), x.grad()), (0.0, 0.0));
    let k: usize = 1 << 31; // k as i32 is i32::MIN
    assert_eq!(grad!(|x| x.powi(k as i32))(2.0), (0.0, [0.0]));
    // Subnormal base: d/dx x^2 = 2x is exact at the smallest subnormal.
    let tiny = f64::from_bits(1);
    assert_eq!(grad!(|x| x.powi(2))(tiny).1, [2.0 * tiny]);
    // A negative base with an integer exponent: (-2)^3 = -8, 3 (-2)^2 = 12,
    // and the constant exponent raises no alarm (issue 14's input).
    let x = Value::new(-2.0);
    let y = x.powf(3.0);
    assert!(y.backward_checked().is_ok());
    assert_eq!((y.data(), x.grad()), (-8.0, 12.0));
}

#[test]
fn mul_add_on_both_engines() {
    // y = a b + c: (b, a, 1).
    assert_eq!(
        grad!(|a, b, c| a.mul_add(b, c))(2.0, 3.0, 4.0),
        (10.0, [3.0, 2.0, 1.0])
    );
    let (a, b, c) = (Value::new(2.0), Value::new(3.0), Value::new(4.0));
    let y = a.mul_add(b, c);
    y.backward();
    assert_eq!(
        (y.data(), a.grad(), b.grad(), c.grad()),
        (10.0, 3.0, 2.0, 1.0)
    );
    // One rounding: 0.1 * 10 - 1 is 5.55e-17 fused, 0 unfused.
    assert_eq!(
        Value::new(0.1).mul_add(10.0, -1.0).data(),
        0.1f64.mul_add(10.0, -1.0)
    );
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

#[test]
fn value_ops_follow_the_ops_md_table() {
    // Every row of OPS.md's shared table, in order, is the `Op` that the
    // `Value` method of that syntax records (the macro crate's test checks
    // its own table the same way). Max, Min and Clamp are selections: they
    // record no node and return the chosen operand.
    let ops_md = include_str!("../OPS.md");
    let table = ops_md
        .split_once("## Fused ops of the dynamic engine")
        .expect("OPS.md has the fused-ops section")
        .0;
    let rows: Vec<&str> = table
        .lines()
        .filter(|l| l.starts_with('|') && l[1..].starts_with([' ', '1', '2', '3', '4']))
        .filter_map(|l| l.split('`').nth(1))
        .filter_map(|cell| cell.split('(').next())
        .collect();
    let recorded: Vec<String> = scope(|| {
        let (a, b, c) = (Value::new(0.3), Value::new(0.6), Value::new(0.9));
        let ys = [
            a + b,
            a - b,
            a * b,
            a / b,
            -a,
            a.exp(),
            a.ln(),
            a.sqrt(),
            a.tanh(),
            a.sin(),
            a.cos(),
            a.abs(),
            a.relu(),
            a.sigmoid(),
            a.powi(2),
            a.powf(b),
            a.max(b),
            a.min(b),
            a.clamp(b, c),
            a.sinh(),
            a.cosh(),
            a.tan(),
            a.asin(),
            a.acos(),
            a.atan(),
            a.asinh(),
            Value::new(1.5).acosh(),
            a.atanh(),
            a.atan2(b),
            a.hypot(b),
            a.ln_1p(),
            a.exp_m1(),
            a.exp2(),
            a.log2(),
            a.log10(),
            a.log(b),
            a.cbrt(),
            a.recip(),
            a.mul_add(b, c),
            a.signum(),
            a.floor(),
            a.ceil(),
            a.round(),
            a.trunc(),
            a.softplus(),
            a.leaky_relu(b),
            a.gelu(),
            a.silu(),
            a.log_sigmoid(),
        ];
        ys.iter()
            .enumerate()
            .map(|(k, y)| match k {
                // Selections record no node: they hand back an operand,
                // here max(a, b) = b, min(a, b) = a, clamp(a, b, c) = b.
                16..=18 => {
                    let want = [0.6, 0.3, 0.6][k - 16];
                    assert_eq!(
                        (y.data(), y.op()),
                        (want, micrograd::Op::Leaf),
                        "{}",
                        rows[k]
                    );
                    rows[k].to_string()
                }
                _ => format!("{:?}", y.op())
                    .split('(')
                    .next()
                    .unwrap_or("")
                    .to_string(),
            })
            .collect()
    });
    assert_eq!(rows, recorded);
}

#[test]
fn compare_replays_every_new_op() {
    // One formula through all three engines: the Value replay must record
    // the same ops (static vs dynamic to the bit here) and both must match
    // a finite difference away from every kink and domain edge.
    use micrograd::assert_grad;
    assert_grad!(
        |x, y| {
            let a = x.sinh() + x.cosh() * 0.1 + x.tan() + (x * 0.5).asin() + (x * 0.5).acos();
            let b = x.atan() + x.asinh() + (y + 1.0).acosh() + (x * 0.5).atanh();
            let c = x.atan2(y) + x.hypot(y) + x.ln_1p() + x.exp_m1() + x.exp2();
            let d = y.log2() + y.log10() + y.log(3.0) + x.log(y + 1.0) + y.cbrt() + y.recip();
            let e = x.mul_add(y, 1.0) + x.softplus() + (x - 1.0).leaky_relu(0.1) + x.gelu();
            let f = x.silu() + x.log_sigmoid() + x.floor() + y.signum();
            a + b + c + d + e + f
        },
        [0.7, 1.3],
        rel = 0.0,
        fd = 1e-8
    );
}

#[test]
fn zero_adjoints_pass_nothing_on_both_engines() {
    // f = sqrt(x) y at (0, 0): df/dx = y / (2 sqrt x) is 0 * inf in the
    // chain rule; with y = 0 the sqrt's adjoint is exactly 0 and passes
    // nothing on (OPS.md), so df/dx = 0 on both engines, and df/dy = sqrt(0) = 0.
    assert_eq!(grad!(|x, y| x.sqrt() * y)(0.0, 0.0), (0.0, [0.0, 0.0]));
    let (x, y) = (Value::new(0.0), Value::new(0.0));
    (x.sqrt() * y).backward();
    assert_eq!((x.grad(), y.grad()), (0.0, 0.0));
    // The same through the new ops: ln_1p at -1 and acosh at 1 have
    // infinite derivatives, behind a zero factor.
    let f = grad!(|x, y| x.ln_1p() * y + (x + 2.0).acosh() * y);
    assert_eq!(f(-1.0, 0.0).1[0], 0.0);
    // Away from that, nothing changes: d/dx sqrt(x) y = y / (2 sqrt x) = 0.25.
    assert_eq!(grad!(|x, y| x.sqrt() * y)(4.0, 1.0), (2.0, [0.25, 2.0]));
}

#[test]
fn an_inactive_relu_passes_zero_even_from_an_infinite_adjoint() {
    // f = ln(relu(x)) at x = -1: relu(x) = 0, so f's adjoint at relu's
    // output is 1/0 = inf. relu'(-1) = 0 exactly, and both engines select
    // (g or 0, OPS.md row 13) rather than multiply, so x gets 0, not
    // inf * 0 = NaN. Straight-line, in a loop, and on `Value`.
    assert_eq!(grad!(|x| x.relu().ln())(-1.0), (f64::NEG_INFINITY, [0.0]));
    let xs = [1.0, 2.0];
    let f = grad!(|w: [f64; 2]| {
        let mut s = 0.0;
        for k in 0..2 {
            s += (w[k] * xs[k]).relu();
        }
        s.ln()
    });
    assert_eq!(f([-1.0, -1.0]), (f64::NEG_INFINITY, [0.0, 0.0]));
    let x = Value::new(-1.0);
    x.relu().ln().backward();
    assert_eq!(x.grad(), 0.0);
}
