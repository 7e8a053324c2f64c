//! An autodiff engine from scratch, in the order the micrograd notebook
//! builds it: a `Value` that remembers how it was made, `+` and `*` with
//! their local derivatives, `backward()` by topological sort, `tanh`, `exp`
//! and `powf`, `-` and `/` derived from those, then `Neuron`, `Layer`, `Mlp`
//! and the training loop. Plain safe Rust, no speed tricks: read it top to
//! bottom. `examples/value_from_scratch.rs` runs it step by step;
//! `tests/from_scratch.rs` checks it against the real engine and `grad!`.
//!
//! (It is shared by `#[path]`, not a module of the crate, because it is a
//! lesson, not an API: the crate's `Value` is the engine to use.)

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt::Write;
use std::ops::{Add, Div, Mul, Neg, Sub};
use std::rc::Rc;

// ---------------------------------------------------------------- 1. Value

/// What one value of the graph holds.
pub struct Node {
    pub data: f64,
    /// dL/d(this value), filled in by `backward`.
    pub grad: f64,
    /// The values this one was computed from, each with the local
    /// derivative d(this)/d(child): all the chain rule needs.
    pub children: Vec<(Value, f64)>,
    /// The op that made it ("+", "*", "tanh", ...; "" for a leaf): for pictures.
    pub op: String,
    pub label: String,
}

/// A handle to a node. Cloning it shares the node (`Rc`), so a value used
/// twice is one node with two parents; `RefCell` lets `backward` write the
/// gradient through any handle, as Python's objects allow.
#[derive(Clone)]
pub struct Value(Rc<RefCell<Node>>);

impl Value {
    /// A leaf: an input or a parameter.
    pub fn new(data: f64) -> Value {
        Value::from_op(data, "", vec![])
    }

    /// Every op does the same three things: compute its output, state the
    /// local derivative for each operand, and attach both to a new node.
    fn from_op(data: f64, op: &str, children: Vec<(Value, f64)>) -> Value {
        let (op, label) = (op.to_string(), String::new());
        let node = Node {
            data,
            grad: 0.0,
            children,
            op,
            label,
        };
        Value(Rc::new(RefCell::new(node)))
    }

    pub fn with_label(self, label: &str) -> Value {
        self.0.borrow_mut().label = label.to_string();
        self
    }
    /// The node's address: identifies it in the sort and the picture.
    fn id(&self) -> *const RefCell<Node> {
        Rc::as_ptr(&self.0)
    }
}

// Reading and writing a node through its handle, one line each.
#[rustfmt::skip]
impl Value {
    pub fn data(&self) -> f64 { self.0.borrow().data }
    pub fn grad(&self) -> f64 { self.0.borrow().grad }
    pub fn set_data(&self, data: f64) { self.0.borrow_mut().data = data }
    pub fn zero_grad(&self) { self.0.borrow_mut().grad = 0.0 }
    pub fn label(&self) -> String { self.0.borrow().label.clone() }
    pub fn op(&self) -> String { self.0.borrow().op.clone() }
    pub fn children(&self) -> Vec<(Value, f64)> { self.0.borrow().children.clone() }
}

/// `2.0` where a `Value` is expected becomes a leaf, as Python's
/// `other = other if isinstance(other, Value) else Value(other)`.
impl From<f64> for Value {
    fn from(data: f64) -> Value {
        Value::new(data)
    }
}
impl From<&Value> for Value {
    fn from(v: &Value) -> Value {
        v.clone()
    }
}

// ------------------------------------------------------ 2. `+` and `*`

impl<T: Into<Value>> Add<T> for &Value {
    type Output = Value;
    /// out = a + b; d out/da = 1, d out/db = 1: `+` hands the gradient on.
    fn add(self, other: T) -> Value {
        let other = other.into();
        let data = self.data() + other.data();
        Value::from_op(data, "+", vec![(self.clone(), 1.0), (other, 1.0)])
    }
}

impl<T: Into<Value>> Mul<T> for &Value {
    type Output = Value;
    /// out = a * b; d out/da = b, d out/db = a: `*` swaps its operands.
    fn mul(self, other: T) -> Value {
        let other = other.into();
        let (a, b) = (self.data(), other.data());
        Value::from_op(a * b, "*", vec![(self.clone(), b), (other, a)])
    }
}

// ----------------------------------------------------------- 3. backward

