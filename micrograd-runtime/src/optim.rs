//! Optimizers that update [`Value`] parameters in place from their
//! gradients: SGD and Adam, both driven by a learning-rate
//! [`LrSchedule`] (an `f64` converts to a constant one).
//!
//! An optimizer holds the parameter handles (cheap `Copy` indices), so it
//! is built once from `mlp.parameters()` outside any
//! [`scope`](crate::scope), and its `step` is called after each `backward`.

use crate::Value;
use crate::tape;

/// The common interface, so a training loop can pick one at run time.
///
/// Both implementations take the same [`LrSchedule`]s, indexed by the
/// number of steps taken, and [`lr`](Optimizer::lr) reports the rate the
/// next step will use.
pub trait Optimizer {
    /// Applies one update from the parameters' current gradients and
    /// advances the step counter.
    fn step(&mut self);

    /// Sets every parameter's gradient to 0.
    fn zero_grad(&self);

    /// The learning rate the next `step` will use.
    fn lr(&self) -> f64;
}

/// Learning rate as a function of the step number `k` (from 0).
///
/// Every schedule is defined for every `k`: one run past its length stays
/// at its final value (as PyTorch's `LinearLR` does after `total_iters`),
/// so its rate never turns negative or grows again, and a length of 0
/// divides by nothing.
///
/// An `f64` converts into [`LrSchedule::Constant`], so the optimizers'
/// constructors take either.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LrSchedule {
    /// The same rate every step.
    Constant(f64),
    /// micrograd's demo schedule scaled by `lr0`:
    /// `lr0 * (1 - 0.9 * min(k, steps) / steps)`, from `lr0` down to
    /// `0.1 * lr0`, reached at `k = steps` (just after the last of `steps`
    /// steps) and kept from then on. With `steps = 0` the decay is over
    /// before it starts: the rate is `0.1 * lr0` at every step.
    LinearDecay {
        /// Rate at step 0.
        lr0: f64,
        /// Length of the run the decay is spread over.
        steps: usize,
    },
}

impl LrSchedule {
    /// micrograd's exact schedule, `1.0 - 0.9 * k / steps`.
    ///
    /// ```
    /// use micrograd_runtime::optim::LrSchedule;
    /// let s = LrSchedule::micrograd(100);
    /// assert_eq!(s.at(0), 1.0);
    /// assert!((s.at(50) - 0.55).abs() < 1e-12);
    /// // Past its length it stays at its final rate, 0.1.
    /// assert!((s.at(200) - 0.1).abs() < 1e-12);
    /// ```
    pub fn micrograd(steps: usize) -> LrSchedule {
        LrSchedule::LinearDecay { lr0: 1.0, steps }
    }

    /// The rate at step `k`, for any `k`: past the schedule's length, its
    /// final rate.
    pub fn at(&self, k: usize) -> f64 {
        match *self {
            LrSchedule::Constant(lr) => lr,
            LrSchedule::LinearDecay { lr0, steps } => {
                // The fraction of the decay done, in [0, 1]: clamped, so a
                // longer run keeps the final rate instead of extrapolating
                // the line below 0; a length of 0 is a decay already done.
                let done = if k >= steps {
                    1.0
                } else {
                    k as f64 / steps as f64
                };
                lr0 * (1.0 - 0.9 * done)
            }
        }
    }
}

/// A constant rate: `Sgd::new(params, 0.1)` and `Adam::new(params, 0.1)`.
impl From<f64> for LrSchedule {
    fn from(lr: f64) -> LrSchedule {
        LrSchedule::Constant(lr)
    }
}

/// Plain gradient descent: `p -= lr_k * dL/dp`.
///
/// ```
/// use micrograd_runtime::{Value, optim::{LrSchedule, Optimizer, Sgd}};
/// let w = Value::new(1.0);
/// let mut opt = Sgd::new(vec![w], LrSchedule::Constant(0.1));
/// let loss = w * w; // dL/dw = 2w = 2
/// loss.backward();
/// opt.step();
/// assert!((w.data() - (1.0 - 0.1 * 2.0)).abs() < 1e-15);
/// ```
#[derive(Clone, Debug)]
pub struct Sgd {
    params: Vec<Value>,
    schedule: LrSchedule,
    k: usize,
}

