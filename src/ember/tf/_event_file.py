"""TensorBoard event files: written and read without TensorFlow or protobuf.

An event file is a TFRecord file (each record: its length as a little-endian uint64, the masked
CRC-32C of those 8 bytes, the data, the masked CRC-32C of the data) whose records are serialized
``tensorflow.Event`` protocol buffers. The few messages TensorBoard needs (Event, Summary,
Summary.Value, SummaryMetadata, TensorProto) are encoded here by hand, field for field as
TensorFlow 2.21 writes them, and decoded by :func:`read_events` (which checks every CRC).

This is ember's one event-file writer: ``tf.summary`` uses it, and a Keras ``TensorBoard``
callback should too.
"""

import os
import socket
import struct
import threading
import time

from ember.backend import xp

# -- CRC-32C (Castagnoli), as TFRecord needs ---------------------------------------------------
_CRC_TABLE = None


def _crc_table():
    global _CRC_TABLE
    if _CRC_TABLE is None:
        table = []
        for n in range(256):
            c = n
            for _ in range(8):
                c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
            table.append(c)
        _CRC_TABLE = table
    return _CRC_TABLE


def crc32c(data):
    """The CRC-32C of ``data`` (bytes)."""
    table = _crc_table()
    crc = 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc(data):
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def record_bytes(data):
    """``data`` framed as one TFRecord."""
    header = struct.pack("<Q", len(data))
    return (header + struct.pack("<I", masked_crc(header)) + data
            + struct.pack("<I", masked_crc(data)))


# -- protocol buffer encoding (only the wire types these messages use) -------------------------
def _varint(n):
    n &= (1 << 64) - 1  # negative int64 values take ten bytes, as in protobuf
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(field, wire):
    return _varint(field << 3 | wire)


def _bytes_field(field, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return _key(field, 2) + _varint(len(data)) + data


def _int_field(field, n):
    return _key(field, 0) + _varint(int(n))


def _double_field(field, x):
    return _key(field, 1) + struct.pack("<d", x)


# TensorProto dtype enum values (tensorflow/core/framework/types.proto)
DT_FLOAT, DT_DOUBLE, DT_INT32, DT_STRING, DT_INT64 = 1, 2, 3, 7, 9
_DTYPES = {DT_FLOAT: "<f4", DT_DOUBLE: "<f8", DT_INT32: "<i4", DT_INT64: "<i8"}
_DT_OF = {xp.dtype("float32"): DT_FLOAT, xp.dtype("float64"): DT_DOUBLE,
          xp.dtype("int32"): DT_INT32, xp.dtype("int64"): DT_INT64}


def tensor_proto(array):
    """A TensorProto: numbers as ``tensor_content``, strings (bytes) as ``string_val``."""
    array = xp.asarray(array)
    shape = b"".join(_bytes_field(2, _int_field(1, d)) for d in array.shape)
    if array.dtype.kind in "SUO":
        values = [v if isinstance(v, bytes) else str(v).encode("utf-8")
                  for v in array.reshape(-1).tolist()]
        return (_int_field(1, DT_STRING) + _bytes_field(2, shape)
                + b"".join(_bytes_field(8, v) for v in values))
    dt = _DT_OF.get(array.dtype)
    if dt is None:
        raise TypeError(f"Cannot write a tensor of dtype {array.dtype} to an event file; use "
                        "float32, float64, int32, int64 or strings.")
    content = xp.ascontiguousarray(array, dtype=_DTYPES[dt]).tobytes()
    return _int_field(1, dt) + _bytes_field(2, shape) + _bytes_field(4, content)


def summary_value(tag, tensor, plugin_name, description=None, plugin_content=None):
    """One ``Summary.Value``: tag, tensor, metadata (plugin name, its content bytes when
    given, description)."""
    plugin_data = _bytes_field(1, plugin_name)
    if plugin_content:
        plugin_data += _bytes_field(2, plugin_content)
    metadata = _bytes_field(1, plugin_data)
    if description:
        metadata += _bytes_field(3, description)
    return _bytes_field(1, tag) + _bytes_field(8, tensor) + _bytes_field(9, metadata)


def event(step=None, wall_time=None, summary_values=None, file_version=None):
    """A serialized Event with one summary (a list of encoded values) or a file version."""
    out = _double_field(1, time.time() if wall_time is None else wall_time)
    if step:
        out += _int_field(2, step)
    if file_version is not None:
        out += _bytes_field(3, file_version)
        out += _bytes_field(10, _bytes_field(1, "ember"))  # source_metadata.writer
    if summary_values is not None:
        out += _bytes_field(5, b"".join(_bytes_field(1, v) for v in summary_values))
    return out


# -- the writer ---------------------------------------------------------------------------------
_file_counter = [0]
_counter_lock = threading.Lock()


class EventFileWriter:
    """Appends events to ``<logdir>/events.out.tfevents.<time>.<host>.<pid>.<n>.v2`` (the
    name TensorFlow uses). Records are buffered and reach the file on ``flush``, ``close``,
    or when ``max_queue`` events are waiting; each record is written whole."""

    def __init__(self, logdir, max_queue=10, filename_suffix=None):
        logdir = os.fspath(logdir)
        os.makedirs(logdir, exist_ok=True)
        with _counter_lock:
            n = _file_counter[0]
            _file_counter[0] += 1
        name = (f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}."
                f"{os.getpid()}.{n}.v2{filename_suffix or ''}")
        self.path = os.path.join(logdir, name)
        self.max_queue = max(int(max_queue or 1), 1)
        self._queue = []
        self._lock = threading.Lock()
        self._file = open(self.path, "ab")
        self.add_event(event(file_version="brain.Event:2"))
        self.flush()

    @property
    def closed(self):
        return self._file is None

    def add_event(self, serialized):
        with self._lock:
            if self._file is None:
                raise ValueError(f"The event file {self.path} is closed.")
            self._queue.append(record_bytes(serialized))
            full = len(self._queue) >= self.max_queue
        if full:
            self.flush()

    def flush(self):
        with self._lock:
            if self._file is None:
                return
            if self._queue:
                self._file.write(b"".join(self._queue))
                self._queue = []
            self._file.flush()

    def close(self):
        self.flush()
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