impl Value {
    /// Every value's dL/dvalue, where L is `self`, by the chain rule:
    /// visit the nodes so that each comes after every node it feeds, and
    /// give each child `local * grad` of its parent. `+=`, not `=`: a value
    /// used twice (`a + a`) collects a share from each use.
    pub fn backward(&self) {
        let topo = self.topological_order();
        self.0.borrow_mut().grad = 1.0; // dL/dL
        for v in topo.iter().rev() {
            let node = v.0.borrow();
            for (child, local) in &node.children {
                child.0.borrow_mut().grad += local * node.grad;
            }
        }
    }

    /// Every node reachable from `self`, children before parents.
    ///
    /// The notebook's `build_topo` recurses once per node along the
    /// longest path: Python stops at its recursion limit (1000 frames by
    /// default) with a `RecursionError`, and a Rust recursion overflows
    /// the thread's stack (on the 8 MB main thread: a chain 30,000 deep
    /// passes, 100,000 aborts). A loop with an explicit stack has no such
    /// limit: `(v, true)` means "v's children are done, emit v".
    pub fn topological_order(&self) -> Vec<Value> {
        let (mut topo, mut visited) = (Vec::new(), HashSet::new());
        let mut stack = vec![(self.clone(), false)];
        while let Some((v, children_done)) = stack.pop() {
            if children_done {
                topo.push(v);
            } else if visited.insert(v.id()) {
                stack.push((v.clone(), true));
                for (child, _) in v.0.borrow().children.iter().rev() {
                    stack.push((child.clone(), false));
                }
            }
        }
        topo
    }
}

/// Dropping a chain of a million values would also recurse (each `Rc`
/// drops its children); this unlinks them with a loop instead.
impl Drop for Node {
    fn drop(&mut self) {
        let mut stack = std::mem::take(&mut self.children);
        while let Some((child, _)) = stack.pop() {
            if let Ok(cell) = Rc::try_unwrap(child.0) {
                stack.append(&mut cell.into_inner().children);
            }
        }
    }
}

// ---------------------------------------- 4. tanh, exp, powf, then - and /

impl Value {
    /// t = tanh(x); dt/dx = 1 - t^2, written with the output.
    pub fn tanh(&self) -> Value {
        let t = self.data().tanh();
        Value::from_op(t, "tanh", vec![(self.clone(), 1.0 - t * t)])
    }
    /// y = e^x; dy/dx = e^x = y.
    pub fn exp(&self) -> Value {
        let y = self.data().exp();
        Value::from_op(y, "exp", vec![(self.clone(), y)])
    }
    /// y = x^k for a constant k (Python's `x**k`); dy/dx = k x^(k-1).
    pub fn powf(&self, k: f64) -> Value {
        let x = self.data();
        let local = k * x.powf(k - 1.0);
        Value::from_op(x.powf(k), &format!("**{k}"), vec![(self.clone(), local)])
    }
}

// No new derivative rules from here on: each op is built from the ones
// above, so `backward` already knows how to go through it.
impl Neg for &Value {
    type Output = Value;
    /// -a = a * -1
    fn neg(self) -> Value {
        self * -1.0
    }
}
impl<T: Into<Value>> Sub<T> for &Value {
    type Output = Value;
    /// a - b = a + (-b)
    fn sub(self, other: T) -> Value {
        let other: Value = other.into();
        self + -&other
    }
}
impl<T: Into<Value>> Div<T> for &Value {
    type Output = Value;
    /// a / b = a * b^-1
    fn div(self, other: T) -> Value {
        self * other.into().powf(-1.0)
    }
}

// `a * b` on owned values (not just `&a * &b`) does the same.
macro_rules! owned {
    ($($Trait:ident $method:ident),*) => {$(
        impl<T: Into<Value>> $Trait<T> for Value {
            type Output = Value;
            fn $method(self, other: T) -> Value { (&self).$method(other) }
        }
    )*};
}
owned!(Add add, Sub sub, Mul mul, Div div);
impl Neg for Value {
    type Output = Value;
    fn neg(self) -> Value {
        -&self
    }
}
/// `values.sum()`, starting from 0 as Python's `sum` does.
impl std::iter::Sum for Value {
    fn sum<I: Iterator<Item = Value>>(iter: I) -> Value {
        iter.fold(Value::new(0.0), |acc, v| acc + v)
    }
}

// --------------------------------------------------------------- 5. picture

