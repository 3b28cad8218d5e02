"""Where one W1 training step and one W3 inference batch spend their time, part by part.

    python bench/step_profile.py [--steps 2000] [--kernels both|on|off]

W1: the tutorial's step (batch 32) split into forward, loss, gradient, optimizer update and
metrics, with the matrix products and Adam's arithmetic timed alone beside them, so the
remainder is what the engine adds. W3: ``predict`` of 10,000 images at batch 1024 against its
first matrix product alone. ``--kernels both`` runs everything with ember's compiled kernels and
then with their NumPy twins. All figures are medians over repeated blocks, in one process; this
machine is shared, so compare figures from the same run only.
"""

import argparse
import contextlib
import time

import numpy as np
from _common import load_mnist

import ember
from ember import layers
from ember.autodiff import GradientTape
from ember.backend import kernels, threads


def _median_us(fn, steps, blocks=5):
    per = []
    for _ in range(blocks):
        t = time.perf_counter()
        for _ in range(steps):
            fn()
        per.append((time.perf_counter() - t) / steps * 1e6)
    return sorted(per)[len(per) // 2]


def _model(x, y):
    ember.utils.set_random_seed(0)
    m = ember.Sequential([layers.Flatten(input_shape=(28, 28)),
                          layers.Dense(128, activation="relu"),
                          layers.Dense(10, activation="softmax")])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    m.fit(x[:3200], y[:3200], epochs=1, verbose=0)
    return m


def profile_w1(m, x, y, steps):
    xb, yb = x[:32], y[:32]
    tv = m.trainable_variables
    counter = [0]

    def step():
        i = (counter[0] % 1800) * 32
        counter[0] += 1
        m.train_step((x[i:i + 32], y[i:i + 32], None))

    def forward():
        with GradientTape():
            m(xb, training=True)

    def forward_loss():
        with GradientTape() as tape:
            pred = m(xb, training=True)
            loss = m.compute_loss(xb, yb, pred, None)
        return tape, loss, pred

    def forward_loss_grad():
        tape, loss, _ = forward_loss()
        return tape.gradient(loss, tv)

    # gradients of 64 different batches, applied in turn (one gradient applied over and over
    # would drive Adam's slots somewhere training never goes)
    grads = []
    for j in range(64):
        with GradientTape() as tape:
            lj = m.compute_loss(None, y[j * 32:j * 32 + 32], m(x[j * 32:j * 32 + 32],
                                                                training=True), None)
        grads.append([g.numpy().copy() for g in tape.gradient(lj, tv)])
    turn = [0]

    def apply():
        turn[0] += 1
        m.optimizer.apply(grads[turn[0] % 64], tv)

    _, loss, pred = forward_loss()
    k1, k2 = (v.numpy() for v in tv[0:4:2])
    a = xb.reshape(32, -1)
    h = np.maximum(a @ k1, 0)
    g2 = np.ones((32, 10), np.float32)
    g1 = np.ones((32, 128), np.float32)

    def gemms():  # every matrix product of the step, alone
        h2 = a @ k1
        h2 @ k2
        g2 @ k2.T
        h.T @ g2
        a.T @ g1

    rows = [("train_step", _median_us(step, steps)),
            ("  forward", _median_us(forward, steps)),
            ("  forward + loss", _median_us(forward_loss, steps)),
            ("  forward + loss + gradient", _median_us(forward_loss_grad, steps)),
            ("  optimizer.apply", _median_us(apply, steps)),
            ("  metrics update", _median_us(lambda: m._update_metrics(loss, yb, pred, None),
                                            steps)),
            ("matrix products alone", _median_us(gemms, steps))]
    return rows


def profile_w3(m, xt):
    k1 = m.layers[1].kernel.numpy()

    def first_products():
        for i in range(0, len(xt), 1024):
            xt[i:i + 1024].reshape(-1, 784) @ k1

    return [("predict 10k at batch 1024", _median_us(
                lambda: m.predict(xt, batch_size=1024, verbose=0), 5, blocks=7)),
            ("  its first matrix products alone", _median_us(first_products, 5, blocks=7))]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--kernels", choices=["both", "on", "off"], default="both")
    a = p.parse_args()
    (x, y), (xt, _) = load_mnist()
    x = x.astype(np.float32) / np.float32(255)  # the tutorial's scaling, as every W1 worker
    xt = xt.astype(np.float32) / np.float32(255)
    modes = {"both": [True, False], "on": [True], "off": [False]}[a.kernels]
    if True in modes and not kernels.available():
        raise SystemExit("the compiled kernels are not built (pip install -e .)")
    results = {}
    for on in modes:
        with contextlib.nullcontext() if on else kernels.disabled():
            m = _model(x, y)
            with threads.limit(1):  # what fit uses for steps this small
                w1 = profile_w1(m, x, y, a.steps)
            results[on] = w1 + profile_w3(m, xt)
    names = [r[0] for r in next(iter(results.values()))]
    head = " | ".join("kernels" if on else "NumPy twins" for on in modes)
    print(f"| part (us per step or batch set) | {head} |")
    print("|---|" + "---|" * len(modes))
    for i, name in enumerate(names):
        print(f"| {name} | " + " | ".join(f"{results[on][i][1]:.0f}" for on in modes) + " |")


if __name__ == "__main__":
    main()
