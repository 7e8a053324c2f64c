//! Reverse-mode sweep: [`Value::backward`], its checked variant and
//! [`Value::topological_order`].
//!
//! Everything here is iterative (an explicit stack, then a loop over
//! indices), so a graph of any depth fits as long as its nodes fit in
//! memory. Work is proportional to the differentiated graph, never to the
//! whole tape: a loop that keeps building on an ever longer tape without
//! [`scope`](crate::scope) does not slow down.

use std::error::Error;
use std::fmt;

use crate::op::{self, Arity, Op};
use crate::tape::{self, Node, Tape};
use crate::value::Value;

/// A sweep over the index range `[min, out]` is used when the reachable
/// nodes fill at least `1 / DENSE` of it; sparser graphs sort their indices.
const DENSE: usize = 4;

impl Tape {
    /// Stamps every node reachable from `out` with a fresh stamp and lists
    /// them in `self.reach` (unordered). With `stash`, nonzero gradients of
    /// those nodes are moved to `self.stash` and zeroed, so the sweep
    /// computes this call's adjoints alone. Returns the smallest index.
    fn mark(&mut self, out: usize, stash_grads: bool) -> usize {
        self.stamp = match self.stamp.checked_add(1) {
            Some(s) => s,
            None => {
                // Once every 2^32 calls: old stamps could alias the new ones.
                self.nodes.iter_mut().for_each(|n| n.stamp = 0);
                1
            }
        };
        let s = self.stamp;
        let Tape {
            nodes,
            side,
            stack,
            reach,
            stash,
            ..
        } = self;
        stack.clear();
        reach.clear();
        stash.clear();

        fn visit(nodes: &mut [Node], stack: &mut Vec<u32>, s: u32, c: u32) {
            let n = &mut nodes[c as usize];
            if n.stamp != s {
                n.stamp = s;
                stack.push(c);
            }
        }

        let mut min = out as u32;
        nodes[out].stamp = s;
        stack.push(out as u32);
        while let Some(i) = stack.pop() {
            reach.push(i);
            min = min.min(i);
            let n = &mut nodes[i as usize];
            if stash_grads && n.grad != 0.0 {
                stash.push((i, n.grad));
                n.grad = 0.0;
            }
            let n = *n;
            match n.code.arity() {
                Arity::Leaf => {}
                Arity::Unary => visit(nodes, stack, s, n.a),
                Arity::Binary => {
                    visit(nodes, stack, s, n.a);
                    visit(nodes, stack, s, n.b);
                }
                Arity::Nary => {
                    let ops = &side[n.a as usize..][..2 * n.b as usize + 1];
                    for &c in ops {
                        visit(nodes, stack, s, c);
                    }
                }
            }
        }
        min as usize
    }

    /// `grad += d out / d node` for every node in `out`'s graph.
    pub(crate) fn backward(&mut self, out: usize) {
        let min = self.mark(out, true);
        let s = self.stamp;
        let Tape {
            nodes,
            side,
            reach,
            stash,
            last_work,
            ..
        } = self;
        nodes[out].grad = 1.0;
        let range = out - min + 1;
        if range <= DENSE * reach.len() {
            // Indices are a topological order: a decreasing sweep sees
            // every node after all the nodes that use it.
            for i in (min..=out).rev() {
                if nodes[i].stamp == s {
                    op::propagate(nodes, side, i);
                }
            }
            *last_work = reach.len() + range;
        } else {
            reach.sort_unstable();
            for &i in reach.iter().rev() {
                op::propagate(nodes, side, i as usize);
            }
            *last_work = 2 * reach.len();
        }
        for &(i, old) in stash.iter() {
            nodes[i as usize].grad += old;
        }
    }
}

/// Returned by [`Value::backward_checked`]: the node where a NaN or an
/// infinity first appeared, in its data or in its gradient.
///
/// ```
/// use micrograd_runtime::{Op, Value};
/// let x = Value::new(-1.0).with_label("x");
/// let y = x.ln().with_label("y");
/// let err = y.backward_checked().unwrap_err();
/// assert_eq!((err.op, err.label.as_deref()), (Op::Ln, Some("y")));
/// assert!(err.to_string().contains("`y`"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct NonFiniteError {
    /// Position of the node on the tape (its creation order).
    pub index: usize,
    /// The op that produced the node.
    pub op: Op,
    /// The node's label, if it has one.
    pub label: Option<String>,
    /// The node's forward value.
    pub data: f64,
    /// The node's gradient after the backward pass.
    pub grad: f64,
}

