//! Memory reclamation with `scope`, and stale handles.

use micrograd::{Value, graph_len, scope};

#[test]
fn long_training_loop_runs_in_constant_memory() {
    // Fit y = 2x + 1 by SGD on (w, b); loss = (w x + b - y)^2.
    let (w, b) = (Value::new(0.0), Value::new(0.0));
    let base = graph_len();
    for step in 0..100_000u32 {
        let x = f64::from(step % 10) / 10.0;
        scope(|| {
            let loss = (w * x + b - (2.0 * x + 1.0)).powi(2);
            loss.backward();
        });
        for p in [w, b] {
            p.set_data(p.data() - 0.05 * p.grad());
            p.zero_grad();
        }
        if step % 10_000 == 0 {
            assert_eq!(graph_len(), base, "step {step}");
        }
    }
    assert_eq!(graph_len(), base);
    assert!((w.data() - 2.0).abs() < 1e-6 && (b.data() - 1.0).abs() < 1e-6);
}

#[test]
fn nested_scopes_free_their_own_nodes() {
    let base = graph_len();
    let outer = scope(|| {
        let a = Value::new(2.0);
        let inner_len = scope(|| {
            let _ = a * a * a;
            graph_len()
        });
        assert_eq!(inner_len, base + 3); // a, a*a, (a*a)*a
        assert_eq!(graph_len(), base + 1);
        // `a` survives the inner scope.
        (a * 3.0).data()
    });
    assert_eq!(outer, 6.0);
    assert_eq!(graph_len(), base);
}

#[test]
fn labels_are_freed_with_their_nodes() {
    let kept = Value::new(1.0).with_label("kept");
    scope(|| {
        let _ = Value::new(2.0).with_label("gone");
    });
    // The slot of "gone" is reused by a fresh, unlabelled node.
    let fresh = Value::new(3.0);
    assert_eq!(fresh.label(), None);
    assert_eq!(kept.label().as_deref(), Some("kept"));
}

#[test]
fn scope_frees_nodes_even_when_it_panics() {
    let base = graph_len();
    let r = std::panic::catch_unwind(|| {
        scope(|| {
            let _ = Value::new(1.0) + 1.0;
            panic!("boom");
        })
    });
    assert!(r.is_err());
    assert_eq!(graph_len(), base);
}

#[test]
#[should_panic(expected = "this Value was freed when the `scope` that created it returned")]
fn stale_handle_panics() {
    let y = scope(|| Value::new(1.0) * 2.0);
    let _ = y.data();
}

#[test]
#[should_panic(expected = "this Value was freed when the `scope` that created it returned")]
fn stale_handle_panics_even_when_its_slot_was_reused() {
    let old = scope(|| Value::new(1.0));
    // A new scope reuses the same tape slot with a new epoch.
    scope(|| {
        let _new = Value::new(42.0);
        let _ = old.data(); // must not read 42
    });
}

#[test]
fn freed_value_debug_prints_instead_of_panicking() {
    let y = scope(|| Value::new(1.0));
    assert!(format!("{y:?}").contains("freed"));
}

#[test]
#[should_panic(expected = "this Value was freed when the `scope` that created it returned")]
fn handle_freed_by_an_inner_scope_panics_in_the_outer_one() {
    scope(|| {
        let inner = scope(|| Value::new(1.0));
        // The outer scope reuses the freed slot; the old handle must not read it.
        let _reuse = Value::new(42.0);
        let _ = inner.data();
    });
}

#[test]
fn handles_from_every_open_scope_stay_usable() {
    let base = Value::new(1.0);
    scope(|| {
        let outer = Value::new(2.0);
        scope(|| {
            let middle = Value::new(3.0);
            scope(|| {
                let y = base * outer * middle;
                y.backward();
                assert_eq!(y.data(), 6.0);
            });
            assert_eq!(middle.grad(), 2.0);
        });
        assert_eq!(outer.grad(), 3.0);
    });
    assert_eq!(base.grad(), 6.0);
}

/// Builds `n` leaves in a scope, gives each a gradient, and frees them: their
/// slots then hold those gradients until a `backward` writes them.
fn leave_gradients_in_freed_slots(n: usize) {
    scope(|| {
        let vs: Vec<Value> = (0..n).map(|k| Value::new(k as f64)).collect();
        vs.iter().sum::<Value>().backward();
        assert!(vs.iter().all(|v| v.grad() == 1.0));
    });
}

#[test]
fn nodes_in_freed_slots_start_from_a_zero_gradient() {
    // None of what freed nodes left in their slots may show, in the nodes
    // of the graph or around it, whichever phase of the sweep reaches them
    // (`gap` unreached nodes inside the graph send it into the sparse one).
    for gap in [0, 1_000] {
        leave_gradients_in_freed_slots(5_000);
        scope(|| {
            let before: Vec<Value> = (0..100).map(|_| Value::new(1.0)).collect();
            let x = Value::new(2.0);
            let between: Vec<Value> = (0..gap).map(|_| Value::new(1.0)).collect();
            let square = x * x;
            let y = square + x; // dy/dx = 2x + 1 = 5
            let after = Value::new(1.0);
            y.backward();
            assert_eq!(
                (x.grad(), square.grad(), y.grad()),
                (5.0, 1.0, 1.0),
                "gap {gap}"
            );
            let mut others = before.iter().chain(&between).chain([&after]);
            assert!(others.clone().all(|v| v.grad() == 0.0), "gap {gap}");
            y.backward();
            assert_eq!(x.grad(), 10.0, "gap {gap}");
            assert!(others.all(|v| v.grad() == 0.0), "gap {gap}");
        });
    }
}
