"""Step time of TensorFlow's expert-quickstart custom training loop in ember: eager against
``tf.function`` (trace once, then replay), for the quickstart's CNN and an MLP.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/bench_tf_function.py [--steps 200]

The step is the quickstart's: GradientTape, SparseCategoricalCrossentropy(from_logits=True),
Adam.apply_gradients, Mean and SparseCategoricalAccuracy metrics; batch 32 of MNIST. Prints
milliseconds per step, wall-clock and this process's CPU time (medians over repeats, and the
best wall-clock repeat; eager and compiled runs interleaved, warm-up and the trace excluded),
the ratios tf.function / eager, and how busy the other CPUs were (on a shared machine only
the best-of numbers mean much).
"""

import argparse
import time

import numpy as np
from _common import cpu_busy_during, load_mnist, median


def build(kind):
    import ember
    from ember import layers

    ember.utils.set_random_seed(0)
    if kind == "cnn":  # the expert quickstart's model
        return ember.Sequential([
            layers.Input((28, 28, 1)), layers.Conv2D(32, 3, activation="relu"), layers.Flatten(),
            layers.Dense(128, activation="relu"), layers.Dense(10)])
    return ember.Sequential([  # the beginner quickstart's network, in the custom loop
        layers.Input((28, 28)), layers.Flatten(), layers.Dense(128, activation="relu"),
        layers.Dropout(0.2), layers.Dense(10)])


def make_step(kind, compiled):
    import ember
    from ember.tf.tf_function import function

    model = build(kind)
    loss_object = ember.losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = ember.optimizers.Adam()
    train_loss = ember.metrics.Mean(name="train_loss")
    train_accuracy = ember.metrics.SparseCategoricalAccuracy(name="train_accuracy")

    def train_step(images, labels):
        with ember.GradientTape() as tape:
            predictions = model(images, training=True)
            loss = loss_object(labels, predictions)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        train_loss(loss)
        train_accuracy(labels, predictions)

    return function(train_step) if compiled else train_step


def time_steps(step, batches, steps):
    for x, y in batches[:3]:  # warm-up (and the trace)
        step(x, y)
    t, c = time.perf_counter(), time.process_time()
    for i in range(steps):
        x, y = batches[i % len(batches)]
        step(x, y)
    return (time.perf_counter() - t) / steps, (time.process_time() - c) / steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    (x, y), _ = load_mnist()
    x = (x[:32 * 50] / 255.0).astype(np.float32)
    y = y[:32 * 50]
    for kind in ("mlp", "cnn"):
        images = x[..., None] if kind == "cnn" else x
        batches = [(images[i:i + 32], y[i:i + 32]) for i in range(0, len(images), 32)]
        wall, cpu, busy = {False: [], True: []}, {False: [], True: []}, []
        for _ in range(args.repeats):
            for compiled in (False, True):
                step = make_step(kind, compiled)
                (seconds, cpu_seconds), _, other = cpu_busy_during(
                    lambda step=step, batches=batches: time_steps(step, batches, args.steps))
                wall[compiled].append(seconds)
                cpu[compiled].append(cpu_seconds)
                busy.append(other)
        we, wc = median(wall[False]), median(wall[True])
        ce, cc = median(cpu[False]), median(cpu[True])
        be, bc = min(wall[False]), min(wall[True])
        print(f"{kind}: wall eager {we * 1e3:.3f} / tf.function {wc * 1e3:.3f} ms/step "
              f"(ratio {wc / we:.2f}; best of {args.repeats}: {be * 1e3:.3f} / {bc * 1e3:.3f}, "
              f"ratio {bc / be:.2f}); CPU eager {ce * 1e3:.3f} / tf.function {cc * 1e3:.3f} "
              f"ms/step (ratio {cc / ce:.2f}); other CPU use up to {max(busy):.0%}")


if __name__ == "__main__":
    main()
