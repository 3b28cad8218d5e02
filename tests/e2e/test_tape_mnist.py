"""End to end on real MNIST with the engine alone: Variables, ops and GradientTape.

A two-layer network trained with Adam written by hand with ops, and the
``examples/backprop_from_scratch.py`` example run on a subset.
"""

import importlib.util
import time
from pathlib import Path

import numpy as np

import ember
from ember import ops

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "backprop_from_scratch.py"


def _flat(images):
    return images.reshape(len(images), -1).astype("float32") / np.float32(255.0)


class Adam:
    """Adam (Kingma & Ba) written with ops on Variables: the update needs no tape."""

    def __init__(self, variables, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        self.lr, self.b1, self.b2, self.eps = learning_rate, beta_1, beta_2, epsilon
        self.m = [ember.Variable(np.zeros(v.shape), trainable=False) for v in variables]
        self.v = [ember.Variable(np.zeros(v.shape), trainable=False) for v in variables]
        self.t = 0

    def apply(self, grads, variables):
        self.t += 1
        scale = self.lr * np.sqrt(1 - self.b2 ** self.t) / (1 - self.b1 ** self.t)
        for g, var, m, v in zip(grads, variables, self.m, self.v):
            m.assign(self.b1 * m + (1 - self.b1) * g)
            v.assign(self.b2 * v + (1 - self.b2) * ops.square(g))
            var.assign_sub(scale * m / (ops.sqrt(v) + self.eps))


def test_two_layer_network_with_tape_and_adam_reaches_95_percent(mnist_arrays):
    (x_train, y_train), (x_test, y_test) = mnist_arrays
    x_train, x_test = _flat(x_train), _flat(x_test)
    y_train = y_train.astype("int64")
    rng = np.random.default_rng(0)
    w1 = ember.Variable(rng.uniform(-1, 1, (784, 128)) * np.sqrt(6 / (784 + 128)))
    b1 = ember.Variable(np.zeros(128))
    w2 = ember.Variable(rng.uniform(-1, 1, (128, 10)) * np.sqrt(6 / (128 + 10)))
    b2 = ember.Variable(np.zeros(10))
    weights = [w1, b1, w2, b2]
    opt = Adam(weights, learning_rate=2e-3)

    def model(x):
        return ops.matmul(ops.relu(ops.matmul(x, w1) + b1), w2) + b2

    start = time.perf_counter()
    losses = []
    for _ in range(2):
        order = rng.permutation(len(x_train))
        for i in range(0, len(order), 64):
            batch = order[i:i + 64]
            with ember.GradientTape() as tape:
                loss = ops.mean(ops.sparse_categorical_crossentropy(
                    y_train[batch], model(x_train[batch]), from_logits=True))
            grads = tape.gradient(loss, weights)
            opt.apply(grads, weights)
            losses.append(float(loss))
    elapsed = time.perf_counter() - start
    assert all(w.dtype == np.float32 for w in weights)
    predicted = ops.argmax(model(x_test), axis=-1).numpy()
    accuracy = float((predicted == y_test).mean())
    print(f"tape MNIST: test accuracy {accuracy:.4f}, {elapsed:.1f} s")
    assert np.mean(losses[-50:]) < np.mean(losses[:50]) / 4
    assert accuracy >= 0.95


def test_backprop_from_scratch_example_on_a_subset(mnist_arrays):
    spec = importlib.util.spec_from_file_location("backprop_from_scratch", EXAMPLE)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    accuracy = example.main(epochs=3, limit=12000, data=mnist_arrays, verbose=False)
    assert accuracy >= 0.9
