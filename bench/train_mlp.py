"""The tutorial's fit, timed: ember against a hand-written NumPy loop (and TensorFlow when it is
importable), in the same run.

    python bench/train_mlp.py [--epochs 3] [--tf-python /path/to/venv/bin/python]

W1 = Flatten(28x28) -> Dense(128, relu) -> Dense(10, softmax), Adam, batch 32, 60,000 MNIST
images. Prints seconds per epoch (medians, first epoch skipped), the ratios ember / NumPy floor
(target <= 1.3) and ember / TensorFlow (target <= 0.5), the test accuracies, and how busy the
other CPU was during each measurement.
"""

import argparse
import os
import subprocess
import sys
import time

import numpy as np
from _common import NumpyMLP, cpu_busy_during, load_mnist, median

TF_SNIPPET = r"""
import time, numpy as np, tensorflow as tf
from tensorflow.keras import layers, models
with np.load({path!r}) as f:
    x, y, xt, yt = f["x_train"] / 255.0, f["y_train"], f["x_test"] / 255.0, f["y_test"]
m = models.Sequential([layers.Flatten(input_shape=(28, 28)), layers.Dense(128, activation="relu"),
                       layers.Dense(10, activation="softmax")])
m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
times = []
for e in range({epochs}):
    t = time.perf_counter(); m.fit(x, y, epochs=1, verbose=0); times.append(time.perf_counter() - t)
print(sorted(times[1:])[len(times[1:]) // 2] if len(times) > 1 else times[0])
"""


def run_ember(x, y, xt, yt, epochs):
    import ember
    from ember import layers

    ember.utils.set_random_seed(0)
    model = ember.Sequential([layers.Flatten(input_shape=(28, 28)),
                              layers.Dense(128, activation="relu"),
                              layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    times, busy = [], []
    for _ in range(epochs):
        _, seconds, b = cpu_busy_during(lambda: model.fit(x, y, epochs=1, verbose=0))
        times.append(seconds)
        busy.append(b)
    _, acc = model.evaluate(xt, yt, verbose=0)
    return times, busy, acc


def run_numpy(x, y, xt, yt, epochs):
    try:
        from threadpoolctl import threadpool_limits
        limit = threadpool_limits(1)  # the floor's best setting for these small matrices
    except ImportError:
        limit = None
    net = NumpyMLP()
    rng = np.random.default_rng(0)
    times, busy = [], []
    for _ in range(epochs):
        _, seconds, b = cpu_busy_during(lambda: net.epoch(x, y, rng=rng))
        times.append(seconds)
        busy.append(b)
    if limit is not None:
        limit.restore_original_limits()
    return times, busy, net.accuracy(xt, yt)


def run_tensorflow(epochs, python=None):
    from _common import SHARED

    if python is None:
        try:
            import importlib.util

            if importlib.util.find_spec("tensorflow") is None:
                return None
        except ValueError:
            return None
    code = TF_SNIPPET.format(path=str(SHARED / "mnist" / "mnist.npz"), epochs=epochs)
    out = subprocess.run([python or sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    try:
        return float(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--tf-python", help="a Python that has TensorFlow (e.g. a virtualenv's)")
    args = parser.parse_args(argv)
    (x, y), (xt, yt) = load_mnist()
    x, xt = x / 255.0, xt / 255.0
    t0 = time.time()
    numpy_times, numpy_busy, numpy_acc = run_numpy(x, y, xt, yt, args.epochs)
    ember_times, ember_busy, ember_acc = run_ember(x, y, xt, yt, args.epochs)
    tf_time = run_tensorflow(args.epochs, args.tf_python)
    skip = 1 if args.epochs > 1 else 0
    e, n = median(ember_times[skip:]), median(numpy_times[skip:])
    print(f"W1, {args.epochs} epochs each ({time.time() - t0:.0f} s in all)")
    print(f"{'':22}{'s/epoch':>9}{'test acc':>10}{'other CPU busy':>16}")
    print(f"{'ember fit':22}{e:9.3f}{ember_acc:10.4f}{median(ember_busy):16.0%}")
    print(f"{'plain NumPy, 1 thread':22}{n:9.3f}{numpy_acc:10.4f}{median(numpy_busy):16.0%}")
    if tf_time is not None:
        print(f"{'TensorFlow fit':22}{tf_time:9.3f}")
    print(f"ratio ember / NumPy floor: {e / n:.2f} (target <= 1.3)")
    if tf_time is not None:
        print(f"ratio ember / TensorFlow:  {e / tf_time:.2f} (target <= 0.5)")
    else:
        print("TensorFlow is not importable here; its ratio is not measured in this run.")


if __name__ == "__main__":
    main()
