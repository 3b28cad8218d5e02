"""ember's IDX parser: round trips, and clear errors for wrong or truncated files."""

import gzip
import struct

import pytest

from ember.backend import np
from ember.datasets import idx
from ember.datasets.idx import IDXError


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
@pytest.mark.parametrize("name", ["a.idx", "a.idx.gz"])
def test_round_trip(tmp_path, dtype, name):
    array = (np.arange(2 * 3 * 4) - 7).astype(dtype).reshape(2, 3, 4)
    if dtype == "uint8":
        array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    idx.write_idx(tmp_path / name, array)
    back = idx.read_idx(tmp_path / name)
    assert back.dtype == np.dtype(dtype) and back.shape == (2, 3, 4)
    np.testing.assert_array_equal(back, array)
    assert back.flags.writeable


def test_mnist_style_header(tmp_path):
    labels = np.array([5, 0, 4], dtype=np.uint8)
    idx.write_idx(tmp_path / "l.idx", labels)
    raw = (tmp_path / "l.idx").read_bytes()
    assert raw[:8] == struct.pack(">II", 0x00000801, 3)
    assert raw[8:] == bytes([5, 0, 4])


def _idx_bytes(shape, payload, code=0x08):
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape) + payload


def test_truncated_data(tmp_path):
    path = tmp_path / "t.idx"
    path.write_bytes(_idx_bytes((10, 28, 28), b"\0" * 100))
    with pytest.raises(IDXError, match=r"t\.idx: truncated.*\(10, 28, 28\).*7840 bytes.*found 100"):
        idx.read_idx(path)


def test_truncated_header(tmp_path):
    path = tmp_path / "t.idx"
    path.write_bytes(bytes([0, 0, 8, 3]) + b"\0\0\0\x0a")
    with pytest.raises(IDXError, match="truncated header"):
        idx.read_idx(path)
    path.write_bytes(b"\0\0")
    with pytest.raises(IDXError, match="truncated: 2 bytes"):
        idx.read_idx(path)


def test_wrong_magic(tmp_path):
    path = tmp_path / "w.idx"
    path.write_bytes(b"PK\x03\x04" + b"\0" * 40)
    with pytest.raises(IDXError, match="wrong magic number 0x504b0304"):
        idx.read_idx(path)
    path.write_bytes(_idx_bytes((2,), b"\0\0", code=0x07))
    with pytest.raises(IDXError, match="unknown element type 0x07"):
        idx.read_idx(path)
    path.write_bytes(bytes([0, 0, 8, 0]))
    with pytest.raises(IDXError, match="0 dimensions"):
        idx.read_idx(path)


def test_extra_bytes(tmp_path):
    path = tmp_path / "x.idx"
    path.write_bytes(_idx_bytes((3,), b"\1\2\3\4"))
    with pytest.raises(IDXError, match="1 bytes after the data"):
        idx.read_idx(path)


def test_truncated_gzip(tmp_path):
    path = tmp_path / "g.idx.gz"
    path.write_bytes(gzip.compress(_idx_bytes((1000,), bytes(1000)))[:-20])
    with pytest.raises(IDXError, match="g.idx.gz: broken gzip"):
        idx.read_idx(path)


def test_write_refuses_unstorable_dtype(tmp_path):
    with pytest.raises(ValueError, match="cannot store dtype int64"):
        idx.write_idx(tmp_path / "a.idx", np.arange(3))
