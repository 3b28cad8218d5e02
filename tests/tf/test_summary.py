"""tf.summary: event files read back with ember's reader (and TensorBoard's, when installed).

The layouts (plugins, dtypes, histogram buckets, image strings) are those TensorFlow 2.21 was
observed to write; the ember-written file was also read by TensorFlow's own event parser, which
found the same tensors as in TensorFlow's file (see the helper's report).
"""

import os
import struct
import zlib

import pytest

import ember
from ember.backend import np
from ember.tf import _event_file, summary
from ember.tf.module import name_scope


def _events(writer):
    writer.flush()
    return list(_event_file.read_events(writer.path))


def _values(writer):
    return {v["tag"]: (e["step"], v) for e in _events(writer)[1:] for v in e["values"]}


def test_file_name_and_version_record(tmp_path):
    w = summary.create_file_writer(str(tmp_path / "logs"))
    name = os.path.basename(w.path)
    assert name.startswith("events.out.tfevents.") and name.endswith(".v2")
    assert str(os.getpid()) in name.split(".")
    first = _events(w)[0]
    assert first["file_version"] == "brain.Event:2" and first["values"] == []
    w.close()


def test_scalars_steps_and_defaults(tmp_path):
    w = summary.create_file_writer(str(tmp_path))
    with w.as_default(step=3):
        assert bool(summary.scalar("loss", 0.5))
        summary.scalar("acc", 0.25, step=7)
        summary.scalar("int", np.int32(2))  # cast to float32, as TF
        assert summary.experimental.get_step() == 3
        with name_scope("train"):
            summary.scalar("loss", ember.Variable(1.5), description="desc")
    assert summary.experimental.get_step() is None  # restored after the block
    summary.experimental.set_step(9)
    with w.as_default():
        summary.scalar("s9", 1.0)
    summary.experimental.set_step(None)
    values = _values(w)
    assert values["loss"][0] == 3 and values["acc"][0] == 7 and values["s9"][0] == 9
    loss = values["loss"][1]
    assert loss["plugin_name"] == "scalars"
    assert loss["tensor"].dtype == np.float32 and loss["tensor"].shape == ()
    assert float(loss["tensor"]) == 0.5
    assert values["int"][1]["tensor"].dtype == np.float32
    assert values["train/loss"][1]["description"] == "desc"
    assert float(values["train/loss"][1]["tensor"]) == 1.5


def test_no_writer_no_step_and_record_if(tmp_path):
    assert not bool(summary.scalar("outside", 1.0, step=1))  # no default writer: False
    w = summary.create_file_writer(str(tmp_path))
    with w.as_default():
        with pytest.raises(ValueError, match="No step set"):
            summary.scalar("nostep", 1.0)
        with summary.record_if(False):
            assert not bool(summary.scalar("skipped", 1.0, step=1))
            assert not summary.should_record_summaries()
        with summary.record_if(lambda: True):
            assert bool(summary.scalar("kept", 1.0, step=1))
    assert set(_values(w)) == {"kept"}


def test_histogram_buckets_as_tensorboard(tmp_path):
    w = summary.create_file_writer(str(tmp_path))
    data = np.array([1.0, 2.0, 2.0, 5.0], "float32")
    with w.as_default(step=1):
        summary.histogram("h", data)
        summary.histogram("hb", data, buckets=3)
        summary.histogram("equal", np.array([3.0, 3.0]), buckets=3)
        summary.histogram("empty", np.array([], "float32"), buckets=3)
        summary.histogram("none", data, buckets=0)
    values = {k: v["tensor"] for k, (_, v) in _values(w).items()}
    assert values["h"].shape == (30, 3) and values["h"].dtype == np.float64
    assert values["h"][:, 2].sum() == 4
    # 3 equal buckets over [1, 5]: edges 1, 7/3, 11/3, 5; counts 3 (1, 2, 2), 0, 1 (5)
    edges = np.linspace(1.0, 5.0, 4)
    np.testing.assert_array_equal(values["hb"], np.stack([edges[:-1], edges[1:],
                                                          [3.0, 0.0, 1.0]], axis=1))
    # all equal: every bucket is [3, 3], the last holds the count (as TensorBoard)
    np.testing.assert_array_equal(values["equal"], [[3, 3, 0], [3, 3, 0], [3, 3, 2]])
    np.testing.assert_array_equal(values["empty"], np.zeros((3, 3)))
    assert values["none"].shape == (0, 3)
    with w.as_default(step=1), pytest.raises(TypeError, match="expected numbers"):
        summary.histogram("s", ["a"])


