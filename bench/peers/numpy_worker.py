"""The plain-NumPy floor (one BLAS thread for W1): W1 and W3 only."""

import sys
import time
from pathlib import Path

t0 = time.perf_counter()
import numpy as np  # noqa: E402

IMPORT_S = time.perf_counter() - t0
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import NumpyMLP  # noqa: E402
from common import args, load, median, report, timed  # noqa: E402


def main():
    a = args()
    if a.workload == "import":
        report(import_s=IMPORT_S)
        return
    if a.workload == "W2":
        report(skipped="no convnet floor")
        return
    (x, y), (xt, yt) = load()
    net = NumpyMLP()
    rng = np.random.default_rng(0)
    if a.workload == "W1":
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            times = [timed(lambda: net.epoch(x, y, rng=rng))[1] for _ in range(a.epochs)]
        report(epoch_s=median(times[1:] or times), epochs=times, accuracy=net.accuracy(xt, yt))
        return
    w1, b1, w2, b2 = net.params

    def predict(images):
        h = images.reshape(len(images), -1) @ w1 + b1
        np.maximum(h, 0, out=h)
        z = h @ w2 + b2
        e = np.exp(z - z.max(1, keepdims=True))
        return e / e.sum(1, keepdims=True)

    one = xt[:1]
    reps = 2000
    _, s = timed(lambda: [predict(one) for _ in range(reps)])
    big = [timed(lambda: np.concatenate([predict(xt[i:i + 1024])
                                         for i in range(0, 10000, 1024)]))[1] for _ in range(7)]
    report(pob_ms=s / reps * 1e3, predict_ms=s / reps * 1e3, batch1024_ms=median(big) * 1e3)


if __name__ == "__main__":
    main()
