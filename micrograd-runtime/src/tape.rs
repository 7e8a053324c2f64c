//! The thread-local tape every [`Value`] points into, and [`scope`].
//!
//! Nodes are appended in creation order, which is already a topological
//! order (an op's operands exist before it). A `Value` is an index into the
//! tape plus the epoch of the segment that created it; [`scope`] truncates
//! the tape when it returns, and the epoch check turns any handle to a freed
//! node into a panic instead of a read of whatever node reused its slot.

use std::cell::UnsafeCell;
use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::op::{Code, Rec};

/// A scalar that remembers how it was computed, so that
/// [`backward`](Value::backward) can compute gradients.
///
/// A `Value` is an 8-byte `Copy` handle (a tape index and a segment epoch)
/// into this thread's tape; copying it never copies the graph. The same
/// expression text therefore works on `Value`s and inside `grad!`.
///
/// Each thread has its own tape, and a `Value` is neither `Send` nor `Sync`:
/// using a value on another thread's graph is a compile error rather than
/// a runtime surprise.
///
/// ```compile_fail
/// use micrograd_runtime::Value;
/// let x = Value::new(1.0);
/// std::thread::spawn(move || x.data()); // error: `*const ()` cannot be sent between threads
/// ```
///
/// (`*const ()` is the marker that keeps the handle on its thread: the
/// tape it points into is thread-local.) To use values on another thread,
/// send the numbers and rebuild there: `x.data()` for a value,
/// [`Mlp::parameters_f64`](crate::nn::Mlp::parameters_f64) and
/// `set_parameters_f64` for a network.
///
/// ```
/// use micrograd_runtime::Value;
/// let x = Value::new(1.5);
/// let data = x.data(); // an f64 is Send
/// let y = std::thread::spawn(move || {
///     let x = Value::new(data); // a new leaf on this thread's tape
///     let y = x * x;
///     y.backward();
///     (y.data(), x.grad())
/// });
/// assert_eq!(y.join().unwrap(), (2.25, 3.0));
/// ```
///
/// The lecture's neuron, differentiated:
///
/// ```
/// use micrograd_runtime::Value;
/// let (x1, x2) = (Value::new(2.0), Value::new(0.0));
/// let (w1, w2) = (Value::new(-3.0), Value::new(1.0));
/// let b = Value::new(6.881_373_587_019_543);
/// let o = (x1 * w1 + x2 * w2 + b).tanh();
/// o.backward();
/// // do/dn = 1 - tanh(n)^2 = 0.5 at n = 0.8814; do/dx1 = 0.5 * w1
/// assert!((x1.grad() - -1.5).abs() < 1e-9);
/// assert!((w1.grad() - 1.0).abs() < 1e-9);
/// ```
// `repr(C)`, index first: on little-endian targets a handle then reads
// as the one integer `epoch << 32 | idx`, which `Tape::run_start` uses.
#[derive(Clone, Copy)]
#[repr(C)]
pub struct Value {
    pub(crate) idx: u32,
    pub(crate) epoch: u32,
    _not_send: PhantomData<*const ()>,
}

impl Value {
    /// A handle from its parts; only the tape makes them.
    pub(crate) fn from_parts(idx: u32, epoch: u32) -> Value {
        Value {
            idx,
            epoch,
            _not_send: PhantomData,
        }
    }
}

/// A region of the tape opened by [`scope`]. The base region (everything
/// before the first open scope) is implicit, with epoch 0.
#[derive(Clone, Copy, Debug)]
struct Segment {
    start: u32,
    side_start: u32,
    epoch: u32,
}

