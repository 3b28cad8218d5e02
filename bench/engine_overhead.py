"""Engine overhead: one training step of Flatten -> Dense(128, relu) -> Dense(10, softmax),
batch 32, Adam, written with ember's tape and ops, against the same step hand-written in plain
NumPy (forward, backward, Adam), timed in the same run.

    python bench/engine_overhead.py [--steps 2000] [--repeats 5]

Prints the median time per step of each and the ratio ember / NumPy (target: <= 1.5).
"""

import argparse
import os
import statistics
import time

import numpy as np


def _blas_single_thread():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    return threadpool_limits(1)


def numpy_step_factory(x_all, y_all, batch=32, lr=1e-3, seed=0):
    """The floor: forward, backward and Adam written by hand in NumPy."""
    rng = np.random.default_rng(seed)
    lim1, lim2 = np.sqrt(6 / (784 + 128)), np.sqrt(6 / (128 + 10))
    params = [rng.uniform(-lim1, lim1, (784, 128)).astype(np.float32),
              np.zeros(128, np.float32),
              rng.uniform(-lim2, lim2, (128, 10)).astype(np.float32),
              np.zeros(10, np.float32)]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    b1, b2, eps = 0.9, 0.999, 1e-7
    state = {"t": 0}
    n = len(x_all)

    def step(i):
        idx = slice((i * batch) % (n - batch), (i * batch) % (n - batch) + batch)
        x = x_all[idx].reshape(batch, -1)
        y = y_all[idx]
        w1, b1_, w2, b2_ = params
        h = x @ w1 + b1_
        np.maximum(h, 0, out=h)
        z = h @ w2 + b2_
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        p = e / e.sum(axis=1, keepdims=True)
        g = p
        g[np.arange(batch), y] -= 1
        g /= batch
        gw2 = h.T @ g
        gb2 = g.sum(axis=0)
        gh = g @ w2.T
        gh *= h > 0
        gw1 = x.T @ gh
        gb1 = gh.sum(axis=0)
        state["t"] += 1
        t = state["t"]
        alpha = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        for p_, g_, m_, v_ in zip(params, (gw1, gb1, gw2, gb2), m, v):
            m_ += (g_ - m_) * (1 - b1)
            v_ += (g_ * g_ - v_) * (1 - b2)
            p_ -= alpha * m_ / (np.sqrt(v_) + eps)

    return step


def ember_step_factory(x_all, y_all, batch=32, seed=0):
    """The same step with ember: Variables, ops, GradientTape and ember's Adam."""
    import ember
    from ember import ops

    ember.utils.set_random_seed(seed)
    init = ember.initializers.GlorotUniform()
    w1 = ember.Variable(init((784, 128)), name="w1")
    b1 = ember.Variable(np.zeros(128, np.float32), name="b1")
    w2 = ember.Variable(init((128, 10)), name="w2")
    b2 = ember.Variable(np.zeros(10, np.float32), name="b2")
    variables = [w1, b1, w2, b2]
    opt = ember.optimizers.Adam(learning_rate=1e-3)
    opt.build(variables)
    n = len(x_all)

    def step(i):
        idx = slice((i * batch) % (n - batch), (i * batch) % (n - batch) + batch)
        x = x_all[idx]
        y = y_all[idx]
        with ember.GradientTape() as tape:
            h = ops.relu(ops.matmul(ops.reshape(x, (batch, 784)), w1) + b1)
            p = ops.softmax(ops.matmul(h, w2) + b2)
            loss = ops.mean(ops.sparse_categorical_crossentropy(y, p))
        grads = tape.gradient(loss, variables)
        opt.apply(grads, variables)

    return step


def time_steps(step, steps):
    for i in range(50):  # warm up
        step(i)
    t0 = time.perf_counter()
    for i in range(steps):
        step(i)
    return (time.perf_counter() - t0) / steps


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    limiter = _blas_single_thread()
    rng = np.random.default_rng(0)
    x = rng.random((10000, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, 10000)
    ember_times, numpy_times = [], []
    for _ in range(args.repeats):  # interleave, so both see the same machine load
        numpy_times.append(time_steps(numpy_step_factory(x, y), args.steps))
        ember_times.append(time_steps(ember_step_factory(x, y), args.steps))
    e, n = statistics.median(ember_times), statistics.median(numpy_times)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"BLAS threads: {'1 (threadpoolctl)' if limiter else 'default'}; "
          f"load average {load:.2f}")
    print(f"plain NumPy step: {n * 1e6:8.1f} us")
    print(f"ember step:       {e * 1e6:8.1f} us")
    print(f"ratio ember / NumPy: {e / n:.2f}  (target <= 1.5)")
    return e / n


if __name__ == "__main__":
    main()
