//! Neurons, layers and multi-layer perceptrons built from [`Value`]s.
//!
//! The two reference setups are presets: [`Mlp::lecture`] (tanh
//! everywhere, as in the lecture notebook) and [`Mlp::demo`] (relu hidden
//! layers and a linear output, as in micrograd's moons demo). Anything else
//! is [`Mlp::new`] with an [`Activation`] per layer.
//!
//! Parameters are ordinary leaf [`Value`]s that live outside any
//! [`scope`](crate::scope); create the network once, then run each training
//! step inside `scope` so the step's nodes are freed when it ends.
//!
//! `forward` records each neuron as one node, [`Op::Neuron`] (its weighted
//! sum and activation together), and backward handles a layer's neurons
//! together, as a matrix-vector product: that is what makes training fast.
//! `forward_unfused` records the same function one node per operation, the
//! graph the lecture notebook draws; both give the same values and
//! gradients to rounding. `predict` computes the same outputs in plain
//! `f64`, recording nothing, for when no gradient is wanted.
//!
//! `clone` copies a model: new leaves holding the same numbers, so that
//! training one copy leaves the other as it was. `share` is the other
//! choice, a second handle to the same parameters. The flat layout of
//! [`Mlp::parameters_f64`] moves parameter values in and out of a network
//! as one `f64` slice (to save them, or to send them to another thread);
//! [`Mlp::from_parameters_f64`] builds a network from given weights.
//!
//! With the `serde` feature, `Mlp::to_json` and `Mlp::from_json` save and
//! load a network, architecture included (`nn/save.rs`), and `MlpSpec` is
//! the same data for any serde format; errors are a `ModelError`.
//!
//! [`Op::Neuron`]: crate::Op::Neuron

use std::fmt;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::Value;
use crate::dense::{DenseLayer, DenseNeuron, Inputs};
use crate::op::{self, Code};
use crate::tape::{self, Tape};

pub use crate::op::Activation;

#[cfg(feature = "serde")]
mod save;
#[cfg(feature = "serde")]
pub use save::{MlpSpec, ModelError};

/// Building a graph node: `Activation` itself is part of the op table
/// (`op.rs`), which knows nothing of `Value`s.
impl Activation {
    /// Applies the nonlinearity as one graph node (none for `Linear`).
    ///
    /// ```
    /// use micrograd_runtime::{Value, nn::Activation};
    /// assert_eq!(Activation::Relu.apply(Value::new(-2.0)).data(), 0.0);
    /// assert_eq!(Activation::Linear.apply(Value::new(-2.0)).data(), -2.0);
    /// ```
    pub fn apply(self, z: Value) -> Value {
        match self {
            Activation::Tanh => z.tanh(),
            Activation::Relu => z.relu(),
            Activation::Sigmoid => z.sigmoid(),
            Activation::Linear => z,
        }
    }
}

/// How biases start. Weights always start uniform in (-1, 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BiasInit {
    /// 0, as micrograd's `nn.py` does.
    Zero,
    /// Uniform in (-1, 1), as the lecture's `Neuron` does.
    Uniform,
}

/// Where a network's initial parameters come from.
///
/// The generator is ChaCha8 seeded with `seed`: its stream is fixed by the
/// algorithm, so a seed gives the same network on every platform and
/// release. Draw order: layer by layer, neuron by neuron, the weights in
/// input order, then the bias (only when biases are drawn).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Init {
    /// Seed of the ChaCha8 generator.
    pub seed: u64,
    /// How biases start.
    pub bias: BiasInit,
}

impl Init {
    /// Seeded weights and zero biases (micrograd's convention).
    ///
    /// ```
    /// use micrograd_runtime::nn::{BiasInit, Init};
    /// assert_eq!(Init::seeded(3).bias, BiasInit::Zero);
    /// ```
    pub fn seeded(seed: u64) -> Init {
        Init {
            seed,
            bias: BiasInit::Zero,
        }
    }

    /// The same seed with another bias rule.
    ///
    /// ```
    /// use micrograd_runtime::nn::{BiasInit, Init};
    /// assert_eq!(Init::seeded(3).with_bias(BiasInit::Uniform).bias, BiasInit::Uniform);
    /// ```
    pub fn with_bias(self, bias: BiasInit) -> Init {
        Init { bias, ..self }
    }
}

