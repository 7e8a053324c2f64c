//! `backward` semantics: the lecture neuron, fan-out, repeated calls,
//! operator mixes, `Sum`, checked backward and deep graphs.

use micrograd::{Op, Value, graph_len, last_backward_work, scope};

const TOL: f64 = 1e-12;

fn assert_close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= TOL * want.abs().max(1.0),
        "{what}: got {got}, want {want}"
    );
}

#[test]
fn lecture_neuron_gradients() {
    // n = x1 w1 + x2 w2 + b = -6 + 0 + 6.8814 = 0.8814, o = tanh(n) = 0.7071
    // do/dn = 1 - o^2 = 0.5; do/dx1 = 0.5 w1 = -1.5, do/dw1 = 0.5 x1 = 1,
    // do/dx2 = 0.5 w2 = 0.5, do/dw2 = 0.5 x2 = 0, do/db = 0.5
    let x1 = Value::new(2.0).with_label("x1");
    let x2 = Value::new(0.0).with_label("x2");
    let w1 = Value::new(-3.0).with_label("w1");
    let w2 = Value::new(1.0).with_label("w2");
    let b = Value::new(6.881_373_587_019_543).with_label("b");
    let n = x1 * w1 + x2 * w2 + b;
    let o = n.tanh();
    o.backward();
    assert_close(o.data(), 0.5f64.sqrt(), "o");
    // tolerance 1e-9: b is 6.881373587019543 rounded, so 1 - o^2 is 0.5 to ~1e-16
    for (v, want, name) in [
        (x1, -1.5, "x1"),
        (w1, 1.0, "w1"),
        (x2, 0.5, "x2"),
        (w2, 0.0, "w2"),
        (b, 0.5, "b"),
    ] {
        assert!((v.grad() - want).abs() < 1e-9, "{name}: {}", v.grad());
    }
    assert_close(n.grad(), 0.5, "n");
    assert_eq!(o.grad(), 1.0);
}

#[test]
fn fan_out_accumulates() {
    // b = a + a, c = b + b = 4a: dc/da = 4, dc/db = 2
    let a = Value::new(-2.0);
    let b = a + a;
    let c = b + b;
    c.backward();
    assert_eq!((a.grad(), b.grad(), c.data()), (4.0, 2.0, -8.0));
}

#[test]
fn second_backward_adds_exactly_twice_including_intermediates() {
    // y = tanh(x w) * (x + w): dy/dx = (1 - t^2) w (x + w) + t, with t = tanh(x w)
    let (x, w) = (Value::new(0.7), Value::new(-1.3));
    let p = x * w;
    let t = p.tanh();
    let s = x + w;
    let y = t * s;
    y.backward();
    let first: Vec<f64> = [x, w, p, t, s, y].iter().map(|v| v.grad()).collect();
    let tt = (0.7f64 * -1.3).tanh();
    assert_close(first[0], (1.0 - tt * tt) * -1.3 * (0.7 - 1.3) + tt, "dy/dx");
    y.backward();
    for (v, g1) in [x, w, p, t, s, y].iter().zip(&first) {
        // Exactly: g1 + g1 == 2 g1 in floating point.
        assert_eq!(v.grad(), 2.0 * g1);
    }
}

#[test]
fn backward_of_a_subgraph_leaves_the_rest_alone() {
    // z = x y and u = x + y share inputs; backward on u touches x, y, u only.
    let (x, y) = (Value::new(2.0), Value::new(5.0));
    let z = x * y;
    z.backward(); // x.grad = 5, y.grad = 2
    let u = x + y;
    u.backward(); // adds 1 to each
    assert_eq!(
        (x.grad(), y.grad(), z.grad(), u.grad()),
        (6.0, 3.0, 1.0, 1.0)
    );
}

