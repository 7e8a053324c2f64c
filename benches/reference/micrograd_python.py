"""Times Karpathy's micrograd (the PyPI package) on this project's benchmark
workloads, so BENCHMARKS.md can quote Python and Rust measured on the same
machine in the same session. Not part of CI.

    pip install micrograd==0.1.0
    python3 benches/reference/micrograd_python.py

micrograd's engine has no tanh; `tanh` below adds it the way the lecture
does (t = tanh(x), local derivative 1 - t^2), as one node.
"""

import math
import random
import statistics
import time

from micrograd.engine import Value
from micrograd.nn import MLP


def tanh(v):
    t = math.tanh(v.data)
    out = Value(t, (v,), "tanh")

    def _backward():
        v.grad += (1 - t * t) * out.grad

    out._backward = _backward
    return out


def expr30():
    """o_k = tanh(o_{k-1}*w1 + x2*w2 + b), k = 1..5, o_0 = x1: 30 nodes."""
    x1, x2, w1, w2, b = (Value(v) for v in (0.3, -0.7, 0.9, 0.4, -0.1))
    o = x1
    for _ in range(5):
        o = tanh(o * w1 + x2 * w2 + b)
    o.backward()
    return x1.grad


def lecture_mlp(sizes, rng):
    """The lecture's MLP (tanh after every layer, the output too), as lists
    of (weights, bias) per neuron, weights uniform in [-1, 1]."""
    return [
        [([Value(rng.uniform(-1, 1)) for _ in range(nin)], Value(rng.uniform(-1, 1)))
         for _ in range(nout)]
        for nin, nout in zip(sizes, sizes[1:])
    ]


def lecture_forward(mlp, x):
    for layer in mlp:
        x = [tanh(sum((wi * xi for wi, xi in zip(w, x)), b)) for w, b in layer]
    return x[0]


def notebook_step(mlp, params, init, xs, ys):
    """The notebook's training step on its four samples (summed squared
    error, SGD lr 0.1), from the same weights every time (as
    benches/scratch.rs does)."""
    for p, v in zip(params, init):
        p.data = v
    ypred = [lecture_forward(mlp, x) for x in xs]
    loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))
    for p in params:
        p.grad = 0.0
    loss.backward()
    for p in params:
        p.data += -0.1 * p.grad
    return loss.data


def median_seconds(f, repeat, number):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            f()
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times)


def moons(n, noise, rng):
    """Two interleaving half circles with Gaussian noise, labels +-1."""
    xs, ys = [], []
    for i in range(n):
        if i < n // 2:
            t = math.pi * i / (n // 2 - 1)
            x, y, label = math.cos(t), math.sin(t), -1
        else:
            t = math.pi * (i - n // 2) / (n - n // 2 - 1)
            x, y, label = 1 - math.cos(t), 0.5 - math.sin(t), 1
        xs.append([x + rng.gauss(0, noise), y + rng.gauss(0, noise)])
        ys.append(label)
    return xs, ys


def training_step(model, xs, ys, k, steps):
    """micrograd's demo step: max-margin + 1e-4 L2, backward, SGD with decay."""
    inputs = [list(map(Value, x)) for x in xs]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(ys, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    loss = data_loss + reg_loss
    model.zero_grad()
    loss.backward()
    lr = 1.0 - 0.9 * k / steps
    for p in model.parameters():
        p.data -= lr * p.grad
    return loss.data


def main():
    e30 = median_seconds(expr30, repeat=7, number=2000)
    print(f"micrograd expr30 build+backward: median {e30 * 1e6:.1f} us")

    mlp = lecture_mlp([3, 4, 4, 1], random.Random(42))
    params = [p for layer in mlp for w, b in layer for p in w + [b]]
    init = [p.data for p in params]
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    nb = median_seconds(lambda: notebook_step(mlp, params, init, xs, ys), repeat=7, number=1000)
    print(f"micrograd notebook training step (3-4-4-1 tanh, 4 samples): median {nb * 1e6:.1f} us")

    random.seed(1337)
    rng = random.Random(0)
    xs, ys = moons(100, 0.1, rng)
    model = MLP(2, [16, 16, 1])
    step_times = []
    for k in range(5):
        t0 = time.perf_counter()
        training_step(model, xs, ys, k, 100)
        step_times.append(time.perf_counter() - t0)
    print(
        f"micrograd moons training step (2-16-16-1, 100 points): "
        f"median {statistics.median(step_times) * 1e3:.1f} ms over {len(step_times)} steps"
    )


if __name__ == "__main__":
    main()