/// One neuron: `act(w . x + b)`.
///
/// `clone` gives an independent neuron (see [`Mlp`]'s `Clone`);
/// [`Neuron::share`] one that shares this one's parameters.
pub struct Neuron {
    w: Vec<Value>,
    b: Value,
    act: Activation,
    /// Whether the weights and then the bias are one run of consecutive
    /// leaves, as they are when made here: then the forward pass records
    /// a `Dense` node without checking them again.
    run: bool,
}

impl Neuron {
    /// A neuron with `nin` inputs, initialized as `init` says.
    ///
    /// ```
    /// use micrograd_runtime::nn::{Activation, Init, Neuron};
    /// let n = Neuron::new(3, Activation::Tanh, Init::seeded(0));
    /// assert_eq!(n.parameters().len(), 4);
    /// assert!(n.weights().iter().all(|w| w.data().abs() < 1.0));
    /// ```
    pub fn new(nin: usize, act: Activation, init: Init) -> Neuron {
        Neuron::drawn(
            nin,
            act,
            init.bias,
            &mut ChaCha8Rng::seed_from_u64(init.seed),
        )
    }

    /// A neuron with the given weights and bias, for worked examples and
    /// tests where the numbers matter.
    ///
    /// ```
    /// use micrograd_runtime::{Value, nn::{Activation, Neuron}};
    /// let n = Neuron::from_weights(&[2.0, -1.0], 0.5, Activation::Linear);
    /// let x = [Value::new(1.0), Value::new(3.0)];
    /// assert_eq!(n.forward(&x).data(), 2.0 - 3.0 + 0.5);
    /// ```
    pub fn from_weights(w: &[f64], b: f64, act: Activation) -> Neuron {
        Neuron::with_parts(
            w.iter().map(|&w| Value::new(w)).collect(),
            Value::new(b),
            act,
        )
    }

    fn with_parts(w: Vec<Value>, b: Value, act: Activation) -> Neuron {
        let mut n = Neuron {
            w,
            b,
            act,
            run: false,
        };
        n.run = tape::with(|t| t.is_leaf_run(&n.parameters()));
        n
    }

    fn drawn(nin: usize, act: Activation, bias: BiasInit, rng: &mut ChaCha8Rng) -> Neuron {
        let w = (0..nin)
            .map(|_| Value::new(rng.random_range(-1.0..1.0)))
            .collect();
        let b = match bias {
            BiasInit::Zero => 0.0,
            BiasInit::Uniform => rng.random_range(-1.0..1.0),
        };
        Neuron::with_parts(w, Value::new(b), act)
    }

    /// `act(w . x + b)` as one fused graph node ([`Op::Neuron`]), whose
    /// backward rule handles all `2n + 1` operands at once. This is what
    /// makes training fast: one node instead of `2n + 1` for a neuron.
    /// Inputs that are not consecutive nodes on the tape (rare: values
    /// picked from here and there) take two nodes, a
    /// [`Value::weighted_sum`] and the activation, with the same result.
    ///
    /// [`Op::Neuron`]: crate::Op::Neuron
    ///
    /// # Panics
    /// If `x.len()` differs from the neuron's input count.
    ///
    /// ```
    /// use micrograd_runtime::{Value, nn::{Activation, Neuron}};
    /// let n = Neuron::from_weights(&[1.0, 1.0], -5.0, Activation::Relu);
    /// let y = n.forward(&[Value::new(1.0), Value::new(2.0)]);
    /// assert_eq!(y.data(), 0.0); // relu(1 + 2 - 5)
    /// ```
    pub fn forward(&self, x: &[Value]) -> Value {
        self.check_input(x.len());
        let mut y = None;
        tape::with(|t| {
            let x_run = t.run_start(x);
            let neurons = std::slice::from_ref(self);
            t.record_neurons(neurons, self.run, x, x_run, |v| y = Some(v));
        });
        y.expect("one neuron, one output")
    }

    /// The same function as [`Neuron::forward`] with one node per operation,
    /// in micrograd's order `((b + w0*x0) + w1*x1) + ...`: the graph the
    /// lecture notebook draws, and a reference for the fused rule.
    ///
    /// # Panics
    /// If `x.len()` differs from the neuron's input count.
    ///
    /// ```
    /// use micrograd_runtime::{Value, nn::{Activation, Neuron}};
    /// let n = Neuron::from_weights(&[2.0, -1.0], 0.5, Activation::Tanh);
    /// let x = [Value::new(1.0), Value::new(3.0)];
    /// assert!((n.forward_unfused(&x).data() - n.forward(&x).data()).abs() < 1e-15);
    /// ```
    pub fn forward_unfused(&self, x: &[Value]) -> Value {
        self.check_input(x.len());
        let z = self
            .w
            .iter()
            .zip(x)
            .fold(self.b, |acc, (&w, &x)| acc + w * x);
        self.act.apply(z)
    }