#[test]
fn operators_mix_values_refs_and_floats() {
    let x = Value::new(3.0);
    let r = &x;
    // each line: the value and d/dx by hand
    let cases: Vec<(Value, f64, f64)> = vec![
        (2.0 * x, 6.0, 2.0),
        (x * 2.0, 6.0, 2.0),
        (r * r, 9.0, 6.0),
        (r * x, 9.0, 6.0),
        (x * r, 9.0, 6.0),
        (2.0 * r, 6.0, 2.0),
        (r * 2.0, 6.0, 2.0),
        (x / 4.0, 0.75, 0.25),
        (6.0 / x, 2.0, -6.0 / 9.0), // d(6/x) = -6/x^2
        (r / 4.0, 0.75, 0.25),
        (6.0 / r, 2.0, -6.0 / 9.0),
        (x + 1.0, 4.0, 1.0),
        (1.0 + x, 4.0, 1.0),
        (r + 1.0, 4.0, 1.0),
        (1.0 + r, 4.0, 1.0),
        (x - 1.0, 2.0, 1.0),
        (1.0 - x, -2.0, -1.0),
        (r - 1.0, 2.0, 1.0),
        (1.0 - r, -2.0, -1.0),
        (-x, -3.0, -1.0),
        (-r, -3.0, -1.0),
        (r + x, 6.0, 2.0),
        (x - r, 0.0, 0.0),
    ];
    for (i, (y, value, slope)) in cases.into_iter().enumerate() {
        x.zero_grad();
        y.backward();
        assert_close(y.data(), value, &format!("case {i} value"));
        assert_close(x.grad(), slope, &format!("case {i} slope"));
    }
}

#[test]
fn compound_assignment() {
    // y = ((x + 1) * x - 2) / x = x + 1 - 2/x: dy/dx = 1 + 2/x^2
    let x = Value::new(2.0);
    let mut y = x;
    y += 1.0;
    y *= x;
    y -= 2.0;
    y /= &x;
    y.backward();
    assert_close(y.data(), 2.0, "y");
    assert_close(x.grad(), 1.5, "dy/dx");
    let mut z = x;
    z += x;
    z -= &x;
    z *= 3.0;
    z /= 2.0;
    // z = 1.5 x
    assert_close(z.data(), 3.0, "z");
}

#[test]
fn sum_of_values_and_refs() {
    // s = sum_i i x_i for i = 1..4: ds/dx_i = i
    let xs: Vec<Value> = (1..=4).map(|i| Value::new(f64::from(i))).collect();
    let s: Value = xs.iter().map(|&x| x * x.data()).sum();
    s.backward();
    assert_close(s.data(), 1.0 + 4.0 + 9.0 + 16.0, "s");
    for (i, x) in xs.iter().enumerate() {
        assert_close(x.grad(), (i + 1) as f64, "ds/dx");
    }
    let t: Value = xs.iter().sum();
    assert_close(t.data(), 10.0, "t");
    let empty: Value = std::iter::empty::<Value>().sum();
    assert_eq!((empty.data(), empty.op()), (0.0, Op::Const));
}

#[test]
fn children_and_ops_describe_the_graph() {
    let (a, b) = (Value::new(1.0), Value::new(2.0));
    let c = (a * b).with_label("c");
    assert_eq!(c.op(), Op::Mul);
    let kids = c.children();
    assert_eq!(kids.len(), 2);
    assert_eq!((kids[0].data(), kids[1].data()), (1.0, 2.0));
    assert!(a.children().is_empty());
    let p = c.powi(-3);
    assert_eq!(p.op(), Op::Powi(-3));
    assert_eq!(p.children().len(), 1);
    let ws = Value::weighted_sum(&[a], &[b], c);
    assert_eq!((ws.op(), ws.children().len()), (Op::WeightedSum, 3));
    let order = ws.topological_order();
    assert_eq!(order.len(), 4); // a, b, c, ws
    assert_eq!(order.last().unwrap().op(), Op::WeightedSum);
    assert_eq!(format!("{c}"), "Value(data=2, grad=0)");
    let dbg = format!("{c:?}");
    assert!(dbg.contains("Mul") && dbg.contains("\"c\""), "{dbg}");
}

#[test]
fn checked_backward_names_the_node_for_ln_of_negative() {
    let x = Value::new(-1.0).with_label("x");
    let y = x.ln().with_label("log_x");
    let z = y * 2.0 + 1.0;
    let err = z.backward_checked().unwrap_err();
    assert_eq!(err.op, Op::Ln);
    assert_eq!(err.label.as_deref(), Some("log_x"));
    assert!(err.data.is_nan());
    let msg = err.to_string();
    assert!(msg.contains("Ln") && msg.contains("log_x"), "{msg}");
    // A finite graph passes.
    assert!((Value::new(2.0).ln() * 3.0).backward_checked().is_ok());
}

