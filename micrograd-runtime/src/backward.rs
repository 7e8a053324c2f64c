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
use std::ops::Range;

use crate::dense::{disjoint_mut, update_rows};
use crate::op::{self, Activation, Adjoints, Code, Op, Rec, for_each_operand};
use crate::tape::{self, Tape, Value};

/// The decreasing sweep gives up on index order, and switches to a heap of
/// the pending indices, once it has skipped more than `DENSE` unreached
/// slots per node of the graph it knows of, processed or pending (plus
/// `SLACK`): work stays within a constant factor of the graph's size
/// however far apart its nodes are on the tape. Counting the pending nodes
/// matters where the sweep starts: a loss over 100 samples whose last two
/// met their margin (no adjoint flows into them) skips their 80 slots
/// before it has processed more than the sum, and without the 100 pending
/// margins in the count it would take the heap for the whole sweep, 4x
/// slower per node (measured on the moons step: 100-130 us against 30).
const DENSE: usize = 4;
const SLACK: usize = 64;

/// One `backward` call's view of the tape: its columns, all cut to the
/// same length, the stamp that marks reached nodes, the gradients they
/// held before the call, and the count of reached nodes not processed yet.
///
/// `SPARSE` is the phase: in the sparse one, reached nodes also go on a
/// heap. As a constant, the dense phase's loop carries no check for it.
///
/// Indices into the columns are checked once, against that one length,
/// when they become an [`Idx`]; reads and writes through an `Idx` then
/// skip the per-column bounds checks, which cost more than the
/// arithmetic of a `+` or `*` node.
pub(crate) struct Sweep<'t, const SPARSE: bool> {
    data: &'t [f64],
    grad: &'t mut [f64],
    recs: &'t [Rec],
    stamps: &'t mut [u32],
    side: &'t [u32],
    stamp: u32,
    pending: usize,
    /// Nodes from here up were recorded since the latest gradient write
    /// ([`Tape::grad_len`]): their gradient is 0, and their slots hold
    /// whatever freed nodes left there until this call writes them.
    held: usize,
    // Buffers borrowed from the tape rather than owned, so that passing
    // them to the cold path copies a pointer and the sweep's own fields
    // can stay in registers.
    stash: &'t mut Vec<(u32, f64)>,
    heap: &'t mut BinaryHeap<u32>,
    row_adjoints: &'t mut Vec<f64>,
    /// The index and the new value of the gradient [`Sweep::add`] wrote
    /// last. The node the sweep handles next is usually that operand (in
    /// a chain, always), and taking its adjoint from here rather than from
    /// memory takes a store-to-load delay off the chain of dependent
    /// nodes. Bulk updates, which bypass `add`, reset it.
    last: (usize, f64),
}

/// A node index known to be below the length of every column of a
/// [`Sweep`]. Only [`Sweep::node`] and [`Sweep::operand`] make one.
#[derive(Clone, Copy)]
pub(crate) struct Idx(usize);

/// Operand indices of a node point below the node (the tape is in
/// creation order), so one past the graph's end means the tape is corrupt.
#[cold]
#[inline(never)]
fn corrupt(c: usize) -> ! {
    panic!("tape corrupt: operand #{c} is past the end of the graph")
}

/// The rare parts of [`Sweep::operand`], out of line to keep the operand
/// checks small: a gradient left from an earlier call moves to the stash,
/// and in the sparse phase the node goes on the heap.
#[cold]
#[inline(never)]
fn first_sight_rare(
    stash: &mut Vec<(u32, f64)>,
    heap: Option<&mut BinaryHeap<u32>>,
    g: &mut f64,
    c: u32,
) {
    if *g != 0.0 {
        stash.push((c, *g));
        *g = 0.0;
    }
    if let Some(heap) = heap {
        heap.push(c);
    }
}

