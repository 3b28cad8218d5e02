"""Bounding-box utilities, as ``keras.utils.bounding_boxes``.

Boxes are arrays/tensors of shape ``(N, 4)`` or ``(batch, N, 4)`` in one of the formats of
:data:`SUPPORTED_FORMATS` (case-insensitive):

- ``"xyxy"``: ``[left, top, right, bottom]``; ``"yxyx"``: ``[top, left, bottom, right]``
- ``"xywh"``: ``[left, top, width, height]``
- ``"center_xywh"``: ``[center_x, center_y, width, height]``;
  ``"center_yxhw"``: ``[center_y, center_x, height, width]``
- ``"rel_xyxy"``, ``"rel_yxyx"``, ``"rel_xywh"``, ``"rel_center_xywh"``: the same, with
  coordinates divided by the image width (x) and height (y).

Everything is built on :mod:`ember.ops`, so IoU, CIoU and the conversions are differentiable.
"""

import math

from ember import config, ops

SUPPORTED_FORMATS = (
    "xyxy",
    "yxyx",
    "xywh",
    "center_xywh",
    "center_yxhw",
    "rel_xyxy",
    "rel_yxyx",
    "rel_xywh",
    "rel_center_xywh",
)


# Each converter maps the 4 coordinate columns (each of shape (..., 1)) of one format to the 4
# columns of another; relative formats scale by the image size `h`, `w`.
def _to_xyxy(fmt, a, b, c, d, h, w):
    if fmt == "xyxy":
        return a, b, c, d
    if fmt == "yxyx":
        return b, a, d, c
    if fmt == "xywh":
        return a, b, a + c, b + d
    if fmt == "center_xywh":
        return a - c / 2.0, b - d / 2.0, a + c / 2.0, b + d / 2.0
    if fmt == "center_yxhw":
        return b - d / 2.0, a - c / 2.0, b + d / 2.0, a + c / 2.0
    # a relative format: convert as its absolute twin, then scale x by w and y by h
    x1, y1, x2, y2 = _to_xyxy(fmt[len("rel_"):], a, b, c, d, h, w)
    return x1 * w, y1 * h, x2 * w, y2 * h


def _from_xyxy(fmt, x1, y1, x2, y2, h, w):
    if fmt.startswith("rel_"):
        x1, y1, x2, y2 = x1 / w, y1 / h, x2 / w, y2 / h
        fmt = fmt[len("rel_"):]
    if fmt == "xyxy":
        return x1, y1, x2, y2
    if fmt == "yxyx":
        return y1, x1, y2, x2
    if fmt == "xywh":
        return x1, y1, x2 - x1, y2 - y1
    cx, cy = x1 + (x2 - x1) / 2.0, y1 + (y2 - y1) / 2.0
    if fmt == "center_xywh":
        return cx, cy, x2 - x1, y2 - y1
    return cy, cx, y2 - y1, x2 - x1  # center_yxhw


def _check_format(fmt, what):
    if not isinstance(fmt, str) or fmt.lower() not in SUPPORTED_FORMATS:
        raise ValueError(
            f"{what}: invalid bounding box format {fmt!r}. Supported formats: "
            f"{SUPPORTED_FORMATS}")
    return fmt.lower()


def _columns(boxes):
    return ops.split(boxes, 4, axis=-1)


def convert_format(boxes, source, target, height=None, width=None, dtype="float32"):
    """Convert boxes from the format ``source`` to the format ``target``.

    ``boxes`` is an array of shape ``(..., 4)`` or a dict whose ``"boxes"`` entry is one (the
    other entries, e.g. ``"labels"``, are kept). ``height`` and ``width`` (the image size) are
    required when either format is relative. The result is cast to ``dtype``.
    """
    if isinstance(boxes, dict):
        result = dict(boxes)
        result["boxes"] = convert_format(boxes["boxes"], source, target, height=height,
                                         width=width, dtype=dtype)
        return result
    boxes = ops.convert_to_tensor(boxes)
    if not boxes.shape or boxes.shape[-1] != 4:
        raise ValueError(
            "convert_format(): `boxes` must have a last dimension of 4. "
            f"Received: boxes.shape={tuple(boxes.shape)}")
    source = _check_format(source, "convert_format() `source`")
    target = _check_format(target, "convert_format() `target`")
    if (source.startswith("rel_") or target.startswith("rel_")) and (
            height is None or width is None):
        raise ValueError(
            "convert_format() needs `height` and `width` to convert between relative and "
            f"absolute formats. Received source={source!r}, target={target!r}, "
            f"height={height}, width={width}.")
    boxes = ops.cast(boxes, dtype)
    if source == target:
        return boxes
    if height is not None:
        height = ops.cast(height, dtype)
    if width is not None:
        width = ops.cast(width, dtype)
    if source.startswith("rel_") and target.startswith("rel_"):
        # relative to relative needs no scaling
        source, target = source[len("rel_"):], target[len("rel_"):]
    xyxy = _to_xyxy(source, *_columns(boxes), height, width)
    return ops.concatenate(_from_xyxy(target, *xyxy, height, width), axis=-1)