#[test]
fn checked_backward_reports_a_gradient_that_blows_up() {
    // y = sqrt(x) at x = 0: data 0 is finite, dy/dx = 0.5 / 0 = inf
    let x = Value::new(0.0).with_label("x");
    let err = x.sqrt().backward_checked().unwrap_err();
    assert_eq!((err.label.as_deref(), err.grad), (Some("x"), f64::INFINITY));
}

/// y_0 = x, y_k = y_{k-1} * 1 + x... here simply y_k = y_{k-1} + x, so
/// y_n = (n + 1) x and dy_n/dx = n + 1 (exact in f64).
fn chain(n: usize) {
    let base = graph_len();
    scope(|| {
        let x = Value::new(0.5);
        let mut y = x;
        for _ in 0..n {
            y += x;
        }
        y.backward();
        assert_eq!(x.grad(), (n + 1) as f64);
        assert_eq!(y.data(), 0.5 * (n + 1) as f64);
    });
    assert_eq!(graph_len(), base);
}

#[test]
fn million_node_chain_builds_backwards_and_drops() {
    chain(1_000_000);
}

/// Ten million nodes: 320 MB of tape plus 40 MB of backward scratch, about
/// 3 s in a debug build on a 2-core machine (0.7 s in release).
#[test]
fn ten_million_node_chain_builds_backwards_and_drops() {
    chain(10_000_000);
}

#[test]
fn deep_tanh_chain_has_no_recursion() {
    // A million nested tanh: d/dx tanh(tanh(...x)) = prod (1 - y_k^2), checked
    // against the same product computed in plain f64.
    let n = 1_000_000;
    scope(|| {
        let x = Value::new(0.3);
        let mut y = x;
        let (mut v, mut d) = (0.3f64, 1.0f64);
        for _ in 0..n {
            y = y.tanh();
            v = v.tanh();
            d *= 1.0 - v * v;
        }
        y.backward();
        assert_close(y.data(), v, "y");
        assert!(
            (x.grad() - d).abs() <= 1e-9 * d.abs(),
            "{} vs {d}",
            x.grad()
        );
    });
}

#[test]
fn backward_work_does_not_grow_with_the_tape() {
    // A million small graphs on leaves made outside the loop, no scope: the
    // tape grows to 2M nodes, but each backward examines only its own graph.
    let (x, y) = (Value::new(1.5), Value::new(-0.5));
    // z's graph has 4 nodes (x, y, x*y, z). backward sweeps down from z and
    // gives up on the sweep after skipping 4 unreached slots per node plus
    // 64 (DENSE and SLACK in backward.rs), so it sweeps at most
    // 4 + 4 * 4 + 64 + 1 = 85 slots, then re-reads the swept slots once to
    // find the pending nodes: at most 170, the same at every step once the
    // leaves are far behind.
    let steps = 1_000_000;
    let mut steady = None;
    for step in 0..steps {
        let z = x * y + x; // dz/dx = y + 1 = 0.5, dz/dy = x = 1.5
        z.backward();
        let w = last_backward_work();
        assert!(w <= 170, "step {step}: backward examined {w} nodes");
        if step >= 1000 {
            assert_eq!(*steady.get_or_insert(w), w, "step {step}");
        }
    }
    assert_eq!(x.grad(), 0.5 * steps as f64);
    assert_eq!(y.grad(), 1.5 * steps as f64);
}

#[test]
fn graph_spread_thin_over_the_tape_gets_the_same_gradients() {
    // The same function built twice: once contiguously (dense sweep) and
    // once with 1,000 unrelated nodes between its ops (the sweep gives up
    // and finishes from a heap). f(x, w) = sum_k tanh(w x_k + ...) chain.
    fn build(junk: usize) -> (f64, f64) {
        scope(|| {
            let (x, w) = (Value::new(0.3), Value::new(-1.1));
            let noise = Value::new(1.0);
            let mut y = x;
            for k in 0..20 {
                for _ in 0..junk {
                    let _ = noise * 2.0;
                }
                let s = Value::weighted_sum(&[w, x], &[y, y], x); // n-ary operands too
                y = (y * w + f64::from(k) * 0.1).tanh() + x + 0.01 * s;
            }
            y.backward();
            (x.grad(), w.grad())
        })
    }
    let (dense, sparse) = (build(0), build(1000));
    assert_eq!(dense, sparse); // same ops in the same order: bit-identical
    assert!(last_backward_work() < 2_000); // not the 40,000 slots of junk
}
