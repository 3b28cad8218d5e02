"""The batcher on its own: batching, isolation of a failing request, limits (no server)."""

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from ember.backend import np
from ember.serving.batcher import Batcher


class Recorder:
    """A fake model: doubles its input, records batch sizes, fails on a -1."""

    def __init__(self, delay=0.0):
        self.sizes = []
        self.delay = delay
        self.threads = set()

    def __call__(self, arrays):
        self.threads.add(threading.get_ident())
        self.sizes.append(arrays[0].shape[0])
        if self.delay:
            time.sleep(self.delay)
        if (arrays[0] == -1).any():
            raise ValueError("a -1 in the batch")
        return [arrays[0] * 2, arrays[0].sum(axis=1)]


@pytest.fixture
def executor():
    pool = ThreadPoolExecutor(1)
    try:
        yield pool
    finally:
        pool.shutdown(wait=True)


def rows(n, value=1.0):
    return [np.full((n, 3), value, dtype="float32")]


def test_lone_request_runs_at_once(executor):
    model = Recorder()
    batcher = Batcher(model, executor, window_s=3.0)

    async def main():
        t = time.perf_counter()
        out = await batcher.submit(rows(2))
        return time.perf_counter() - t, out

    elapsed, out = asyncio.run(main())
    assert elapsed < 1.5  # no wait for the 3 s window
    np.testing.assert_array_equal(out[0], np.full((2, 3), 2.0))
    np.testing.assert_array_equal(out[1], [3.0, 3.0])
    assert model.sizes == [2] and threading.get_ident() not in model.threads


def test_announced_requests_share_one_batch(executor):
    model = Recorder()
    batcher = Batcher(model, executor, window_s=3.0)

    async def main():
        for _ in range(5):
            batcher.expect()
        tasks = []
        for k in range(5):
            tasks.append(asyncio.ensure_future(batcher.submit(rows(k + 1, k), announced=True)))
            await asyncio.sleep(0.01)
        return await asyncio.gather(*tasks)

    t = time.perf_counter()
    results = asyncio.run(main())
    assert time.perf_counter() - t < 1.5  # started when the last one arrived, not after 3 s
    assert model.sizes == [15]
    for k, (doubled, sums) in enumerate(results):
        np.testing.assert_array_equal(doubled, np.full((k + 1, 3), 2.0 * k))
        np.testing.assert_array_equal(sums, np.full(k + 1, 3.0 * k))


def test_window_bounds_the_wait(executor):
    model = Recorder()
    batcher = Batcher(model, executor, window_s=0.05)

    async def main():
        batcher.expect()  # announced but never arrives (e.g. a slow upload)
        batcher.expect()
        t = time.perf_counter()
        await batcher.submit(rows(1), announced=True)
        return time.perf_counter() - t

    waited = asyncio.run(main())
    assert 0.04 <= waited < 1.5


def test_requests_queue_while_the_worker_is_busy(executor):
    model = Recorder(delay=0.1)
    batcher = Batcher(model, executor, window_s=0.0, max_batch_size=64)

    async def main():
        first = asyncio.ensure_future(batcher.submit(rows(1)))
        await asyncio.sleep(0.02)
        rest = [asyncio.ensure_future(batcher.submit(rows(1, k))) for k in range(6)]
        await asyncio.gather(first, *rest)

    asyncio.run(main())
    assert model.sizes == [1, 6]
    assert batcher.batches == 2 and batcher.examples == 7


def test_a_failing_request_fails_alone(executor):
    model = Recorder(delay=0.05)
    batcher = Batcher(model, executor, window_s=0.0)

    async def main():
        first = asyncio.ensure_future(batcher.submit(rows(1)))
        await asyncio.sleep(0.01)
        good = asyncio.ensure_future(batcher.submit(rows(2, 3.0)))
        bad = asyncio.ensure_future(batcher.submit(rows(1, -1.0)))
        good2 = asyncio.ensure_future(batcher.submit(rows(1, 4.0)))
        return await asyncio.gather(first, good, bad, good2, return_exceptions=True)

    first, good, bad, good2 = asyncio.run(main())
    assert isinstance(bad, ValueError) and "-1" in str(bad)
    np.testing.assert_array_equal(good[0], np.full((2, 3), 6.0))
    np.testing.assert_array_equal(good2[0], np.full((1, 3), 8.0))
    assert model.sizes[:2] == [1, 4]  # then one by one: 2, 1, 1
    assert sorted(model.sizes[2:]) == [1, 1, 2]


def test_max_batch_size_and_shapes(executor):
    model = Recorder(delay=0.05)
    batcher = Batcher(model, executor, window_s=0.0, max_batch_size=6)

    async def main():
        first = asyncio.ensure_future(batcher.submit(rows(1)))
        await asyncio.sleep(0.01)
        tasks = [asyncio.ensure_future(batcher.submit(rows(3))) for _ in range(4)]
        odd = asyncio.ensure_future(batcher.submit([np.ones((2, 5), "float32")]))
        big = asyncio.ensure_future(batcher.submit(rows(10)))
        return await asyncio.gather(first, odd, big, *tasks)

    results = asyncio.run(main())
    assert results[1][0].shape == (2, 5) and results[2][0].shape == (10, 3)
    assert model.sizes[0] == 1 and sorted(model.sizes[1:]) == [2, 6, 6, 10]


def test_timed_out_requests_are_dropped(executor):
    model = Recorder(delay=0.1)
    batcher = Batcher(model, executor, window_s=0.0)

    async def main():
        first = asyncio.ensure_future(batcher.submit(rows(1)))
        await asyncio.sleep(0.01)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(batcher.submit(rows(5)), 0.02)
        await first
        return await batcher.submit(rows(2))

    asyncio.run(main())
    assert model.sizes == [1, 2]


def test_arguments_are_checked(executor):
    with pytest.raises(ValueError, match="window_s"):
        Batcher(Recorder(), executor, window_s=-1)
    with pytest.raises(ValueError, match="max_batch_size"):
        Batcher(Recorder(), executor, max_batch_size=0)