pub(crate) struct Tape {
    // The tape is a struct of arrays rather than a vector of nodes: a
    // weighted sum's forward and backward then read and update runs of
    // plain f64s, which the compiler turns into SIMD loops, and recording
    // a node writes 20 bytes (value, op, operands) instead of 32.
    /// Forward values, one per node.
    pub(crate) data: Vec<f64>,
    /// Ops and operands, one per node; its length is the tape's.
    pub(crate) recs: Vec<Rec>,
    /// Gradients, valid below [`Tape::grad_len`]; read them through
    /// [`Tape::grad`]. Recording a node does not touch this column, and
    /// closing a scope does not shrink it: the slots of freed nodes keep
    /// what they held until a `backward` writes them, so that `backward`
    /// need not first fill a new graph's slots with zeros (one more pass
    /// over memory, a tenth of the time of a 1M-node chain).
    pub(crate) grad: Vec<f64>,
    /// Nodes from here up were recorded since the latest gradient write:
    /// their gradient is 0, whatever their slot in [`Tape::grad`] holds.
    pub(crate) grad_len: usize,
    /// Per node, the latest `backward` (or graph walk) that reached it.
    /// Kept apart from the nodes so that checking whether a run of nodes
    /// is all marked reads one contiguous, vectorizable run of `u32`s.
    /// Extended to the tape's length by each graph walk, so recording a
    /// node does not touch it either, and never truncated: a slot freed
    /// and reused keeps an old stamp, which no later walk's stamp equals,
    /// so the new node starts unmarked without the slot being rewritten.
    pub(crate) stamps: Vec<u32>,
    /// Operands of weighted sums: `n` weights, `n` inputs and the bias for
    /// the gathered form, first weight, first input and bias for runs.
    pub(crate) side: Vec<u32>,
    segments: Vec<Segment>,
    /// Start and epoch of the innermost segment, cached out of `segments`
    /// because every op checks its operands against them.
    top_start: u32,
    top_epoch: u32,
    /// Start of the outermost segment (`u32::MAX` when none is open):
    /// handles below it, such as a model's parameters, carry `base_epoch`.
    base_end: u32,
    /// The epoch of the base region: drawn at random when the tape first
    /// grows (0 until then, never after), so that a handle made by another
    /// tape (another copy of this crate, another thread) almost never
    /// carries an epoch this tape considers live. See [`Tape::index`].
    base_epoch: u32,
    /// Nodes below this index in the base region have been counted into
    /// `unscoped`; see [`Tape::check_unscoped`].
    unscoped_counted: usize,
    /// Nodes other than leaves in the base region, as of the latest count.
    unscoped: usize,
    /// Whether this tape has shown the warning of [`SCOPE_WARNING_NODES`].
    warned: bool,
    /// Labels are rare, so they live outside the nodes; keyed by index so a
    /// truncation can drop the freed ones with one `split_off`.
    labels: BTreeMap<u32, String>,
    last_epoch: u32,
    /// The stamp of the latest `backward`; nodes it reached carry it.
    pub(crate) stamp: u32,
    /// Buffers reused across `backward` calls so a small backward allocates nothing.
    pub(crate) stack: Vec<u32>,
    pub(crate) stash: Vec<(u32, f64)>,
    pub(crate) heap: std::collections::BinaryHeap<u32>,
    /// The adjoints of one layer's neurons, while backward handles them.
    pub(crate) row_adjoints: Vec<f64>,
    /// Nodes examined by the latest `backward` (see [`last_backward_work`]).
    pub(crate) last_work: usize,
}

thread_local! {
    static TAPE: UnsafeCell<Tape> = const { UnsafeCell::new(Tape::new()) };
}

/// Runs `f` with this thread's tape borrowed mutably.
#[inline(always)]
pub(crate) fn with<R>(f: impl FnOnce(&mut Tape) -> R) -> R {
    f(&mut borrow())
}

