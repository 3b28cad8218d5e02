"""``tf.summary``: TensorBoard event files (scalars, histograms, images, text).

    writer = tf.summary.create_file_writer("logs/train")
    with writer.as_default(step=epoch):
        tf.summary.scalar("loss", loss)

The records are those TensorFlow 2.21 writes (same plugins, dtypes and layouts), so TensorBoard
shows them as it shows TensorFlow's. The file format lives in ``ember.tf._event_file``.
"""

import contextlib
import struct
import threading
import types
import zlib

from ember.autodiff.tensor import Tensor, data_of
from ember.backend import xp
from ember.tf import _event_file

_state = threading.local()  # writer, step, record_if condition (per thread, as TensorFlow)


def _get(name, default=None):
    return getattr(_state, name, default)


class SummaryWriter:
    """A writer of one event file (from :func:`create_file_writer`)."""

    def __init__(self, logdir, max_queue=10, filename_suffix=None):
        self._writer = _event_file.EventFileWriter(logdir, max_queue=max_queue,
                                                   filename_suffix=filename_suffix)

    @property
    def path(self):
        """The event file's path."""
        return self._writer.path

    def set_as_default(self, step=None):
        """Make this the default writer (and set the default step when given)."""
        _state.writer = self
        if step is not None:
            set_step(step)

    @contextlib.contextmanager
    def as_default(self, step=None):
        """Within the block, summaries go to this writer (at ``step`` when given); the previous
        writer and step come back afterwards, and this writer is flushed."""
        previous_writer, previous_step = _get("writer"), _get("step")
        _state.writer = self
        if step is not None:
            set_step(step)
        try:
            yield self
        finally:
            self.flush()
            _state.writer = previous_writer
            if step is not None:
                _state.step = previous_step

    def init(self):
        """Nothing to do: the file is created with the writer."""

    def flush(self):
        """Write buffered events to the file."""
        self._writer.flush()

    def close(self):
        """Flush and close the file; later writes raise ValueError."""
        self._writer.close()

    def _write(self, value, step):
        self._writer.add_event(_event_file.event(step=step, summary_values=[value]))


class _NoopWriter(SummaryWriter):
    def __init__(self):
        pass

    @property
    def path(self):
        return None

    def flush(self):
        pass

    def close(self):
        pass

    def _write(self, value, step):
        pass


def create_file_writer(logdir, max_queue=None, flush_millis=None, filename_suffix=None,
                       name=None, experimental_trackable=False, experimental_mesh=None):
    """A :class:`SummaryWriter` writing a new event file in ``logdir`` (created if needed).
    Events are buffered until ``max_queue`` (default 10) wait, ``flush()``, the end of an
    ``as_default`` block or ``close()``; ``flush_millis`` is accepted and not used."""
    return SummaryWriter(logdir, max_queue=max_queue or 10, filename_suffix=filename_suffix)


def create_noop_writer():
    """A writer that writes nothing."""
    return _NoopWriter()


def flush(writer=None, name=None):
    """Flush ``writer`` (default: the default writer)."""
    writer = writer or _get("writer")
    if writer is not None:
        writer.flush()


# -- step and recording -------------------------------------------------------------------------
def set_step(step):
    """Set the default step of summaries written without ``step=`` (``None`` unsets it)."""
    _state.step = step


def get_step():
    """The default step (an int, a Variable, or None)."""
    return _get("step")


@contextlib.contextmanager
def record_if(condition):
    """Within the block, summaries are written only if ``condition`` (a bool, or a callable
    returning one, evaluated at each summary) holds."""
    previous = _get("record_if", True)
    _state.record_if = condition
    try:
        yield
    finally:
        _state.record_if = previous


def should_record_summaries():
    """Whether a summary written now would be recorded (a default writer exists and the
    ``record_if`` condition holds)."""
    if _get("writer") is None:
        return False
    condition = _get("record_if", True)
    return bool(data_of(condition() if callable(condition) else condition))


@contextlib.contextmanager
def summary_scope(name, default_name=None, values=None):
    """A name scope for a group of summaries; yields ``(tag, scope)`` as TensorFlow's."""
    from ember.tf.module import name_scope

    name = name or default_name
    with name_scope(name) as scope:
        yield scope.rstrip("/"), scope


experimental = types.SimpleNamespace(set_step=set_step, get_step=get_step,
                                     summary_scope=summary_scope)


# -- the summaries ------------------------------------------------------------------------------
def _write(kind, name, tensor, step, description=None):
    """Write one value with the default writer; False (and nothing written) without one."""
    from ember.tf.module import _current_scope

    if not should_record_summaries():
        return Tensor(xp.asarray(False))
    if step is None:
        step = get_step()
        if step is None:
            raise ValueError("No step set. Please specify one either through the `step` "
                             "argument or through tf.summary.experimental.set_step()")
    step = int(data_of(step))
    tag = _current_scope() + name
    value = _event_file.summary_value(tag, _event_file.tensor_proto(tensor), kind, description)
    _get("writer")._write(value, step)
    return Tensor(xp.asarray(True))


