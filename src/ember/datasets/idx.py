"""IDX files (the MNIST format): ember's own reader and writer.

Layout, all integers big-endian: two zero bytes, one type byte, one byte with the number of
dimensions, one 32-bit size per dimension, then the data, row-major, with no padding.
Files may be gzip-compressed as a whole; the reader sees that from the gzip magic.
"""

import gzip
import os
import struct
import zlib

from ember.backend import np

# Type byte -> big-endian dtype, as in the format's description.
_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_CODES = {np.dtype(v).newbyteorder("=").str.lstrip("<>=|"): k for k, v in _DTYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"


class IDXError(ValueError):
    """A file is not a valid IDX file (wrong magic, unknown type, truncated, extra bytes)."""


def parse_idx(data, name="<bytes>"):
    """The array held by the IDX bytes ``data`` (native byte order, writable)."""
    data = memoryview(data).cast("B")
    size = len(data)
    if size < 4:
        raise IDXError(f"{name}: truncated: {size} bytes, an IDX header needs at least 4.")
    zero, code, ndim = data[0:2].tobytes(), data[2], data[3]
    magic = int.from_bytes(data[0:4], "big")
    if zero != b"\0\0":
        raise IDXError(
            f"{name}: wrong magic number 0x{magic:08x}: an IDX file starts with two zero bytes "
            "(is this an IDX file, or still compressed?)."
        )
    if code not in _DTYPES:
        raise IDXError(
            f"{name}: wrong magic number 0x{magic:08x}: unknown element type 0x{code:02x} "
            f"(known: {', '.join(f'0x{c:02x}' for c in _DTYPES)})."
        )
    if ndim == 0:
        raise IDXError(f"{name}: wrong magic number 0x{magic:08x}: it declares 0 dimensions.")
    header = 4 + 4 * ndim
    if size < header:
        raise IDXError(
            f"{name}: truncated header: {ndim} dimensions need {header} bytes, found {size}."
        )
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = np.dtype(_DTYPES[code])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found = size - header
    if found < expected:
        raise IDXError(
            f"{name}: truncated: the header declares shape {shape} of {dtype.name} "
            f"({expected} bytes of data), found {found} bytes."
        )
    if found > expected:
        raise IDXError(
            f"{name}: {found - expected} bytes after the data declared by the header "
            f"(shape {shape} of {dtype.name}); wrong header or files joined together?"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    # A copy in native order: writable, and independent of the decompressed buffer.
    return array.astype(dtype.newbyteorder("="), copy=True)


def read_bytes(path):
    """A file's bytes, gunzipped when the file is gzip-compressed."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise IDXError(f"{path}: broken gzip data ({e}); the file is truncated or corrupt.") from e


def read_idx(path):
    """The array in the IDX file at ``path`` (plain or ``.gz``)."""
    path = os.fspath(path)
    return parse_idx(read_bytes(path), name=path)


def write_idx(path, array, compress=None):
    """Write ``array`` as an IDX file; gzip-compressed when ``compress`` (default: ``.gz`` name)."""
    path = os.fspath(path)
    array = np.asarray(array)
    code = _CODES.get(array.dtype.str.lstrip("<>=|"))
    if code is None:
        raise ValueError(f"IDX cannot store dtype {array.dtype}; use uint8, int8, int16, int32, "
                         "float32 or float64.")
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"IDX stores 1 to 255 dimensions, got an array of shape {array.shape}.")
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + np.ascontiguousarray(array, dtype=_DTYPES[code]).tobytes()
    if compress is None:
        compress = path.endswith(".gz")
    if compress:
        payload = gzip.compress(payload, mtime=0)
    with open(path, "wb") as f:
        f.write(payload)
