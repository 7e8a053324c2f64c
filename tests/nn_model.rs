//! `Neuron`, `Layer`, `Mlp`: sizes, initialization, determinism, input
//! checks, and the fused forward against the node-per-op one.

use micrograd::nn::{Activation, BiasInit, Init, Layer, Mlp, Neuron};
use micrograd::{Op, Value, graph_len, scope};

#[test]
fn parameter_counts_match_the_references() {
    // 2->16->16->1: 16*(2+1) + 16*(16+1) + 1*(16+1) = 48 + 272 + 17 = 337
    let demo = Mlp::demo(2, &[16, 16, 1], 0);
    assert_eq!(demo.parameters().len(), 337);
    assert_eq!(demo.num_parameters(), 337);
    // 3->4->4->1: 4*(3+1) + 4*(4+1) + 1*(4+1) = 16 + 20 + 5 = 41
    let lecture = Mlp::lecture(3, &[4, 4, 1], 0);
    assert_eq!(lecture.parameters().len(), 41);
    assert_eq!(lecture.num_parameters(), 41);
}

#[test]
fn presets_choose_the_reference_activations_and_biases() {
    let demo = Mlp::demo(2, &[16, 16, 1], 0);
    let acts: Vec<_> = demo.layers().iter().map(Layer::activation).collect();
    assert_eq!(
        acts,
        [Activation::Relu, Activation::Relu, Activation::Linear]
    );
    assert!(
        demo.layers()
            .iter()
            .flat_map(|l| l.neurons())
            .all(|n| n.bias().data() == 0.0)
    );

    let lecture = Mlp::lecture(3, &[4, 4, 1], 0);
    assert!(
        lecture
            .layers()
            .iter()
            .all(|l| l.activation() == Activation::Tanh)
    );
    // Uniform(-1, 1) biases: 9 draws, all inside, not all zero.
    let biases: Vec<f64> = lecture
        .layers()
        .iter()
        .flat_map(|l| l.neurons())
        .map(|n| n.bias().data())
        .collect();
    assert!(biases.iter().all(|b| b.abs() < 1.0));
    assert!(biases.iter().any(|&b| b != 0.0));
}