def _only_xyxy(bounding_box_format, what, allowed=("xyxy",)):
    if bounding_box_format not in allowed:
        # as Keras: these helpers are only written for (some) corner formats
        raise NotImplementedError(
            f"{what}() supports bounding_box_format in {allowed}; received "
            f"{bounding_box_format!r}. Convert the boxes with convert_format() first.")


def clip_to_image_size(bounding_boxes, height=None, width=None, bounding_box_format="xyxy"):
    """Clip boxes to the image, ``[0, width] x [0, height]`` (``[0, 1]`` for ``"rel_xyxy"``).

    ``bounding_boxes`` is a dict with ``"boxes"`` (``(N, 4)`` or ``(batch, N, 4)``) and
    optionally ``"labels"`` (``(N,)`` or ``(batch, N)``): the labels of boxes whose clipped area
    is zero become -1. Returns a new dict.
    """
    _only_xyxy(bounding_box_format, "clip_to_image_size", ("xyxy", "rel_xyxy"))
    if not isinstance(bounding_boxes, dict) or "boxes" not in bounding_boxes:
        raise TypeError(
            "clip_to_image_size() expects a dict with a 'boxes' entry (and optionally "
            f"'labels'); received {type(bounding_boxes).__name__}.")
    if bounding_box_format == "xyxy" and (height is None or width is None):
        raise ValueError(
            "clip_to_image_size(): `height` and `width` must be set if "
            f"bounding_box_format='xyxy'. Received height={height}, width={width}.")
    boxes = ops.convert_to_tensor(bounding_boxes["boxes"])
    labels = bounding_boxes.get("labels")
    if bounding_box_format == "xyxy":
        max_x, max_y = ops.cast(width, boxes.dtype), ops.cast(height, boxes.dtype)
    else:
        max_x = max_y = ops.cast(1.0, boxes.dtype)
    zero = ops.cast(0, boxes.dtype)
    x1, y1, x2, y2 = _columns(boxes)
    x1, x2 = ops.clip(x1, zero, max_x), ops.clip(x2, zero, max_x)
    y1, y2 = ops.clip(y1, zero, max_y), ops.clip(y2, zero, max_y)
    result = dict(bounding_boxes)
    result["boxes"] = ops.concatenate([x1, y1, x2, y2], axis=-1)
    if labels is not None:
        area = ops.squeeze((x2 - x1) * (y2 - y1), axis=-1)
        labels = ops.convert_to_tensor(labels)
        result["labels"] = ops.where(area > 0, labels, ops.cast(-1, labels.dtype))
    return result


def _batched_params(value, batch, dtype, name):
    value = ops.cast(value, dtype)
    if len(value.shape) == 0:
        return ops.broadcast_to(value, (batch,))
    if tuple(value.shape) != (batch,):
        raise ValueError(
            f"affine_transform(): `{name}` must be a scalar or have shape ({batch},) (one value "
            f"per batch element); received shape {tuple(value.shape)}.")
    return value


