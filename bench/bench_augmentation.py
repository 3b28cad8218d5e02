"""Throughput of an augmentation pipeline: RandomFlip + RandomRotation + RandomZoom on
batches of 128 images of 32x32x3 (float32), in training mode, in images per second. Keras 3
(JAX backend, eager calls of the same layers) is timed alongside when it is installed.

    python bench/bench_augmentation.py [--batches 20] [--repeats 5]
"""

import argparse
import os
import statistics
import time

import numpy as np

import ember
from ember import layers

BATCH, SHAPE = 128, (32, 32, 3)


def pipeline(L, seed=0):
    return [L.RandomFlip(seed=seed), L.RandomRotation(0.1, seed=seed + 1),
            L.RandomZoom(0.1, seed=seed + 2)]


def run(stack, x, to_array):
    y = x
    for layer in stack:
        y = layer(y, training=True)
    return to_array(y)


def images_per_second(stack, batches, repeats, wrap, to_array):
    data = [wrap(np.random.default_rng(i).uniform(0, 255, (BATCH,) + SHAPE).astype("float32"))
            for i in range(batches)]
    run(stack, data[0], to_array)  # warm-up (Keras traces here)
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        for x in data:
            run(stack, x, to_array)
        rates.append(batches * BATCH / (time.perf_counter() - start))
    return statistics.median(rates)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-keras", action="store_true")
    args = parser.parse_args()
    rate = images_per_second(pipeline(layers), args.batches, args.repeats, ember.Tensor,
                             lambda y: y.data)
    print(f"ember  flip+rotation+zoom, batch {BATCH} x {SHAPE}: {rate:,.0f} images/s")
    if not args.no_keras:
        os.environ.setdefault("KERAS_BACKEND", "jax")
        try:
            import keras
        except ImportError:
            return
        krate = images_per_second(pipeline(keras.layers), args.batches, args.repeats,
                                  lambda a: a, np.asarray)
        print(f"keras ({keras.backend.backend()}) same pipeline: {krate:,.0f} images/s")


if __name__ == "__main__":
    main()