/// This thread's tape, borrowed mutably until the guard is dropped: the
/// per-op hot paths use this rather than [`with`], because the compiler
/// inlines an always-inline op body into `with`'s closure and may then
/// decline to inline that closure into the op (measured: a call per op,
/// 57 instructions per `*` instead of 44).
///
/// An `UnsafeCell` rather than a `RefCell` underneath: every op comes
/// through here, and the `RefCell`'s flag (set, check, reset) was about a
/// seventh of the instructions of recording a `+` or `*`. What the flag
/// would check holds by construction: this is the only way to the tape,
/// each borrow lives inside one crate function that neither borrows again
/// nor runs user code, and debug builds (the test suite's) still check it
/// with [`Reentry`].
#[inline(always)]
pub(crate) fn borrow() -> TapeMut {
    TapeMut {
        tape: TAPE.with(UnsafeCell::get),
        _entered: Reentry::enter(),
    }
}

/// See [`borrow`].
pub(crate) struct TapeMut {
    tape: *mut Tape,
    _entered: Reentry,
}

#[allow(unsafe_code)]
impl std::ops::Deref for TapeMut {
    type Target = Tape;
    #[inline(always)]
    fn deref(&self) -> &Tape {
        // SAFETY: as for `deref_mut`.
        unsafe { &*self.tape }
    }
}

#[allow(unsafe_code)]
impl std::ops::DerefMut for TapeMut {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut Tape {
        // SAFETY: `tape` points to this thread's tape, alive while the
        // thread runs (the guard is `!Send`, through its raw pointer); no
        // guard is made while another is alive (see `borrow`), so this is
        // the only reference to the tape for as long as it is borrowed.
        unsafe { &mut *self.tape }
    }
}

/// In debug builds, a panic instead of undefined behavior if a borrow of
/// the tape ([`borrow`], [`with`]) is ever made while another is alive;
/// nothing in release builds.
struct Reentry;

