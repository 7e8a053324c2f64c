//! Issue 14's model items: `Clone` gives an independent copy (and `share`
//! a shared one), the flat `f64` parameter layout, prediction without a
//! graph, and moving a model's values to another thread. Each test starts
//! from the smallest input and checks it against something
//! computed another way (the `Value` handles one by one, a hand
//! calculation, the graph-building forward pass).

use std::panic::{AssertUnwindSafe, catch_unwind};

use micrograd::nn::{Activation, Init, Layer, Mlp, Neuron};
use micrograd::{Op, Value, graph_len, scope};

/// Each parameter's value read through its own `Value` handle.
fn values(ps: &[Value]) -> Vec<f64> {
    ps.iter().map(|p| p.data()).collect()
}

// ---- 1. Clone is an independent copy --------------------------------------

#[test]
fn a_clone_keeps_its_values_when_the_original_changes() {
    // The input: `let b = a.clone(); a.parameters()[0].set_data(5.0);
    // b.parameters()[0].data()` was 5.
    let a = Mlp::demo(2, &[16, 16, 1], 0);
    let before = a.parameters()[0].data();
    assert_ne!(before, 5.0);
    let b = a.clone();
    a.parameters()[0].set_data(5.0);
    assert_eq!(a.parameters()[0].data(), 5.0);
    assert_eq!(b.parameters()[0].data(), before);
}

#[test]
fn a_clone_has_the_same_values_in_new_leaves_with_zero_gradient() {
    let a = Mlp::lecture(3, &[4, 4, 1], 7);
    // Give `a` gradients, so that "gradient 0" in the copy means something.
    scope(|| a.forward_f64(&[1.0, -2.0, 0.5])[0].backward());
    assert!(a.parameters().iter().any(|p| p.grad() != 0.0));
    let b = a.clone();
    assert_eq!(b.to_string(), a.to_string());
    assert_eq!(values(&b.parameters()), values(&a.parameters()));
    assert!(b.parameters().iter().all(|p| p.grad() == 0.0));
    assert!(b.parameters().iter().all(|p| p.op() == Op::Leaf));
    // New handles: none of b's parameters is one of a's.
    for (pa, pb) in a.parameters().iter().zip(&b.parameters()) {
        pb.set_data(pa.data() + 1.0);
        assert_ne!(pa.data(), pb.data());
    }
}

#[test]
fn training_a_clone_leaves_the_original_as_it_was() {
    let a = Mlp::demo(2, &[4, 1], 3);
    let kept = values(&a.parameters());
    let b = a.clone();
    scope(|| {
        // y = w . relu(...) + b: backward reaches at least the output bias.
        b.forward_f64(&[0.5, -0.5])[0].backward();
    });
    assert_eq!(b.parameters().last().unwrap().grad(), 1.0); // dy/db = 1
    for p in b.parameters() {
        p.set_data(p.data() - 0.1 * p.grad());
    }
    assert_eq!(values(&a.parameters()), kept);
    assert!(a.parameters().iter().all(|p| p.grad() == 0.0));
    assert_ne!(values(&b.parameters()), kept);
}

#[test]
fn a_clone_still_records_one_fused_node_per_neuron() {
    // The copy's leaves are one run, as a new network's are, so its forward
    // pass is as fast: one Dense node per neuron, the same bits.
    let a = Mlp::demo(2, &[4, 3, 1], 0);
    let b = a.clone();
    scope(|| {
        let before = graph_len();
        let y = b.forward_f64(&[0.25, -0.75])[0];
        assert_eq!(graph_len() - before, 2 + 4 + 3 + 1); // 2 inputs, 8 neurons
        assert_eq!(y.op(), Op::Neuron(Activation::Linear));
        assert_eq!(y.data(), a.forward_f64(&[0.25, -0.75])[0].data());
    });
}