    fn check_input(&self, got: usize) {
        assert!(
            got == self.w.len(),
            "Neuron expects {} inputs, got {got}",
            self.w.len()
        );
    }

    /// Weights, then the bias (micrograd's order).
    pub fn parameters(&self) -> Vec<Value> {
        let mut p = self.w.clone();
        p.push(self.b);
        p
    }

    /// The weights, one per input.
    pub fn weights(&self) -> &[Value] {
        &self.w
    }

    /// The bias.
    pub fn bias(&self) -> Value {
        self.b
    }

    /// Number of inputs.
    pub fn nin(&self) -> usize {
        self.w.len()
    }

    /// The nonlinearity.
    pub fn activation(&self) -> Activation {
        self.act
    }

    /// A second handle to this neuron: the same parameters, not copies of
    /// them, so that a change made through either shows in both.
    ///
    /// ```
    /// use micrograd_runtime::nn::{Activation, Neuron};
    /// let n = Neuron::from_weights(&[1.0], 0.0, Activation::Linear);
    /// let m = n.share();
    /// n.weights()[0].set_data(5.0);
    /// assert_eq!(m.weights()[0].data(), 5.0);
    /// ```
    pub fn share(&self) -> Neuron {
        Neuron {
            w: self.w.clone(),
            b: self.b,
            act: self.act,
            run: self.run,
        }
    }

    /// A copy made of new leaves on `t`, pushed weights then bias.
    fn copied(&self, t: &mut Tape) -> Neuron {
        let w: Vec<Value> = self.w.iter().map(|&w| fresh_leaf(t, w)).collect();
        let b = fresh_leaf(t, self.b);
        let mut n = Neuron {
            w,
            b,
            act: self.act,
            run: false,
        };
        n.run = t.is_leaf_run(&n.parameters());
        n
    }
}

/// A new leaf holding `v`'s value (its gradient starts at 0).
fn fresh_leaf(t: &mut Tape, v: Value) -> Value {
    let x = t.data[t.index(v)];
    t.push(x, Code::Leaf, 0, 0)
}

/// An independent copy: new leaves with the same values and gradient 0,
/// as for [`Mlp`] (where what a clone made inside `scope` becomes is said).
///
/// ```
/// use micrograd_runtime::nn::{Activation, Neuron};
/// let n = Neuron::from_weights(&[1.0], 0.0, Activation::Linear);
/// let m = n.clone();
/// n.weights()[0].set_data(5.0);
/// assert_eq!(m.weights()[0].data(), 1.0);
/// ```
impl Clone for Neuron {
    fn clone(&self) -> Neuron {
        tape::with(|t| self.copied(t))
    }
}

/// `Neuron(3, tanh)`: shape and activation; weights are in `parameters()`.
impl fmt::Debug for Neuron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Neuron({}, {})", self.nin(), self.act)
    }
}

/// `nout` neurons that all see the same inputs and share an activation.
///
/// `clone` gives an independent layer (see [`Mlp`]'s `Clone`);
/// [`Layer::share`] one that shares this one's parameters.
pub struct Layer {
    neurons: Vec<Neuron>,
    nin: usize,
    /// Whether all the parameters, neuron after neuron, are one run of
    /// consecutive leaves, as they are when made here (see [`Neuron::run`]).
    run: bool,
}

impl Layer {
    /// A layer of `nout` neurons with `nin` inputs each. Each neuron draws
    /// from its own stream of one generator, so prefer building whole
    /// networks with [`Mlp::new`].
    ///
    /// ```
    /// use micrograd_runtime::nn::{Activation, Init, Layer};
    /// let l = Layer::new(2, 3, Activation::Relu, Init::seeded(0));
    /// assert_eq!((l.nin(), l.nout(), l.parameters().len()), (2, 3, 9));
    /// ```
    pub fn new(nin: usize, nout: usize, act: Activation, init: Init) -> Layer {
        Layer::drawn(
            nin,
            nout,
            act,
            init.bias,
            &mut ChaCha8Rng::seed_from_u64(init.seed),
        )
    }

