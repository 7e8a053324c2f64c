//! The `Value` workloads that more than one benchmark runs: criterion
//! times them (`value.rs`, `train.rs`) and `counts.rs` counts their
//! instructions, so both measure the same code.

use std::hint::black_box;

use micrograd::data::{Dataset, moons};
use micrograd::loss::{l2, max_margin};
use micrograd::nn::Mlp;
use micrograd::optim::{LrSchedule, Optimizer, Sgd};
use micrograd::{Value, scope};

/// The lecture's inputs: x1, x2, w1, w2, b.
pub const LECTURE: [f64; 5] = [2.0, 0.0, -3.0, 1.0, 6.881_373_587_019_543];

/// Gradients of o_5 with respect to (x1, x2, w1, w2, b), through `Value`,
/// where o_k = tanh(o_{k-1} w1 + x2 w2 + b) and o_0 = x1: 5 leaves and
/// 5 x 5 ops, 30 nodes.
pub fn expr30_value([x1, x2, w1, w2, b]: [f64; 5]) -> [f64; 5] {
    scope(|| {
        let leaves = [x1, x2, w1, w2, b].map(Value::new);
        let [x1, x2, w1, w2, b] = leaves;
        let mut o = x1;
        for _ in 0..5 {
            o = (o * w1 + x2 * w2 + b).tanh();
        }
        o.backward();
        leaves.map(Value::grad)
    })
}

/// Builds y_k = y_{k-1} w + x for `steps` steps (2 nodes each, after 3
/// leaves), with `backward` or without; returns dy/dy_0 or y.
pub fn mul_add_chain(steps: usize, backward: bool) -> f64 {
    scope(|| {
        let (w, x) = (Value::new(black_box(0.999)), Value::new(black_box(0.1)));
        let y0 = Value::new(black_box(0.5));
        let mut y = y0;
        for _ in 0..steps {
            y = y * w + x;
        }
        if backward {
            y.backward();
            y0.grad()
        } else {
            y.data()
        }
    })
}

/// The weight of the L2 term in micrograd's demo loss.
pub const ALPHA: f64 = 1e-4;

/// micrograd's demo: 100 moons points (noise 0.1, seed 0), `Mlp` 2 -> 16 ->
/// 16 -> 1 (relu, relu, linear) from seed 0, SGD at a constant rate.
pub struct Demo {
    pub data: Dataset,
    pub mlp: Mlp,
    pub params: Vec<Value>,
    /// The parameters' starting values.
    pub init: Vec<f64>,
    opt: Sgd,
}

impl Demo {
    pub fn new(lr: f64) -> Demo {
        let mlp = Mlp::demo(2, &[16, 16, 1], 0);
        let params = mlp.parameters();
        let init = params.iter().map(|p| p.data()).collect();
        let opt = Sgd::new(params.clone(), LrSchedule::Constant(lr));
        let data = moons(100, 0.1, 0);
        Demo {
            data,
            mlp,
            params,
            init,
            opt,
        }
    }

    /// One full-batch training step on `Value`s, always from the starting
    /// parameters (so every call measures the same step, not one deeper
    /// into training, where fewer margins are active): forward over every
    /// point (one node per neuron, or one node per op), max-margin loss plus
    /// `ALPHA * sum(p^2)`, backward, the SGD update. Returns the loss.
    pub fn step(&mut self, fused: bool) -> f64 {
        for (p, &v) in self.params.iter().zip(&self.init) {
            p.set_data(v);
        }
        scope(|| {
            let scores: Vec<Value> = self
                .data
                .xs
                .iter()
                .map(|x| {
                    if fused {
                        // What `examples/train.rs` does.
                        self.mlp.forward_f64(x)[0]
                    } else {
                        let x: Vec<Value> = x.iter().map(|&v| Value::new(v)).collect();
                        self.mlp.forward_unfused(&x)[0]
                    }
                })
                .collect();
            let loss = max_margin(&scores, &self.data.ys) + l2(&self.params, ALPHA);
            self.opt.zero_grad();
            loss.backward();
            self.opt.step();
            loss.data()
        })
    }
}