#[test]
fn weights_are_uniform_in_minus_one_one() {
    // 10 nets * 337 parameters, ~3000 weights: all in (-1, 1), mean near 0
    // (sd of the mean = sqrt(1/3 / 3000) ~ 0.011) and spread near the
    // uniform's sd sqrt(1/3) ~ 0.577.
    let w: Vec<f64> = (0..10)
        .flat_map(|seed| {
            let m = Mlp::demo(2, &[16, 16, 1], seed);
            m.layers()
                .iter()
                .flat_map(|l| {
                    l.neurons()
                        .iter()
                        .flat_map(|n| n.weights().iter().map(|w| w.data()))
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(w.iter().all(|x| x.abs() < 1.0));
    let mean = w.iter().sum::<f64>() / w.len() as f64;
    let sd = (w.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / w.len() as f64).sqrt();
    assert!(mean.abs() < 0.05, "mean {mean}");
    assert!((sd - (1.0f64 / 3.0).sqrt()).abs() < 0.03, "sd {sd}");
}

#[test]
fn same_seed_same_network_other_seed_other_network() {
    let data = |m: &Mlp| m.parameters().iter().map(|p| p.data()).collect::<Vec<_>>();
    let a = Mlp::demo(2, &[16, 16, 1], 42);
    let b = Mlp::demo(2, &[16, 16, 1], 42);
    let c = Mlp::demo(2, &[16, 16, 1], 43);
    assert_eq!(data(&a), data(&b)); // exact equality is the point
    assert_ne!(data(&a), data(&c));
    let uniform = Mlp::new(
        3,
        &[(4, Activation::Tanh)],
        Init::seeded(7).with_bias(BiasInit::Uniform),
    );
    let again = Mlp::new(
        3,
        &[(4, Activation::Tanh)],
        Init::seeded(7).with_bias(BiasInit::Uniform),
    );
    assert_eq!(data(&uniform), data(&again));
}

#[test]
fn display_and_debug_show_sizes_and_activations() {
    let m = Mlp::demo(2, &[16, 16, 1], 0);
    assert_eq!(
        m.to_string(),
        "Mlp 2 -> 16 relu -> 16 relu -> 1 linear (337 parameters)"
    );
    assert_eq!(
        format!("{m:?}"),
        "Mlp [Layer(2 -> 16, relu), Layer(16 -> 16, relu), Layer(16 -> 1, linear)]"
    );
    assert_eq!(
        format!("{:?}", m.layers()[0].neurons()[0]),
        "Neuron(2, relu)"
    );
}

#[test]
fn neuron_forward_matches_the_formula() {
    // tanh(w . x + b) = tanh(0.5*2 - 1*3 + 0.25) = tanh(-1.75)
    let n = Neuron::from_weights(&[0.5, -1.0], 0.25, Activation::Tanh);
    let y = n.forward(&[Value::new(2.0), Value::new(3.0)]);
    assert!((y.data() - (-1.75f64).tanh()).abs() < 1e-15);
    // sigmoid(z) = 1 / (1 + e^-z)
    let n = Neuron::from_weights(&[0.5, -1.0], 0.25, Activation::Sigmoid);
    let y = n.forward(&[Value::new(2.0), Value::new(3.0)]);
    assert!((y.data() - 1.0 / (1.0 + 1.75f64.exp())).abs() < 1e-15);
}

#[test]
fn fused_and_unfused_forward_agree_in_values_and_gradients() {
    for act in [
        Activation::Tanh,
        Activation::Relu,
        Activation::Sigmoid,
        Activation::Linear,
    ] {
        let m = Mlp::new(
            3,
            &[(5, act), (4, act), (2, Activation::Linear)],
            Init::seeded(9).with_bias(BiasInit::Uniform),
        );
        let params = m.parameters();
        let x = [0.3, -1.2, 0.8];
        let run = |fused: bool| {
            scope(|| {
                m.zero_grad();
                let xs: Vec<Value> = x.iter().map(|&v| Value::new(v)).collect();
                let out = if fused {
                    m.forward(&xs)
                } else {
                    m.forward_unfused(&xs)
                };
                // Use both outputs so every parameter gets a gradient.
                let loss = out[0] * 1.5 + out[1].powi(2);
                loss.backward();
                let grads: Vec<f64> = params.iter().map(|p| p.grad()).collect();
                let xgrads: Vec<f64> = xs.iter().map(|v| v.grad()).collect();
                (loss.data(), grads, xgrads)
            })
        };
        let (lf, gf, xf) = run(true);
        let (lu, gu, xu) = run(false);
        // Only the summation order differs: agreement to rounding.
        assert!(
            (lf - lu).abs() <= 1e-12 * (1.0 + lf.abs()),
            "{act}: {lf} vs {lu}"
        );
        for (a, b) in gf.iter().chain(&xf).zip(gu.iter().chain(&xu)) {
            assert!(
                (a - b).abs() <= 1e-12 * (1.0 + a.abs()),
                "{act}: {a} vs {b}"
            );
        }
        if act != Activation::Linear {
            assert!(
                gf.iter().filter(|g| g.abs() > 1e-6).count() > 10,
                "{act}: gradients vanished"
            );
        }
    }
}

#[test]
fn unfused_forward_builds_the_notebook_graph() {
    // One neuron with 3 inputs, node per op: 3 Mul + 3 Add + 1 tanh = 7
    // nodes; fused: 1.
    let n = Neuron::new(3, Activation::Tanh, Init::seeded(0));
    scope(|| {
        let x: Vec<Value> = [1.0, 2.0, 3.0].iter().map(|&v| Value::new(v)).collect();
        let base = graph_len();
        n.forward_unfused(&x);
        assert_eq!(graph_len() - base, 7);
        let base = graph_len();
        let y = n.forward(&x);
        assert_eq!(graph_len() - base, 1);
        assert_eq!(y.op(), Op::Neuron(Activation::Tanh));
        assert_eq!(y.children().len(), 2 * 3 + 1);
        // Inputs the tape does not hold consecutively: a weighted sum and
        // a tanh node, with the same value.
        let scattered = [x[2], x[0], x[1]];
        let perm = Neuron::from_weights(
            &[
                n.weights()[2].data(),
                n.weights()[0].data(),
                n.weights()[1].data(),
            ],
            n.bias().data(),
            Activation::Tanh,
        );
        let base = graph_len();
        let y2 = perm.forward(&scattered);
        assert_eq!(graph_len() - base, 2);
        assert_eq!(y2.op(), Op::Tanh);
        assert!((y2.data() - y.data()).abs() < 1e-15);
    });
}

#[test]
#[should_panic(expected = "Mlp 3 -> 4 tanh -> 4 tanh -> 1 tanh expects 3 inputs, got 2")]
fn mlp_names_both_sizes_on_wrong_input() {
    let m = Mlp::lecture(3, &[4, 4, 1], 0);
    scope(|| m.forward_f64(&[1.0, 2.0]));
}

#[test]
#[should_panic(expected = "Mlp 3 -> 4 tanh -> 4 tanh -> 1 tanh expects 3 inputs, got 4")]
fn mlp_unfused_names_both_sizes_on_wrong_input() {
    let m = Mlp::lecture(3, &[4, 4, 1], 0);
    scope(|| {
        let x: Vec<Value> = (0..4).map(|i| Value::new(f64::from(i))).collect();
        m.forward_unfused(&x)
    });
}

#[test]
#[should_panic(expected = "Layer 2 -> 3 expects 2 inputs, got 1")]
fn layer_names_both_sizes_on_wrong_input() {
    let l = Layer::new(2, 3, Activation::Relu, Init::seeded(0));
    scope(|| l.forward(&[Value::new(1.0)]));
}

#[test]
#[should_panic(expected = "Neuron expects 2 inputs, got 3")]
fn neuron_names_both_sizes_on_wrong_input() {
    let n = Neuron::from_weights(&[1.0, 2.0], 0.0, Activation::Linear);
    scope(|| n.forward(&[Value::new(1.0), Value::new(1.0), Value::new(1.0)]));
}

#[test]
fn zero_grad_clears_every_parameter() {
    let m = Mlp::lecture(3, &[4, 4, 1], 1);
    scope(|| m.forward_f64(&[1.0, -1.0, 0.5])[0].backward());
    assert!(m.parameters().iter().any(|p| p.grad() != 0.0));
    m.zero_grad();
    assert!(m.parameters().iter().all(|p| p.grad() == 0.0));
}

#[test]
fn activation_names_round_trip() {
    for a in [
        Activation::Tanh,
        Activation::Relu,
        Activation::Sigmoid,
        Activation::Linear,
    ] {
        assert_eq!(a.to_string().parse::<Activation>(), Ok(a));
    }
}

#[test]
fn layer_forward_matches_each_neuron_for_every_activation() {
    // The layer applies its activations inside its one tape borrow; each
    // output must be bit-equal to the neuron's own forward (same sum, same
    // f64 function) and its gradients to the neuron's.
    for act in [
        Activation::Tanh,
        Activation::Relu,
        Activation::Sigmoid,
        Activation::Linear,
    ] {
        let layer = Layer::new(3, 6, act, Init::seeded(4).with_bias(BiasInit::Uniform));
        scope(|| {
            let x: Vec<Value> = [0.7, -0.4, 1.1].iter().map(|&v| Value::new(v)).collect();
            let ys = layer.forward(&x);
            for (y, n) in ys.iter().zip(layer.neurons()) {
                let alone = n.forward(&x);
                assert_eq!(y.data(), alone.data(), "{act}");
                assert_eq!(y.op(), alone.op(), "{act}");
                // Gradients accumulate: clear the inputs' before each.
                let grads = |out: Value| {
                    x.iter().for_each(|v| v.zero_grad());
                    out.backward();
                    x.iter().map(|v| v.grad()).collect::<Vec<f64>>()
                };
                let (g, g2) = (grads(*y), grads(alone));
                assert_eq!(g, g2, "{act}");
                if act != Activation::Linear {
                    assert!(g.iter().any(|&g| g != 0.0) || y.data() == 0.0, "{act}");
                }
            }
        });
    }
}

/// Gradients of `loss(layer outputs)` with respect to the inputs and the
/// parameters, after `junk` unrelated nodes recorded between the layer and
/// the loss.
fn layer_grads(
    layer: &Layer,
    x: &[f64],
    junk: usize,
    loss: impl Fn(&[Value]) -> Value,
) -> Vec<f64> {
    let params = layer.parameters();
    scope(|| {
        params.iter().for_each(|p| p.zero_grad());
        let xs: Vec<Value> = x.iter().map(|&v| Value::new(v)).collect();
        let ys = layer.forward(&xs);
        let mut j = Value::new(1.0);
        for _ in 0..junk {
            j *= 1.0;
        }
        loss(&ys).backward();
        xs.iter().chain(&params).map(|v| v.grad()).collect()
    })
}

#[test]
fn a_layer_backward_from_some_outputs_ignores_the_others() {
    // Rows of one layer are handled together in backward; rows the output
    // does not reach must pass nothing on, even holding gradients from an
    // earlier backward. Reference: each neuron on its own.
    for act in [Activation::Tanh, Activation::Relu, Activation::Linear] {
        let layer = Layer::new(3, 6, act, Init::seeded(2).with_bias(BiasInit::Uniform));
        let x = [0.4, -0.9, 1.3];
        let params = layer.parameters();
        scope(|| {
            let xs: Vec<Value> = x.iter().map(|&v| Value::new(v)).collect();
            let ys = layer.forward(&xs);
            (ys[0] + ys[5]).backward();
            xs.iter().chain(&params).for_each(|v| v.zero_grad());
            (ys[2] * 3.0).backward();
            let got: Vec<f64> = xs.iter().chain(&params).map(|v| v.grad()).collect();

            xs.iter().chain(&params).for_each(|v| v.zero_grad());
            (layer.neurons()[2].forward(&xs) * 3.0).backward();
            let want: Vec<f64> = xs.iter().chain(&params).map(|v| v.grad()).collect();
            assert_eq!(got, want, "{act}");
            assert!(
                got.iter().any(|&g| g != 0.0) || ys[2].data() == 0.0,
                "{act}"
            );
        });
    }
}

#[test]
fn a_layer_far_below_its_loss_gets_the_same_gradients() {
    // Thousands of unrelated nodes between a layer and its loss send the
    // backward sweep into its sparse phase, which handles neurons one by
    // one: the same rules in the same order, so the same bits.
    let layer = Layer::new(
        4,
        5,
        Activation::Tanh,
        Init::seeded(5).with_bias(BiasInit::Uniform),
    );
    let x = [0.3, -0.2, 0.8, -1.1];
    let loss = |ys: &[Value]| ys[4] * ys[1] + ys[0];
    let near = layer_grads(&layer, &x, 0, loss);
    let far = layer_grads(&layer, &x, 50_000, loss);
    assert_eq!(near, far);
    assert!(micrograd::last_backward_work() < 10_000);
    assert!(near.iter().filter(|&&g| g != 0.0).count() > 10);
}

#[test]
fn a_layer_input_reached_through_another_node_gets_both_shares() {
    // out = k * x + z, z a linear neuron over k = 3x, recorded between k
    // and k * x: the sweep adds `k * x`'s share to k, then the layer adds
    // its share in bulk, then handles k, whose adjoint must hold both.
    // d out / dx = 6x + 3w. With `gap` unrelated nodes before `out`, the
    // sweep handles the rest in its sparse phase.
    let layer = Layer::new(1, 1, Activation::Linear, Init::seeded(3));
    let w = layer.parameters()[0].data();
    for gap in [0, 1_000] {
        let x = 2.0;
        let gx = scope(|| {
            let xv = Value::new(x);
            let k = xv * 3.0;
            let z = layer.forward(&[k])[0];
            let product = k * xv;
            for _ in 0..gap {
                Value::new(0.0);
            }
            (product + z).backward();
            xv.grad()
        });
        assert_eq!(gx, 6.0 * x + 3.0 * w, "gap {gap}");
    }
}

#[test]
fn a_layer_made_over_freed_slots_gets_only_its_own_gradients() {
    // The layer is recorded in slots where freed nodes left gradients;
    // its first gradients must start from 0, and its unreached outputs
    // must show 0. loss = y_0 + y_2, y_j = tanh(w_j . x + b_j):
    // d/dw_jk = (1 - y_j^2) x_k and d/db_j = 1 - y_j^2 for j = 0, 2, and 0
    // for j = 1, 3. With `gap` unrelated nodes before the loss, the sweep
    // reaches the neurons in its sparse phase.
    let x = [0.5, -0.3, 0.8];
    for gap in [0, 1_000] {
        scope(|| {
            scope(|| {
                let vs: Vec<Value> = (0..500).map(|k| Value::new(f64::from(k))).collect();
                vs.iter().sum::<Value>().backward();
            });
            let init = Init::seeded(7).with_bias(BiasInit::Uniform);
            let layer = Layer::new(3, 4, Activation::Tanh, init);
            let xs: Vec<Value> = x.iter().map(|&v| Value::new(v)).collect();
            let ys = layer.forward(&xs);
            for _ in 0..gap {
                Value::new(0.0);
            }
            (ys[0] + ys[2]).backward();
            let params = layer.parameters();
            for (j, row) in params.chunks(4).enumerate() {
                let reached = j % 2 == 0;
                assert_eq!(ys[j].grad(), if reached { 1.0 } else { 0.0 }, "gap {gap}");
                let dz = if reached {
                    1.0 - ys[j].data() * ys[j].data()
                } else {
                    0.0
                };
                let want = [dz * x[0], dz * x[1], dz * x[2], dz];
                for (p, w) in row.iter().zip(want) {
                    assert!(
                        (p.grad() - w).abs() < 1e-15,
                        "gap {gap}: {} vs {w}",
                        p.grad()
                    );
                }
            }
        });
    }
}

/// Leaves holding `x`, consecutive on the tape or, if `scattered`, each
/// after an unrelated leaf, so that they are not a run.
fn leaves(x: &[f64], scattered: bool) -> Vec<Value> {
    x.iter()
        .map(|&v| {
            if scattered {
                Value::new(0.0);
            }
            Value::new(v)
        })
        .collect()
}

#[test]
fn a_fused_neuron_has_the_bits_of_a_weighted_sum_and_an_activation() {
    // Inputs that are not consecutive nodes take the two-node form; the
    // same inputs in a run take one `Neuron` node. Same sum, same
    // activation, same rules in the same order: the same bits.
    for act in [Activation::Tanh, Activation::Relu, Activation::Sigmoid] {
        let n = Neuron::from_weights(&[0.7, -1.3, 0.4], 0.2, act);
        let x = [0.9, 0.5, -0.35];
        let run = |scattered: bool| {
            scope(|| {
                n.parameters().iter().for_each(|p| p.zero_grad());
                let xs = leaves(&x, scattered);
                let y = n.forward(&xs);
                let op = y.op();
                (y * 2.0).backward();
                let grads: Vec<u64> = xs
                    .iter()
                    .chain(&n.parameters())
                    .map(|v| v.grad().to_bits())
                    .collect();
                (y.data().to_bits(), op, grads)
            })
        };
        let (fused, scattered) = (run(false), run(true));
        assert_eq!(fused.1, Op::Neuron(act));
        assert_eq!(scattered.1, scope(|| act.apply(Value::new(0.0)).op()));
        assert_eq!((fused.0, &fused.2), (scattered.0, &scattered.2), "{act}");
    }
}

#[test]
fn an_inactive_neuron_over_an_infinite_input_is_reported() {
    // relu(-inf) = 0: the neuron passes nothing back, and the infinite
    // input is non-finite data that `backward_checked` names.
    let n = Neuron::from_weights(&[1.0, 1.0], 0.0, Activation::Relu);
    scope(|| {
        let x = [Value::new(f64::NEG_INFINITY), Value::new(1.0)];
        let y = n.forward(&x);
        assert_eq!(y.data(), 0.0);
        let err = y.backward_checked().unwrap_err();
        assert_eq!((err.op, err.data), (Op::Leaf, f64::NEG_INFINITY));
    });
}

#[test]
fn a_network_on_scattered_inputs_gives_the_same_bits() {
    // Inputs that are not consecutive nodes send the first layer down the
    // two-node path; its outputs are consecutive again, so the layers
    // after it are one node per neuron. Same values and gradients, bit for bit.
    let mlp = Mlp::new(
        3,
        &[
            (4, Activation::Tanh),
            (3, Activation::Sigmoid),
            (2, Activation::Linear),
        ],
        Init::seeded(3).with_bias(BiasInit::Uniform),
    );
    let params = mlp.parameters();
    let x = [0.25, -0.6, 1.4];
    let run = |scattered: bool| {
        scope(|| {
            mlp.zero_grad();
            let xs = leaves(&x, scattered);
            let base = graph_len();
            let out = mlp.forward(&xs);
            let nodes = graph_len() - base;
            (out[0] * out[1]).backward();
            let bits: Vec<u64> = out
                .iter()
                .chain(&xs)
                .chain(&params)
                .flat_map(|v| [v.data().to_bits(), v.grad().to_bits()])
                .collect();
            (bits, nodes)
        })
    };
    let (fused, scattered) = (run(false), run(true));
    assert_eq!(fused.0, scattered.0);
    assert_eq!(fused.1, 4 + 3 + 2);
    assert_eq!(scattered.1, 2 * 4 + 3 + 2);
}

#[test]
fn a_layer_with_no_inputs_is_its_biases() {
    // Edge of the one-node-per-neuron form: rows of a bias alone.
    let mlp = Mlp::new(
        0,
        &[(2, Activation::Tanh)],
        Init::seeded(1).with_bias(BiasInit::Uniform),
    );
    let b: Vec<f64> = mlp.parameters().iter().map(|p| p.data()).collect();
    scope(|| {
        mlp.zero_grad();
        let y = mlp.forward_f64(&[]);
        assert_eq!(y[0].op(), Op::Neuron(Activation::Tanh));
        (y[0] + y[1]).backward();
        for (k, p) in mlp.parameters().iter().enumerate() {
            assert_eq!(y[k].data(), b[k].tanh());
            assert!((p.grad() - (1.0 - b[k].tanh().powi(2))).abs() < 1e-15);
        }
    });
}
