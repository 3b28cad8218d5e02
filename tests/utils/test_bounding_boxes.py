"""ember.utils.bounding_boxes: NumPy references, gradients (finite differences), float32 and the
error messages. Parity with Keras is in tests/keras_parity/test_bounding_boxes_parity.py."""

import math

import numpy as np
import pytest

import ember
from ember import check_gradients
from ember.utils import bounding_boxes as bb


def _boxes(shape, seed=0, dtype="float64"):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 20, shape[:-1] + (2,))
    wh = rng.uniform(2, 15, shape[:-1] + (2,))
    return np.concatenate([xy, xy + wh], -1).astype(dtype)


def _np_iou(a, b):
    """Pairwise IoU of xyxy boxes a (M, 4) and b (N, 4), written directly."""
    out = np.zeros((len(a), len(b)))
    for i, p in enumerate(a):
        for j, q in enumerate(b):
            iw = max(0.0, min(p[2], q[2]) - max(p[0], q[0]))
            ih = max(0.0, min(p[3], q[3]) - max(p[1], q[1]))
            inter = iw * ih
            union = (p[2] - p[0]) * (p[3] - p[1]) + (q[2] - q[0]) * (q[3] - q[1]) - inter
            out[i, j] = inter / (union + 1e-7)
    return out


def _np_ciou(p, q):
    """CIoU of two xyxy boxes (the eps terms of Keras are negligible at this scale)."""
    iou = _np_iou(p[None], q[None])[0, 0]
    cw = max(p[2], q[2]) - min(p[0], q[0])
    chh = max(p[3], q[3]) - min(p[1], q[1])
    d2 = ((p[0] + p[2]) / 2 - (q[0] + q[2]) / 2) ** 2 + ((p[1] + p[3]) / 2 - (q[1] + q[3]) / 2) ** 2
    v = 4 / math.pi ** 2 * (math.atan((q[2] - q[0]) / (q[3] - q[1]))
                            - math.atan((p[2] - p[0]) / (p[3] - p[1]))) ** 2
    alpha = v / (v - iou + 1)
    return iou - d2 / (cw ** 2 + chh ** 2) - v * alpha


def test_convert_round_trips_every_format():
    boxes = _boxes((3, 6, 4), dtype="float32")
    for fmt in bb.SUPPORTED_FORMATS:
        there = bb.convert_format(boxes, "xyxy", fmt, height=40, width=30)
        back = bb.convert_format(there, fmt.upper(), "XYXY", height=40, width=30)
        np.testing.assert_allclose(back.numpy(), boxes, rtol=1e-5, atol=1e-5, err_msg=fmt)
        assert there.dtype == np.float32