#[test]
fn neuron_and_layer_clones_are_independent_too() {
    let n = Neuron::from_weights(&[1.0, 2.0], 3.0, Activation::Tanh);
    let m = n.clone();
    n.weights()[0].set_data(5.0);
    n.bias().set_data(5.0);
    assert_eq!(values(&m.parameters()), [1.0, 2.0, 3.0]);
    assert_eq!(m.activation(), Activation::Tanh);

    let l = Layer::new(2, 3, Activation::Relu, Init::seeded(0));
    let kept = values(&l.parameters());
    let k = l.clone();
    l.parameters()[0].set_data(5.0);
    assert_eq!(values(&k.parameters()), kept);
    assert_eq!(
        (k.nin(), k.nout(), k.activation()),
        (2, 3, Activation::Relu)
    );
}

#[test]
fn share_is_the_explicit_way_to_share_parameters() {
    let a = Mlp::demo(2, &[4, 1], 0);
    let s = a.share();
    a.parameters()[0].set_data(5.0);
    assert_eq!(s.parameters()[0].data(), 5.0);
    let n = Neuron::from_weights(&[1.0], 0.0, Activation::Linear);
    n.share().bias().set_data(2.0);
    assert_eq!(n.bias().data(), 2.0);
    let l = Layer::new(1, 1, Activation::Linear, Init::seeded(0));
    l.share().parameters()[0].set_data(4.0);
    assert_eq!(l.parameters()[0].data(), 4.0);
}

#[test]
fn a_clone_made_inside_a_scope_is_freed_with_it() {
    let a = Mlp::demo(2, &[4, 1], 0);
    let base = graph_len();
    let b = scope(|| {
        let b = a.clone();
        assert_eq!(graph_len(), base + a.num_parameters());
        b
    });
    assert_eq!(graph_len(), base);
    let read = catch_unwind(AssertUnwindSafe(|| b.parameters()[0].data()));
    assert!(read.is_err(), "a freed clone's parameter must not be read");
    // The original is untouched.
    assert!(a.parameters()[0].data().is_finite());
}

// ---- 2. Flat parameter layout ---------------------------------------------

#[test]
fn parameters_f64_follows_parameters_order() {
    let mlp = Mlp::lecture(3, &[4, 4, 1], 1);
    assert_eq!(mlp.parameters_f64(), values(&mlp.parameters()));
    // The order spelled out: layer by layer, neuron by neuron, weights then bias.
    let by_hand: Vec<f64> = mlp
        .layers()
        .iter()
        .flat_map(|l| l.neurons())
        .flat_map(|n| {
            let mut p = values(n.weights());
            p.push(n.bias().data());
            p
        })
        .collect();
    assert_eq!(mlp.parameters_f64(), by_hand);
}

#[test]
fn set_of_get_is_the_identity() {
    let mlp = Mlp::demo(2, &[16, 16, 1], 0);
    let p = mlp.parameters_f64();
    mlp.set_parameters_f64(&p);
    assert_eq!(mlp.parameters_f64(), p);
    assert_eq!(values(&mlp.parameters()), p);
}

#[test]
fn set_parameters_f64_writes_each_value_in_order() {
    // 1 -> 1 linear: p = [w, b]; y = w x + b = 2 * 3 + 0.5 = 6.5
    let mlp = Mlp::new(1, &[(1, Activation::Linear)], Init::seeded(0));
    mlp.set_parameters_f64(&[2.0, 0.5]);
    assert_eq!(mlp.layers()[0].neurons()[0].weights()[0].data(), 2.0);
    assert_eq!(mlp.layers()[0].neurons()[0].bias().data(), 0.5);
    assert_eq!(scope(|| mlp.forward_f64(&[3.0])[0].data()), 6.5);
}

#[test]
fn a_wrong_length_panics_naming_both_lengths() {
    let mlp = Mlp::demo(2, &[16, 16, 1], 0);
    let short = vec![0.0; 336];
    let err = catch_unwind(AssertUnwindSafe(|| mlp.set_parameters_f64(&short)))
        .expect_err("a slice of 336 for 337 parameters must panic");
    let msg = err
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .expect("a text message");
    assert!(msg.contains("337") && msg.contains("336"), "{msg}");
    // Nothing was written.
    assert!(mlp.parameters_f64().iter().any(|&p| p != 0.0));
}