impl Value {
    /// The graph in Graphviz DOT, in the style of the notebook's `draw_dot`
    /// (and the real engine's `to_dot`): a record `{ label | data | grad }`
    /// per value, an ellipse per op, left to right.
    pub fn to_dot(&self) -> String {
        let mut dot = String::from(
            "digraph micrograd {\n  rankdir=LR;\n  node [shape=record, fontname=\"Helvetica\"];\n",
        );
        let topo = self.topological_order();
        let index = |v: &Value| topo.iter().position(|u| u.id() == v.id()).unwrap();
        for (i, v) in topo.iter().enumerate() {
            let n = v.0.borrow();
            let _ = writeln!(
                dot,
                "  v{i} [label=\"{{ {} | data {:.4} | grad {:.4} }}\"];",
                n.label, n.data, n.grad
            );
            if !n.children.is_empty() {
                let _ = writeln!(dot, "  v{i}_op [label=\"{}\", shape=ellipse];", n.op);
                let _ = writeln!(dot, "  v{i}_op -> v{i};");
                for (child, _) in &n.children {
                    let _ = writeln!(dot, "  v{} -> v{i}_op;", index(child));
                }
            }
        }
        dot + "}\n"
    }
}

// ------------------------------------------------------ 6. Neuron, Layer, Mlp

/// tanh(w . x + b).
pub struct Neuron {
    pub w: Vec<Value>,
    pub b: Value,
}

impl Neuron {
    /// `nin` weights, then the bias, each drawn from `init` (the notebook
    /// draws them uniformly from [-1, 1]).
    pub fn new(nin: usize, init: &mut impl FnMut() -> f64) -> Neuron {
        let w = (0..nin).map(|_| Value::new(init())).collect();
        Neuron {
            w,
            b: Value::new(init()),
        }
    }
    pub fn call(&self, x: &[Value]) -> Value {
        // b + w0 x0 + w1 x1 + ..., in Python's order: sum(..., self.b)
        let act = self
            .w
            .iter()
            .zip(x)
            .fold(self.b.clone(), |acc, (w, x)| acc + w * x);
        act.tanh()
    }
    pub fn parameters(&self) -> Vec<Value> {
        self.w.iter().chain([&self.b]).cloned().collect()
    }
}

/// `nout` neurons reading the same inputs.
pub struct Layer(pub Vec<Neuron>);

impl Layer {
    pub fn new(nin: usize, nout: usize, init: &mut impl FnMut() -> f64) -> Layer {
        Layer((0..nout).map(|_| Neuron::new(nin, init)).collect())
    }
    pub fn call(&self, x: &[Value]) -> Vec<Value> {
        self.0.iter().map(|n| n.call(x)).collect()
    }
    pub fn parameters(&self) -> Vec<Value> {
        self.0.iter().flat_map(Neuron::parameters).collect()
    }
}

/// Layers in a row: `Mlp::new(3, &[4, 4, 1], ..)` is 3 -> 4 -> 4 -> 1.
pub struct Mlp(pub Vec<Layer>);

impl Mlp {
    pub fn new(nin: usize, nouts: &[usize], init: &mut impl FnMut() -> f64) -> Mlp {
        let sizes: Vec<usize> = [nin].iter().chain(nouts).copied().collect();
        Mlp(sizes
            .windows(2)
            .map(|s| Layer::new(s[0], s[1], init))
            .collect())
    }
    pub fn call(&self, x: &[f64]) -> Vec<Value> {
        let x: Vec<Value> = x.iter().map(|&x| Value::new(x)).collect();
        self.0.iter().fold(x, |x, layer| layer.call(&x))
    }
    /// Layer by layer, neuron by neuron, weights then bias.
    pub fn parameters(&self) -> Vec<Value> {
        self.0.iter().flat_map(Layer::parameters).collect()
    }
}

// ------------------------------------------------------------ 7. training

/// One step of the notebook's loop: forward on every sample, the summed
/// squared error, zero the gradients, backward, and a step of size `lr`
/// down the gradient. Returns the loss before the step.
pub fn train_step(mlp: &Mlp, xs: &[Vec<f64>], ys: &[f64], lr: f64) -> f64 {
    let ypred: Vec<Value> = xs.iter().map(|x| mlp.call(x)[0].clone()).collect();
    let loss: Value = ypred
        .iter()
        .zip(ys)
        .map(|(yout, &ygt)| (yout - ygt).powf(2.0))
        .sum();
    let params = mlp.parameters();
    for p in &params {
        p.zero_grad();
    }
    loss.backward();
    for p in &params {
        p.set_data(p.data() + -lr * p.grad());
    }
    loss.data()
}
