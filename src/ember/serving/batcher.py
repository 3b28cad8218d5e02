"""The request batcher: concurrent predict requests run through the model as one batch.

Each loaded model version has one :class:`Batcher`. Requests are validated before they reach
it, so a batch holds only well-formed inputs. The batcher runs at most one batch at a time in a
worker thread (the event loop never blocks on the model), concatenating the queued requests
along axis 0, calling ``predict_on_batch`` once, and splitting the outputs back.

When does a batch start? As soon as the worker is free and no other request for this model is
still being read or decoded: a lone request runs at once, without waiting. Requests that arrive
while the worker is busy, or while others are still being decoded, wait for at most
``window_s`` (default 2 ms) and then run together, up to ``max_batch_size`` examples.
"""

import asyncio
import logging
from collections import deque

from ember.backend import np

logger = logging.getLogger("ember.serving")


class _Item:
    __slots__ = ("arrays", "size", "future", "key", "arrived")

    def __init__(self, arrays, future, arrived):
        self.arrays = arrays
        self.size = arrays[0].shape[0]
        self.future = future
        self.key = tuple((a.shape[1:], a.dtype.str) for a in arrays)
        self.arrived = arrived


class Batcher:
    """Batches the requests of one model version.

    Args:
        run: ``run(arrays) -> list of arrays``, the model on one batch (called in ``executor``).
        executor: a ``concurrent.futures`` executor for ``run``.
        window_s: the longest a queued request waits for others to join its batch.
        max_batch_size: the most examples in one batch (a larger request runs alone).
    """

    def __init__(self, run, executor, window_s=0.002, max_batch_size=64):
        if window_s < 0:
            raise ValueError(f"Batcher: window_s must be >= 0, received {window_s}")
        if max_batch_size < 1:
            raise ValueError(f"Batcher: max_batch_size must be >= 1, received {max_batch_size}")
        self.run = run
        self.executor = executor
        self.window_s = window_s
        self.max_batch_size = max_batch_size
        self._queue = deque()
        self._arriving = 0
        self._busy = False
        self._timer = None
        self.batches = 0  # counters, for tests and benchmarks
        self.examples = 0

    # -- request side ------------------------------------------------------------------------
    def expect(self):
        """A request for this model has started arriving (its body is being read)."""
        self._arriving += 1

    def unexpect(self):
        """A request announced by :meth:`expect` failed before it was submitted."""
        self._arriving -= 1
        if self._queue and not self._arriving:
            self._maybe_start()

    async def submit(self, arrays, announced=False):
        """The model's outputs for ``arrays`` (one per input, batch first), as a list of
        arrays of this request's batch size. ``announced``: the request called :meth:`expect`
        (and this submission ends that)."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._queue.append(_Item(arrays, future, loop.time()))
        if announced:
            self._arriving -= 1
        self._maybe_start()
        return await future

    # -- scheduling --------------------------------------------------------------------------
    def _maybe_start(self):
        if self._busy or not self._queue:
            return
        loop = asyncio.get_running_loop()
        queued = sum(item.size for item in self._queue)
        waited = loop.time() - self._queue[0].arrived
        if self._arriving and queued < self.max_batch_size and waited < self.window_s:
            if self._timer is None:
                self._timer = loop.call_at(self._queue[0].arrived + self.window_s, self._on_timer)
            return
        self._start(loop)

    def _on_timer(self):
        self._timer = None
        if not self._busy and self._queue:
            self._start(asyncio.get_running_loop())

    def _start(self, loop):
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        items = self._take()
        if not items:
            return
        self._busy = True
        task = loop.run_in_executor(self.executor, self._run_items, items)
        task.add_done_callback(lambda f: self._finished(items, f))

    def _take(self):
        """The next batch: queued requests of the first one's shapes, up to max_batch_size."""
        while self._queue and self._queue[0].future.done():  # cancelled (timed out) requests
            self._queue.popleft()
        if not self._queue:
            return []
        first = self._queue.popleft()
        items, total, keep = [first], first.size, deque()
        while self._queue and total < self.max_batch_size:
            item = self._queue.popleft()
            if item.future.done():
                continue
            if item.key == first.key and total + item.size <= self.max_batch_size:
                items.append(item)
                total += item.size
            else:
                keep.append(item)
        keep.extend(self._queue)
        self._queue = keep
        return items

    # -- the worker thread ---------------------------------------------------------------------
    def _run_items(self, items):
        """Runs in the worker: outputs (or the exception) for each item."""
        if len(items) == 1:
            return [self._run_one(items[0].arrays, items[0].size)]
        arrays = [np.concatenate(parts, axis=0) for parts in zip(*(i.arrays for i in items))]
        total = sum(i.size for i in items)
        try:
            outputs = self._call(arrays, total)
        except Exception as e:  # isolate the request that fails
            logger.warning("a batch of %d requests failed (%s); running them one by one",
                           len(items), e)
            return [self._run_one(i.arrays, i.size) for i in items]
        results, start = [], 0
        for item in items:
            results.append([o[start:start + item.size] for o in outputs])
            start += item.size
        return results

    def _run_one(self, arrays, size):
        try:
            return self._call(arrays, size)
        except Exception as e:  # the request gets it
            return e

    def _call(self, arrays, size):
        outputs = self.run(arrays)
        for o in outputs:
            if o.ndim == 0 or o.shape[0] != size:
                raise ValueError(
                    f"The model returned an output of shape {o.shape} for a batch of {size}; "
                    "every output must keep the batch axis first.")
        return outputs

    def _finished(self, items, done):
        self._busy = False
        self.batches += 1
        self.examples += sum(i.size for i in items)
        error = done.exception() if not done.cancelled() else asyncio.CancelledError()
        for k, item in enumerate(items):
            if item.future.done():
                continue
            result = error if error is not None else done.result()[k]
            if isinstance(result, BaseException):
                item.future.set_exception(result)
            else:
                item.future.set_result(result)
        self._maybe_start()
