"""A small transformer encoder's train step, timed: ember, and Keras 3 on JAX (CPU) when the
keras package is installed, in the same run.

    python bench/bench_transformer.py [--steps 10] [--no-keras]

Model: Embedding(1000, 128) + 2 encoder blocks (MultiHeadAttention with 4 heads of 32,
residual + LayerNormalization, feed-forward Dense(256, relu) -> Dense(128), residual +
LayerNormalization), GlobalAveragePooling1D, Dense(2); sequences of 128 tokens, batch 32, Adam,
sparse categorical cross-entropy. Prints the median and best milliseconds per
``train_on_batch`` (the first two steps, which build and compile, are left out) and the ratio of
the medians, ember / Keras. On a shared machine ember's times swing with the load (its NumPy
and thread-pool work competes for the cores); compare the best times there.
"""

import argparse
import os
import statistics
import time

import numpy as np

SEQ, D_MODEL, HEADS, FF, VOCAB, BATCH, BLOCKS = 128, 128, 4, 256, 1000, 32, 2


def build(M):
    """The encoder in ``M`` (the ember or keras module)."""
    L = M.layers
    inp = L.Input((SEQ,), dtype="int32")
    x = L.Embedding(VOCAB, D_MODEL)(inp)
    for _ in range(BLOCKS):
        h = L.MultiHeadAttention(HEADS, D_MODEL // HEADS)(x, x)
        x = L.LayerNormalization()(L.Add()([x, h]))
        h = L.Dense(D_MODEL)(L.Dense(FF, activation="relu")(x))
        x = L.LayerNormalization()(L.Add()([x, h]))
    out = L.Dense(2)(L.GlobalAveragePooling1D()(x))
    model = M.Model(inp, out)
    model.compile(optimizer="adam",
                  loss=M.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def time_steps(model, x, y, steps):
    times = []
    for _ in range(steps + 2):
        t = time.perf_counter()
        model.train_on_batch(x, y)
        times.append(time.perf_counter() - t)
    return statistics.median(times[2:]), min(times[2:])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--no-keras", action="store_true")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    x = rng.integers(0, VOCAB, size=(BATCH, SEQ)).astype("int32")
    y = rng.integers(0, 2, size=(BATCH,)).astype("int32")

    import ember

    ember.utils.set_random_seed(0)
    t_ember, best_ember = time_steps(build(ember), x, y, args.steps)
    print(f"ember       train step: {t_ember * 1000:8.1f} ms median, {best_ember * 1000:8.1f} ms "
          f"best  (batch {BATCH}, seq {SEQ}, d_model {D_MODEL}, {HEADS} heads, {BLOCKS} blocks)")
    if args.no_keras:
        return
    os.environ.setdefault("KERAS_BACKEND", "jax")
    try:
        import keras
    except ImportError:
        print("keras is not installed: no comparison")
        return
    keras.utils.set_random_seed(0)
    t_keras, best_keras = time_steps(build(keras), x, y, args.steps)
    print(f"keras/{keras.backend.backend():5s} train step: {t_keras * 1000:8.1f} ms median, "
          f"{best_keras * 1000:8.1f} ms best")
    print(f"ember / keras: {t_ember / t_keras:.2f}")


if __name__ == "__main__":
    main()
