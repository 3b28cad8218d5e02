"""Time one Adam step over the MNIST tutorial MLP's variables: ember vs plain NumPy.

The variables are the tutorial network's (784x128, 128, 128x10, 10; float32). ember's Adam
packs them into one flat buffer (its default) and is also timed on its per-variable path; the
floor is a hand-written per-array NumPy Adam, as a plain training loop would write it. Timings
are interleaved and the medians of many repeats are compared in the same run.

    python bench/optimizer_step.py [--steps 2000] [--repeats 7]
"""

import argparse
import math
import statistics
import time

import numpy as np

import ember
from ember.optimizers import Adam

SHAPES = [(784, 128), (128,), (128, 10), (10,)]


def make_arrays(seed=0):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(s).astype("float32") * 0.05 for s in SHAPES]
    grads = [rng.standard_normal(s).astype("float32") * 0.01 for s in SHAPES]
    return params, grads


class NumpyAdam:
    """A hand-written per-array Adam (same formula as Keras's, as a plain loop would have it)."""

    def __init__(self, params, lr=0.001, b1=0.9, b2=0.999, eps=1e-7):
        self.params = params
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.lr, self.b1, self.b2, self.eps, self.t = lr, b1, b2, eps, 0

    def step(self, grads):
        self.t += 1
        b1, b2 = self.b1, self.b2
        alpha = self.lr * math.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m += (g - m) * (1 - b1)
            v += (g * g - v) * (1 - b2)
            p -= m * alpha / (np.sqrt(v) + self.eps)


def time_loop(step, steps):
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - t0) / steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    params, grads = make_arrays()
    ref = NumpyAdam([p.copy() for p in params])

    variables = [ember.Variable(p.copy()) for p in params]
    flat = Adam()
    flat.build(variables)
    grad_tensors = [ember.Tensor(g) for g in grads]  # what a GradientTape hands over

    variables_pv = [ember.Variable(p.copy()) for p in params]
    per_var = Adam()
    per_var._use_flat = False
    per_var.build(variables_pv)

    runs = {
        "numpy": lambda: ref.step(grads),
        "ember flat": lambda: flat.apply(grad_tensors, variables),
        "ember per-variable": lambda: per_var.apply(grad_tensors, variables_pv),
    }
    times = {name: [] for name in runs}
    for fn in runs.values():  # warm up
        time_loop(fn, 100)
    for _ in range(args.repeats):
        for name, fn in runs.items():
            times[name].append(time_loop(fn, args.steps))
    med = {name: statistics.median(t) for name, t in times.items()}
    # same updates: ember (both paths) and the floor stay in step
    drift = max(float(np.max(np.abs(v.data - p))) for v, p in zip(variables, ref.params))
    print(f"Adam step over {sum(int(np.prod(s)) for s in SHAPES):,} float32 parameters in "
          f"{len(SHAPES)} variables (median of {args.repeats} x {args.steps} steps)")
    for name, t in med.items():
        print(f"  {name:<20s} {t * 1e6:8.1f} us/step")
    print(f"  ember flat / numpy          = {med['ember flat'] / med['numpy']:.2f}")
    print(f"  ember per-variable / numpy  = {med['ember per-variable'] / med['numpy']:.2f}")
    print(f"  max |ember - numpy| after all steps = {drift:.2e}")


if __name__ == "__main__":
    main()