def _array(data, what):
    array = xp.asarray(data_of(data))
    if array.dtype.kind in "SUO":
        if what != "text":
            raise TypeError(f"tf.summary.{what}: expected numbers, received strings "
                            f"({array.dtype}).")
    elif what == "text":
        raise TypeError(f"tensor must be of type tf.string; got {array.dtype}")
    return array


def scalar(name, data, step=None, description=None):
    """Write a scalar (as float32, plugin "scalars"); returns True if written."""
    array = _array(data, "scalar")
    if array.ndim != 0:
        raise ValueError(f"Expected scalar shape, saw shape: {array.shape}.")
    return _write("scalars", name, array.astype(xp.float32), step, description)


def histogram(name, data, step=None, buckets=None, description=None):
    """Write a histogram of ``data`` with ``buckets`` (default 30) equal-width buckets over
    its range: rows ``(left edge, right edge, count)`` in float64 (plugin "histograms")."""
    array = _array(data, "histogram").astype(xp.float64).reshape(-1)
    return _write("histograms", name, _buckets(array, 30 if buckets is None else int(buckets)),
                  step, description)


def _buckets(data, count):
    """TensorBoard's bucketing: ``count`` equal buckets from min to max (the last one closed);
    all values in the last bucket when they are all equal; zeros without data."""
    if count < 0:
        raise ValueError(f"tf.summary.histogram: `buckets` must be >= 0. Received: {count}")
    if count == 0:
        return xp.zeros((0, 3), dtype=xp.float64)
    if data.size == 0:
        return xp.zeros((count, 3), dtype=xp.float64)
    lo, hi = data.min(), data.max()
    if lo == hi:
        out = xp.zeros((count, 3), dtype=xp.float64)
        out[:, 0], out[:, 1] = lo, hi
        out[-1, 2] = data.size
        return out
    width = (hi - lo) / count
    index = xp.minimum(xp.floor((data - lo) / width).astype(xp.int64), count - 1)
    counts = xp.bincount(index, minlength=count).astype(xp.float64)
    edges = xp.linspace(lo, hi, count + 1)
    edges[-1] = hi
    return xp.stack([edges[:-1], edges[1:], counts], axis=1)


def image(name, data, step=None, max_outputs=3, description=None):
    """Write up to ``max_outputs`` images from ``data`` of shape ``[k, h, w, c]`` (c = 1, 2, 3
    or 4; floats in [0, 1] or uint8) as PNGs (plugin "images")."""
    array = _array(data, "image")
    if array.ndim != 4:
        raise ValueError(f"Tensor  must have rank 4.  Received rank {array.ndim}, shape "
                         f"{array.shape}")
    if array.shape[-1] not in (1, 2, 3, 4):
        raise ValueError(f"tf.summary.image: the last dimension (channels) must be 1, 2, 3 or "
                         f"4. Received shape {array.shape}")
    if array.dtype != xp.uint8:
        # TensorFlow's convert_image_dtype(saturate=True): x * 255.5, clipped, truncated
        scaled = array.astype(xp.float32) * xp.float32(255.5)
        array = xp.clip(scaled, 0, 255).astype(xp.uint8)
    h, w = array.shape[1:3]
    pngs = [_png(img) for img in array[:max(int(max_outputs), 0)]]
    strings = xp.empty(2 + len(pngs), dtype=object)
    strings[:] = [str(w).encode(), str(h).encode()] + pngs
    return _write("images", name, strings, step, description)


def _png(img):
    """An 8-bit PNG (grey, grey+alpha, RGB or RGBA by channel count) of an ``[h, w, c]``
    uint8 array, each row with filter type 0."""
    h, w, c = img.shape
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    rows = xp.concatenate([xp.zeros((h, 1), dtype=xp.uint8),
                           xp.ascontiguousarray(img).reshape(h, w * c)], axis=1)

    def chunk(kind, payload):
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows.tobytes())) + chunk(b"IEND", b""))


def text(name, data, step=None, description=None):
    """Write a string (or an array of strings) as UTF-8 (plugin "text")."""
    array = _array(data, "text")
    encoded = xp.empty(array.shape, dtype=object)
    encoded.reshape(-1)[:] = [v if isinstance(v, bytes) else str(v).encode("utf-8")
                              for v in array.reshape(-1).tolist()]
    return _write("text", name, encoded, step, description)


def write(tag, tensor, step=None, metadata=None, name=None):
    """Write ``tensor`` under ``tag`` with no plugin (or ``metadata``'s plugin name, when it
    is a dict with ``"plugin_name"``)."""
    plugin = (metadata or {}).get("plugin_name", "") if isinstance(metadata, dict) else ""
    return _write(plugin, tag, xp.asarray(data_of(tensor)), step)