def test_convert_known_layouts():
    box = np.array([[10.0, 20.0, 30.0, 60.0]])  # x1 y1 x2 y2
    x1, y1, x2, y2 = box[0]
    expected = {
        "yxyx": [y1, x1, y2, x2],
        "xywh": [x1, y1, x2 - x1, y2 - y1],
        "center_xywh": [(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1],
        "center_yxhw": [(y1 + y2) / 2, (x1 + x2) / 2, y2 - y1, x2 - x1],
        "rel_xyxy": [x1 / 50, y1 / 80, x2 / 50, y2 / 80],
    }
    for fmt, want in expected.items():
        got = bb.convert_format(box, "xyxy", fmt, height=80, width=50)
        np.testing.assert_allclose(got.numpy()[0], want, rtol=1e-6, err_msg=fmt)


def test_convert_dict_keeps_other_entries_and_input():
    labels = np.array([1, 2])
    data = {"boxes": _boxes((2, 4)), "labels": labels}
    out = bb.convert_format(data, "xyxy", "xywh")
    assert out["labels"] is labels
    assert isinstance(data["boxes"], np.ndarray)  # the input dict is left alone


def test_compute_iou_against_numpy():
    a, b = _boxes((4, 4), 0), _boxes((6, 4), 1)
    np.testing.assert_allclose(bb.compute_iou(a, b, "xyxy").numpy(), _np_iou(a, b), rtol=1e-5)
    batched = bb.compute_iou(np.stack([a, a]), b, "xyxy").numpy()
    assert batched.shape == (2, 4, 6)
    np.testing.assert_allclose(batched[1], _np_iou(a, b), rtol=1e-5)


def test_compute_ciou_against_numpy():
    a, b = _boxes((5, 4), 0), _boxes((5, 4), 1)
    got = bb.compute_ciou(a, b, "xyxy").numpy()
    assert got.shape == (5,) and got.dtype == np.float32
    np.testing.assert_allclose(got, [_np_ciou(p, q) for p, q in zip(a, b)], rtol=1e-4,
                               atol=1e-6)


def test_ciou_gradient_finite_differences():
    def ciou(a, b):
        a = bb.convert_format(a, "center_xywh", "xyxy", dtype="float64")
        b = bb.convert_format(b, "center_xywh", "xyxy", dtype="float64")
        return bb._ciou_xyxy(a, b)

    a = bb.convert_format(_boxes((2, 3, 4), 0), "xyxy", "center_xywh", dtype="float64")
    b = bb.convert_format(_boxes((2, 3, 4), 1), "xyxy", "center_xywh", dtype="float64")
    assert check_gradients(ciou, [a.numpy(), b.numpy()], tolerance=1e-5)


def test_iou_gradient_finite_differences():
    a, b = _boxes((2, 3, 4), 0), _boxes((4, 4), 1)
    assert check_gradients(bb._iou_xyxy, [a, b], tolerance=1e-5)


@pytest.mark.parametrize("fn", [bb.compute_ciou, bb.compute_iou])
def test_public_ious_differentiable_in_float32(fn):
    a, b = (ember.Variable(_boxes((2, 3, 4), seed, "float32")) for seed in (0, 1))
    with ember.GradientTape() as tape:
        loss = ember.ops.sum(fn(a, b, "yxyx"))
    grads = tape.gradient(loss, [a, b])
    for g in grads:
        assert g is not None and g.dtype == np.float32 and g.shape == (2, 3, 4)


def test_encode_decode_round_trip_and_variance():
    anchors, boxes = _boxes((5, 4), 2), _boxes((3, 5, 4), 3)
    for variance in (None, [0.1, 0.1, 0.2, 0.2]):
        deltas = bb.encode_box_to_deltas(anchors, boxes, "xyxy", "xyxy", variance=variance)
        back = bb.decode_deltas_to_boxes(anchors, deltas, "xyxy", "xyxy", variance=variance)
        np.testing.assert_allclose(back.numpy(), boxes, rtol=1e-4, atol=1e-4)


def test_crop_pad_affine_identity():
    boxes = _boxes((2, 3, 4), dtype="float32")
    padded = bb.pad(boxes, 3, 5)
    np.testing.assert_allclose(bb.crop(padded, 3, 5, 100, 100).numpy(), boxes, rtol=1e-6)
    zeros, ones = np.zeros(2, "float32"), np.ones(2, "float32")
    same = bb.affine_transform(boxes, zeros, zeros, zeros, ones, zeros, zeros, 50, 50)
    np.testing.assert_allclose(same.numpy(), boxes, rtol=1e-5, atol=1e-4)
    assert same.dtype == np.float32


def test_clip_labels_of_empty_boxes():
    out = bb.clip_to_image_size({"boxes": np.array([[-5.0, -5, -1, -1], [1, 1, 50, 50]]),
                                 "labels": np.array([3, 4])}, height=10, width=20)
    np.testing.assert_array_equal(out["labels"].numpy(), [-1, 4])
    np.testing.assert_array_equal(out["boxes"].numpy(), [[0, 0, 0, 0], [1, 1, 20, 10]])


@pytest.mark.parametrize("call,error,match", [
    (lambda: bb.convert_format(np.zeros((2, 4)), "xyxy", "xyz"), ValueError, "xyz"),
    (lambda: bb.convert_format(np.zeros((2, 4)), 3, "xyxy"), ValueError, "source"),
    (lambda: bb.convert_format(np.zeros((2, 5)), "xyxy", "yxyx"), ValueError, r"\(2, 5\)"),
    (lambda: bb.convert_format(np.zeros((2, 4)), "rel_xyxy", "xyxy"), ValueError, "height"),
    (lambda: bb.compute_iou(np.zeros((4,)), np.zeros((2, 4)), "xyxy"), ValueError, "boxes1"),
    (lambda: bb.compute_iou(np.zeros((2, 4)), np.zeros((1, 1, 2, 4)), "xyxy"), ValueError,
     "boxes2"),
    (lambda: bb.compute_iou(np.zeros((2, 4)), np.zeros((2, 4)), "rel_xyxy"), ValueError,
     "image_shape"),
    (lambda: bb.compute_ciou(np.zeros((2, 4)), np.zeros((2, 4)), "rel_xywh"), ValueError,
     "relative"),
    (lambda: bb.encode_box_to_deltas(np.zeros((2, 4)), np.zeros((2, 4)), "xyxy", "xyxy",
                                     variance=[1, 2, 3]), ValueError, "variance"),
    (lambda: bb.encode_box_to_deltas(np.zeros((2, 4)), np.zeros((2, 4)), "xyxy", "xyxy",
                                     encoding_format="xyxy"), ValueError, "encoding_format"),
    (lambda: bb.decode_deltas_to_boxes(np.zeros((2, 4)), np.zeros((2, 4)), "xyxy", "xyxy",
                                       encoded_format="yxyx"), ValueError, "encoded_format"),
    (lambda: bb.clip_to_image_size(np.zeros((2, 4)), 5, 5), TypeError, "dict"),
    (lambda: bb.clip_to_image_size({"boxes": np.zeros((2, 4))}), ValueError, "height"),
    (lambda: bb.clip_to_image_size({"boxes": np.zeros((2, 4))}, 5, 5, "xywh"),
     NotImplementedError, "xywh"),
    (lambda: bb.crop(np.zeros((2, 4)), 0, 0, 5, 5, "yxyx"), NotImplementedError, "crop"),
    (lambda: bb.pad(np.zeros((2, 4)), 0, 0, bounding_box_format="xywh"), NotImplementedError,
     "pad"),
    (lambda: bb.affine_transform(np.zeros((2, 4)), 0, 0, 0, 1, 0, 0, 5, 5,
                                 bounding_box_format="yxyx"), NotImplementedError, "affine"),
    (lambda: bb.affine_transform(np.zeros((4,)), 0, 0, 0, 1, 0, 0, 5, 5), ValueError,
     r"\(4,\)"),
    (lambda: bb.affine_transform(np.zeros((2, 3, 4)), np.zeros(3), 0, 0, 1, 0, 0, 5, 5),
     ValueError, "angle"),
])
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_served_lazily_as_a_submodule():
    assert ember.utils.bounding_boxes is bb
    assert "bounding_boxes" in dir(ember.utils)