#[cfg(debug_assertions)]
thread_local! {
    static INSIDE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

impl Reentry {
    #[inline(always)]
    fn enter() -> Reentry {
        #[cfg(debug_assertions)]
        assert!(
            !INSIDE.replace(true),
            "micrograd bug: nested access to the Value tape"
        );
        Reentry
    }
}

impl Drop for Reentry {
    #[inline(always)]
    fn drop(&mut self) {
        #[cfg(debug_assertions)]
        INSIDE.set(false);
    }
}

/// `v.push(x)` without `Vec::push`'s capacity check and its call to the
/// allocator (see [`Tape::push_with`]).
///
/// # Safety
///
/// `v.len() < v.capacity()`.
#[inline(always)]
#[allow(unsafe_code)]
unsafe fn push_within_capacity<T>(v: &mut Vec<T>, x: T) {
    let len = v.len();
    debug_assert!(
        len < v.capacity(),
        "micrograd bug: tape column not reserved"
    );
    // SAFETY: `len < capacity` (the caller's promise), so slot `len` is
    // allocated; writing it and then counting it is what `Vec::push` does
    // after its capacity check.
    unsafe {
        v.as_mut_ptr().add(len).write(x);
        v.set_len(len + 1);
    }
}

#[cold]
#[inline(never)]
pub(crate) fn tape_full() -> ! {
    panic!("the Value tape is full (2^32 nodes); free nodes with `scope`")
}

#[cold]
#[inline(never)]
fn stale() -> ! {
    panic!("{STALE}")
}

#[cold]
#[inline(never)]
fn foreign() -> ! {
    panic!("{FOREIGN}")
}

const FOREIGN: &str = "this Value belongs to another tape, not to this thread's: \
     it was made by another copy of micrograd (each cell of a notebook kernel such as \
     evcxr links its own), on another thread, or on a tape since rebuilt. \
     Pass plain f64 (`v.data()`) between them and make the Value again where it is used";

const STALE: &str = "this Value was freed when the `scope` that created it returned; \
     keep what you need after a scope as plain f64 (`v.data()`, `v.grad()`) \
     or create the Value outside the scope";

impl Tape {
    const fn new() -> Tape {
        Tape {
            data: Vec::new(),
            recs: Vec::new(),
            grad: Vec::new(),
            grad_len: 0,
            stamps: Vec::new(),
            side: Vec::new(),
            segments: Vec::new(),
            top_start: 0,
            top_epoch: 0,
            base_end: u32::MAX,
            base_epoch: 0,
            unscoped_counted: 0,
            unscoped: 0,
            warned: false,
            labels: BTreeMap::new(),
            last_epoch: 0,
            stamp: 0,
            stack: Vec::new(),
            stash: Vec::new(),
            heap: std::collections::BinaryHeap::new(),
            row_adjoints: Vec::new(),
            last_work: 0,
        }
    }

    /// The epoch of the innermost segment containing `idx`. Handles almost
    /// always point into the innermost open segment or below every scope
    /// (parameters), so the loop rarely runs.
    fn epoch_of(&self, idx: u32) -> u32 {
        if idx < self.base_end {
            return self.base_epoch;
        }
        for s in self.segments.iter().rev() {
            if idx >= s.start {
                return s.epoch;
            }
        }
        self.base_epoch
    }

    /// The tape index of `v`, or a panic if `v`'s node was freed.
    ///
    /// A handle carrying the innermost open segment's epoch is live
    /// without further checks: it was created in that segment (epochs are
    /// never reused while a handle could hold them), which is still open,
    /// so its node is still on the tape. That is the common case, an
    /// operand made by the same loop body, and costs one comparison.
    /// Handles into the base region, below every open scope (a model's
    /// parameters), take a second comparison; others go out of line.
    ///
    /// Handles from another tape: each tape draws its base epoch at
    /// random and numbers its scopes on from there, so a foreign handle's
    /// epoch matches one this tape holds live with probability of one
    /// more than the open scopes in 2^32 (2.3e-10 with no scope open).
    /// Every other foreign handle goes out of line like a freed one and
    /// panics saying which it is; the common path has no extra test.
    #[inline(always)]
    pub(crate) fn index(&self, v: Value) -> usize {
        if v.epoch != self.top_epoch && !(v.epoch == self.base_epoch && v.idx < self.base_end) {
            self.check_nested(v);
        }
        // A foreign handle that passed the epoch check (the rare miss
        // above) and points past the end: the columns' bounds checks
        // catch it in release builds, this in debug builds.
        if cfg!(debug_assertions) && v.idx as usize >= self.len() {
            foreign();
        }
        v.idx as usize
    }

    /// [`Tape::index`] for a handle from an open scope other than the
    /// innermost, or a freed one, or one from another tape.
    #[inline(never)]
    fn check_nested(&self, v: Value) {
        let live = v.idx < self.top_start && self.epoch_of(v.idx) == v.epoch;
        if !live {
            if self.issued(v.epoch) {
                stale();
            }
            foreign();
        }
    }

    /// Whether this tape ever gave out `epoch`: its base epoch or one of
    /// the scope epochs numbered on from it, up to the latest. Epochs
    /// wrap after 2^32 scopes; then every epoch counts as issued.
    fn issued(&self, epoch: u32) -> bool {
        self.base_epoch != 0
            && epoch != 0
            && epoch.wrapping_sub(self.base_epoch) <= self.last_epoch.wrapping_sub(self.base_epoch)
    }

    /// Draws the base epoch: a fresh `RandomState` (seeded per thread
    /// from the OS, then stepped per call) hashing the time and the
    /// tape's address. Not 0, which marks a tape that has not drawn yet.
    #[cold]
    fn draw_epoch(&mut self) {
        use std::hash::{BuildHasher, RandomState};
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let h = RandomState::new().hash_one((nanos, self as *const Tape as usize));
        let e = (h ^ (h >> 32)) as u32;
        self.base_epoch = e.max(1);
        self.last_epoch = self.base_epoch;
        if self.segments.is_empty() {
            self.top_epoch = self.base_epoch;
        }
    }

    /// The tape index of `vs[0]` if `vs` are handles to consecutive live
    /// nodes (`vs[k]` is node `vs[0] + k`), `None` if they are not
    /// consecutive or `vs` is empty; panics like [`Tape::index`] if they
    /// are consecutive but freed.
    ///
    /// One integer pass checks consecutive indices and one shared epoch;
    /// then checking the first and the last handle checks them all: the
    /// two lie in the one live segment with that epoch, and a segment is a
    /// contiguous range of the tape, so everything between lies in it too.
    #[inline]
    pub(crate) fn run_start(&self, vs: &[Value]) -> Option<usize> {
        let (first, last) = (*vs.first()?, *vs.last()?);
        // (epoch, idx) as one integer, `Value`'s layout: handle k of a run
        // is the first plus k. No early exit, so the loop vectorizes.
        let bits = |v: Value| u64::from(v.epoch) << 32 | u64::from(v.idx);
        let base = bits(first);
        let mut off = 0;
        for (k, &v) in vs.iter().enumerate() {
            off |= bits(v) ^ base.wrapping_add(k as u64);
        }
        if off != 0 {
            return None;
        }
        self.index(last);
        Some(self.index(first))
    }

    /// [`Tape::run_start`] for non-empty handles already known to be
    /// consecutive with one epoch (a neuron's weights, checked when it was
    /// made: handles never change): only whether they are live is left.
    #[inline]
    pub(crate) fn known_run_start(&self, vs: &[Value]) -> usize {
        self.index(vs[vs.len() - 1]);
        self.index(vs[0])
    }

    /// A handle to the existing node `idx` (for children and graph walks).
    pub(crate) fn handle(&self, idx: usize) -> Value {
        Value::from_parts(idx as u32, self.epoch_of(idx as u32))
    }

    /// The number of nodes.
    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.recs.len()
    }

    /// The gradient of node `i`.
    #[inline]
    pub(crate) fn grad(&self, i: usize) -> f64 {
        if i < self.grad_len { self.grad[i] } else { 0.0 }
    }

    /// Appends a node and returns its handle.
    #[inline(always)]
    pub(crate) fn push(&mut self, data: f64, code: Code, a: u32, b: u32) -> Value {
        self.push_with(code, a, b, |_| data)
    }

    /// Records unary op `code` on node `i`, which the caller has already
    /// checked live (or pushed in this same borrow); `n` is `Powi`'s
    /// exponent bits, 0 for the other ops.
    #[inline(always)]
    pub(crate) fn push_unary_live(&mut self, code: Code, i: u32, n: u32) -> Value {
        self.push_with(code, i, n, |data| {
            crate::op::forward_unary(code, data[i as usize], n as i32)
        })
    }

    /// Records binary op `code` on nodes `i` and `j`, which the caller has
    /// already checked live (or pushed in this same borrow).
    #[inline(always)]
    pub(crate) fn push_binary_live(&mut self, code: Code, i: u32, j: u32) -> Value {
        self.push_with(code, i, j, |data| {
            crate::op::forward_binary(code, data[i as usize], data[j as usize])
        })
    }

    /// Appends a node whose value `value` computes from the values so far.
    ///
    /// Room for the node is made first, so that nothing after `value`
    /// can call the allocator and its result goes straight from a register
    /// to the tape. With `Vec::push`, the possible call after computing it
    /// made the compiler spill every op's value to the stack and read it
    /// back: a store-to-load delay on every chain of dependent ops
    /// (building the `mul_add` chain: 7.0 ns per node with it, 4.2 without).
    #[inline(always)]
    #[allow(unsafe_code)]
    fn push_with(
        &mut self,
        code: Code,
        a: u32,
        b: u32,
        value: impl FnOnce(&[f64]) -> f64,
    ) -> Value {
        if self.data.len() == self.data.capacity() || self.recs.len() == self.recs.capacity() {
            self.grow();
        }
        let y = value(&self.data);
        let idx = self.len();
        let idx32 = u32::try_from(idx).unwrap_or_else(|_| tape_full());
        // SAFETY: both columns have room for one more (just checked), and
        // `value`, with only a shared borrow of the values, pushed nothing.
        unsafe {
            push_within_capacity(&mut self.data, y);
            push_within_capacity(&mut self.recs, Rec { a, b, code });
        }
        Value::from_parts(idx32, self.top_epoch)
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        self.before_growth();
        self.data.reserve(1);
        self.recs.reserve(1);
    }

    /// What the tape does only when its buffers are about to grow, never
    /// per node: draw its epoch the first time, and count the nodes left
    /// outside any scope ([`Tape::check_unscoped`]).
    #[cold]
    pub(crate) fn before_growth(&mut self) {
        if self.base_epoch == 0 {
            self.draw_epoch();
        }
        self.check_unscoped();
    }

    /// Counts the nodes other than leaves recorded outside any scope since
    /// the last count, and past [`SCOPE_WARNING_NODES`] warns once. The
    /// base region only ever grows (scopes free only their own nodes), so
    /// each node is counted once: over a tape's life, one pass over its
    /// records, spread over the growths.
    fn check_unscoped(&mut self) {
        if self.warned {
            return;
        }
        let end = self.len().min(self.base_end as usize);
        if end > self.unscoped_counted {
            let new = &self.recs[self.unscoped_counted..end];
            self.unscoped += new.iter().filter(|r| r.code != Code::Leaf).count();
            self.unscoped_counted = end;
        }
        if self.unscoped > SCOPE_WARNING_NODES && SCOPE_WARNING.load(Ordering::Relaxed) {
            self.warned = true;
            eprintln!(
                "micrograd: warning: {} nodes other than leaves were recorded on this thread's \
                 Value tape outside any `scope`, and nothing frees them: a loop that builds a \
                 graph each step without `scope` keeps every step's nodes, so memory grows and \
                 steps slow down. Fix: wrap the loop body in `micrograd::scope(|| {{ ... }})`. \
                 (Shown once per thread; `micrograd::set_scope_warning(false)` silences it.)",
                self.unscoped
            );
        }
    }

    /// Zeroes the gradients of `vs` in this one borrow, each handle still
    /// checked for liveness.
    #[inline]
    pub(crate) fn zero_grads(&mut self, vs: &[Value]) {
        for &v in vs {
            let i = self.index(v);
            if i < self.grad_len {
                self.grad[i] = 0.0;
            }
        }
    }

    /// Replaces each parameter's data with `f(k, data, grad)` (`k` its
    /// position in `params`) in one borrow, each handle still checked for
    /// liveness: the optimizers' bulk path, instead of three tape accesses
    /// per parameter through `data`, `grad` and `set_data`.
    #[inline]
    pub(crate) fn update_data(
        &mut self,
        params: &[Value],
        mut f: impl FnMut(usize, f64, f64) -> f64,
    ) {
        for (k, &p) in params.iter().enumerate() {
            let i = self.index(p);
            self.data[i] = f(k, self.data[i], self.grad(i));
        }
    }

    pub(crate) fn set_label(&mut self, idx: usize, label: &str) {
        self.labels.insert(idx as u32, label.to_owned());
    }

    pub(crate) fn label(&self, idx: usize) -> Option<&str> {
        self.labels.get(&(idx as u32)).map(String::as_str)
    }

    fn open_segment(&mut self) -> u32 {
        // Epochs only need to differ from those of segments whose handles
        // may still be around; after 2^32 scopes a very old stale handle
        // could alias, which is the price of an 8-byte `Value`.
        if self.base_epoch == 0 {
            self.draw_epoch();
        }
        // Numbered on from the base epoch; 0 and the base epoch itself are
        // skipped when the numbers wrap.
        self.last_epoch = self.last_epoch.wrapping_add(1);
        while self.last_epoch == 0 || self.last_epoch == self.base_epoch {
            self.last_epoch = self.last_epoch.wrapping_add(1);
        }
        let seg = Segment {
            start: self.len() as u32,
            side_start: self.side.len() as u32,
            epoch: self.last_epoch,
        };
        self.segments.push(seg);
        (self.top_start, self.top_epoch) = (seg.start, seg.epoch);
        self.base_end = self.segments[0].start;
        seg.epoch
    }

    fn close_segment(&mut self, epoch: u32) {
        let seg = self
            .segments
            .pop()
            .expect("scope segments are opened and closed in pairs");
        debug_assert_eq!(seg.epoch, epoch);
        (self.top_start, self.top_epoch) = self
            .segments
            .last()
            .map_or((0, self.base_epoch), |s| (s.start, s.epoch));
        self.base_end = self.segments.first().map_or(u32::MAX, |s| s.start);
        let start = seg.start as usize;
        self.data.truncate(start);
        self.recs.truncate(start);
        self.grad_len = self.grad_len.min(start);
        self.side.truncate(seg.side_start as usize);
        if !self.labels.is_empty() {
            drop(self.labels.split_off(&seg.start));
        }
    }
}