impl Sgd {
    /// SGD over `params` with the given schedule (or an `f64`, a constant
    /// rate), starting at step 0.
    pub fn new(params: Vec<Value>, schedule: impl Into<LrSchedule>) -> Sgd {
        Sgd {
            params,
            schedule: schedule.into(),
            k: 0,
        }
    }

    /// Steps taken so far.
    pub fn steps_taken(&self) -> usize {
        self.k
    }
}

impl Optimizer for Sgd {
    fn step(&mut self) {
        let lr = self.lr();
        tape::with(|t| t.update_data(&self.params, |_, x, g| x - lr * g));
        self.k += 1;
    }

    fn zero_grad(&self) {
        tape::with(|t| t.zero_grads(&self.params));
    }

    fn lr(&self) -> f64 {
        self.schedule.at(self.k)
    }
}

/// Adam (Kingma and Ba, 2015) with bias-corrected moment estimates:
///
/// `m = b1 m + (1 - b1) g`, `v = b2 v + (1 - b2) g^2`,
/// `p -= lr_k * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)`,
///
/// where `t = k + 1` and the rate `lr_k` comes from an [`LrSchedule`] at
/// step `k` (from 0), as for [`Sgd`]; an `f64` is a constant rate.
///
/// ```
/// use micrograd_runtime::{Value, optim::{Adam, LrSchedule, Optimizer}};
/// let w = Value::new(1.0);
/// let mut opt = Adam::new(vec![w], 0.1);
/// (w * w).backward();
/// opt.step();
/// // The first bias-corrected step has size lr whatever the gradient's scale.
/// assert!((w.data() - 0.9).abs() < 1e-7);
///
/// // The same schedules as SGD: micrograd's decay over 100 steps.
/// let mut opt = Adam::new(vec![w], LrSchedule::micrograd(100));
/// assert_eq!(opt.lr(), 1.0);
/// ```
#[derive(Clone, Debug)]
pub struct Adam {
    params: Vec<Value>,
    schedule: LrSchedule,
    beta1: f64,
    beta2: f64,
    eps: f64,
    m: Vec<f64>,
    v: Vec<f64>,
    k: usize,
}

impl Adam {
    /// Adam with the given schedule (or an `f64`, a constant rate) and the
    /// paper's defaults `beta1 = 0.9`, `beta2 = 0.999`, `eps = 1e-8`.
    pub fn new(params: Vec<Value>, schedule: impl Into<LrSchedule>) -> Adam {
        Adam::with_hyper(params, schedule, 0.9, 0.999, 1e-8)
    }

    /// Adam with every hyperparameter given.
    pub fn with_hyper(
        params: Vec<Value>,
        schedule: impl Into<LrSchedule>,
        beta1: f64,
        beta2: f64,
        eps: f64,
    ) -> Adam {
        let n = params.len();
        Adam {
            params,
            schedule: schedule.into(),
            beta1,
            beta2,
            eps,
            m: vec![0.0; n],
            v: vec![0.0; n],
            k: 0,
        }
    }

    /// Steps taken so far.
    pub fn steps_taken(&self) -> usize {
        self.k
    }
}

impl Optimizer for Adam {
    fn step(&mut self) {
        let lr = self.lr();
        self.k += 1;
        // beta^t for t past i32::MAX is 0 to the last bit for any beta < 1.
        let t = i32::try_from(self.k).unwrap_or(i32::MAX);
        let c1 = 1.0 - self.beta1.powi(t);
        let c2 = 1.0 - self.beta2.powi(t);
        let (beta1, beta2, eps) = (self.beta1, self.beta2, self.eps);
        let (ms, vs) = (&mut self.m, &mut self.v);
        tape::with(|t| {
            t.update_data(&self.params, |k, x, g| {
                let (m, v) = (&mut ms[k], &mut vs[k]);
                *m = beta1 * *m + (1.0 - beta1) * g;
                *v = beta2 * *v + (1.0 - beta2) * g * g;
                x - lr * (*m / c1) / ((*v / c2).sqrt() + eps)
            });
        });
    }

    fn zero_grad(&self) {
        tape::with(|t| t.zero_grads(&self.params));
    }

    fn lr(&self) -> f64 {
        self.schedule.at(self.k)
    }
}
