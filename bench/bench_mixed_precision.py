"""Mixed precision on the CPU: the README's W1 MNIST MLP (Dense 128 relu, Dense 10 softmax,
Adam, batch 32) trained with the float32, mixed_float16 and mixed_bfloat16 dtype policies.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/bench_mixed_precision.py [--epochs 3]

Mixed precision exists for accelerators with fast half-precision units. NumPy has none: its
float16 products would be plain loops, so ember multiplies half-precision operands with a
float32 GEMM and rounds the product (ember.backend.half); the casts around it and the
element-wise float16/bfloat16 arithmetic (converted element by element) make the mixed
policies slower than float32 here. This measures by how much, and checks they learn as well.

Prints seconds per epoch (medians, first epoch skipped; the three runs take turns epoch by
epoch so that a busy neighbour hurts them alike), the test accuracy after the last epoch, the
BLAS library that ran, and how busy the other CPUs were.
"""

import argparse
import time

from _common import cpu_busy_during, load_mnist, median
from bench_tf_data import blas_info

POLICIES = ("float32", "mixed_float16", "mixed_bfloat16")


def build_model(policy):
    """The MLP with ``policy`` as the global policy while it is built and compiled (the layers
    keep their policy; compile wraps Adam in a LossScaleOptimizer for mixed_float16)."""
    import ember

    previous = ember.config.dtype_policy()
    ember.config.set_dtype_policy(policy)
    try:
        ember.utils.set_random_seed(0)
        model = ember.Sequential([ember.Input((784,)),
                                  ember.layers.Dense(128, activation="relu"),
                                  ember.layers.Dense(10, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    finally:
        ember.config.set_dtype_policy(previous)
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--limit", type=int, default=None,
                        help="train on the first N images only (quick runs)")
    args = parser.parse_args(argv)
    (x, y), (xt, yt) = load_mnist()
    x = x[:args.limit].reshape(len(x[:args.limit]), -1).astype("float32") / 255
    y = y[:args.limit]
    xt = xt.reshape(len(xt), -1).astype("float32") / 255
    models = {policy: build_model(policy) for policy in POLICIES}
    times = {p: [] for p in POLICIES}
    busy = {p: [] for p in POLICIES}
    t0 = time.time()
    for _ in range(args.epochs):
        for policy, model in models.items():
            _, seconds, b = cpu_busy_during(
                lambda m=model: m.fit(x, y, batch_size=32, epochs=1, verbose=0))
            times[policy].append(seconds)
            busy[policy].append(b)
    skip = 1 if args.epochs > 1 else 0
    print(f"W1 MNIST MLP, batch 32, {len(x)} images, {args.epochs} epochs each "
          f"({time.time() - t0:.0f} s in all)")
    print(f"BLAS: {blas_info()}")
    print(f"{'':16}{'s/epoch':>9}{'best':>8}{'vs float32':>12}{'test acc':>10}"
          f"{'other CPU busy':>16}")
    base = median(times["float32"][skip:])
    for policy, model in models.items():
        _, acc = model.evaluate(xt, yt, verbose=0)
        t = median(times[policy][skip:])
        print(f"{policy:16}{t:9.3f}{min(times[policy][skip:]):8.3f}{t / base:11.2f}x"
              f"{acc:10.4f}{median(busy[policy]):16.0%}")
    return times


if __name__ == "__main__":
    main()
