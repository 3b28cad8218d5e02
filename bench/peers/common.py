"""What every worker shares: the data, the workloads' sizes, timing and the JSON report."""

import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

MNIST = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "mnist" / "mnist.npz"


def load(channels=False):
    """MNIST scaled to [0, 1] in float32 (the same input for every framework)."""
    with np.load(MNIST) as f:
        x, y, xt, yt = f["x_train"], f["y_train"], f["x_test"], f["y_test"]
    x = x.astype(np.float32) / np.float32(255)
    xt = xt.astype(np.float32) / np.float32(255)
    if channels:
        x, xt = x[..., None], xt[..., None]
    return (x, y.astype(np.int64)), (xt, yt.astype(np.int64))


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report(**values):
    values["peak_mb"] = round(peak_mb(), 1)
    print("RESULT " + json.dumps(values), flush=True)


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def median(values):
    values = sorted(values)
    return values[len(values) // 2] if values else float("nan")


def args():
    import argparse

    p = argparse.ArgumentParser()
    p.add_argument("workload", choices=["import", "W1", "W2", "W3"])
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--w2-steps", type=int, default=60, help="steps timed for W2 (per epoch "
                   "time is extrapolated to 469 steps)")
    return p.parse_args(sys.argv[1:])