// ---- 3. Prediction without a graph ----------------------------------------

#[test]
fn predict_records_nothing_on_the_tape() {
    // The issue: `forward_f64` records 3 nodes per call outside `scope`
    // (2 inputs, 1 neuron) on this 2 -> 1 net; `predict` records none.
    let mlp = Mlp::demo(2, &[1], 0);
    let before = graph_len();
    mlp.forward_f64(&[0.5, -0.5]);
    assert_eq!(graph_len(), before + 3);
    let before = graph_len();
    let y = mlp.predict(&[0.5, -0.5]);
    assert_eq!(graph_len(), before);
    assert_eq!(y.len(), 1);
}

#[test]
fn predict_gives_the_same_bits_as_forward() {
    // Exact equality is the point: the same f64 code as the fused kernels.
    let nets = [
        Mlp::demo(2, &[16, 16, 1], 0),
        Mlp::lecture(3, &[4, 4, 1], 5),
        Mlp::new(
            5,
            &[
                (7, Activation::Sigmoid),
                (3, Activation::Tanh),
                (2, Activation::Linear),
            ],
            Init::seeded(9),
        ),
    ];
    for mlp in &nets {
        for k in 0..20 {
            let x: Vec<f64> = (0..mlp.nin())
                .map(|i| ((k * 7 + i * 3) % 11) as f64 / 3.0 - 1.7)
                .collect();
            let want = scope(|| {
                let fused: Vec<f64> = mlp.forward_f64(&x).iter().map(|y| y.data()).collect();
                let leaves: Vec<Value> = x.iter().map(|&v| Value::new(v)).collect();
                let on_values: Vec<f64> = mlp.forward(&leaves).iter().map(|y| y.data()).collect();
                assert_eq!(fused, on_values);
                fused
            });
            assert_eq!(mlp.predict(&x), want, "{mlp} at {x:?}");
        }
    }
}

#[test]
fn predict_matches_a_hand_calculation() {
    // 2 -> 2 tanh -> 1 linear with chosen numbers:
    // h0 = tanh(1*0.5 + -1*0.25 + 0.1) = tanh(0.35)
    // h1 = tanh(2*0.5 + 0*0.25 - 0.2) = tanh(0.8)
    // y  = 3 h0 - h1 + 0.5
    let mlp = Mlp::new(
        2,
        &[(2, Activation::Tanh), (1, Activation::Linear)],
        Init::seeded(0),
    );
    mlp.set_parameters_f64(&[1.0, -1.0, 0.1, 2.0, 0.0, -0.2, 3.0, -1.0, 0.5]);
    let want = 3.0 * 0.35f64.tanh() - 0.8f64.tanh() + 0.5;
    let got = mlp.predict(&[0.5, 0.25])[0];
    assert!((got - want).abs() < 1e-15, "{got} vs {want}");
}

#[test]
fn predict_checks_its_input_length() {
    let mlp = Mlp::demo(2, &[4, 1], 0);
    let err = catch_unwind(AssertUnwindSafe(|| mlp.predict(&[1.0])));
    assert!(err.is_err());
}

// ---- 4. Threads -----------------------------------------------------------

#[test]
fn a_model_moves_to_another_thread_as_its_parameter_values() {
    let mlp = Mlp::demo(2, &[16, 16, 1], 0);
    let values = mlp.parameters_f64();
    let there = std::thread::spawn(move || {
        let copy = Mlp::demo(2, &[16, 16, 1], 99);
        copy.set_parameters_f64(&values);
        copy.predict(&[0.3, -0.1])
    })
    .join()
    .expect("the thread returns");
    assert_eq!(there, mlp.predict(&[0.3, -0.1]));
}