/// Runs `f` and frees every [`Value`] created inside it when it returns.
///
/// This is how loops stay in constant memory: build the step's graph
/// inside `scope`, read what you need (`data()`, `grad()`) and let the
/// scope drop the rest. Values created before the scope (parameters, say)
/// survive and keep the gradients accumulated inside. Scopes nest, and the
/// nodes are freed even if `f` panics.
///
/// Using a value created inside the scope after it returned panics with a
/// message saying so; it never reads another node's data.
///
/// ```
/// use micrograd_runtime::{graph_len, scope, Value};
/// let w = Value::new(0.5);
/// let base = graph_len();
/// for step in 0..1000 {
///     let x = f64::from(step) / 1000.0;
///     let loss = scope(|| {
///         let loss = (w * x - 1.0).powi(2);
///         loss.backward();
///         loss.data()
///     });
///     assert!(loss.is_finite());
/// }
/// // Only `w` is left, and it holds the gradient summed over all steps.
/// assert_eq!(graph_len(), base);
/// assert!(w.grad() < 0.0);
/// ```
///
/// ```should_panic
/// use micrograd_runtime::{scope, Value};
/// let y = scope(|| Value::new(1.0) * 2.0);
/// y.data(); // panics: y was freed when the scope returned
/// ```
pub fn scope<R>(f: impl FnOnce() -> R) -> R {
    /// Closes the segment on drop, so a panic inside `f` frees it too.
    struct Guard {
        epoch: u32,
        _not_send: PhantomData<*const ()>,
    }
    impl Drop for Guard {
        fn drop(&mut self) {
            with(|t| t.close_segment(self.epoch));
        }
    }
    let _guard = Guard {
        epoch: with(Tape::open_segment),
        _not_send: PhantomData,
    };
    f()
}

