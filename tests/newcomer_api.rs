//! Issue 14's smallest inputs for the `Value` API and the `compare!`
//! report: integer literals on `Value`, formatting, a captured `f32`.

use micrograd::{Value, compare, grad, scope};

#[test]
fn integer_literals_read_the_same_on_both_engines() {
    // y = 2x + x/2 - 1 at x = 3: y = 6.5, dy/dx = 2.5; `2 * x` is `2.0 * x`
    // in grad! too.
    let x = Value::new(3.0);
    let y = 2 * x + x / 2 - 1;
    y.backward();
    assert_eq!((y.data(), x.grad()), (6.5, 2.5));
    assert_eq!(grad!(|x| 2 * x + x / 2 - 1)(3.0), (6.5, [2.5]));
    let mut z = Value::new(1.0);
    z *= 3;
    z += 1;
    assert_eq!(z.data(), 4.0);
}

#[test]
fn display_honours_precision_and_never_panics() {
    let v = Value::new(2.0);
    assert_eq!(format!("{v:.3}"), "Value(data=2.000, grad=0.000)");
    assert_eq!(v.to_string(), "Value(data=2, grad=0)");
    // A value made in a scope is freed when it closes: printing it says so.
    let freed = scope(|| Value::new(1.0) * 2.0);
    let text = format!("{freed}");
    assert!(text.contains("freed"), "{text}");
    assert!(format!("{freed:?}").contains("freed"));
}

#[test]
fn a_captured_f32_converts_with_as_f64() {
    // k is an f32 outside: `k as f64` is a constant; d/dx (k x) = k.
    let k: f32 = 0.5;
    assert_eq!(grad!(|x| (k as f64) * x)(4.0), (2.0, [0.5]));
}

#[test]
fn the_report_prints_zero_once_and_names_kinks() {
    // relu at 0: both engines say 0 (relu'(0) = 0), the finite difference
    // 0.5 (the average of the slopes); the report says why.
    let report = compare!(|x| x.relu(), [0.0]);
    let text = report.to_string();
    assert!(text.contains("note:") && text.contains("`relu`"), "{text}");
    // -0.0 and 0.0 print alike: d/dx (-x * 0) = -0.0.
    let zero = compare!(|x| -x * 0.0, [1.0]).to_string();
    assert!(!zero.contains("-0.000"), "{zero}");
    // No note when the finite difference agrees.
    assert!(!compare!(|x| x.relu(), [1.0]).to_string().contains("note:"));
}
