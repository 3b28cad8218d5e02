"""Spatial reshaping layers: ZeroPadding1D/2D/3D, Cropping1D/2D/3D, UpSampling1D/2D/3D.

(Flatten, Reshape, Permute and RepeatVector are core layers.) Shapes and ``get_config`` keys
follow Keras 3; 2D and 3D layers take ``data_format``.
"""

from ember import ops, registry
from ember.backend import xp
from ember.layers.convolutional import fmt_shape, normalize_data_format, normalize_tuple
from ember.layers.input_spec import InputSpec
from ember.layers.layer import Layer


def _pairs(value, layer, arg, n=2):
    """Keras's 2D (3D with ``n=3``) padding/cropping argument: an int, one symmetric int per
    axis (sym_h, sym_w) or one (before, after) pair per axis ((t, b), (l, r))."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"{layer}: `{arg}` must be non-negative. Received: {arg}={value!r}")
        return ((value, value),) * n
    try:
        items = list(value)
    except TypeError:
        items = None
    if items is None or len(items) != n:
        raise ValueError(
            f"{layer}: `{arg}` must be an int, a tuple of {n} ints or a tuple of {n} tuples of 2 "
            f"ints. Received: {arg}={value!r}")
    out = []
    for item in items:
        if isinstance(item, int):
            out.append(normalize_tuple(item, 2, arg, layer, allow_zero=True))
        else:
            out.append(normalize_tuple(item, 2, arg, layer, allow_zero=True))
    return tuple(out)


def _spatial_axes(fmt, rank):
    return tuple(range(1, 1 + rank)) if fmt == "channels_last" else tuple(range(2, 2 + rank))


def _check_rank(layer, shape, ndim):
    if len(shape) != ndim:
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}' expects inputs of rank {ndim}. Received "
            f"input shape {fmt_shape(shape)}")


@registry.register("layer")
class ZeroPadding1D(Layer):
    """Pads the steps axis of ``(batch, steps, features)`` with zeros: ``padding`` an int or
    (left, right)."""

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = normalize_tuple(padding, 2, "padding", "ZeroPadding1D", allow_zero=True)
        self.data_format = normalize_data_format(data_format, "ZeroPadding1D")
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs):
        axis = 2 if self.data_format == "channels_first" else 1
        widths = [(0, 0)] * 3
        widths[axis] = self.padding
        return ops.pad(inputs, widths)

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        axis = 2 if self.data_format == "channels_first" else 1
        if out[axis] is not None:
            out[axis] += sum(self.padding)
        return tuple(out)

    def get_config(self):
        cfg = super().get_config()
        cfg["padding"] = list(self.padding)
        cfg["data_format"] = self.data_format
        return cfg


class _ZeroPadding(Layer):
    """Zero padding of the ``rank`` spatial axes (ZeroPadding2D/3D)."""

    rank = 2

    def __init__(self, padding, data_format=None, **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        self.padding = _pairs(padding, name, "padding", self.rank)
        self.data_format = normalize_data_format(data_format, name)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs):
        widths = [(0, 0)] * (self.rank + 2)
        for axis, p in zip(_spatial_axes(self.data_format, self.rank), self.padding):
            widths[axis] = p
        return ops.pad(inputs, widths)

    def compute_output_shape(self, input_shape):
        _check_rank(self, input_shape, self.rank + 2)
        out = list(input_shape)
        for axis, p in zip(_spatial_axes(self.data_format, self.rank), self.padding):
            if out[axis] is not None:
                out[axis] += sum(p)
        return tuple(out)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"padding": [list(p) for p in self.padding], "data_format": self.data_format})
        return cfg


@registry.register("layer")
class ZeroPadding2D(_ZeroPadding):
    """Pads height and width with zeros: ``padding`` an int, (sym_h, sym_w) or
    ((top, bottom), (left, right))."""

    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class _Cropping(Layer):
    rank = 1

    def _crops(self):
        raise NotImplementedError

    def _axes(self):
        raise NotImplementedError

    def _check(self, shape):
        _check_rank(self, shape, self.rank + 2)
        for axis, (a, b) in zip(self._axes(), self._crops()):
            if shape[axis] is not None and a + b >= shape[axis]:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': cropping {(a, b)} removes every "
                    f"element of axis {axis} (size {shape[axis]}). Received input shape "
                    f"{fmt_shape(shape)}")

    def call(self, inputs):
        self._check(inputs.shape)
        key = [slice(None)] * inputs.ndim
        for axis, (a, b) in zip(self._axes(), self._crops()):
            key[axis] = slice(a, inputs.shape[axis] - b)
        return ops.getitem(inputs, tuple(key))

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        out = list(input_shape)
        for axis, (a, b) in zip(self._axes(), self._crops()):
            if out[axis] is not None:
                out[axis] -= a + b
        return tuple(out)


@registry.register("layer")
class Cropping1D(_Cropping):
    """Removes ``cropping`` = (start, end) steps from the steps axis of (batch, steps,
    features)."""

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = normalize_tuple(cropping, 2, "cropping", "Cropping1D", allow_zero=True)
        self.input_spec = InputSpec(ndim=3)

    def _crops(self):
        return (self.cropping,)

    def _axes(self):
        return (1,)

    def get_config(self):
        cfg = super().get_config()
        cfg["cropping"] = list(self.cropping)
        return cfg


@registry.register("layer")
class Cropping2D(_Cropping):
    """Removes rows and columns at the borders: ``cropping`` an int, (sym_h, sym_w) or
    ((top, bottom), (left, right))."""

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pairs(cropping, "Cropping2D", "cropping")
        self.data_format = normalize_data_format(data_format, "Cropping2D")
        self.input_spec = InputSpec(ndim=4)

    def _crops(self):
        return self.cropping

    def _axes(self):
        return _spatial_axes(self.data_format, 2)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"cropping": [list(c) for c in self.cropping],
                    "data_format": self.data_format})
        return cfg


@registry.register("layer")
class UpSampling1D(Layer):
    """Repeats each step ``size`` times: (batch, steps, features) -> (batch, steps * size,
    features)."""

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        self.size = normalize_tuple(size, 1, "size", "UpSampling1D")[0]
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs):
        return ops.repeat(inputs, self.size, axis=1)

    def compute_output_shape(self, input_shape):
        steps = None if input_shape[1] is None else input_shape[1] * self.size
        return (input_shape[0], steps) + tuple(input_shape[2:])

    def get_config(self):
        cfg = super().get_config()
        cfg["size"] = self.size
        return cfg


def _bilinear_matrix(n_in, scale, dtype):
    """(n_in * scale, n_in) interpolation weights with half-pixel centers (TensorFlow's
    ``resize(..., 'bilinear')``, no antialiasing)."""
    n_out = n_in * scale
    src = (xp.arange(n_out) + 0.5) / scale - 0.5
    src = xp.clip(src, 0, n_in - 1)
    lo = xp.floor(src).astype("int64")
    hi = xp.minimum(lo + 1, n_in - 1)
    frac = src - lo
    m = xp.zeros((n_out, n_in))
    m[xp.arange(n_out), lo] += 1 - frac
    m[xp.arange(n_out), hi] += frac
    return m.astype(dtype)


@registry.register("layer")
class UpSampling2D(Layer):
    """Scales height and width up by ``size`` = (sh, sw): ``interpolation="nearest"`` repeats
    rows and columns, ``"bilinear"`` interpolates (half-pixel centers, as TensorFlow)."""

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.size = normalize_tuple(size, 2, "size", "UpSampling2D")
        self.data_format = normalize_data_format(data_format, "UpSampling2D")
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(
                "UpSampling2D: `interpolation` must be 'nearest' or 'bilinear'. "
                f"Received: interpolation={interpolation!r}")
        self.interpolation = interpolation
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        h_axis, w_axis = _spatial_axes(self.data_format, 2)
        if self.interpolation == "nearest":
            y = ops.repeat(inputs, self.size[0], axis=h_axis) if self.size[0] > 1 else inputs
            return ops.repeat(y, self.size[1], axis=w_axis) if self.size[1] > 1 else y
        x = inputs
        if self.data_format == "channels_first":
            x = ops.transpose(x, (0, 2, 3, 1))
        mh = _bilinear_matrix(x.shape[1], self.size[0], x.dtype)
        mw = _bilinear_matrix(x.shape[2], self.size[1], x.dtype)
        y = ops.einsum("oh,nhwc->nowc", mh, x)
        y = ops.einsum("pw,nowc->nopc", mw, y)
        if self.data_format == "channels_first":
            y = ops.transpose(y, (0, 3, 1, 2))
        return y

    def compute_output_shape(self, input_shape):
        _check_rank(self, input_shape, 4)
        out = list(input_shape)
        for axis, s in zip(_spatial_axes(self.data_format, 2), self.size):
            if out[axis] is not None:
                out[axis] *= s
        return tuple(out)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"size": list(self.size), "data_format": self.data_format,
                    "interpolation": self.interpolation})
        return cfg


@registry.register("layer")
class ZeroPadding3D(_ZeroPadding):
    """Pads depth, height and width with zeros: ``padding`` an int, (sym_d, sym_h, sym_w) or
    ((front, back), (top, bottom), (left, right))."""

    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


@registry.register("layer")
class Cropping3D(_Cropping):
    """Removes borders of depth, height and width: ``cropping`` an int, (sym_d, sym_h, sym_w)
    or ((front, back), (top, bottom), (left, right))."""

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pairs(cropping, "Cropping3D", "cropping", 3)
        self.data_format = normalize_data_format(data_format, "Cropping3D")
        self.input_spec = InputSpec(ndim=5)

    def _crops(self):
        return self.cropping

    def _axes(self):
        return _spatial_axes(self.data_format, 3)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"cropping": [list(c) for c in self.cropping],
                    "data_format": self.data_format})
        return cfg


@registry.register("layer")
class UpSampling3D(Layer):
    """Repeats depth, height and width ``size`` = (sd, sh, sw) times (nearest neighbour):
    (batch, d, h, w, channels) -> (batch, d * sd, h * sh, w * sw, channels)."""

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.size = normalize_tuple(size, 3, "size", "UpSampling3D")
        self.data_format = normalize_data_format(data_format, "UpSampling3D")
        self.input_spec = InputSpec(ndim=5)

    def call(self, inputs):
        y = inputs
        for axis, s in zip(_spatial_axes(self.data_format, 3), self.size):
            if s > 1:
                y = ops.repeat(y, s, axis=axis)
        return y

    def compute_output_shape(self, input_shape):
        _check_rank(self, input_shape, 5)
        out = list(input_shape)
        for axis, s in zip(_spatial_axes(self.data_format, 3), self.size):
            if out[axis] is not None:
                out[axis] *= s
        return tuple(out)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"size": list(self.size), "data_format": self.data_format})
        return cfg


__all__ = ["ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping1D", "Cropping2D",
           "Cropping3D", "UpSampling1D", "UpSampling2D", "UpSampling3D"]