def _inverse_affine_matrix(center_x, center_y, angle, translate_x, translate_y, scale, shear_x,
                           shear_y, height, width):
    """The ``(batch, 2, 3)`` matrices mapping output pixels to input pixels (as TF/Keras's
    image affine transforms do); every parameter has shape ``(batch,)``."""
    deg = math.pi / 180.0
    cx = center_x * (width - 1)
    cy = center_y * (height - 1)
    rot, sx, sy = -angle * deg, -shear_x * deg, -shear_y * deg
    tx, ty = -translate_x * (width - 1), -translate_y * (height - 1)
    # rotation-shear matrix [[a, b], [c, d]] (determinant 1)
    cos_sy, tan_sx = ops.cos(sy), ops.tan(sx)
    a = ops.cos(rot - sy) / cos_sy
    b = a * tan_sx + ops.sin(rot)
    c = -ops.sin(rot - sy) / cos_sy
    d = ops.cos(rot) - c * tan_sx
    # its inverse, scaled, then the translation that keeps the center fixed
    a0, a1, b0, b1 = d * scale, -b * scale, -c * scale, a * scale
    a2 = cx - a0 * (cx + tx) - a1 * (cy + ty)
    b2 = cy - b0 * (cx + tx) - b1 * (cy + ty)
    rows = [ops.stack([a0, a1, a2], axis=-1), ops.stack([b0, b1, b2], axis=-1)]
    return ops.stack(rows, axis=1)


def affine_transform(boxes, angle, translate_x, translate_y, scale, shear_x, shear_y, height,
                     width, center_x=None, center_y=None, bounding_box_format="xyxy"):
    """Apply the affine transform of an image (rotation ``angle`` and shears in degrees,
    translations and center as fractions of the image size, ``scale``) to ``xyxy`` boxes.

    ``boxes`` has shape ``(batch, N, 4)`` and each parameter shape ``(batch,)`` (or is a scalar);
    unbatched ``(N, 4)`` boxes take scalar parameters. Each result is the axis-aligned box around
    the 4 transformed corners, with the shape of ``boxes``.
    """
    _only_xyxy(bounding_box_format, "affine_transform")
    boxes = ops.convert_to_tensor(boxes)
    if len(boxes.shape) not in (2, 3) or boxes.shape[-1] != 4:
        raise ValueError(
            "affine_transform(): `boxes` must have shape (N, 4) or (batch, N, 4); received "
            f"shape {tuple(boxes.shape)}.")
    unbatched = len(boxes.shape) == 2
    if unbatched:
        boxes = ops.expand_dims(boxes, 0)
    batch, n = boxes.shape[0], boxes.shape[1]
    angle = ops.convert_to_tensor(angle)
    dtype = angle.dtype if "float" in str(angle.dtype) else config.floatx()
    params = {name: _batched_params(value, batch, dtype, name) for name, value in (
        ("angle", angle), ("translate_x", translate_x), ("translate_y", translate_y),
        ("scale", scale), ("shear_x", shear_x), ("shear_y", shear_y),
        ("center_x", 0.5 if center_x is None else center_x),
        ("center_y", 0.5 if center_y is None else center_y))}
    matrix = _inverse_affine_matrix(height=height, width=width, **params)
    boxes = ops.cast(boxes, dtype)
    x1, y1, x2, y2 = (boxes[..., i] for i in range(4))
    # the 4 corners (x, y, 1) of each box: (batch, N, 4, 3)
    corners = ops.stack([x1, y1, x2, y1, x2, y2, x1, y2], axis=-1)
    corners = ops.reshape(corners, (batch, n, 4, 2))
    corners = ops.concatenate([corners, ops.ones((batch, n, 4, 1), dtype=dtype)], axis=-1)
    moved = ops.einsum("bnkj,bij->bnki", corners, matrix)
    out = ops.concatenate([ops.min(moved, axis=2), ops.max(moved, axis=2)], axis=-1)
    return out[0] if unbatched else out


def crop(boxes, top, left, height, width, bounding_box_format="xyxy"):
    """Move ``xyxy`` boxes into the frame of the crop ``[left, left + width] x
    [top, top + height]`` of their image, clipping them to it."""
    _only_xyxy(bounding_box_format, "crop")
    x1, y1, x2, y2 = _columns(ops.convert_to_tensor(boxes))
    x1, x2 = ops.clip(x1 - left, 0, width), ops.clip(x2 - left, 0, width)
    y1, y2 = ops.clip(y1 - top, 0, height), ops.clip(y2 - top, 0, height)
    return ops.concatenate([x1, y1, x2, y2], axis=-1)


def pad(boxes, top, left, height=None, width=None, bounding_box_format="xyxy"):
    """Shift ``xyxy`` boxes by the ``top`` and ``left`` padding added to their image
    (``height`` and ``width`` are accepted for Keras compatibility and unused)."""
    _only_xyxy(bounding_box_format, "pad")
    x1, y1, x2, y2 = _columns(ops.convert_to_tensor(boxes))
    return ops.concatenate([x1 + left, y1 + top, x2 + left, y2 + top], axis=-1)


