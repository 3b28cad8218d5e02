"""ember: W1 (tutorial fit), W2 (convnet fit), W3 (inference), import time."""

import time

t0 = time.perf_counter()
import ember  # noqa: E402

IMPORT_S = time.perf_counter() - t0

import numpy as np  # noqa: E402
from common import args, load, median, report, timed  # noqa: E402

from ember import layers  # noqa: E402


def mlp():
    m = ember.Sequential([layers.Flatten(input_shape=(28, 28)),
                          layers.Dense(128, activation="relu"),
                          layers.Dense(10, activation="softmax")])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def convnet():
    m = ember.Sequential([ember.Input((28, 28, 1)),
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
    ember.utils.set_random_seed(0)
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
        m.fit(x[:1280], y[:1280], batch_size=128, epochs=1, verbose=0)  # warm up
        _, s = timed(lambda: m.fit(x[:n], y[:n], batch_size=128, epochs=1, verbose=0))
        report(epoch_s=s / a.w2_steps * 469)
    else:
        (x, y), (xt, yt) = load()
        m = mlp()
        m.fit(x[:3200], y[:3200], epochs=1, verbose=0)
        one = xt[:1]
        for _ in range(200):
            m.predict_on_batch(one)
        reps = 2000
        _, s_pob = timed(lambda: [m.predict_on_batch(one) for _ in range(reps)])
        _, s_pred = timed(lambda: [m.predict(one, verbose=0) for _ in range(reps)])
        m.predict(xt, batch_size=1024, verbose=0)
        big = [timed(lambda: m.predict(xt, batch_size=1024, verbose=0))[1] for _ in range(7)]
        report(pob_ms=s_pob / reps * 1e3, predict_ms=s_pred / reps * 1e3,
               batch1024_ms=median(big) * 1e3, check=float(np.sum(m.predict_on_batch(one))))


if __name__ == "__main__":
    main()
