"""W3's first matrix product (10,000 x 784 images at batch 1024, times a 784 x 128 kernel) in
NumPy and in PyTorch, in the same process, taking turns: how much of W3's gap to PyTorch is its
matrix-multiply library. Run it with the PyTorch environment's Python:

    /tmp/peers/torch/bin/python bench/peers/gemm_check.py
"""

import time

import numpy as np
import torch


def median_ms(fn, repeats=15):
    for _ in range(3):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return sorted(times)[repeats // 2] * 1e3


def main():
    rng = np.random.default_rng(0)
    x = rng.random((10000, 784), dtype=np.float32)
    k = rng.random((784, 128), dtype=np.float32)
    tx, tk = torch.from_numpy(x), torch.from_numpy(k)

    def numpy_batches():
        for i in range(0, len(x), 1024):
            x[i:i + 1024] @ k

    def torch_batches():
        with torch.no_grad():
            for i in range(0, len(x), 1024):
                tx[i:i + 1024] @ tk

    rows = []
    for _ in range(3):
        rows.append((median_ms(numpy_batches), median_ms(torch_batches)))
    for n, t in rows:
        print(f"NumPy {n:.2f} ms  PyTorch {t:.2f} ms  ratio {n / t:.2f}")
    print(f"threads: torch {torch.get_num_threads()}, NumPy {np.__version__} (its BLAS default)")


if __name__ == "__main__":
    main()
