"""Keras 3 on the backend named by KERAS_BACKEND (tensorflow or jax): the same workloads."""

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
t0 = time.perf_counter()
import keras  # noqa: E402

if os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow":
    import tensorflow  # noqa: E402,F401  (count what `import tensorflow as tf` costs)
IMPORT_S = time.perf_counter() - t0

import numpy as np  # noqa: E402
from common import args, load, median, report, timed  # noqa: E402
from keras import layers  # noqa: E402


def mlp():
    m = keras.Sequential([keras.Input((28, 28)), layers.Flatten(),
                          layers.Dense(128, activation="relu"),
                          layers.Dense(10, activation="softmax")])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def convnet():
    m = keras.Sequential([keras.Input((28, 28, 1)),
                          layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
                          layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
                          layers.Flatten(), layers.Dropout(0.5),
                          layers.Dense(10, activation="softmax")])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def main():
    a = args()
    if a.workload == "import":
        report(import_s=IMPORT_S)
        return
    keras.utils.set_random_seed(0)
    if a.workload == "W1":
        (x, y), (xt, yt) = load()
        m = mlp()
        times = [timed(lambda: m.fit(x, y, epochs=1, verbose=0))[1] for _ in range(a.epochs)]
        _, acc = m.evaluate(xt, yt, verbose=0)
        report(epoch_s=median(times[1:] or times), epochs=times, accuracy=acc)
    elif a.workload == "W2":
        (x, y), _ = load(channels=True)
        m = convnet()
        n = a.w2_steps * 128
        m.fit(x[:1280], y[:1280], batch_size=128, epochs=1, verbose=0)
        _, s = timed(lambda: m.fit(x[:n], y[:n], batch_size=128, epochs=1, verbose=0))
        report(epoch_s=s / a.w2_steps * 469)
    else:
        (x, y), (xt, yt) = load()
        m = mlp()
        m.fit(x[:3200], y[:3200], epochs=1, verbose=0)
        one = xt[:1]
        for _ in range(50):
            m.predict_on_batch(one)
        reps = 300
        _, s_pob = timed(lambda: [m.predict_on_batch(one) for _ in range(reps)])
        _, s_pred = timed(lambda: [m.predict(one, verbose=0) for _ in range(30)])
        m.predict(xt, batch_size=1024, verbose=0)
        big = [timed(lambda: m.predict(xt, batch_size=1024, verbose=0))[1] for _ in range(5)]
        report(pob_ms=s_pob / reps * 1e3, predict_ms=s_pred / 30 * 1e3,
               batch1024_ms=median(big) * 1e3, check=float(np.sum(m.predict_on_batch(one))))


if __name__ == "__main__":
    main()