def _check_ranks(boxes1, boxes2, what):
    for name, boxes in (("boxes1", boxes1), ("boxes2", boxes2)):
        if len(boxes.shape) not in (2, 3):
            raise ValueError(
                f"{what}() expects {name} of shape (N, 4) or (batch, N, 4); received "
                f"{name}.shape={tuple(boxes.shape)}.")


def _image_hw(image_shape):
    if image_shape is None:
        return None, None
    height, width, _ = image_shape
    return height, width


def compute_iou(boxes1, boxes2, bounding_box_format, use_masking=False, mask_val=-1,
                image_shape=None):
    """Pairwise intersection-over-union of ``boxes1`` (``(M, 4)`` or ``(batch, M, 4)``) and
    ``boxes2`` (``(N, 4)`` or ``(batch, N, 4)``): shape ``(M, N)`` or ``(batch, M, N)``.

    With ``use_masking``, pairs where either box has all coordinates negative (padding) get
    ``mask_val``. Relative formats need ``image_shape`` ``(height, width, channels)``.
    """
    boxes1, boxes2 = ops.convert_to_tensor(boxes1), ops.convert_to_tensor(boxes2)
    _check_ranks(boxes1, boxes2, "compute_iou")
    if "rel" in str(bounding_box_format) and image_shape is None:
        raise ValueError(
            "compute_iou(): relative bounding box formats (e.g. 'rel_yxyx') need the "
            f"`image_shape` argument. Received image_shape={image_shape}.")
    height, width = _image_hw(image_shape)
    boxes1 = convert_format(boxes1, bounding_box_format, "xyxy", height=height, width=width)
    boxes2 = convert_format(boxes2, bounding_box_format, "xyxy", height=height, width=width)
    iou = _iou_xyxy(boxes1, boxes2)
    if not use_masking:
        return iou
    perm2 = [1, 0] if len(boxes2.shape) == 2 else [0, 2, 1]
    pad1 = ops.max(boxes1, axis=-1, keepdims=True) < 0.0
    pad2 = ops.transpose(ops.max(boxes2, axis=-1, keepdims=True) < 0.0, perm2)
    return ops.where(ops.logical_or(pad1, pad2), ops.cast(mask_val, iou.dtype), iou)


def _iou_xyxy(boxes1, boxes2):
    # boxes1 columns are (..., M, 1), boxes2's transposed to (..., 1, N): pairwise by broadcast
    perm2 = [1, 0] if len(boxes2.shape) == 2 else [0, 2, 1]
    c1 = _columns(boxes1)
    c2 = [ops.transpose(c, perm2) for c in _columns(boxes2)]
    inter_w = ops.maximum(ops.minimum(c1[2], c2[2]) - ops.maximum(c1[0], c2[0]), 0.0)
    inter_h = ops.maximum(ops.minimum(c1[3], c2[3]) - ops.maximum(c1[1], c2[1]), 0.0)
    intersection = inter_w * inter_h
    area1 = (c1[2] - c1[0]) * (c1[3] - c1[1])
    area2 = (c2[2] - c2[0]) * (c2[3] - c2[1])
    return intersection / (area1 + area2 - intersection + config.epsilon())


def compute_ciou(boxes1, boxes2, bounding_box_format, image_shape=None):
    """Complete IoU of corresponding boxes (shape ``(..., 4)`` each, broadcast together): the IoU
    minus the squared center distance over the squared diagonal of the enclosing box, minus an
    aspect-ratio term. Differentiable; relative formats are not supported (as in Keras)."""
    if "rel" in str(bounding_box_format):
        raise ValueError(
            "compute_ciou() does not support relative bounding box formats; received "
            f"bounding_box_format={bounding_box_format!r} (image_shape={image_shape}). Convert "
            "the boxes to an absolute format first.")
    height, width = _image_hw(image_shape)
    boxes1 = convert_format(boxes1, bounding_box_format, "xyxy", height=height, width=width)
    boxes2 = convert_format(boxes2, bounding_box_format, "xyxy", height=height, width=width)
    return _ciou_xyxy(boxes1, boxes2)


