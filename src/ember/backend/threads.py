"""How many BLAS threads the array library uses, chosen by problem size.

For small matrices (the MNIST tutorial's 32x784 @ 784x128) a second BLAS thread costs more than
it gives, and many times more when another process holds a core; large GEMMs (convolutions,
big inference batches) gain from every core. ``threadpoolctl`` does the switching; without it
BLAS keeps its own setting.
"""

import contextlib
import os

_setting = {"threads": "auto"}
_controller = None

# A training step shorter than this with one thread is "small": more threads would not pay.
SMALL_STEP_SECONDS = 0.02


def set_blas_threads(threads):
    """``"auto"`` (the default: chosen per workload), or an int to force a thread count."""
    if threads != "auto" and (not isinstance(threads, int) or threads < 1):
        raise ValueError(
            f"set_blas_threads expects 'auto' or a positive int. Received: {threads!r}")
    _setting["threads"] = threads


def blas_threads_setting():
    return _setting["threads"]


def available():
    try:
        import threadpoolctl  # noqa: F401
    except ImportError:
        return False
    return True


def cpu_count():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def limit(threads):
    """Run the block with at most ``threads`` BLAS threads (no-op without threadpoolctl)."""
    global _controller
    if threads is None or not available():
        yield
        return
    from threadpoolctl import ThreadpoolController

    if _controller is None:
        _controller = ThreadpoolController()
    with _controller.limit(limits=int(threads), user_api="blas"):
        yield
