//! Property tests: for a fixed set of expressions, at random points, the
//! static and dynamic gradients agree and both match a central finite
//! difference.
//!
//! Tolerances (measured as `check::disagreement`, relative above 1 and
//! absolute below): engines within 1e-12, since they run the same ops and
//! only fan-out sums may round in another order; finite differences within
//! 1e-6, from the step's error `~ eps^(2/3) (|f| + |f'''|) ~ 4e-11 (...)`
//! with the ranges below keeping `|f|` and `|f'''|` under about 1e3.

use micrograd::compare;
use proptest::prelude::*;

const REL: f64 = 1e-12;
const FD: f64 = 1e-6;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn lecture_neuron(x1 in -3.0..3.0f64, x2 in -3.0..3.0f64, w1 in -3.0..3.0f64,
                      w2 in -3.0..3.0f64, b in -3.0..3.0f64) {
        let engines = compare!(|x1, x2, w1, w2, b| (x1 * w1 + x2 * w2 + b).tanh());
        let report = engines.check([x1, x2, w1, w2, b]);
        // No value is used twice: both sweeps do the same float ops in the
        // same order, so they are bitwise equal, not just close.
        prop_assert_eq!(&report.static_grad, &report.dynamic_grad);
        prop_assert!(report.agrees(REL, FD), "{}", report);
    }

    #[test]
    fn tanh_chain(x1 in -2.0..2.0f64, x2 in -2.0..2.0f64, w1 in -2.0..2.0f64,
                  w2 in -2.0..2.0f64, b in -2.0..2.0f64) {
        // o_k = tanh(o_{k-1} w1 + x2 w2 + b), k = 1..5, o_0 = x1: w1, x2,
        // w2 and b fan out to all five rounds.
        let engines = compare!(|x1, x2, w1, w2, b| {
            let mut o = x1;
            o = (o * w1 + x2 * w2 + b).tanh();
            o = (o * w1 + x2 * w2 + b).tanh();
            o = (o * w1 + x2 * w2 + b).tanh();
            o = (o * w1 + x2 * w2 + b).tanh();
            o = (o * w1 + x2 * w2 + b).tanh();
            o
        });
        let report = engines.check([x1, x2, w1, w2, b]);
        prop_assert!(report.agrees(REL, FD), "{}", report);
    }

    #[test]
    fn powf_with_variable_exponent(x in 0.1..5.0f64, y in -3.0..3.0f64) {
        // d/dx x^y = y x^(y-1), d/dy x^y = x^y ln x; and the base shifted
        // to stay positive: (x^2 + 1)^y.
        let engines = compare!(|x, y| x.powf(y) + (x * x + 1).powf(y) * 0.1);
        let report = engines.check([x, y]);
        prop_assert!(report.agrees(REL, FD), "{}", report);
        let want_dy = x.powf(y) * x.ln() + 0.1 * (x * x + 1.0).powf(y) * (x * x + 1.0).ln();
        prop_assert!((report.static_grad[1] - want_dy).abs() <= 1e-12 * want_dy.abs().max(1.0));
    }

    #[test]
    fn sigmoid_tails(x in -800.0..800.0f64, w in 0.5..2.0f64) {
        // Stable on both tails: no NaN or overflow at |w x| up to 1600.
        let engines = compare!(|x, w| (w * x).sigmoid());
        let report = engines.check([x, w]);
        prop_assert!(report.static_grad.iter().all(|g| g.is_finite()));
        prop_assert!(report.agrees(REL, FD), "{}", report);
    }

    #[test]
    fn relu_and_abs_away_from_kinks(x in -3.0..3.0f64, w in -3.0..3.0f64) {
        // The kinks are where x w = 0 or x - w = 0; within a few steps of
        // them the finite difference averages two slopes (documented).
        prop_assume!((x * w).abs() > 1e-3 && (x - w).abs() > 1e-3);
        let engines = compare!(|x, w| (x * w).relu() + (x - w).abs() * 0.5);
        let report = engines.check([x, w]);
        prop_assert!(report.agrees(REL, FD), "{}", report);
    }

    #[test]
    fn every_unary_op_in_its_domain(x in -2.0..2.0f64, y in -2.0..2.0f64) {
        let engines = compare!(|x, y| {
            let p = x * x + 1;          // >= 1: ln and sqrt stay in domain
            let q = p.ln() * y.sin() + (y * y + 0.5).sqrt() * x.cos();
            let r = (-q).exp() / (p + y.tanh().powi(2));
            r + x.powi(3) - y.powi(-2).sigmoid()
        });
        prop_assume!(y.abs() > 0.1); // y^-2 stays moderate
        let report = engines.check([x, y]);
        prop_assert!(report.agrees(REL, FD), "{}", report);
    }

    #[test]
    fn let_mut_updates(x in -2.0..2.0f64, y in -2.0..2.0f64) {
        // c += c + 1 is c = 2c + 1: the Python-style update on both engines.
        let engines = compare!(|x, y| {
            let mut c = x * y;
            c += c + 1;
            c *= x.tanh();
            c -= y;
            c / (y * y + 1)
        });
        let report = engines.check([x, y]);
        prop_assert!(report.agrees(REL, FD), "{}", report);
        // By hand: c = ((2xy + 1) tanh x - y) / (y^2 + 1).
        let t = x.tanh();
        let want = ((2.0 * x * y + 1.0) * t - y) / (y * y + 1.0);
        prop_assert!((report.value - want).abs() <= 1e-12);
    }
}