#[allow(unsafe_code)]
impl<'t, const SPARSE: bool> Adjoints<'t> for Sweep<'t, SPARSE> {
    const SPARSE: bool = SPARSE;
    type Node = Idx;

    /// The record of node `i`, and `i` as an [`Idx`].
    #[inline(always)]
    fn node(&self, i: usize) -> (Rec, Idx) {
        (self.recs[i], Idx(i))
    }

    /// Checks operand `c` and marks it as reached by this call. The first
    /// time, it counts as pending, and a gradient it held from earlier
    /// calls moves to the stash, so that this call's adjoint accumulates
    /// from zero.
    #[inline(always)]
    fn operand(&mut self, c: u32) -> Idx {
        let i = c as usize;
        if i >= self.recs.len() {
            corrupt(i);
        }
        // SAFETY: i < recs.len(), which every column's length equals (see
        // `Tape::backward`).
        let stamp = unsafe { self.stamps.get_unchecked_mut(i) };
        if *stamp != self.stamp {
            *stamp = self.stamp;
            self.pending += 1;
            // SAFETY: as above.
            let g = unsafe { self.grad.get_unchecked_mut(i) };
            if i >= self.held {
                *g = 0.0;
                if SPARSE {
                    self.heap.push(c);
                }
            } else if *g != 0.0 || SPARSE {
                let heap = SPARSE.then_some(&mut *self.heap);
                first_sight_rare(self.stash, heap, g, c);
            }
        }
        Idx(i)
    }

    /// Marks operands `start..start + n` as reached, like [`Sweep::operand`].
    #[inline(always)]
    fn reach_run(&mut self, start: usize, n: usize) {
        let stamps = &self.stamps[start..start + n];
        // No early exit, so the check vectorizes.
        if stamps.iter().fold(true, |all, &s| all & (s == self.stamp)) {
            return;
        }
        for c in start..start + n {
            self.operand(c as u32);
        }
    }

    /// Node `i`'s forward value.
    #[inline(always)]
    fn x(&self, i: Idx) -> f64 {
        // SAFETY: an `Idx` is below every column's length.
        unsafe { *self.data.get_unchecked(i.0) }
    }

    #[inline(always)]
    fn is_constant(&self, i: Idx) -> bool {
        // SAFETY: an `Idx` is below every column's length.
        unsafe { self.recs.get_unchecked(i.0).code == Code::Const }
    }

    /// Node `i`'s adjoint, for handling node `i`: complete by then.
    #[inline(always)]
    fn adjoint(&mut self, i: Idx) -> f64 {
        if self.last.0 == i.0 {
            self.last.1
        } else {
            *self.g(i)
        }
    }

    /// Adds `v` to node `i`'s gradient.
    #[inline(always)]
    fn add(&mut self, i: Idx, v: f64) {
        let g = self.g(i);
        *g += v;
        self.last = (i.0, *g);
    }

    /// Adds `va` to `a`'s gradient and `vb` to `b`'s, the higher index
    /// last, so that [`Sweep::adjoint`] finds it: that is the operand the
    /// sweep reaches first. `a` first when they are the same node, which
    /// keeps the order of the two additions, and so their sum's bits.
    #[inline(always)]
    fn add2(&mut self, a: Idx, va: f64, b: Idx, vb: f64) {
        if a.0 > b.0 {
            self.add(b, vb);
            self.add(a, va);
        } else {
            self.add(a, va);
            self.add(b, vb);
        }
    }

    /// The weighted sums' operand lists.
    #[inline(always)]
    fn side(&self) -> &'t [u32] {
        self.side
    }

    /// The backward rule of a weighted sum over runs `w..w + n` and
    /// `x..x + n`, identical or disjoint, already reached: `dw_k = x_k`,
    /// `dx_k = w_k`. A loop over plain slices, which compiles to SIMD.
    #[inline(always)]
    fn weighted_sum_run(&mut self, w: usize, x: usize, n: usize, g: f64) {
        self.last.0 = usize::MAX;
        let (dw, dx) = (&self.data[w..w + n], &self.data[x..x + n]);
        if w == x {
            // A sum of squares (`l2`): each node is weight and input, and
            // gets both halves in turn, as in the gathered form.
            for (gp, &p) in self.grad[w..w + n].iter_mut().zip(dw) {
                *gp += g * p;
                *gp += g * p;
            }
            return;
        }
        let (gw, gx) = disjoint_mut(self.grad, w..w + n, x..x + n);
        for k in 0..n {
            gw[k] += g * dx[k];
            gx[k] += g * dw[k];
        }
    }

    /// The backward rules of the `Dense` nodes (neurons) of one layer
    /// application, from node `i`, its row `r`, down to row 0, skipping
    /// rows not reached: all the layer's reached neurons, since rows above
    /// `r` were not reached (the sweep would have started there). Their
    /// adjoints are complete: the nodes between them are rows of the same
    /// layer, none an operand of another. Rows go in decreasing order, as
    /// node by node, so the sums are the same bits; the inputs are
    /// checked once for all rows. Returns the lowest node handled, row 0.
    #[inline(always)]
    fn dense_rows(&mut self, i: usize, at: u32, r: u32) -> usize {
        let d = op::dense_operands(self.side, at, 0);
        // One loop per activation, so that its `match` is not in the loop.
        match d.act {
            Activation::Tanh => self.rows(d, i, r, |y, g| {
                op::activation_adjoint(Activation::Tanh, y, g)
            }),
            Activation::Relu => self.rows(d, i, r, |y, g| {
                op::activation_adjoint(Activation::Relu, y, g)
            }),
            Activation::Sigmoid => self.rows(d, i, r, |y, g| {
                op::activation_adjoint(Activation::Sigmoid, y, g)
            }),
            Activation::Linear => self.rows(d, i, r, |_, g| g),
        }
    }

    /// The backward rule of one `Dense` node (a neuron), `g` the adjoint
    /// of its weighted sum, its weights and bias at `row..=row + n`.
    #[inline(always)]
    fn neuron_row(&mut self, row: usize, x: usize, n: usize, g: f64) {
        self.last.0 = usize::MAX;
        self.reach_new_parameters(row..row + n + 1);
        update_rows(self.grad, self.data, row..row + n + 1, x, n, &[g]);
    }
}

