"""prefetch and parallel map (threads that overlap and stop), and cache (memory and file)."""

import gc
import os
import threading
import time

import numpy as np
import pytest

from ember.tf.data import AUTOTUNE, Dataset


def pipeline_threads():
    return [t for t in threading.enumerate()
            if t.name.startswith(("ember-data-prefetch", "ember-data-map"))]


def wait_for_no_pipeline_threads(deadline=5.0):
    end = time.monotonic() + deadline
    while pipeline_threads() and time.monotonic() < end:
        gc.collect()
        time.sleep(0.02)
    return pipeline_threads()


def slow(seconds):
    def fn(x):
        time.sleep(seconds)  # sleeping releases the interpreter lock, as I/O would
        return x
    return fn


def consume(ds, seconds):
    out = []
    for x in ds:
        time.sleep(seconds)
        out.append(int(x))
    return out


def test_prefetch_overlaps_producer_and_consumer():
    n, produce, use = 20, 0.02, 0.02
    t = time.perf_counter()
    plain = consume(Dataset.range(n).map(slow(produce)), use)
    serial = time.perf_counter() - t
    t = time.perf_counter()
    overlapped = consume(Dataset.range(n).map(slow(produce)).prefetch(2), use)
    parallel = time.perf_counter() - t
    assert plain == overlapped == list(range(n))
    # serial ~ n * (produce + use) = 0.8 s; overlapped ~ n * max(produce, use) = 0.4 s
    assert serial >= n * (produce + use) * 0.95
    assert parallel < serial * 0.8, (serial, parallel)
    assert not wait_for_no_pipeline_threads()


def test_prefetch_buffer_is_bounded():
    produced = []

    def record(x):
        produced.append(int(x))
        return x

    it = iter(Dataset.range(1000).map(record).prefetch(3))
    next(it)
    time.sleep(0.3)  # let the producer run as far ahead as it may
    # one taken, 3 in the buffer, at most one more made and waiting for room
    assert len(produced) <= 1 + 3 + 1
    del it
    assert not wait_for_no_pipeline_threads()


@pytest.mark.parametrize("make", [
    lambda: Dataset.range(10**6).prefetch(AUTOTUNE),
    lambda: Dataset.range(10**6).map(lambda x: x, num_parallel_calls=3),
    lambda: Dataset.range(10**6).prefetch(2).map(lambda x: x, num_parallel_calls=2).prefetch(1),
])
def test_threads_stop_when_iteration_stops_early(make):
    for x in make():
        if int(x) == 5:
            break
    assert not wait_for_no_pipeline_threads()
    assert list(make().take(3).as_numpy_iterator()) == [0, 1, 2]
    assert not wait_for_no_pipeline_threads()


def test_prefetch_passes_errors_and_stops():
    def boom(x):
        if int(x) == 3:
            raise RuntimeError("bad element 3")
        return x

    seen = []
    with pytest.raises(RuntimeError, match="bad element 3"):
        for x in Dataset.range(10).map(boom).prefetch(2):
            seen.append(int(x))
    assert seen == [0, 1, 2]
    assert not wait_for_no_pipeline_threads()
    from ember.tf import errors

    with pytest.raises(errors.InvalidArgumentError, match="buffer_size must be >= 0"):
        Dataset.range(3).prefetch(-5)
    assert list(Dataset.range(3).prefetch(0).as_numpy_iterator()) == [0, 1, 2]


def test_parallel_map_runs_concurrently_in_order():
    n, seconds = 8, 0.05
    t = time.perf_counter()
    out = list(Dataset.range(n).map(slow(seconds), num_parallel_calls=4).as_numpy_iterator())
    elapsed = time.perf_counter() - t
    assert out == list(range(n))
    assert elapsed < n * seconds * 0.75, elapsed  # serial would take n * seconds = 0.4 s
    assert not wait_for_no_pipeline_threads()


def test_memory_cache_replays_a_complete_pass_only():
    calls = []

    def record(x):
        calls.append(int(x))
        return x

    ds = Dataset.range(4).map(record).cache()
    assert list(ds.take(2).as_numpy_iterator()) == [0, 1]  # partial: not kept
    assert list(ds.as_numpy_iterator()) == [0, 1, 2, 3]
    calls.clear()
    assert list(ds.as_numpy_iterator()) == [0, 1, 2, 3]
    assert calls == []  # replayed from memory


def test_file_cache_is_written_atomically_and_reread(tmp_path):
    calls = []

    def record(x, y):
        calls.append(int(y))
        return {"x": x, "y": y}

    x = np.arange(3000, dtype=np.float32).reshape(1500, 2)
    strings = [f"s{i}".encode() for i in range(1500)]
    source = Dataset.from_tensor_slices((x, np.arange(1500)))
    path = str(tmp_path / "cache")
    ds = Dataset.zip((source.map(record), Dataset.from_tensor_slices(strings))).cache(path)
    target = path + ".ember-cache.zip"

    assert len(list(ds.take(10))) == 10
    assert os.listdir(tmp_path) == []  # an incomplete pass leaves no file, not even a temp

    it = iter(ds)
    for _ in range(1499):
        next(it)
    assert not os.path.exists(target)  # while writing, only a temporary file exists
    next(it)
    with pytest.raises(StopIteration):
        next(it)
    assert os.listdir(tmp_path) == [os.path.basename(target)]

    calls.clear()
    again = list(ds.as_numpy_iterator())
    assert calls == []  # read back from the file
    assert len(again) == 1500
    assert again[7][0]["y"] == 7 and again[7][1] == b"s7"
    np.testing.assert_array_equal(again[7][0]["x"], x[7])

    # a new pipeline (another program) with the same file name reads the cache too
    other = Dataset.range(1).map(lambda v: ({"x": v, "y": v}, v)).cache(path)
    assert len(list(other.as_numpy_iterator())) == 1500


def test_file_cache_missing_directory(tmp_path):
    from ember.tf import errors

    with pytest.raises(errors.NotFoundError, match="does not exist"):
        list(Dataset.range(3).cache(str(tmp_path / "missing" / "cache")))
