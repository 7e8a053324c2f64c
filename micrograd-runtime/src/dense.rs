//! The fused neuron op on the tape: recording a layer's neurons as
//! `Dense` nodes (or, when their operands are not runs, as weighted sums
//! and activations) and the slice kernels both passes run on.
//!
//! This is engine code: it knows a neuron only as its parameters
//! ([`DenseNeuron`]) and a layer as its neurons ([`DenseLayer`]), which
//! `nn::Neuron` and `nn::Layer` implement, so nothing here depends on `nn`.
//! The op's rule is in `op.rs` (`Code::Dense`), its backward over a whole
//! layer in `backward.rs` (`Sweep::dense_rows`), on [`update_rows`].

use std::ops::Range;

use crate::op::{self, Activation, Code, Rec};
use crate::tape::{Tape, Value, tape_full};

/// A neuron as the tape needs it: its parameters and activation.
pub(crate) trait DenseNeuron {
    /// The weights, one per input.
    fn weights(&self) -> &[Value];
    /// The bias.
    fn bias(&self) -> Value;
    /// The activation.
    fn act(&self) -> Activation;
    /// Whether the weights and then the bias are one run of consecutive
    /// leaves (checked once, when the neuron was made: handles never change).
    fn is_run(&self) -> bool;
    /// The first parameter: the first weight, or the bias if there are none.
    fn first_parameter(&self) -> Value {
        self.weights().first().copied().unwrap_or(self.bias())
    }
}

/// A layer as the tape needs it: neurons sharing inputs and an activation.
pub(crate) trait DenseLayer {
    /// The neurons' type.
    type Neuron: DenseNeuron;
    /// The neurons.
    fn neurons(&self) -> &[Self::Neuron];
    /// Whether all the parameters, neuron after neuron, are one run of
    /// consecutive leaves.
    fn is_run(&self) -> bool;
}

impl Tape {
    /// Whether `vs` are consecutive live leaves with one epoch: a layer's
    /// or a neuron's parameters, as made here.
    pub(crate) fn is_leaf_run(&self, vs: &[Value]) -> bool {
        self.run_start(vs).is_some_and(|p| {
            self.recs[p..p + vs.len()]
                .iter()
                .all(|r| r.code == Code::Leaf)
        })
    }

    /// Records `neurons`, which share inputs `x` (`x_run` is what
    /// [`Tape::run_start`] says of them), passing each output to `emit`:
    /// as [`Tape::dense`] if it can, else as [`Tape::sums_then_activations`].
    pub(crate) fn record_neurons<N: DenseNeuron>(
        &mut self,
        neurons: &[N],
        run: bool,
        x: &[Value],
        x_run: Option<usize>,
        mut emit: impl FnMut(Value),
    ) {
        match x_run.and_then(|x0| self.dense(neurons, run, x0, x.len())) {
            Some(start) => (start..start + neurons.len()).for_each(|i| emit(self.handle(i))),
            None => self.sums_then_activations(neurons, x, x_run, emit),
        }
    }

    /// Records `neurons` (`run`: their parameters are one run of leaves,
    /// neuron after neuron) on the `nin` inputs starting at node `x0` as
    /// one `Dense` node each, if the inputs lie apart from the
    /// parameters; returns the first node's index, or `None` having
    /// recorded nothing. The nodes share four side entries.
    pub(crate) fn dense<N: DenseNeuron>(
        &mut self,
        neurons: &[N],
        run: bool,
        x0: usize,
        nin: usize,
    ) -> Option<usize> {
        let (first, last) = (neurons.first()?, neurons.last()?);
        if !run {
            return None;
        }
        // Every neuron has the caller's `nin` inputs, checked by it, and
        // the activation of the others (a layer has one).
        debug_assert!(
            neurons
                .iter()
                .all(|n| n.weights().len() == nin && n.act() == first.act())
        );
        // Liveness of the first and the last checks the whole run.
        self.index(last.bias());
        let p = self.index(first.first_parameter());
        let (nout, row) = (neurons.len(), nin + 1);
        if !(x0 + nin <= p || p + nout * row <= x0) {
            return None;
        }
        let start = self.len();
        u32::try_from(start + nout - 1).unwrap_or_else(|_| tape_full());
        let at = self.side_start();
        let act = first.act();
        self.side
            .extend([p as u32, x0 as u32, nin as u32, act as u32]);
        if self.recs.capacity() - self.recs.len() < nout {
            self.before_growth();
        }
        self.recs.extend((0..nout as u32).map(|j| Rec {
            a: at,
            b: j,
            code: Code::Dense,
        }));
        // Values are written in place: no per-node capacity or bounds checks.
        self.data.resize(start + nout, 0.0);
        let (old, new) = self.data.split_at_mut(start);
        let (params, xs) = (&old[p..p + nout * row], &old[x0..x0 + nin]);
        // One loop per activation, so that the `match` is not in it.
        match act {
            Activation::Tanh => fill(new, params, xs, |z| op::activate(Activation::Tanh, z)),
            Activation::Relu => fill(new, params, xs, |z| op::activate(Activation::Relu, z)),
            Activation::Sigmoid => fill(new, params, xs, |z| op::activate(Activation::Sigmoid, z)),
            Activation::Linear => fill(new, params, xs, |z| z),
        }
        Some(start)
    }