#[allow(unsafe_code)]
impl<'t, const SPARSE: bool> Sweep<'t, SPARSE> {
    /// Node `i`'s gradient.
    #[inline(always)]
    fn g(&mut self, i: Idx) -> &mut f64 {
        // SAFETY: an `Idx` is below every column's length.
        unsafe { self.grad.get_unchecked_mut(i.0) }
    }

    /// Node `i`, which this call did not reach and will not: its gradient
    /// slot gets the 0 it stands for, if a freed node left something else.
    #[inline(always)]
    pub(crate) fn not_reached(&mut self, i: usize) {
        if i >= self.held {
            self.grad[i] = 0.0;
        }
    }

    /// Marks the parameters in `params` recorded since the latest gradient
    /// write, so that their slots are zeroed before they take their share
    /// (see [`update_rows`]); parameters older than that hold a gradient
    /// already. Usually none: parameters get a gradient slot of their own
    /// at the first `backward` after they are made.
    #[inline(always)]
    fn reach_new_parameters(&mut self, params: Range<usize>) {
        if params.end > self.held {
            for p in params.start.max(self.held)..params.end {
                self.operand(p as u32);
            }
        }
    }

    /// [`Sweep::dense_rows`] for the activation whose rule is `adjoint`.
    #[inline(always)]
    fn rows(
        &mut self,
        d: op::DenseOperands,
        i: usize,
        r: u32,
        adjoint: impl Fn(f64, f64) -> f64,
    ) -> usize {
        let (row0, x, n) = (d.row as usize, d.x as usize, d.nin as usize);
        let first = i - r as usize;
        // The adjoint of each row's weighted sum, 0 for rows not reached.
        self.row_adjoints.clear();
        let mut any = false;
        for node in first..=i {
            let g = if node == i || self.stamps[node] == self.stamp {
                if node != i {
                    self.pending -= 1;
                }
                adjoint(self.data[node], self.grad[node])
            } else {
                self.not_reached(node);
                0.0
            };
            any |= g != 0.0;
            self.row_adjoints.push(g);
        }
        if any {
            self.last.0 = usize::MAX;
            self.reach_run(x, n);
            let params = row0..row0 + (r as usize + 1) * (n + 1);
            self.reach_new_parameters(params.clone());
            update_rows(self.grad, self.data, params, x, n, self.row_adjoints);
        }
        first
    }
}

