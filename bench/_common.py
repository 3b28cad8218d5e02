"""Shared pieces of the benchmarks: data, the plain-NumPy floor, timing helpers."""

import os
import statistics
import time
from pathlib import Path

import numpy as np

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def load_mnist():
    """MNIST as Keras returns it (uint8), from ../shared when present, else ember's loader."""
    path = SHARED / "mnist" / "mnist.npz"
    if path.exists():
        with np.load(path) as f:
            return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
    import ember

    return ember.datasets.mnist.load_data()


def machine_load():
    """The 1-minute load average (a busy machine makes timings meaningless)."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def _own_cpu():
    t = os.times()  # this process and its finished children (the workers we ran)
    return t.user + t.system + t.children_user + t.children_system


def cpu_busy_during(fn):
    """Run ``fn``; return (its result, seconds, the share of the machine's CPU time that other
    processes used meanwhile, from /proc/stat minus our own and our children's CPU time)."""
    def snapshot():
        try:
            with open("/proc/stat") as f:
                parts = [float(v) for v in f.readline().split()[1:]]
        except OSError:
            return None
        return sum(parts[:3]) + sum(parts[5:8]), sum(parts)

    before, t0, c0 = snapshot(), time.perf_counter(), _own_cpu()
    result = fn()
    after, t1, c1 = snapshot(), time.perf_counter(), _own_cpu()
    busy = float("nan")
    if before and after:
        ticks = os.sysconf("SC_CLK_TCK")
        total_busy = (after[0] - before[0]) / ticks
        ncpu = os.cpu_count() or 1
        other = max(0.0, total_busy - (c1 - c0))
        busy = other / max(1e-9, (t1 - t0) * ncpu)
    return result, t1 - t0, busy


class NumpyMLP:
    """The tutorial network, trained by hand in NumPy: forward, backward and Adam per array.

    This is the floor the issues measure ember against: no framework, float32, one update per
    parameter array (as a careful person would write it).
    """

    def __init__(self, seed=0, lr=1e-3):
        rng = np.random.default_rng(seed)
        lim1, lim2 = np.sqrt(6 / (784 + 128)), np.sqrt(6 / (128 + 10))
        self.params = [rng.uniform(-lim1, lim1, (784, 128)).astype(np.float32),
                       np.zeros(128, np.float32),
                       rng.uniform(-lim2, lim2, (128, 10)).astype(np.float32),
                       np.zeros(10, np.float32)]
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.t = 0
        self.lr = lr

    def step(self, x, y):
        batch = len(x)
        w1, b1, w2, b2 = self.params
        h = x @ w1 + b1
        np.maximum(h, 0, out=h)
        z = h @ w2 + b2
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        g = p
        g[np.arange(batch), y] -= 1
        g /= batch
        gw2 = h.T @ g
        gb2 = g.sum(axis=0)
        gh = g @ w2.T
        gh *= h > 0
        gw1 = x.T @ gh
        gb1 = gh.sum(axis=0)
        self.t += 1
        alpha = self.lr * np.sqrt(1 - 0.999 ** self.t) / (1 - 0.9 ** self.t)
        for p_, g_, m_, v_ in zip(self.params, (gw1, gb1, gw2, gb2), self.m, self.v):
            m_ += (g_ - m_) * 0.1
            v_ += (g_ * g_ - v_) * 0.001
            p_ -= alpha * m_ / (np.sqrt(v_) + 1e-7)

    def epoch(self, x, y, batch_size=32, rng=None):
        """One shuffled epoch over float64 images (as ``x / 255.0`` gives), cast per batch."""
        rng = rng or np.random.default_rng(0)
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            idx = order[start:start + batch_size]
            self.step(x[idx].reshape(len(idx), -1).astype(np.float32), y[idx])

    def accuracy(self, x, y):
        w1, b1, w2, b2 = self.params
        h = np.maximum(x.reshape(len(x), -1).astype(np.float32) @ w1 + b1, 0)
        return float(np.mean((h @ w2 + b2).argmax(1) == y))


def median(values):
    return statistics.median(values)
