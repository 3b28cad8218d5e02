"""Backpropagation from scratch: an MNIST classifier written with ember's tape and ops only.

No layers, no optimizer, no fit(): the four steps of backpropagation, spelled out.

    1. Forward pass: compute the network's output from the input, layer by layer.
    2. Loss: measure how wrong the output is (cross-entropy against the true digit).
    3. Backward pass: the gradient of the loss with respect to every weight (the tape applies
       the chain rule backwards through everything the forward pass recorded).
    4. Update: move every weight a small step (the learning rate) against its gradient.

The network is 784 -> 128 (ReLU) -> 10, trained with plain minibatch gradient descent. With
the default settings it reaches about 0.98 test accuracy in 5 epochs.

Run it with::

    python examples/backprop_from_scratch.py            # full MNIST, 5 epochs
    python examples/backprop_from_scratch.py --limit 5000 --epochs 2   # a quick try
"""

import argparse
import time

import numpy as np

import ember
from ember import ops


def glorot_uniform(shape, seed):
    """Keras's default initializer: uniform in +-sqrt(6 / (fan_in + fan_out))."""
    limit = np.sqrt(6.0 / (shape[0] + shape[1]))
    return ember.random.uniform(shape, -limit, limit, seed=seed)


def prepare(images, labels, limit=None):
    """uint8 images (n, 28, 28) -> float32 rows of 784 pixels in [0, 1]; labels as int64."""
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    x = images.reshape(len(images), -1).astype("float32") / np.float32(255.0)
    return x, labels.astype("int64")


def main(epochs=5, batch_size=32, learning_rate=0.1, limit=None, data=None, seed=0,
         verbose=True):
    """Train the network and return its test accuracy.

    Args:
        epochs: passes over the training data.
        batch_size: examples per gradient step.
        learning_rate: the step size of the update.
        limit: use only the first ``limit`` training and test examples (a quick run).
        data: ``((x_train, y_train), (x_test, y_test))``; by default
            ``ember.datasets.mnist.load_data()``.
        seed: seeds the initial weights and the shuffling.
    """
    if data is None:
        data = ember.datasets.mnist.load_data()
    (x_train, y_train), (x_test, y_test) = data
    x_train, y_train = prepare(x_train, y_train, limit)
    x_test, y_test = prepare(x_test, y_test, limit)

    # The weights: two dense layers. Variables are what the tape watches by itself.
    w1 = ember.Variable(glorot_uniform((784, 128), seed), name="w1")
    b1 = ember.Variable(np.zeros(128), name="b1")
    w2 = ember.Variable(glorot_uniform((128, 10), seed + 1), name="w2")
    b2 = ember.Variable(np.zeros(10), name="b2")
    weights = [w1, b1, w2, b2]

    def forward(x):
        hidden = ops.relu(ops.matmul(x, w1) + b1)
        return ops.matmul(hidden, w2) + b2  # logits: one score per digit

    rng = np.random.default_rng(seed)
    n = len(x_train)
    for epoch in range(epochs):
        start = time.perf_counter()
        order = rng.permutation(n)
        total = 0.0
        for i in range(0, n, batch_size):
            batch = order[i:i + batch_size]
            x, y = x_train[batch], y_train[batch]
            with ember.GradientTape() as tape:
                # 1. Forward pass.
                logits = forward(x)
                # 2. Loss: the mean cross-entropy between the softmax of the logits and the
                #    true digits (computed from the logits, which is exact and stable).
                loss = ops.mean(ops.sparse_categorical_crossentropy(y, logits, from_logits=True))
            # 3. Backward pass: d loss / d weight for every weight, by the chain rule.
            grads = tape.gradient(loss, weights)
            # 4. Update: a step of size learning_rate down each gradient.
            for w, g in zip(weights, grads):
                w.assign_sub(learning_rate * g)
            total += float(loss) * len(batch)
        accuracy = evaluate(forward, x_test, y_test)
        if verbose:
            print(f"epoch {epoch + 1}/{epochs}: loss {total / n:.4f}, "
                  f"test accuracy {accuracy:.4f} ({time.perf_counter() - start:.1f} s)")
    return accuracy


def evaluate(forward, x, y, batch_size=1000):
    """The fraction of test images whose highest-scoring digit is the right one (no tape:
    inference costs only the NumPy calls)."""
    correct = 0
    for i in range(0, len(x), batch_size):
        predicted = ops.argmax(forward(x[i:i + batch_size]), axis=-1).numpy()
        correct += int((predicted == y[i:i + batch_size]).sum())
    return correct / len(x)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=0.1)
    parser.add_argument("--limit", type=int, default=None,
                        help="train and test on the first LIMIT examples only")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    t0 = time.perf_counter()
    acc = main(args.epochs, args.batch_size, args.learning_rate, args.limit, seed=args.seed)
    print(f"test accuracy {acc:.4f} in {time.perf_counter() - t0:.1f} s")