impl Tape {
    /// A stamp no node carries yet, with a stamp slot for every node.
    fn fresh_stamp(&mut self) -> u32 {
        // Slots never stamped yet: 0 is no call's stamp. Stamps of freed
        // nodes stay (see `Tape::stamps`).
        if self.stamps.len() < self.len() {
            self.stamps.resize(self.len(), 0);
        }
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
            recs,
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
            for_each_operand(recs[i as usize], side, |c| {
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
        let held = self.grad_len;
        if self.grad.len() < self.len() {
            self.grad.resize(self.len(), 0.0);
        }
        let Tape {
            data,
            recs,
            grad,
            stamps,
            side,
            stash,
            heap,
            row_adjoints,
            last_work,
            ..
        } = self;
        stash.clear();
        // Operands precede their node, so the graph lies in 0..=out: every
        // column is cut to that one length.
        let len = out + 1;
        let mut sw = Sweep::<false> {
            data: &data[..len],
            grad: &mut grad[..len],
            recs: &recs[..len],
            stamps: &mut stamps[..len],
            side,
            stamp,
            pending: 0,
            held,
            stash,
            heap,
            row_adjoints,
            last: (usize::MAX, 0.0),
        };
        let top = sw.operand(out as u32);
        *sw.g(top) = 1.0;

        // Slots examined minus DENSE per node processed: past SLACK, the
        // graph is too thin on the tape for a sweep over every slot.
        let mut thin = 0isize;
        let mut i = out;
        // `sw` is only ever borrowed by inlined code or moved, never lent
        // to a call, so its fields can live in registers.
        let (work, written_from) = loop {
            if sw.stamps[i] == stamp {
                i = op::propagate(&mut sw, i);
                sw.pending -= 1;
                if sw.pending == 0 {
                    sw.restore_stash();
                    break (out - i + 1, i);
                }
                thin -= DENSE as isize;
            } else {
                sw.not_reached(i);
                thin += 1;
                if thin > (SLACK + DENSE * sw.pending) as isize {
                    // The sparse phase wrote every new slot below `i`.
                    break (out - i + 1 + sw.finish_sparse(i), 0);
                }
            }
            // pending > 0 means a marked node below i is still waiting.
            i -= 1;
        };
        *last_work = work;
        // The sweep wrote every slot from `written_from` to `out`; the new
        // nodes outside that range were not in the graph, and get their 0.
        // Both ranges may be empty, never reversed: out < len, and
        // `grad_len` (`held`) never exceeds the tape's length.
        let len = self.len();
        self.grad[held..written_from.max(held)].fill(0.0);
        self.grad[(out + 1).max(held)..len].fill(0.0);
        self.grad_len = self.len();
    }
}

impl<const SPARSE: bool> Sweep<'_, SPARSE> {
    /// Adds back the gradients that reached nodes held before this call,
    /// which the sweep set aside (see [`Sweep::operand`]).
    fn restore_stash(self) {
        for &(c, old) in self.stash.iter() {
            self.grad[c as usize] += old;
        }
    }
}

impl Sweep<'_, false> {
    /// Finishes a sweep that stopped at slot `i` because the rest of the
    /// graph is spread thin over the tape: the pending nodes, all below
    /// `i`, are processed in decreasing order from a heap. They are the
    /// marked operands below `i` of the nodes processed so far, found by
    /// one more pass over the slots already swept (no list of reached
    /// nodes is kept, to save 4 bytes per node in the dense case). Marked
    /// ones only: a skipped neuron's inputs and a neuron's parameters are
    /// operands that were not reached. Returns the slots examined, on top
    /// of the dense phase's.
    #[inline(never)]
    fn finish_sparse(self, i: usize) -> usize {
        let swept = self.recs[i + 1..].iter().zip(&self.stamps[i + 1..]);
        self.heap.clear();
        for (&n, _) in swept.filter(|&(_, &s)| s == self.stamp) {
            for_each_operand(n, self.side, |c| {
                if (c as usize) < i && self.stamps[c as usize] == self.stamp {
                    self.heap.push(c);
                }
            });
        }
        let mut pending: Vec<u32> = std::mem::take(self.heap).into_vec();
        pending.sort_unstable();
        pending.dedup();
        *self.heap = BinaryHeap::from(pending);
        let mut work = self.recs.len() - i - 1;
        let mut sw = Sweep::<true> {
            data: self.data,
            grad: self.grad,
            recs: self.recs,
            stamps: self.stamps,
            side: self.side,
            stamp: self.stamp,
            pending: 0,
            held: self.held,
            stash: self.stash,
            heap: self.heap,
            row_adjoints: self.row_adjoints,
            last: (usize::MAX, 0.0),
        };
        while let Some(j) = sw.heap.pop() {
            op::propagate(&mut sw, j as usize);
            work += 1;
        }
        // Below `i`, the slots of nodes this call did not reach are spread
        // among those it did. Only new nodes' slots need a look, as many
        // as a fill of the new nodes' gradients would write anyway.
        for j in sw.held..i {
            if sw.stamps[j] != sw.stamp {
                sw.grad[j] = 0.0;
            }
        }
        sw.restore_stash();
        work
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
    /// Constants (`f64` operands, [`Op::Const`]) are never reported:
    ///
    /// ```
    /// use micrograd_runtime::Value;
    /// let x = Value::new(-2.0);
    /// let y = x.powf(3.0); // dy/de = y ln(x) is NaN, but e = 3.0 is a constant
    /// assert!(y.backward_checked().is_ok());
    /// assert_eq!(x.grad(), 12.0); // 3 x^2
    /// ```
    ///
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
            // Constants are left out: nobody asked for their gradient
            // (`x.powf(3.0)` at x < 0 gives the 3.0 a NaN one).
            let graph = graph
                .iter()
                .map(|&i| i as usize)
                .filter(|&i| t.recs[i].code != Code::Const);
            let first = graph
                .clone()
                .filter(|&i| !t.data[i].is_finite())
                .min()
                .or_else(|| graph.filter(|&i| !t.grad(i).is_finite()).max());
            match first {
                None => Ok(()),
                Some(i) => {
                    let r = t.recs[i];
                    Err(NonFiniteError {
                        index: i,
                        op: op::public_op(r, &t.side),
                        label: t.label(i).map(str::to_owned),
                        data: t.data[i],
                        grad: t.grad(i),
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
