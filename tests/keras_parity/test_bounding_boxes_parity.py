"""keras.utils.bounding_boxes against Keras itself: values, dtypes and shapes over every box
format, batched and unbatched boxes, the dict forms, and the error types."""

import numpy as np
import pytest
from parity_harness import assert_close, to_numpy

import ember

FORMATS = ["xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw", "rel_xyxy", "rel_yxyx",
           "rel_xywh", "rel_center_xywh"]
ABSOLUTE = FORMATS[:5]
H, W = 60, 90


def _boxes(shape, seed=0):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 50, shape[:-1] + (2,))
    wh = rng.uniform(1, 30, shape[:-1] + (2,))
    return np.concatenate([xy, xy + wh], -1).astype("float32")


BATCHED = _boxes((2, 5, 4))


def _same(ours, theirs, rtol=1e-5, atol=1e-5, what=""):
    """Same values, shape and dtype (integers: same kind, as JAX without x64 has int32)."""
    ours, theirs = to_numpy(ours), to_numpy(theirs)
    assert_close(ours, theirs, rtol=rtol, atol=atol, what=what)
    if theirs.dtype.kind == "i":
        assert ours.dtype.kind == "i", what
    else:
        assert ours.dtype == theirs.dtype, f"{what}: dtype {ours.dtype} vs {theirs.dtype}"


@pytest.fixture
def kbb(keras):
    return keras.utils.bounding_boxes


def test_namespace_matches_keras(kbb):
    import inspect
    names = [n for n in dir(kbb) if not n.startswith("_")]
    for name in names:
        ours = getattr(ember.utils.bounding_boxes, name)
        assert inspect.signature(ours) == inspect.signature(getattr(kbb, name)), name


@pytest.mark.parametrize("source", FORMATS)
@pytest.mark.parametrize("target", FORMATS)
@pytest.mark.parametrize("boxes", [BATCHED, BATCHED[0]], ids=["batched", "unbatched"])
def test_convert_format(kbb, source, target, boxes):
    kw = dict(source=source, target=target, height=H, width=W)
    _same(ember.utils.bounding_boxes.convert_format(boxes, **kw), kbb.convert_format(boxes, **kw))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_convert_format_dtype_and_ints(kbb, dtype):
    ints = np.array([[10, 20, 30, 40], [50, 60, 70, 80]])
    ours = ember.utils.bounding_boxes.convert_format(ints, "xyxy", "center_xywh", dtype=dtype)
    theirs = kbb.convert_format(ints, "xyxy", "center_xywh", dtype=dtype)
    if dtype == "float64":  # JAX without x64 cannot make float64; the values still agree
        assert to_numpy(ours).dtype == np.float64
        assert_close(ours, theirs)
    else:
        _same(ours, theirs)


def test_convert_format_dict(kbb):
    labels = np.arange(10).reshape(2, 5)
    ours = ember.utils.bounding_boxes.convert_format({"boxes": BATCHED, "labels": labels},
                                                     "xyxy", "rel_yxyx", height=H, width=W)
    theirs = kbb.convert_format({"boxes": BATCHED, "labels": labels}, "xyxy", "rel_yxyx",
                                height=H, width=W)
    assert sorted(ours) == sorted(theirs)
    _same(ours["boxes"], theirs["boxes"])
    np.testing.assert_array_equal(to_numpy(ours["labels"]), to_numpy(theirs["labels"]))


@pytest.mark.parametrize("fmt", ABSOLUTE + ["rel_xyxy", "rel_yxyx"])
@pytest.mark.parametrize("pair", ["bb", "b_u", "u_b", "u_u"])
def test_compute_iou(kbb, fmt, pair):
    other = _boxes((2, 7, 4), seed=1)
    b1 = BATCHED if pair[0] == "b" else BATCHED[0]
    b2 = other if pair[-1] == "b" else other[1]
    kw = {}
    if fmt.startswith("rel"):
        b1, b2, kw = b1 / 100, b2 / 100, dict(image_shape=(H, W, 3))
    _same(ember.utils.bounding_boxes.compute_iou(b1, b2, fmt, **kw),
          kbb.compute_iou(b1, b2, fmt, **kw))


@pytest.mark.parametrize("batched", [True, False])
def test_compute_iou_masking(kbb, batched):
    boxes = BATCHED.copy()
    boxes[0, 1] = -1.0  # padding rows: every coordinate negative
    boxes[1, 3] = -2.0
    b1, b2 = (boxes, boxes[::-1]) if batched else (boxes[0], boxes[1])
    for mask_val in (-1, 7):
        kw = dict(use_masking=True, mask_val=mask_val)
        _same(ember.utils.bounding_boxes.compute_iou(b1, b2, "xyxy", **kw),
              kbb.compute_iou(b1, b2, "xyxy", **kw))


