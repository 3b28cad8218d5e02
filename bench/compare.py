"""ember against the frameworks people would otherwise use, in one run, on this machine.

    python bench/compare.py [--tf PY] [--jax PY] [--torch PY] [--repeats 2] [--epochs 5]

Runs W1 (the tutorial's fit: Flatten -> Dense(128, relu) -> Dense(10, softmax), Adam, batch 32,
60,000 MNIST images), W2 (Keras's MNIST convnet, batch 128; a timed slice of an epoch,
extrapolated to 469 steps) and W3 (inference with the W1 model: one image through
predict_on_batch and predict, 10,000 images at batch 1024), plus the import time, for ember, the
plain-NumPy floor and each peer whose Python is given (see bench/peers/README.md). Each
framework runs in its own process, frameworks take turns, and every measurement is repeated;
the table shows medians, ratios to ember, accuracies, peak memory, and how busy the rest of the
machine was while each ran (discard runs where it was busy).
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

from _common import cpu_busy_during, median

HERE = Path(__file__).resolve().parent
PEERS = HERE / "peers"


def run_worker(python, worker, workload, env_extra, epochs, w2_steps):
    env = dict(os.environ, **env_extra)
    env["PYTHONPATH"] = str(PEERS) + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [python, str(PEERS / worker), workload, "--epochs", str(epochs),
           "--w2-steps", str(w2_steps)]

    def go():
        return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600)

    out, seconds, busy = cpu_busy_during(go)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[7:])
            result["busy"] = busy
            return result
    tail = (out.stderr or out.stdout).strip().splitlines()[-3:]
    return {"error": " | ".join(tail) or f"exit {out.returncode}", "busy": busy}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tf", help="python of an environment with tensorflow (Keras 3 on TF)")
    p.add_argument("--jax", help="python of an environment with jax and keras")
    p.add_argument("--torch", help="python of an environment with torch")
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--w2-steps", type=int, default=60)
    p.add_argument("--workloads", default="import,W1,W2,W3")
    p.add_argument("--json", help="also write the raw results here")
    a = p.parse_args(argv)
    frameworks = [("ember", sys.executable, "ember_worker.py", {}),
                  ("numpy", sys.executable, "numpy_worker.py", {})]
    if a.tf:
        frameworks.append(("tensorflow", a.tf, "keras_worker.py", {"KERAS_BACKEND": "tensorflow"}))
    if a.jax:
        frameworks.append(("keras-jax", a.jax, "keras_worker.py", {"KERAS_BACKEND": "jax"}))
    if a.torch:
        frameworks.append(("pytorch", a.torch, "torch_worker.py", {}))
    workloads = a.workloads.split(",")
    results = {}
    for rep in range(a.repeats):
        for workload in workloads:
            order = frameworks[rep % len(frameworks):] + frameworks[:rep % len(frameworks)]
            for name, python, worker, env in order:
                if name == "numpy" and workload == "W2":
                    continue
                r = run_worker(python, worker, workload, env, a.epochs, a.w2_steps)
                results.setdefault((workload, name), []).append(r)
                print(f"[{rep + 1}/{a.repeats}] {workload:6} {name:11} "
                      f"{json.dumps({k: v for k, v in r.items() if k != 'epochs'})}",
                      file=sys.stderr, flush=True)
    print_table(results, frameworks, workloads, a)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({f"{w}|{n}": v for (w, n), v in results.items()}, f, indent=1)


def _med(results, key, field):
    values = [r[field] for r in results.get(key, []) if field in r]
    return median(values) if values else None


def print_table(results, frameworks, workloads, a):
    names = [f[0] for f in frameworks]
    rows = [("W1 s/epoch", "W1", "epoch_s", "{:.2f}"),
            ("W1 test accuracy", "W1", "accuracy", "{:.4f}"),
            ("W1 peak memory, MB", "W1", "peak_mb", "{:.0f}"),
            ("W2 s/epoch", "W2", "epoch_s", "{:.1f}"),
            ("W3 predict_on_batch(1), ms", "W3", "pob_ms", "{:.3f}"),
            ("W3 predict(1), ms", "W3", "predict_ms", "{:.3f}"),
            ("W3 10k at batch 1024, ms", "W3", "batch1024_ms", "{:.1f}"),
            ("import, s", "import", "import_s", "{:.2f}")]
    print(f"\nember comparison, {datetime.date.today()}, {platform.machine()}, "
          f"{os.cpu_count()} CPUs, medians of {a.repeats} runs\n")
    print("| measure | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for label, workload, field, fmt in rows:
        if workload not in workloads:
            continue
        cells = []
        for n in names:
            v = _med(results, (workload, n), field)
            cells.append("-" if v is None else fmt.format(v))
        print(f"| {label} | " + " | ".join(cells) + " |")
    print("\nratios ember / peer (below 1: ember is faster):")
    for label, workload, field, _ in rows:
        if workload not in workloads or field in ("accuracy", "peak_mb"):
            continue
        e = _med(results, (workload, "ember"), field)
        parts = []
        for n in names[1:]:
            v = _med(results, (workload, n), field)
            if e is not None and v:
                parts.append(f"{n} {e / v:.2f}")
        if parts:
            print(f"  {label}: " + ", ".join(parts))
    print("\nshare of the machine used by other processes during each framework's runs (median):")
    for n in names:
        busy = [r["busy"] for (w, name), rs in results.items() if name == n for r in rs
                if r.get("busy") == r.get("busy")]
        print(f"  {n}: {median(busy):.0%}" if busy else f"  {n}: -")
    errors = [(k, r["error"]) for k, rs in results.items() for r in rs if "error" in r]
    for (w, n), err in errors:
        print(f"  error in {w}/{n}: {err}")


if __name__ == "__main__":
    main()