    fn drawn(
        nin: usize,
        nout: usize,
        act: Activation,
        bias: BiasInit,
        rng: &mut ChaCha8Rng,
    ) -> Layer {
        let neurons: Vec<Neuron> = (0..nout)
            .map(|_| Neuron::drawn(nin, act, bias, rng))
            .collect();
        let params: Vec<Value> = neurons.iter().flat_map(Neuron::parameters).collect();
        let run = tape::with(|t| t.is_leaf_run(&params));
        Layer { neurons, nin, run }
    }

    /// Every neuron's output, fused form.
    ///
    /// # Panics
    /// If `x.len()` differs from the layer's input count.
    ///
    /// ```
    /// use micrograd_runtime::{Value, nn::{Activation, Init, Layer}};
    /// let l = Layer::new(2, 3, Activation::Tanh, Init::seeded(0));
    /// let x = [Value::new(0.5), Value::new(-1.0)];
    /// let y = l.forward(&x);
    /// for (y, n) in y.iter().zip(l.neurons()) {
    ///     assert_eq!(y.data(), n.forward(&x).data());
    /// }
    /// ```
    pub fn forward(&self, x: &[Value]) -> Vec<Value> {
        self.check_input(x.len());
        let mut out = Vec::with_capacity(self.nout());
        tape::with(|t| {
            // The inputs are the same for every neuron: check them once.
            let x_run = t.run_start(x);
            t.record_neurons(&self.neurons, self.run, x, x_run, |v| out.push(v));
        });
        out
    }

    /// Every neuron's output, one node per operation.
    ///
    /// # Panics
    /// If `x.len()` differs from the layer's input count.
    pub fn forward_unfused(&self, x: &[Value]) -> Vec<Value> {
        self.check_input(x.len());
        self.neurons.iter().map(|n| n.forward_unfused(x)).collect()
    }

    fn check_input(&self, got: usize) {
        assert!(
            got == self.nin,
            "Layer {} -> {} expects {} inputs, got {got}",
            self.nin,
            self.nout(),
            self.nin
        );
    }

    /// All neurons' parameters, neuron by neuron.
    pub fn parameters(&self) -> Vec<Value> {
        self.neurons.iter().flat_map(Neuron::parameters).collect()
    }

    /// The neurons.
    pub fn neurons(&self) -> &[Neuron] {
        &self.neurons
    }

    /// Inputs per neuron.
    pub fn nin(&self) -> usize {
        self.nin
    }

    /// Number of neurons.
    pub fn nout(&self) -> usize {
        self.neurons.len()
    }

    /// The layer's activation (`Linear` for an empty layer).
    pub fn activation(&self) -> Activation {
        self.neurons
            .first()
            .map_or(Activation::Linear, Neuron::activation)
    }

    /// A second handle to this layer: the same parameters, not copies of
    /// them (see [`Neuron::share`]).
    pub fn share(&self) -> Layer {
        Layer {
            neurons: self.neurons.iter().map(Neuron::share).collect(),
            nin: self.nin,
            run: self.run,
        }
    }

    /// A copy made of new leaves on `t`, neuron after neuron.
    fn copied(&self, t: &mut Tape) -> Layer {
        let neurons: Vec<Neuron> = self.neurons.iter().map(|n| n.copied(t)).collect();
        let params: Vec<Value> = neurons.iter().flat_map(Neuron::parameters).collect();
        let run = t.is_leaf_run(&params);
        Layer {
            neurons,
            nin: self.nin,
            run,
        }
    }

    /// The outputs of the layer on `x` in plain `f64`, recording nothing:
    /// per neuron `act(w . x + b)` through the `f64` functions the fused
    /// kernel (`Tape::dense`) runs, so the bits are those of `forward`.
    fn predict_on(&self, t: &Tape, x: &[f64]) -> Vec<f64> {
        let act = self.activation();
        let row = self.nin + 1;
        let neuron = |w: &[f64], b: f64| op::activate(act, op::dot_runs(w, x) + b);
        match (self.run, self.neurons.first(), self.neurons.last()) {
            (true, Some(first), Some(last)) => {
                // Liveness of the first and the last checks the whole run.
                t.index(last.b);
                let p = t.index(first.first_parameter());
                t.data[p..p + self.nout() * row]
                    .chunks_exact(row)
                    .map(|r| neuron(&r[..self.nin], r[self.nin]))
                    .collect()
            }
            _ => {
                let mut w = Vec::with_capacity(self.nin);
                self.neurons
                    .iter()
                    .map(|n| {
                        w.clear();
                        w.extend(n.w.iter().map(|&v| t.data[t.index(v)]));
                        neuron(&w, t.data[t.index(n.b)])
                    })
                    .collect()
            }
        }
    }
}