    /// Records each of `neurons` as a weighted sum node and an activation
    /// node: every sum first, then every activation, so that the outputs
    /// are still consecutive nodes. Sums and activations go through the
    /// same `f64` code as [`Tape::dense`]'s, so both forms agree to the bit.
    pub(crate) fn sums_then_activations<N: DenseNeuron>(
        &mut self,
        neurons: &[N],
        x: &[Value],
        x_run: Option<usize>,
        mut emit: impl FnMut(Value),
    ) {
        let nin = x.len();
        let sums: Vec<Value> = neurons
            .iter()
            .map(|n| {
                let w_run = (n.is_run() && nin > 0).then(|| self.known_run_start(n.weights()));
                self.weighted_sum(n.weights(), w_run, x, x_run, n.bias())
            })
            .collect();
        for (z, n) in sums.into_iter().zip(neurons) {
            // The sums were just pushed by this borrow, so they are live.
            emit(match n.act() {
                Activation::Tanh => self.push_unary_live(Code::Tanh, z.idx, 0),
                Activation::Relu => self.push_unary_live(Code::Relu, z.idx, 0),
                Activation::Sigmoid => self.push_unary_live(Code::Sigmoid, z.idx, 0),
                Activation::Linear => z,
            });
        }
    }
}

/// `ys[j] = act(w_j . x + b_j)` for the rows `w_j, b_j` of `params`.
#[inline(always)]
fn fill(ys: &mut [f64], params: &[f64], x: &[f64], act: impl Fn(f64) -> f64) {
    for (y, row) in ys.iter_mut().zip(params.chunks_exact(x.len() + 1)) {
        let (w, b) = row.split_at(x.len());
        *y = act(op::dot_runs(w, x) + b[0]);
    }
}

/// A layer's inputs while a network runs: a run of consecutive live
/// nodes (first, length), which is all a [`Tape::dense`] layer needs and
/// what it produces, or handles.
pub(crate) enum Inputs {
    Run(usize, usize),
    Handles(Vec<Value>),
}

impl Tape {
    /// Runs `layers` on `x`, in this one borrow: a network of `Dense`
    /// layers passes each layer's outputs on as a run, with no vector of
    /// handles, and only the last layer's become handles.
    pub(crate) fn forward_layers<L: DenseLayer>(
        &mut self,
        layers: &[L],
        mut x: Inputs,
    ) -> Vec<Value> {
        for layer in layers {
            if let Inputs::Run(x0, nin) = x {
                if let Some(start) = self.dense(layer.neurons(), layer.is_run(), x0, nin) {
                    x = Inputs::Run(start, layer.neurons().len());
                    continue;
                }
            }
            let x_handles = self.handles(x);
            let x_run = self.run_start(&x_handles);
            let mut out = Vec::with_capacity(layer.neurons().len());
            self.sums_then_activations(layer.neurons(), &x_handles, x_run, |v| out.push(v));
            x = match self.run_start(&out) {
                Some(start) => Inputs::Run(start, out.len()),
                None => Inputs::Handles(out),
            };
        }
        self.handles(x)
    }

    pub(crate) fn handles(&self, x: Inputs) -> Vec<Value> {
        match x {
            Inputs::Run(x0, n) => (x0..x0 + n).map(|i| self.handle(i)).collect(),
            Inputs::Handles(h) => h,
        }
    }
}

/// [`layer_update`] on the rows `params` of a layer's parameters and the
/// inputs `x..x + n`, which forward made disjoint, given the rows'
/// adjoints `gz`.
///
/// The parameters are leaves (the layer's own), so they are not marked as
/// reached: a leaf passes nothing on, and its gradient takes this call's
/// share directly. Added before or after another node reaches it and
/// stashes what it held, the total is the same. Skipping the marks skips
/// a pass over every parameter. The exception, parameters recorded since
/// the latest gradient write, whose slots must be zeroed first, are
/// marked by the caller ([`Sweep::reach_new_parameters`]).
#[inline(always)]
pub(crate) fn update_rows(
    grad: &mut [f64],
    data: &[f64],
    params: Range<usize>,
    x: usize,
    n: usize,
    gz: &[f64],
) {
    let (gp, gx) = disjoint_mut(grad, params.clone(), x..x + n);
    layer_update(gp, gx, &data[params], &data[x..x + n], gz);
}

/// Mutable views of the ranges `a` and `b` of `s`, which must not
/// overlap (a panic otherwise).
#[inline(always)]
pub(crate) fn disjoint_mut(
    s: &mut [f64],
    a: Range<usize>,
    b: Range<usize>,
) -> (&mut [f64], &mut [f64]) {
    if a.end <= b.start {
        let (lo, hi) = s.split_at_mut(b.start);
        (&mut lo[a], &mut hi[..b.len()])
    } else {
        let (lo, hi) = s.split_at_mut(a.start);
        (&mut hi[..a.len()], &mut lo[b])
    }
}

/// The backward rule of a layer's rows (neurons) given the adjoints `gz`
/// of their weighted sums: `gW += gz x^T`, `gb += gz`, `gx += W^T gz`,
/// where `gp` and `wp` hold the rows' weights and bias, row after row, and
/// `gx` and `xs` the inputs. Rows go from the last to the first, as the
/// sweep visits the nodes one by one, so the sums are the same bits; a
/// row whose adjoint is 0 adds nothing and is skipped. Out of line on
/// purpose: as a function's slice arguments the four are known not to
/// overlap, so the row loop is SIMD without the runtime overlap checks it
/// gets when inlined (`count-instructions.sh`: fewer instructions per row).
#[inline(never)]
fn layer_update(gp: &mut [f64], gx: &mut [f64], wp: &[f64], xs: &[f64], gz: &[f64]) {
    let row = xs.len() + 1;
    let rows = gp.chunks_exact_mut(row).zip(wp.chunks_exact(row)).zip(gz);
    for ((gp, wp), &g) in rows.rev() {
        if g != 0.0 {
            let (gw, gb) = gp.split_at_mut(xs.len());
            for (((gw, gx), w), x) in gw.iter_mut().zip(&mut *gx).zip(wp).zip(xs) {
                *gw += g * x;
                *gx += g * w;
            }
            gb[0] += g;
        }
    }
}