/// How many nodes other than leaves may pile up outside any [`scope`] on
/// one thread's tape before micrograd warns, once, on standard error.
///
/// Such nodes are what a training loop without `scope` leaves behind,
/// step after step: nothing frees them. Leaves (`Value::new`, a model's
/// parameters: a 784-128-10 MLP has 101,770) are not counted, since they
/// are usually kept on purpose. The count is taken only when the tape
/// grows its buffers (they double), so the warning comes at the first
/// growth past this size, by 2^20 = 1,048,576 nodes in a simple loop:
/// about 32 MB of tape. Silence it with [`set_scope_warning`].
pub const SCOPE_WARNING_NODES: usize = 1_000_000;

static SCOPE_WARNING: AtomicBool = AtomicBool::new(true);

/// Turns the warning of [`SCOPE_WARNING_NODES`] on or off for every
/// thread (it is on by default). A program that keeps a large graph
/// outside any `scope` on purpose silences it with one line:
///
/// ```
/// micrograd_runtime::set_scope_warning(false);
/// ```
pub fn set_scope_warning(on: bool) {
    SCOPE_WARNING.store(on, Ordering::Relaxed);
}

/// Whether this thread's tape has shown the warning of
/// [`SCOPE_WARNING_NODES`], and how many unscoped nodes it counted.
/// Exposed for tests.
#[doc(hidden)]
pub fn scope_warning_state() -> (bool, usize) {
    with(|t| (t.warned, t.unscoped))
}