/// An independent copy: new leaves with the same values and gradient 0,
/// as for [`Mlp`] (where what a clone made inside `scope` becomes is said).
impl Clone for Layer {
    fn clone(&self) -> Layer {
        tape::with(|t| self.copied(t))
    }
}

/// `Layer(2 -> 16, relu)`.
impl fmt::Debug for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Layer({} -> {}, {})",
            self.nin,
            self.nout(),
            self.activation()
        )
    }
}

/// What the tape needs of a neuron to record it as one node.
impl DenseNeuron for Neuron {
    fn weights(&self) -> &[Value] {
        &self.w
    }
    fn bias(&self) -> Value {
        self.b
    }
    fn act(&self) -> Activation {
        self.act
    }
    fn is_run(&self) -> bool {
        self.run
    }
}

/// What the tape needs of a layer to record its neurons together.
impl DenseLayer for Layer {
    type Neuron = Neuron;
    fn neurons(&self) -> &[Neuron] {
        &self.neurons
    }
    fn is_run(&self) -> bool {
        self.run
    }
}

/// A multi-layer perceptron: layers applied in sequence.
///
/// ```
/// use micrograd_runtime::{scope, nn::Mlp};
/// let mlp = Mlp::demo(2, &[16, 16, 1], 0);
/// assert_eq!(mlp.to_string(), "Mlp 2 -> 16 relu -> 16 relu -> 1 linear (337 parameters)");
/// let score = scope(|| mlp.forward_f64(&[0.5, -0.5])[0].data());
/// assert!(score.is_finite());
/// assert_eq!(mlp.predict(&[0.5, -0.5])[0], score); // the same, with no graph
/// ```
///
/// # Clone and share
///
/// `clone` (of an `Mlp`, a [`Layer`] or a [`Neuron`]) makes an independent
/// copy: new leaf parameters holding the same values, with gradient 0.
/// Training or changing one copy leaves the other as it was. For two
/// handles to the same parameters (the original's `Value`s, say to give
/// an optimizer a view of a model), use [`Mlp::share`] instead.
///
/// ```
/// use micrograd_runtime::nn::Mlp;
/// let a = Mlp::demo(2, &[4, 1], 0);
/// let (b, c) = (a.clone(), a.share());
/// a.parameters()[0].set_data(5.0);
/// assert_ne!(b.parameters()[0].data(), 5.0); // a copy
/// assert_eq!(c.parameters()[0].data(), 5.0); // the same parameters
/// ```
///
/// The copy's leaves are made where the clone is called, like any
/// `Value::new`: a clone made inside [`scope`](crate::scope) is freed when
/// that scope closes, together with the rest of the scope's nodes, and
/// using it afterwards panics (as using any freed value does); the
/// original is unaffected. To keep a copy past a scope, clone outside it,
/// or copy the values out with [`Mlp::parameters_f64`] and into a network
/// made outside with [`Mlp::set_parameters_f64`].
///
/// ```should_panic
/// use micrograd_runtime::{scope, nn::Mlp};
/// let a = Mlp::demo(2, &[4, 1], 0);
/// let b = scope(|| a.clone());
/// b.parameters()[0].data(); // panics: b's parameters were freed with the scope
/// ```
///
/// # Threads
///
/// Parameters are [`Value`]s, handles into this thread's tape (the tape is
/// thread-local: see [`Value`]), so an `Mlp` cannot move to another thread:
/// the compiler rejects it with "`*const ()` cannot be sent between
/// threads safely".
///
/// ```compile_fail
/// use micrograd_runtime::nn::Mlp;
/// let mlp = Mlp::demo(2, &[4, 1], 0);
/// std::thread::spawn(move || mlp.predict(&[0.5, -0.5]));
/// ```
///
/// Send the parameter values instead, as one `Vec<f64>`
/// ([`Mlp::parameters_f64`]), and rebuild the network on the other thread:
/// the same shape, then [`Mlp::set_parameters_f64`].
///
/// ```
/// use micrograd_runtime::nn::Mlp;
/// let mlp = Mlp::demo(2, &[4, 1], 0);
/// let values = mlp.parameters_f64();
/// let y = std::thread::spawn(move || {
///     let copy = Mlp::demo(2, &[4, 1], 1); // any seed: the values are replaced
///     copy.set_parameters_f64(&values);
///     copy.predict(&[0.5, -0.5])[0]
/// })
/// .join()
/// .unwrap();
/// assert_eq!(y, mlp.predict(&[0.5, -0.5])[0]);
/// ```
pub struct Mlp {
    layers: Vec<Layer>,
    nin: usize,
}

