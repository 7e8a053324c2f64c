//! Reverse-mode sweep: [`Value::backward`], its checked variant and
//! [`Value::topological_order`].
//!
//! Everything here is iterative (an explicit stack, then a loop over
//! indices), so a graph of any depth fits as long as its nodes fit in
//! memory. Work is proportional to the differentiated graph, never to the
//! whole tape: a loop that keeps building on an ever longer tape without
//! [`scope`](crate::scope) does not slow down.

use std::collections::BinaryHeap;
use std::error::Error;
use std::fmt;

use crate::op::{self, Op, for_each_operand};
use crate::tape::{self, Node, Tape};
use crate::value::Value;

/// The decreasing sweep gives up on index order, and switches to a heap of
/// the pending indices, once it has skipped more than `DENSE` unreached
/// slots per node it processed (plus `SLACK`): work stays within a constant
/// factor of the graph's size however far apart its nodes are on the tape.
const DENSE: usize = 4;
const SLACK: usize = 64;

/// Per-call state of one `backward`: the stamp that marks reached nodes,
/// the gradients they held before the call, and the count of reached
/// nodes not processed yet.
struct Marker<'t> {
    stamp: u32,
    stamps: &'t mut [u32],
    stash: &'t mut Vec<(u32, f64)>,
    pending: usize,
    /// In the sparse phase, where newly reached nodes wait to be processed.
    heap: Option<BinaryHeap<u32>>,
}

impl Marker<'_> {
    /// Marks node `c` as reached and counts it as pending. A gradient it
    /// held from earlier calls moves to the stash, so that this call's
    /// adjoint accumulates from zero.
    #[inline(always)]
    fn first_sight(&mut self, nodes: &mut [Node], c: u32) {
        self.stamps[c as usize] = self.stamp;
        self.pending += 1;
        let n = &mut nodes[c as usize];
        if n.grad != 0.0 || self.heap.is_some() {
            self.rare(n, c);
        }
    }

    /// The rare parts of [`Marker::first_sight`], out of line to keep the
    /// operand loops small: a gradient left from an earlier call, and the
    /// sparse phase's heap.
    #[cold]
    #[inline(never)]
    fn rare(&mut self, n: &mut Node, c: u32) {
        if n.grad != 0.0 {
            self.stash.push((c, n.grad));
            n.grad = 0.0;
        }
        if let Some(heap) = &mut self.heap {
            heap.push(c);
        }
    }
}

impl op::Reach for Marker<'_> {
    #[inline(always)]
    fn one(&mut self, nodes: &mut [Node], c: u32) {
        if self.stamps[c as usize] != self.stamp {
            self.first_sight(nodes, c);
        }
    }

    #[inline(always)]
    fn run(&mut self, nodes: &mut [Node], start: usize, n: usize) {
        let stamps = &self.stamps[start..start + n];
        // No early exit, so the check vectorizes.
        if stamps.iter().fold(true, |all, &s| all & (s == self.stamp)) {
            return;
        }
        for c in start..start + n {
            self.one(nodes, c as u32);
        }
    }
}

impl Tape {
    /// A stamp no node carries yet, with a stamp slot for every node.
    fn fresh_stamp(&mut self) -> u32 {
        // Nodes recorded since the last walk: 0 is no call's stamp.
        self.stamps.resize(self.nodes.len(), 0);
        self.stamp = match self.stamp.checked_add(1) {
            Some(s) => s,
            None => {
                // Once every 2^32 calls: old stamps could alias the new ones.
                self.stamps.fill(0);
                1
            }
        };
        self.stamp
    }

    /// The indices of `out`'s graph in increasing (topological) order, by
    /// an explicit-stack walk.
    pub(crate) fn collect(&mut self, out: usize) -> Vec<u32> {
        let s = self.fresh_stamp();
        let Tape {
            nodes,
            stamps,
            side,
            stack,
            ..
        } = self;
        let mut reach = Vec::new();
        stack.clear();
        stamps[out] = s;
        stack.push(out as u32);
        while let Some(i) = stack.pop() {
            reach.push(i);
            for_each_operand(&nodes[i as usize], side, |c| {
                if stamps[c as usize] != s {
                    stamps[c as usize] = s;
                    stack.push(c);
                }
            });
        }
        reach.sort_unstable();
        reach
    }

    /// `grad += d out / d node` for every node in `out`'s graph.
    ///
    /// One pass, from `out` down: tape order is topological, so when the
    /// sweep reaches a node every node using it has already added its
    /// share, and the node's adjoint is complete. Reached nodes are marked
    /// as their users are processed, and a count of marked-but-unprocessed
    /// nodes ends the sweep at the graph's lowest node, without walking the
    /// graph first.
    pub(crate) fn backward(&mut self, out: usize) {
        let stamp = self.fresh_stamp();
        let Tape {
            nodes,
            stamps,
            side,
            stash,
            last_work,
            ..
        } = self;
        stash.clear();
        let mut m = Marker {
            stamp,
            stamps,
            stash,
            pending: 0,
            heap: None,
        };
        op::Reach::one(&mut m, nodes, out as u32);
        nodes[out].grad = 1.0;

        let (mut processed, mut skipped) = (0usize, 0usize);
        let mut i = out;
        let mut sparse = false;
        loop {
            if m.stamps[i] == stamp {
                op::propagate(nodes, side, i, &mut m);
                m.pending -= 1;
                processed += 1;
                if m.pending == 0 {
                    break;
                }
            } else {
                skipped += 1;
                if skipped > DENSE * processed + SLACK {
                    sparse = true;
                    break;
                }
            }
            // pending > 0 means a marked node below i is still waiting.
            i -= 1;
        }

        if sparse {
            // The rest of the graph is spread thin over the tape: finish in
            // decreasing order from a heap. The pending nodes are the
            // operands below i of the nodes processed so far, found by one
            // more pass over the slots already swept (no list of reached
            // nodes is kept, to save 4 bytes per node in the dense case).
            let mut pending_nodes = Vec::new();
            let swept = nodes[i + 1..=out].iter().zip(&m.stamps[i + 1..=out]);
            for (n, _) in swept.filter(|&(_, &s)| s == stamp) {
                for_each_operand(n, side, |c| {
                    if (c as usize) < i {
                        pending_nodes.push(c);
                    }
                });
            }
            pending_nodes.sort_unstable();
            pending_nodes.dedup();
            m.heap = Some(BinaryHeap::from(pending_nodes));
            while let Some(j) = m.heap.as_mut().and_then(BinaryHeap::pop) {
                op::propagate(nodes, side, j as usize, &mut m);
                processed += 1;
            }
        }
        // The sparse case swept the processed range twice.
        *last_work = processed + skipped + if sparse { out - i } else { 0 };

        for &(c, old) in m.stash.iter() {
            nodes[c as usize].grad += old;
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
            let graph = t.collect(out);
            // A non-finite value starts at its lowest index and spreads
            // forward; a non-finite gradient starts at its highest index
            // (the sweep runs backward) and spreads to lower ones.
            let graph = graph.iter().map(|&i| i as usize);
            let first = graph
                .clone()
                .filter(|&i| !t.nodes[i].data.is_finite())
                .min()
                .or_else(|| graph.filter(|&i| !t.nodes[i].grad.is_finite()).max());
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
            let order = t.collect(out);
            order.iter().map(|&i| t.handle(i as usize)).collect()
        })
    }
}