def _ciou_xyxy(boxes1, boxes2):
    eps = config.epsilon()
    x1a, y1a, x2a, y2a = _columns(boxes1)
    x1b, y1b, x2b, y2b = _columns(boxes2)
    w1, h1 = x2a - x1a, y2a - y1a + eps
    w2, h2 = x2b - x1b, y2b - y1b + eps
    inter = (ops.maximum(ops.minimum(x2a, x2b) - ops.maximum(x1a, x1b), 0.0)
             * ops.maximum(ops.minimum(y2a, y2b) - ops.maximum(y1a, y1b), 0.0))
    union = w1 * h1 + w2 * h2 - inter + eps
    iou = inter / (union + eps)
    enclosing_w = ops.maximum(x2a, x2b) - ops.minimum(x1a, x1b)
    enclosing_h = ops.maximum(y2a, y2b) - ops.minimum(y1a, y1b)
    diagonal2 = enclosing_w ** 2 + enclosing_h ** 2 + eps
    centers2 = ((x1a + x2a) / 2 - (x1b + x2b) / 2) ** 2 + ((y1a + y2a) / 2 - (y1b + y2b) / 2) ** 2
    v = (4 / math.pi ** 2) * (ops.arctan(w2 / h2) - ops.arctan(w1 / h1)) ** 2
    alpha = v / (v - iou + (1 + eps))
    return ops.squeeze(iou - (centers2 / diagonal2 + v * alpha), axis=-1)


def _check_encoding(variance, encoding, arg):
    if variance is not None:
        variance = ops.convert_to_tensor(variance, "float32")
        if not variance.shape or variance.shape[-1] != 4:
            raise ValueError(
                f"`variance` must have length 4; received {ops.convert_to_numpy(variance)}.")
    if encoding not in ("center_xywh", "center_yxhw"):
        raise ValueError(
            f"`{arg}` should be one of 'center_xywh' or 'center_yxhw'; received {encoding!r}.")
    return variance


def encode_box_to_deltas(anchors, boxes, anchor_format, box_format,
                         encoding_format="center_yxhw", variance=None, image_shape=None):
    """Deltas of ``boxes`` (``(N, 4)`` or ``(batch, N, 4)``) relative to ``anchors`` (``(N, 4)``):
    center offsets divided by the anchor size and log size ratios, in ``encoding_format``
    order, divided by ``variance`` (4 values) if given."""
    variance = _check_encoding(variance, encoding_format, "encoding_format")
    height, width = _image_hw(image_shape)
    anchors = convert_format(anchors, anchor_format, encoding_format, height=height, width=width)
    boxes = convert_format(boxes, box_format, encoding_format, height=height, width=width)
    anchor_size = ops.maximum(anchors[..., 2:], config.epsilon())
    box_size = ops.maximum(boxes[..., 2:], config.epsilon())
    deltas = ops.concatenate([(boxes[..., :2] - anchors[..., :2]) / anchor_size,
                              ops.log(box_size / anchor_size)], axis=-1)
    return deltas if variance is None else deltas / variance


def decode_deltas_to_boxes(anchors, boxes_delta, anchor_format, box_format,
                           encoded_format="center_yxhw", variance=None, image_shape=None):
    """Invert :func:`encode_box_to_deltas`: boxes in ``box_format`` from ``anchors`` and
    ``boxes_delta``. Both may be dicts (one entry per feature-pyramid level), decoded level by
    level into a dict."""
    variance = _check_encoding(variance, encoded_format, "encoded_format")
    height, width = _image_hw(image_shape)

    def decode(anchor, delta):
        anchor = convert_format(anchor, anchor_format, encoded_format, height=height,
                                width=width)
        delta = ops.convert_to_tensor(delta)
        if variance is not None:
            delta = delta * variance
        box = ops.concatenate([delta[..., :2] * anchor[..., 2:] + anchor[..., :2],
                               ops.exp(delta[..., 2:]) * anchor[..., 2:]], axis=-1)
        return convert_format(box, encoded_format, box_format, height=height, width=width)

    if isinstance(anchors, dict) and isinstance(boxes_delta, dict):
        return {level: decode(anchor, boxes_delta[level]) for level, anchor in anchors.items()}
    return decode(anchors, boxes_delta)


__all__ = [
    "affine_transform",
    "clip_to_image_size",
    "compute_ciou",
    "compute_iou",
    "convert_format",
    "crop",
    "decode_deltas_to_boxes",
    "encode_box_to_deltas",
    "pad",
]