impl Mlp {
    /// `nin` inputs, then one layer per `(size, activation)`, initialized
    /// from one ChaCha8 stream as `init` says.
    ///
    /// ```
    /// use micrograd_runtime::nn::{Activation::*, Init, Mlp};
    /// let mlp = Mlp::new(3, &[(4, Tanh), (4, Tanh), (1, Tanh)], Init::seeded(0));
    /// assert_eq!(mlp.num_parameters(), 41); // 4*(3+1) + 4*(4+1) + 1*(4+1)
    /// ```
    pub fn new(nin: usize, layers: &[(usize, Activation)], init: Init) -> Mlp {
        let mut rng = ChaCha8Rng::seed_from_u64(init.seed);
        let mut fan_in = nin;
        let layers = layers
            .iter()
            .map(|&(nout, act)| {
                let layer = Layer::drawn(fan_in, nout, act, init.bias, &mut rng);
                fan_in = nout;
                layer
            })
            .collect();
        Mlp { layers, nin }
    }

    /// The lecture's network: tanh after every layer, weights and biases
    /// uniform in (-1, 1) as in the lecture's `Neuron`.
    ///
    /// ```
    /// use micrograd_runtime::nn::Mlp;
    /// let mlp = Mlp::lecture(3, &[4, 4, 1], 0);
    /// assert_eq!(mlp.to_string(), "Mlp 3 -> 4 tanh -> 4 tanh -> 1 tanh (41 parameters)");
    /// ```
    pub fn lecture(nin: usize, sizes: &[usize], seed: u64) -> Mlp {
        let layers: Vec<_> = sizes.iter().map(|&n| (n, Activation::Tanh)).collect();
        Mlp::new(
            nin,
            &layers,
            Init::seeded(seed).with_bias(BiasInit::Uniform),
        )
    }

    /// micrograd's demo network: relu after every hidden layer, a linear
    /// output layer, biases 0.
    ///
    /// ```
    /// use micrograd_runtime::nn::Mlp;
    /// assert_eq!(Mlp::demo(2, &[16, 16, 1], 0).num_parameters(), 337);
    /// ```
    pub fn demo(nin: usize, sizes: &[usize], seed: u64) -> Mlp {
        let last = sizes.len().saturating_sub(1);
        let layers: Vec<_> = sizes
            .iter()
            .enumerate()
            .map(|(i, &n)| {
                let act = if i == last {
                    Activation::Linear
                } else {
                    Activation::Relu
                };
                (n, act)
            })
            .collect();
        Mlp::new(nin, &layers, Init::seeded(seed))
    }

    /// A network of the shape [`Mlp::new`] takes, holding the given
    /// parameters in the flat layout of [`Mlp::parameters_f64`]: a model
    /// from given weights. Its parameters are consecutive leaves, like
    /// `Mlp::new`'s, so it trains as fast.
    ///
    /// # Panics
    /// If `p.len()` differs from the number of parameters the shape has;
    /// the message names both lengths.
    ///
    /// ```
    /// use micrograd_runtime::nn::{Activation, Mlp};
    /// // 2 -> 1 linear: y = 3 x0 - x1 + 0.5
    /// let mlp = Mlp::from_parameters_f64(2, &[(1, Activation::Linear)], &[3.0, -1.0, 0.5]);
    /// assert_eq!(mlp.predict(&[1.0, 2.0]), [1.5]);
    /// ```
    pub fn from_parameters_f64(nin: usize, layers: &[(usize, Activation)], p: &[f64]) -> Mlp {
        // Drawing the discarded initial values costs one pass of a fast
        // generator; it keeps one constructor that lays leaves out in runs.
        let mlp = Mlp::new(nin, layers, Init::seeded(0));
        mlp.set_parameters_f64(p);
        mlp
    }

    /// The outputs of the last layer, fused form: one node per neuron.
    ///
    /// # Panics
    /// If `x.len()` differs from the network's input count.
    pub fn forward(&self, x: &[Value]) -> Vec<Value> {
        self.check_input(x.len());
        tape::with(|t| {
            let x = match t.run_start(x) {
                Some(x0) => Inputs::Run(x0, x.len()),
                None => Inputs::Handles(x.to_vec()),
            };
            t.forward_layers(&self.layers, x)
        })
    }