def _decode_png(data):
    """Pixels of the filter-0, 8-bit PNGs that ember writes."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        (crc,) = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        assert crc == zlib.crc32(kind + body)
        chunks[kind] = chunks.get(kind, b"") + body
        pos += 12 + n
    w, h, depth, color = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    channels = {0: 1, 4: 2, 2: 3, 6: 4}[color]
    raw = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), dtype=np.uint8)
    rows = raw.reshape(h, 1 + w * channels)
    assert (rows[:, 0] == 0).all()
    return rows[:, 1:].reshape(h, w, channels)


def test_images_as_pngs(tmp_path):
    w = summary.create_file_writer(str(tmp_path))
    floats = np.array([[[[0.0], [1.0]], [[0.3], [2.0]]]], "float32")
    rgb = np.arange(2 * 3 * 4 * 3, dtype=np.uint8).reshape(2, 3, 4, 3)
    with w.as_default(step=2):
        summary.image("f", floats)
        summary.image("rgb", rgb, max_outputs=1)
    values = _values(w)
    f = values["f"][1]["tensor"]
    assert values["f"][1]["plugin_name"] == "images"
    assert list(f[:2]) == [b"2", b"2"]  # width, height
    # TensorFlow's convert_image_dtype(saturate=True): trunc(clip(x * 255.5, 0, 255))
    expected = np.clip(floats[0] * np.float32(255.5), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(_decode_png(f[2]), expected)
    r = values["rgb"][1]["tensor"]
    assert list(r[:2]) == [b"4", b"3"] and len(r) == 3  # one image (max_outputs=1)
    np.testing.assert_array_equal(_decode_png(r[2]), rgb[0])
    with w.as_default(step=1):
        with pytest.raises(ValueError, match="must have rank 4"):
            summary.image("bad", np.ones((4, 5, 1), "float32"))
        with pytest.raises(ValueError, match="channels"):
            summary.image("bad", np.ones((1, 4, 5, 7), "float32"))


def test_text(tmp_path):
    w = summary.create_file_writer(str(tmp_path))
    with w.as_default(step=4):
        summary.text("t", "hello")
        summary.text("many", ["a", "bé"])
        with pytest.raises(TypeError, match="tensor must be of type tf.string"):
            summary.text("bad", 3)
    values = _values(w)
    assert values["t"][1]["plugin_name"] == "text"
    assert values["t"][1]["tensor"].shape == () and values["t"][1]["tensor"].item() == b"hello"
    assert list(values["many"][1]["tensor"]) == [b"a", "bé".encode()]


def test_scalar_errors(tmp_path):
    w = summary.create_file_writer(str(tmp_path))
    with w.as_default(step=1):
        with pytest.raises(ValueError, match=r"Expected scalar shape, saw shape: \(2,\)"):
            summary.scalar("s", [1.0, 2.0])
        with pytest.raises(TypeError, match="expected numbers"):
            summary.scalar("s", "x")


def test_buffering_flush_and_close(tmp_path):
    w = summary.create_file_writer(str(tmp_path), max_queue=100)
    w.set_as_default(step=1)
    try:
        summary.scalar("a", 1.0)
        assert len(list(_event_file.read_events(w.path))) == 1  # still buffered
        summary.flush()
        assert len(list(_event_file.read_events(w.path))) == 2
        w.close()
        with pytest.raises(ValueError, match="closed"):
            summary.scalar("b", 1.0)
    finally:
        summary._state.writer = None
        summary.set_step(None)
    noop = summary.create_noop_writer()
    with noop.as_default(step=1):
        assert bool(summary.scalar("x", 1.0))  # recorded, written nowhere


def test_corrupt_records_are_reported(tmp_path):
    w = summary.create_file_writer(str(tmp_path))
    with w.as_default(step=1):
        summary.scalar("a", 1.0)
    w.close()
    raw = bytearray(open(w.path, "rb").read())
    raw[-6] ^= 0xFF  # a byte of the last record's data
    open(w.path, "wb").write(bytes(raw))
    with pytest.raises(ValueError, match="record 1 has corrupt data"):
        list(_event_file.read_events(w.path))
    open(w.path, "wb").write(bytes(raw[:-3]))
    with pytest.raises(ValueError, match="truncated"):
        list(_event_file.read_events(w.path))


def test_crc32c_known_value():
    # the CRC-32C check value of the ASCII digits 1..9 (RFC 3720 / iSCSI)
    assert _event_file.crc32c(b"123456789") == 0xE3069283


def test_tensorboard_reads_the_file(tmp_path):
    loader = pytest.importorskip("tensorboard.backend.event_processing.event_file_loader")
    w = summary.create_file_writer(str(tmp_path))
    with w.as_default(step=5):
        summary.scalar("loss", 0.25)
    w.close()
    events = list(loader.EventFileLoader(w.path).Load())
    value = events[-1].summary.value[0]
    assert events[-1].step == 5 and value.tag == "loss"
    assert value.metadata.plugin_data.plugin_name == "scalars"