# -- reading ------------------------------------------------------------------------------------
def read_records(path):
    """The data of each record of a TFRecord file; a ValueError names a corrupt record."""
    with open(path, "rb") as f:
        raw = f.read()
    pos, index = 0, 0
    while pos < len(raw):
        if pos + 12 > len(raw):
            raise ValueError(f"{path}: record {index} is truncated (incomplete header).")
        header = raw[pos:pos + 8]
        (length,) = struct.unpack("<Q", header)
        (crc,) = struct.unpack("<I", raw[pos + 8:pos + 12])
        if crc != masked_crc(header):
            raise ValueError(f"{path}: record {index} has a corrupt length (CRC mismatch).")
        start, end = pos + 12, pos + 12 + length
        if end + 4 > len(raw):
            raise ValueError(f"{path}: record {index} is truncated.")
        data = raw[start:end]
        (crc,) = struct.unpack("<I", raw[end:end + 4])
        if crc != masked_crc(data):
            raise ValueError(f"{path}: record {index} has corrupt data (CRC mismatch).")
        yield data
        pos, index = end + 4, index + 1


def _fields(data):
    """``(field number, wire type, value)`` of a serialized message (varints as ints, 64-bit
    as 8 raw bytes, length-delimited as bytes)."""
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _read_varint(data, pos)
        elif wire == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire == 2:
            n, pos = _read_varint(data, pos)
            value, pos = data[pos:pos + n], pos + n
        elif wire == 5:
            value, pos = data[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        yield field, wire, value


def _read_varint(data, pos):
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated protobuf varint")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def _decode_tensor(data):
    dtype, shape, content, strings = None, [], None, []
    for field, _, value in _fields(data):
        if field == 1:
            dtype = value
        elif field == 2:
            for f, _, dim in _fields(value):
                if f == 2:
                    shape.append(next((v for g, _, v in _fields(dim) if g == 1), 0))
        elif field == 4:
            content = value
        elif field == 8:
            strings.append(value)
    if dtype == DT_STRING:
        out = xp.empty(len(strings), dtype=object)
        out[:] = strings
        return out.reshape(shape)
    return xp.frombuffer(content or b"", dtype=_DTYPES[dtype]).reshape(shape).copy()


def _decode_value(data):
    value = {"tag": None, "plugin_name": None, "plugin_content": None, "description": None,
             "tensor": None, "simple_value": None}
    for field, _, v in _fields(data):
        if field == 1:
            value["tag"] = v.decode("utf-8")
        elif field == 2:
            value["simple_value"] = struct.unpack("<f", v)[0]
        elif field == 8:
            value["tensor"] = _decode_tensor(v)
        elif field == 9:
            for f, _, m in _fields(v):
                if f == 1:
                    plugin = dict((g, p) for g, _, p in _fields(m))
                    value["plugin_name"] = plugin.get(1, b"").decode("utf-8")
                    value["plugin_content"] = plugin.get(2, b"")
                elif f == 3:
                    value["description"] = m.decode("utf-8")
    return value


def read_events(path):
    """The events of an event file as dicts: ``wall_time``, ``step``, and ``file_version`` or
    ``values`` (each with ``tag``, ``plugin_name``, ``description``, ``tensor`` as an array)."""
    for data in read_records(path):
        ev = {"wall_time": None, "step": 0, "file_version": None, "values": []}
        for field, _, v in _fields(data):
            if field == 1:
                ev["wall_time"] = struct.unpack("<d", v)[0]
            elif field == 2:
                ev["step"] = v - (1 << 64) if v >= 1 << 63 else v
            elif field == 3:
                ev["file_version"] = v.decode("utf-8")
            elif field == 5:
                ev["values"] = [_decode_value(val) for f, _, val in _fields(v) if f == 1]
        yield ev