    /// The outputs of the last layer, one node per operation.
    ///
    /// # Panics
    /// If `x.len()` differs from the network's input count.
    pub fn forward_unfused(&self, x: &[Value]) -> Vec<Value> {
        self.check_input(x.len());
        let mut h = x.to_vec();
        for layer in &self.layers {
            h = layer.forward_unfused(&h);
        }
        h
    }

    /// [`Mlp::forward`] on plain numbers, which become constants ([`Op::Const`](crate::Op::Const)).
    ///
    /// # Panics
    /// If `x.len()` differs from the network's input count.
    ///
    /// ```
    /// use micrograd_runtime::{scope, nn::Mlp};
    /// let mlp = Mlp::lecture(3, &[4, 4, 1], 0);
    /// let y = scope(|| mlp.forward_f64(&[2.0, 3.0, -1.0])[0].data());
    /// assert!(y.abs() < 1.0); // tanh output
    /// ```
    pub fn forward_f64(&self, x: &[f64]) -> Vec<Value> {
        self.check_input(x.len());
        tape::with(|t| {
            let x0 = t.len();
            for &v in x {
                t.push(v, Code::Const, 0, 0);
            }
            t.forward_layers(&self.layers, Inputs::Run(x0, x.len()))
        })
    }

    /// The outputs of the last layer in plain `f64`, recording nothing on
    /// the tape: for predictions once training is done (no gradient, no
    /// `scope` needed). It runs the `f64` functions the fused kernels run
    /// (the activation and the dot product), so its outputs are the same
    /// bits as `forward_f64(x)`'s `data()`.
    ///
    /// # Panics
    /// If `x.len()` differs from the network's input count, or a
    /// parameter was freed (a network made inside a closed `scope`).
    ///
    /// ```
    /// use micrograd_runtime::{graph_len, scope, nn::Mlp};
    /// let mlp = Mlp::lecture(3, &[4, 4, 1], 0);
    /// let before = graph_len();
    /// let y = mlp.predict(&[2.0, 3.0, -1.0]);
    /// assert_eq!(graph_len(), before); // nothing recorded
    /// assert_eq!(y[0], scope(|| mlp.forward_f64(&[2.0, 3.0, -1.0])[0].data()));
    /// ```
    pub fn predict(&self, x: &[f64]) -> Vec<f64> {
        self.check_input(x.len());
        tape::with(|t| {
            let mut h = x.to_vec();
            for layer in &self.layers {
                h = layer.predict_on(t, &h);
            }
            h
        })
    }

    fn check_input(&self, got: usize) {
        assert!(
            got == self.nin,
            "{} expects {} inputs, got {got}",
            self.shape(),
            self.nin
        );
    }

    /// Every parameter: layer by layer, neuron by neuron, weights then bias.
    pub fn parameters(&self) -> Vec<Value> {
        self.layers.iter().flat_map(Layer::parameters).collect()
    }

    /// The parameters' values in one vector, in [`Mlp::parameters`] order:
    /// layer by layer, neuron by neuron, each neuron's weights in input
    /// order and then its bias. This flat layout is the one rule for
    /// moving a network's values in and out as numbers
    /// ([`Mlp::set_parameters_f64`] reads it back).
    ///
    /// ```
    /// use micrograd_runtime::nn::{Activation, Init, Mlp};
    /// // 1 -> 2 -> 1: [w00, b0, w10, b1], then [w0, w1, b]
    /// let mlp = Mlp::new(1, &[(2, Activation::Tanh), (1, Activation::Linear)], Init::seeded(0));
    /// let p = mlp.parameters_f64();
    /// assert_eq!(p.len(), 7);
    /// assert_eq!(p[1], 0.0); // the first neuron's bias (zero init)
    /// assert_eq!(p[2], mlp.layers()[0].neurons()[1].weights()[0].data());
    /// ```
    pub fn parameters_f64(&self) -> Vec<f64> {
        let mut p = Vec::with_capacity(self.num_parameters());
        tape::with(|t| {
            for n in self.layers.iter().flat_map(Layer::neurons) {
                p.extend(n.w.iter().map(|&w| t.data[t.index(w)]));
                p.push(t.data[t.index(n.b)]);
            }
        });
        p
    }