@pytest.mark.parametrize("fmt", ABSOLUTE)
@pytest.mark.parametrize("batched", [True, False])
def test_compute_ciou(kbb, fmt, batched):
    b1, b2 = (BATCHED, BATCHED[::-1]) if batched else (BATCHED[0], BATCHED[1])
    _same(ember.utils.bounding_boxes.compute_ciou(b1, b2, fmt), kbb.compute_ciou(b1, b2, fmt))


def test_compute_ciou_gradient_matches_jax(kbb):
    import jax
    import jax.numpy as jnp
    b2 = BATCHED[::-1]
    expected = jax.grad(lambda a: jnp.sum(kbb.compute_ciou(a, b2, "center_xywh")))(BATCHED)
    x = ember.Variable(BATCHED)
    with ember.GradientTape() as tape:
        loss = ember.ops.sum(ember.utils.bounding_boxes.compute_ciou(x, b2, "center_xywh"))
    _same(tape.gradient(loss, x), expected, rtol=1e-4, atol=1e-5)


def test_compute_iou_gradient_matches_jax(kbb):
    import jax
    import jax.numpy as jnp
    b2 = _boxes((5, 4), seed=3)
    expected = jax.grad(lambda a: jnp.sum(kbb.compute_iou(a, b2, "xywh")))(BATCHED)
    x = ember.Variable(BATCHED)
    with ember.GradientTape() as tape:
        loss = ember.ops.sum(ember.utils.bounding_boxes.compute_iou(x, b2, "xywh"))
    _same(tape.gradient(loss, x), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("boxes", [BATCHED, BATCHED[0], np.array([[1, 2, 3, 4], [5, 6, 70, 80]])],
                         ids=["batched", "unbatched", "int"])
def test_crop_and_pad(kbb, boxes):
    _same(ember.utils.bounding_boxes.crop(boxes, 5, 7, 30, 40), kbb.crop(boxes, 5, 7, 30, 40))
    _same(ember.utils.bounding_boxes.pad(boxes, 5, 7), kbb.pad(boxes, 5, 7))
    _same(ember.utils.bounding_boxes.pad(boxes, 2, 3, height=9, width=9),
          kbb.pad(boxes, 2, 3, height=9, width=9))


@pytest.mark.parametrize("fmt", ["xyxy", "rel_xyxy"])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_labels", [True, False])
def test_clip_to_image_size(kbb, fmt, batched, with_labels):
    boxes = BATCHED.copy()
    boxes[0, 2] = [-10, -10, -1, -1]  # outside: clipped to zero area, label -1
    boxes[1, 0] = [80, 50, 120, 90]  # partly outside
    hw = dict(height=40, width=50) if fmt == "xyxy" else {}
    if fmt == "rel_xyxy":
        boxes = boxes / 40
    labels = np.arange(10).reshape(2, 5)
    if not batched:
        boxes, labels = boxes[0], labels[0]
    data = {"boxes": boxes, "labels": labels} if with_labels else {"boxes": boxes}
    ours = ember.utils.bounding_boxes.clip_to_image_size(dict(data), bounding_box_format=fmt,
                                                         **hw)
    theirs = kbb.clip_to_image_size(dict(data), bounding_box_format=fmt, **hw)
    assert sorted(ours) == sorted(theirs)
    for key in theirs:
        _same(ours[key], theirs[key], what=key)


@pytest.mark.parametrize("encoding", ["center_yxhw", "center_xywh"])
@pytest.mark.parametrize("variance", [None, [0.1, 0.1, 0.2, 0.2]])
@pytest.mark.parametrize("anchor_format,box_format", [("xyxy", "xyxy"), ("xyxy", "xywh"),
                                                      ("yxyx", "center_xywh"),
                                                      ("center_yxhw", "rel_xyxy")])
@pytest.mark.parametrize("batched", [True, False])
def test_encode_decode(kbb, encoding, variance, anchor_format, box_format, batched):
    anchors = _boxes((5, 4), seed=2)
    boxes = BATCHED if batched else BATCHED[0]
    kw = dict(variance=variance, image_shape=(H, W, 3))
    if box_format.startswith("rel"):
        boxes = boxes / 100
    ours = ember.utils.bounding_boxes.encode_box_to_deltas(
        anchors, boxes, anchor_format, box_format, encoding, **kw)
    theirs = kbb.encode_box_to_deltas(anchors, boxes, anchor_format, box_format, encoding, **kw)
    _same(ours, theirs, rtol=1e-4)
    deltas = to_numpy(theirs)
    _same(ember.utils.bounding_boxes.decode_deltas_to_boxes(
        anchors, deltas, anchor_format, box_format, encoding, **kw),
        kbb.decode_deltas_to_boxes(anchors, deltas, anchor_format, box_format, encoding, **kw),
        rtol=1e-4)


def test_decode_per_level_dict(kbb):
    anchors = {"p3": _boxes((5, 4), seed=2), "p4": _boxes((3, 4), seed=4)}
    deltas = {"p3": np.random.default_rng(0).normal(size=(2, 5, 4)).astype("float32") * 0.2,
              "p4": np.random.default_rng(1).normal(size=(2, 3, 4)).astype("float32") * 0.2}
    ours = ember.utils.bounding_boxes.decode_deltas_to_boxes(anchors, deltas, "xyxy", "xywh")
    theirs = kbb.decode_deltas_to_boxes(anchors, deltas, "xyxy", "xywh")
    assert sorted(ours) == sorted(theirs)
    for level in theirs:
        _same(ours[level], theirs[level], rtol=1e-4, what=level)


@pytest.mark.parametrize("center", [None, (0.2, 0.7)])
def test_affine_transform(kbb, center):
    params = [np.array(v, "float32") for v in ([10.0, -30.0], [0.1, 0.0], [0.0, -0.2],
                                               [1.0, 1.3], [5.0, 0.0], [0.0, -7.0])]
    kw = {} if center is None else dict(center_x=center[0], center_y=center[1])
    _same(ember.utils.bounding_boxes.affine_transform(BATCHED, *params, H, W, **kw),
          kbb.affine_transform(BATCHED, *params, H, W, **kw), rtol=1e-4, atol=1e-4)


def test_affine_transform_unbatched_scalars(kbb):
    # Keras needs batched boxes and (batch,) parameters; ember also takes (N, 4) and scalars
    ours = ember.utils.bounding_boxes.affine_transform(BATCHED[0], 25.0, 0.1, -0.1, 0.9, 3.0,
                                                       4.0, H, W)
    theirs = kbb.affine_transform(BATCHED[:1], *[np.array([v], "float32") for v in
                                                (25.0, 0.1, -0.1, 0.9, 3.0, 4.0)], H, W)
    _same(ours, to_numpy(theirs)[0], rtol=1e-4, atol=1e-4)


ERRORS = [
    ("convert_format", (BATCHED, "xyxy", "xyz"), {}),
    ("convert_format", (BATCHED, "corners", "xyxy"), {}),
    ("convert_format", (BATCHED[..., :3], "xyxy", "yxyx"), {}),
    ("convert_format", (BATCHED, "xyxy", "rel_xyxy"), {"height": 10}),
    ("compute_iou", (BATCHED[None], BATCHED, "xyxy"), {}),
    ("compute_iou", (BATCHED, BATCHED[0, 0], "xyxy"), {}),
    ("compute_iou", (BATCHED, BATCHED, "rel_xyxy"), {}),
    ("compute_ciou", (BATCHED, BATCHED, "rel_xyxy"), {"image_shape": (H, W, 3)}),
    ("encode_box_to_deltas", (BATCHED[0], BATCHED, "xyxy", "xyxy"), {"variance": [1.0, 2.0]}),
    ("encode_box_to_deltas", (BATCHED[0], BATCHED, "xyxy", "xyxy", "xyxy"), {}),
    ("decode_deltas_to_boxes", (BATCHED[0], BATCHED, "xyxy", "xyxy"), {"variance": [1.0]}),
    ("decode_deltas_to_boxes", (BATCHED[0], BATCHED, "xyxy", "xyxy", "yxyx"), {}),
    ("clip_to_image_size", ({"boxes": BATCHED},), {}),
    ("clip_to_image_size", ({"boxes": BATCHED}, H, W, "yxyx"), {}),
    ("crop", (BATCHED, 1, 1, 5, 5, "yxyx"), {}),
    ("pad", (BATCHED, 1, 1, None, None, "xywh"), {}),
    ("affine_transform", (BATCHED, *[np.zeros(2, "float32")] * 6, H, W),
     {"bounding_box_format": "center_xywh"}),
]


@pytest.mark.parametrize("name,args,kwargs", ERRORS, ids=[f"{e[0]}-{i}"
                                                          for i, e in enumerate(ERRORS)])
def test_error_types_match(kbb, name, args, kwargs):
    with pytest.raises(Exception) as theirs:
        getattr(kbb, name)(*args, **kwargs)
    with pytest.raises(theirs.type) as ours:
        getattr(ember.utils.bounding_boxes, name)(*args, **kwargs)
    assert str(ours.value)
