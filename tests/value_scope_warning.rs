//! The warning for a loop that forgets `scope` (issue 13): shown once per
//! thread past `SCOPE_WARNING_NODES` nodes other than leaves outside any
//! scope, silenced by `set_scope_warning(false)`, and never for leaves
//! such as a large model's parameters. One test in its own binary, since
//! the switch is process-wide; each case runs on a fresh thread (tape).

use micrograd::nn::{Activation, Init, Mlp};
use micrograd::{SCOPE_WARNING_NODES, Value, scope, scope_warning_state, set_scope_warning};

fn on_a_fresh_tape<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::spawn(f).join().unwrap()
}

/// A loop without `scope`: one `+` node per step, kept forever.
fn leak(steps: usize) {
    let w = Value::new(0.5);
    let mut acc = w;
    for _ in 0..steps {
        acc += w;
    }
}

#[test]
fn the_scope_warning_is_shown_once_can_be_silenced_and_ignores_leaves() {
    // Under the threshold: nothing. Past it: shown, once, with the count.
    let (below, past, later) = on_a_fresh_tape(|| {
        leak(SCOPE_WARNING_NODES / 2);
        let below = scope_warning_state();
        leak(SCOPE_WARNING_NODES);
        let past = scope_warning_state();
        leak(2 * SCOPE_WARNING_NODES);
        (below, past, scope_warning_state())
    });
    assert!(!below.0);
    assert!(past.0 && past.1 > SCOPE_WARNING_NODES, "{past:?}");
    // Once: the count stops with the warning, nothing more is scanned.
    assert_eq!(later, past);

    // The same loop inside `scope`: nothing.
    let scoped = on_a_fresh_tape(|| {
        let w = Value::new(0.5);
        for _ in 0..3 {
            scope(|| leak(SCOPE_WARNING_NODES / 2 + 1));
        }
        let _ = w;
        scope_warning_state()
    });
    assert_eq!(scoped, (false, 0));

    // Parameters are leaves, not a leak: ten 784-128-10 MLPs (1,017,700
    // parameters) and an evaluation of one inside `scope`.
    let models = on_a_fresh_tape(|| {
        let layers = [(128, Activation::Relu), (10, Activation::Linear)];
        let mlps: Vec<Mlp> = (0..10)
            .map(|s| Mlp::new(784, &layers, Init::seeded(s)))
            .collect();
        assert_eq!(mlps[0].num_parameters(), 101_770);
        let out = scope(|| mlps[0].forward_f64(&[0.5; 784])[0].data());
        assert!(out.is_finite());
        scope_warning_state()
    });
    assert!(!models.0, "{models:?}");

    // Silenced: counted, not shown; shown once switched back on.
    set_scope_warning(false);
    let (silenced, unsilenced) = on_a_fresh_tape(|| {
        leak(2 * SCOPE_WARNING_NODES);
        let silenced = scope_warning_state();
        set_scope_warning(true);
        leak(2 * SCOPE_WARNING_NODES);
        (silenced, scope_warning_state())
    });
    assert!(
        !silenced.0 && silenced.1 > SCOPE_WARNING_NODES,
        "{silenced:?}"
    );
    assert!(unsilenced.0, "{unsilenced:?}");
}