/// The number of live nodes on this thread's tape.
///
/// Meant for checking that loops do not leak: it returns to the same value
/// after every [`scope`].
///
/// ```
/// use micrograd_runtime::{graph_len, Value};
/// let before = graph_len();
/// let x = Value::new(1.0);
/// let _y = x * 2.0; // a constant for 2.0 and a Mul node
/// assert_eq!(graph_len(), before + 3);
/// ```
pub fn graph_len() -> usize {
    with(|t| t.len())
}

/// How many nodes the latest [`Value::backward`] on this thread examined.
///
/// Exposed for tests that check `backward` costs time in proportion to the
/// differentiated graph and not to the whole tape.
#[doc(hidden)]
pub fn last_backward_work() -> usize {
    with(|t| t.last_work)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parts of a handle made on a fresh thread, so on another tape.
    fn handle_from_another_tape(make: fn() -> Value) -> (u32, u32) {
        std::thread::spawn(move || {
            let v = make();
            (v.idx, v.epoch)
        })
        .join()
        .unwrap()
    }

    fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
        let err = std::panic::catch_unwind(f).unwrap_err();
        err.downcast_ref::<String>()
            .cloned()
            .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap()
    }

    #[test]
    fn a_handle_from_another_tape_panics_saying_so() {
        // The evcxr case: `x` made in one cell (one tape), read in a later
        // cell that sees a fresh tape where index 0 exists.
        let (idx, epoch) = handle_from_another_tape(|| Value::new(2.0));
        std::thread::spawn(move || {
            // An empty tape: no internal assertion, the user's message.
            let msg = panic_message(|| {
                Value::from_parts(idx, epoch).data();
            });
            assert!(msg.contains("belongs to another tape"), "{msg}");
            // The same tape with a node at that index: still caught, in
            // the base region and inside a scope.
            let y = Value::new(5.0);
            assert_eq!((y.idx, y.data()), (idx, 5.0));
            let msg = panic_message(|| {
                Value::from_parts(idx, epoch).data();
            });
            assert!(msg.contains("belongs to another tape"), "{msg}");
            scope(|| {
                let msg = panic_message(|| {
                    (Value::from_parts(idx, epoch) * y).data();
                });
                assert!(msg.contains("belongs to another tape"), "{msg}");
            });
        })
        .join()
        .unwrap();
    }

    #[test]
    fn a_freed_handle_still_says_freed_and_tapes_draw_different_epochs() {
        let (_, other) = handle_from_another_tape(|| Value::new(1.0));
        let (_, another) = handle_from_another_tape(|| Value::new(1.0));
        let here = Value::new(1.0).epoch;
        assert!(here != other && other != another && here != another);
        let inner = scope(|| Value::new(1.0));
        let msg = panic_message(|| {
            inner.data();
        });
        assert!(msg.contains("freed when the `scope`"), "{msg}");
        // A scope opened on a fresh tape draws its epoch first.
        std::thread::spawn(|| {
            let (v, epoch) = scope(|| {
                let v = Value::new(3.0);
                (v.data(), v.epoch)
            });
            assert_eq!(v, 3.0);
            assert!(epoch != 0);
            assert_eq!(with(|t| t.top_epoch), with(|t| t.base_epoch));
        })
        .join()
        .unwrap();
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "nested access to the Value tape")]
    fn nested_tape_access_panics_in_debug_builds() {
        with(|_| with(|t| t.len()));
    }
}