    /// Sets every parameter's value from `p`, laid out as
    /// [`Mlp::parameters_f64`] returns them. Gradients are left as they
    /// are.
    ///
    /// # Panics
    /// If `p.len()` differs from the number of parameters; the message
    /// names both lengths.
    ///
    /// ```
    /// use micrograd_runtime::nn::Mlp;
    /// let (a, b) = (Mlp::demo(2, &[4, 1], 0), Mlp::demo(2, &[4, 1], 1));
    /// b.set_parameters_f64(&a.parameters_f64());
    /// assert_eq!(b.parameters_f64(), a.parameters_f64());
    /// ```
    pub fn set_parameters_f64(&self, p: &[f64]) {
        let want = self.num_parameters();
        assert!(
            p.len() == want,
            "{} has {want} parameters, got a slice of {}",
            self.shape(),
            p.len()
        );
        tape::with(|t| {
            let mut p = p.iter().copied();
            for n in self.layers.iter().flat_map(Layer::neurons) {
                for v in n.w.iter().chain(std::iter::once(&n.b)) {
                    let i = t.index(*v);
                    t.data[i] = p.next().expect("length checked above");
                }
            }
        });
    }

    /// A second handle to this network: the same parameters, not copies
    /// of them, so that training either trains both (see "Clone and
    /// share" above).
    pub fn share(&self) -> Mlp {
        Mlp {
            layers: self.layers.iter().map(Layer::share).collect(),
            nin: self.nin,
        }
    }

    /// `parameters().len()` without building the vector.
    pub fn num_parameters(&self) -> usize {
        self.layers.iter().map(|l| l.nout() * (l.nin() + 1)).sum()
    }

    /// Sets every parameter's gradient to 0; call before each `backward`,
    /// since gradients accumulate.
    pub fn zero_grad(&self) {
        tape::with(|t| {
            for layer in &self.layers {
                for n in &layer.neurons {
                    t.zero_grads(&n.w);
                    t.zero_grads(std::slice::from_ref(&n.b));
                }
            }
        });
    }

    /// The layers, input side first.
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }

    /// Number of inputs.
    pub fn nin(&self) -> usize {
        self.nin
    }

    /// Number of outputs.
    pub fn nout(&self) -> usize {
        self.layers.last().map_or(self.nin, Layer::nout)
    }

    /// `Mlp 2 -> 16 relu -> 16 relu -> 1 linear`.
    fn shape(&self) -> String {
        let mut s = format!("Mlp {}", self.nin);
        for l in &self.layers {
            s.push_str(&format!(" -> {} {}", l.nout(), l.activation()));
        }
        s
    }
}

/// An independent copy: new leaves with the same values and gradient 0
/// (see "Clone and share" in [`Mlp`]'s docs).
impl Clone for Mlp {
    fn clone(&self) -> Mlp {
        tape::with(|t| Mlp {
            layers: self.layers.iter().map(|l| l.copied(t)).collect(),
            nin: self.nin,
        })
    }
}

/// `Mlp 2 -> 16 relu -> 16 relu -> 1 linear (337 parameters)`.
impl fmt::Display for Mlp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({} parameters)", self.shape(), self.num_parameters())
    }
}

/// `Mlp [Layer(2 -> 16, relu), ...]`: structure only, since 337 parameter
/// values would drown it.
impl fmt::Debug for Mlp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Mlp ")?;
        f.debug_list().entries(&self.layers).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::Code;

    #[test]
    fn every_neuron_of_a_network_is_one_dense_node() {
        // Consecutive input leaves, and each layer's outputs consecutive:
        // every neuron, the linear output's included, is one node.
        let mlp = Mlp::demo(2, &[4, 3, 1], 0);
        tape::scope(|| {
            let out = mlp.forward_f64(&[0.5, -0.25])[0];
            let codes = tape::with(|t| {
                let i = t.index(out);
                t.recs[..=i].iter().map(|r| r.code).collect::<Vec<_>>()
            });
            let dense = codes.iter().filter(|&&c| c == Code::Dense).count();
            assert_eq!(dense, 4 + 3 + 1);
            assert!(
                codes
                    .iter()
                    .all(|&c| matches!(c, Code::Dense | Code::Leaf | Code::Const))
            );
        });
    }

    #[test]
    fn activations_round_trip_through_their_index() {
        for act in [
            Activation::Tanh,
            Activation::Relu,
            Activation::Sigmoid,
            Activation::Linear,
        ] {
            assert_eq!(Activation::from_index(act as u32), act);
        }
    }
}
