"""The simple MNIST convnet's fit, timed: ember (and TensorFlow when it is importable), in the
same run, plus a profile of where ember's time goes.

    python bench/train_convnet.py [--steps 100] [--full] [--profile-steps 20]
                                  [--tf-python PATH]

W2 = Conv2D(32, 3, relu) -> MaxPool(2) -> Conv2D(64, 3, relu) -> MaxPool(2) -> Flatten ->
Dropout(0.5) -> Dense(10, softmax), Adam, batch 128, 60,000 MNIST images = 469 steps per epoch.

By default each framework is timed on a fraction of an epoch (``--steps`` batches, after a
warm-up fit of a few batches) and the time is extrapolated to 469 steps (the output says so);
``--full`` times whole epochs instead. TensorFlow runs in a subprocess of this interpreter, or
of ``--tf-python`` (e.g. a virtual environment that has TensorFlow). Reports s/epoch, the ratio
ember / TensorFlow (target <= 1), how busy the other CPUs were (a busy machine makes timings
meaningless), and the top functions of a cProfile run of ``--profile-steps`` training steps.
"""

import argparse
import cProfile
import io
import os
import pstats
import subprocess
import sys
import time

import numpy as np
from _common import SHARED, cpu_busy_during, load_mnist, machine_load

STEPS_PER_EPOCH = 469  # ceil(60000 / 128)

TF_SNIPPET = r"""
import time, numpy as np, tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers
with np.load({path!r}) as f:
    x = (f["x_train"] / 255.0).astype("float32")[..., None]
    y = f["y_train"]
n = {n}
m = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(32, 3, activation="relu"),
    layers.MaxPooling2D(2), layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
    layers.Flatten(), layers.Dropout(0.5), layers.Dense(10, activation="softmax")])
m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
m.fit(x[:1280], y[:1280], batch_size=128, epochs=1, verbose=0)   # warm-up (tracing)
t = time.perf_counter()
m.fit(x[:n], y[:n], batch_size=128, epochs=1, verbose=0)
print(time.perf_counter() - t)
"""


def build_ember():
    import ember
    from ember import layers

    ember.utils.set_random_seed(0)
    model = ember.Sequential([
        ember.Input((28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dropout(0.5), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def time_ember(model, x, y, steps):
    """Seconds per epoch of one timed fit (extrapolated from ``steps`` batches unless that is a
    full epoch), and how busy the other CPUs were meanwhile."""
    n = min(steps * 128, len(x))
    _, seconds, busy = cpu_busy_during(
        lambda: model.fit(x[:n], y[:n], batch_size=128, epochs=1, verbose=0))
    return seconds * STEPS_PER_EPOCH / -(-n // 128), busy


def median(values):
    values = sorted(values)
    return values[len(values) // 2] if values else None


def time_tensorflow(steps, python=None):
    """TensorFlow's s/epoch for the same model and steps, or None when it is not importable."""
    python = python or sys.executable
    probe = subprocess.run([python, "-c", "import tensorflow"], capture_output=True, text=True)
    if probe.returncode != 0:
        return None
    n = min(steps * 128, 60000)
    code = TF_SNIPPET.format(path=str(SHARED / "mnist" / "mnist.npz"), n=n)
    out = subprocess.run([python, "-c", code], capture_output=True, text=True)
    try:
        return float(out.stdout.strip().splitlines()[-1]) * STEPS_PER_EPOCH / -(-n // 128)
    except (ValueError, IndexError):
        print("TensorFlow run failed:", out.stderr[-2000:])
        return None


def profile_ember(model, x, y, steps, top=15):
    """cProfile of ``steps`` training steps: the top functions by own time."""
    n = steps * 128
    prof = cProfile.Profile()
    prof.enable()
    model.fit(x[:n], y[:n], batch_size=128, epochs=1, verbose=0)
    prof.disable()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf).sort_stats("tottime")
    stats.print_stats(top)
    text = buf.getvalue()
    start = text.find("ncalls")
    return text[start:] if start >= 0 else text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100,
                        help="batches timed per measurement (extrapolated to 469)")
    parser.add_argument("--full", action="store_true", help="time whole epochs")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile-steps", type=int, default=20)
    parser.add_argument("--tf-python", default=None,
                        help="a Python interpreter with TensorFlow (default: this one)")
    args = parser.parse_args(argv)
    steps = STEPS_PER_EPOCH if args.full else args.steps
    (x, y), _ = load_mnist()
    x = (x / np.float32(255.0)).astype("float32")[..., None]
    print(f"W2 convnet, batch 128, {os.cpu_count()} CPUs, load average {machine_load():.2f}")
    how = "whole epochs" if steps >= STEPS_PER_EPOCH else (
        f"{steps} of {STEPS_PER_EPOCH} steps, extrapolated to a full epoch")
    t0 = time.time()
    model = build_ember()
    model.fit(x[:1280], y[:1280], batch_size=128, epochs=1, verbose=0)  # warm-up
    ember_times, busy, tf_times = [], [], []
    for _ in range(args.repeats):  # interleaved, so that both see the same machine
        seconds, b = time_ember(model, x, y, steps)
        ember_times.append(seconds)
        busy.append(b)
        tf = time_tensorflow(steps, args.tf_python)
        if tf is not None:
            tf_times.append(tf)
    ember_s, busy, tf_s = median(ember_times), median(busy), median(tf_times)
    print(f"timed: {how}; median of {args.repeats} ({time.time() - t0:.0f} s in all)")
    print(f"{'ember fit':22}{ember_s:8.2f} s/epoch   (other CPUs busy {busy:.0%})")
    if tf_s is None:
        print("TensorFlow is not importable (`import tensorflow` failed): skipped, so this run "
              "has no ember / TensorFlow ratio.")
    else:
        print(f"{'TensorFlow fit':22}{tf_s:8.2f} s/epoch")
        print(f"ratio ember / TensorFlow: {ember_s / tf_s:.2f} (target <= 1)")
    if args.profile_steps:
        print(f"\nwhere ember's time goes ({args.profile_steps} training steps, cProfile, "
              "own time):")
        print(profile_ember(model, x, y, args.profile_steps))


if __name__ == "__main__":
    main()