impl fmt::Display for NonFiniteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "non-finite value in backward: node #{} ({:?}",
            self.index, self.op
        )?;
        if let Some(label) = &self.label {
            write!(f, ", labelled `{label}`")?;
        }
        write!(f, ") has data {} and grad {}", self.data, self.grad)
    }
}

impl Error for NonFiniteError {}

impl Value {
    /// Backpropagates from this value: every value in its graph, leaves and
    /// intermediates alike, gets `d self / d value` **added** to its `grad`.
    ///
    /// Gradients accumulate, as in micrograd: a value used twice gets both
    /// contributions, and calling `backward` twice adds exactly twice (the
    /// adjoints of one call are computed apart from the gradients held
    /// before it, so intermediates are not counted again, unlike
    /// micrograd). Call [`zero_grad`](Value::zero_grad) on parameters
    /// between steps, or build each step inside [`scope`](crate::scope).
    ///
    /// Time is proportional to this value's graph, not to the tape, and no
    /// recursion is involved: a chain of ten million nodes is fine.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let a = Value::new(3.0);
    /// let b = a + a; // db/da = 2
    /// let c = b * b; // dc/db = 2b = 12, dc/da = 24
    /// c.backward();
    /// assert_eq!((a.grad(), b.grad()), (24.0, 12.0));
    /// c.backward();
    /// assert_eq!((a.grad(), b.grad()), (48.0, 24.0));
    /// ```
    pub fn backward(self) {
        tape::with(|t| {
            let out = t.index(self);
            t.backward(out);
        });
    }

    /// [`backward`](Value::backward), then reports where a NaN or infinity
    /// in this value's graph started, instead of wherever it surfaced: the
    /// first node in forward order whose data is not finite, or, if all
    /// data is finite, the first node the backward sweep gave a non-finite
    /// gradient (the highest index). The gradients are accumulated either way.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(4.0);
    /// assert!(x.sqrt().backward_checked().is_ok());
    /// let bad = (Value::new(-4.0).sqrt() * x).with_label("bad");
    /// // The sqrt node, created before `bad`, is the first non-finite one.
    /// assert_eq!(bad.backward_checked().unwrap_err().op, micrograd_runtime::Op::Sqrt);
    /// ```
    pub fn backward_checked(self) -> Result<(), NonFiniteError> {
        tape::with(|t| {
            let out = t.index(self);
            t.backward(out);
            // A non-finite value starts at its lowest index and spreads
            // forward; a non-finite gradient starts at its highest index
            // (the sweep runs backward) and spreads to lower ones.
            let reach = t.reach.iter().map(|&i| i as usize);
            let first = reach
                .clone()
                .filter(|&i| !t.nodes[i].data.is_finite())
                .min()
                .or_else(|| reach.filter(|&i| !t.nodes[i].grad.is_finite()).max());
            match first {
                None => Ok(()),
                Some(i) => {
                    let n = t.nodes[i];
                    Err(NonFiniteError {
                        index: i,
                        op: n.code.op(n.b),
                        label: t.label(i).map(str::to_owned),
                        data: n.data,
                        grad: n.grad,
                    })
                }
            }
        })
    }

    /// The values of this value's graph in creation order, which is a
    /// topological order: every value comes after its operands, and this
    /// value comes last. `backward` visits them in the reverse of this.
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(2.0).with_label("x");
    /// let y = (x * x).with_label("y").tanh().with_label("z");
    /// let order: Vec<String> = y.topological_order().iter().map(|v| v.label().unwrap()).collect();
    /// assert_eq!(order, ["x", "y", "z"]);
    /// ```
    pub fn topological_order(self) -> Vec<Value> {
        tape::with(|t| {
            let out = t.index(self);
            t.mark(out, false);
            let mut reach = std::mem::take(&mut t.reach);
            reach.sort_unstable();
            let order = reach.iter().map(|&i| t.handle(i as usize)).collect();
            t.reach = reach;
            order
        })
    }
}
