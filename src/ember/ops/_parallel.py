"""Intra-op parallelism for the memory-bound loops of convolution and pooling.

NumPy runs each call on one core, but it releases the GIL inside its loops: threads that each
run the same NumPy calls on their own slice of the batch use every core, as TensorFlow's
intra-op thread pool does. BLAS already parallelises the GEMMs; this covers the rest (window
gathers, scatter-adds, pooling masks). Small arrays stay on the calling thread, where a thread
hand-off would cost more than it saves.

``THREADS`` sets the number of threads: ``None`` (the default) uses the cores this process may
run on; 1 disables the parallelism.
"""

import os
import threading

THREADS = None
MIN_BYTES = 1 << 20  # below this much data per call, one thread is faster

_executor = [None, 0]  # the thread pool and its size, made on first use
_lock = threading.Lock()


def _threads():
    if THREADS is not None:
        return max(1, int(THREADS))
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _pool(workers):
    with _lock:
        if _executor[1] < workers:
            from concurrent.futures import ThreadPoolExecutor

            _executor[:] = [ThreadPoolExecutor(workers, thread_name_prefix="ember-op"), workers]
        return _executor[0]


def for_batches(fn, n, nbytes):
    """Call ``fn(batch_slice)`` for slices that cover ``range(n)``: in parallel over the
    threads when ``nbytes`` (the data the call touches) is large, else once on this thread.
    ``fn`` must write disjoint outputs for disjoint slices."""
    if nbytes < MIN_BYTES:  # checked first: most calls are small, and _threads() is a syscall
        fn(slice(0, n))
        return
    workers = min(_threads(), n)
    if workers < 2 or threading.current_thread().name.startswith("ember-op"):
        fn(slice(0, n))
        return
    bounds = [n * i // workers for i in range(workers + 1)]
    slices = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]
    futures = [_pool(workers).submit(fn, s) for s in slices[1:]]
    try:
        fn(slices[0])
    finally:
        for f in futures:
            f.result()
