//! A 1,000-operation body: it compiles, its value equals the same body run
//! as plain Rust, and its gradient matches a central finite difference.
//! The body is generated (9 ops per round, 111 rounds, plus the final `a * b`);
//! the expansion's linear growth is measured in `micrograd-macros`'s unit tests.

/// Expands one body twice: through `grad!` and as a plain closure.
macro_rules! both {
    (|$($p:ident),*| $body:block) => {
        (micrograd::grad!(|$($p),*| $body), |$($p: f64),*| -> f64 { $body })
    };
}

#[test]
fn thousand_op_body_compiles_and_is_correct() {
    let (f, plain) = both!(|x, y| {
        let mut a = x;
        let mut b = y;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a = (a * 0.999 + b * 0.001).tanh();
        b = b + a.sin() * 0.5 - y * 0.01;
        a * b
    });
    let (x, y) = (0.3, 0.8);
    let (v, g) = f(x, y);
    // Same ops in the same order: the forward value is bit-identical.
    assert_eq!(v, plain(x, y));
    // Central difference, h = 1e-6; the function is smooth and O(1) here.
    let h = 1e-6;
    let fd = [
        (plain(x + h, y) - plain(x - h, y)) / (2.0 * h),
        (plain(x, y + h) - plain(x, y - h)) / (2.0 * h),
    ];
    for i in 0..2 {
        assert!(
            (g[i] - fd[i]).abs() <= 1e-6 * (1.0 + fd[i].abs()),
            "grad[{i}] {} vs finite difference {}",
            g[i],
            fd[i]
        );
    }
}
