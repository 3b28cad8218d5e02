"""Preprocessing layers: Normalization (with ``adapt``) and Rescaling.

As Keras 3: ``Normalization`` either receives ``mean`` and ``variance`` or computes them from
data with ``adapt(data)``; it then maps ``x`` to ``(x - mean) / max(sqrt(variance), eps)`` (or
back, with ``invert=True``). Adapted statistics live in the non-trainable weights ``mean``,
``variance`` and ``count`` (Keras's layout), so they are saved with the model.
"""

import math

from ember import config, ops, registry
from ember.autodiff.tensor import Tensor
from ember.backend import xp
from ember.layers.convolutional import fmt_shape
from ember.layers.layer import Layer


def _array(value):
    if isinstance(value, Tensor):
        return value.data
    return xp.asarray(value)


@registry.register("layer")
class Normalization(Layer):
    """Feature-wise standardization: ``(x - mean) / sqrt(variance)``.

    Args:
        axis: the axis (or axes) that keep their own statistics; -1 (default) gives one
            mean and variance per feature of the last axis, None a single scalar pair.
        mean, variance: the statistics, when known; otherwise call ``adapt(data)``.
        invert: apply the inverse map (``mean + x * sqrt(variance)``).

    Example:
        >>> norm = Normalization()
        >>> norm.adapt(x_train)           # per-feature mean and variance of the data
        >>> norm(x_train).numpy().mean(axis=0)   # ~0
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, int):
            axis = (axis,)
        else:
            axis = tuple(axis)
        self.axis = axis
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)
        self.supports_masking = True
        self.mean = self.variance = None
        self._build_input_shape = None
        if (mean is not None) != (variance is not None):
            raise ValueError(
                "Normalization: when setting values directly, both `mean` and `variance` must be "
                f"set. Received: mean={mean} and variance={variance}")
        if mean is not None:
            if xp.shape(mean) != xp.shape(variance):
                raise ValueError(
                    "Normalization: `mean` and `variance` must have the same shape. Received: "
                    f"mean shape {xp.shape(mean)} and variance shape {xp.shape(variance)}")
            if len(xp.shape(mean)) > len(self.axis):
                raise ValueError(
                    "Normalization: the rank of `mean` must be at most the number of axes "
                    f"({len(self.axis)}). Received: mean shape {xp.shape(mean)} for axis "
                    f"{self.axis}")

    def build(self, input_shape):
        ndim = len(input_shape)
        self._build_input_shape = tuple(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(
                f"Normalization '{self.name}': every `axis` must be in [-{ndim}, {ndim}). "
                f"Received axis={self.axis} and input shape {fmt_shape(input_shape)}")
        self._keep_axis = tuple(sorted(a % ndim for a in self.axis))
        for d in self._keep_axis:
            if input_shape[d] is None:
                raise ValueError(
                    f"Normalization '{self.name}': the kept axes must have known sizes. "
                    f"Received axis={self.axis} and input shape {fmt_shape(input_shape)}")
        self._reduce_axis = tuple(d for d in range(ndim) if d not in self._keep_axis)
        self._broadcast_shape = tuple(
            input_shape[d] if d in self._keep_axis else 1 for d in range(ndim))
        self._mean_and_var_shape = tuple(input_shape[d] for d in self._keep_axis)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(
                name="mean", shape=self._mean_and_var_shape, initializer="zeros",
                trainable=False)
            self.adapt_variance = self.add_weight(
                name="variance", shape=self._mean_and_var_shape, initializer="ones",
                trainable=False)
            self.count = self.add_weight(name="count", shape=(), dtype="int64",
                                         initializer="zeros", trainable=False)
            self.built = True
            self.finalize_state()
        else:
            mean = xp.asarray(self.input_mean, dtype=self.dtype)
            variance = xp.asarray(self.input_variance, dtype=self.dtype)
            if mean.ndim:
                expanded = [1] * ndim
                for i in range(1, mean.ndim + 1):
                    expanded[self._keep_axis[-i]] = mean.shape[-i]
                mean, variance = mean.reshape(expanded), variance.reshape(expanded)
            self.mean = xp.broadcast_to(mean, self._broadcast_shape).copy()
            self.variance = xp.broadcast_to(variance, self._broadcast_shape).copy()
            self.built = True

    def adapt(self, data, batch_size=None, steps=None):
        """Compute the mean and variance of ``data`` (an array, or an iterable of batches)
        per position of the kept axes, and store them."""
        if hasattr(data, "shape"):
            arrays = [_array(data)]
        elif isinstance(data, (list, tuple)) and data and not hasattr(data[0], "shape"):
            arrays = [xp.asarray(data)]
        else:
            arrays = [_array(b[0] if isinstance(b, (tuple, list)) else b) for b in data]
        if not arrays:
            raise ValueError("Normalization.adapt received no data.")
        first = arrays[0]
        if not self.built:
            self.build(first.shape)
        else:
            for d in self._keep_axis:
                if first.shape[d] != self._build_input_shape[d]:
                    raise ValueError(
                        f"Normalization '{self.name}' was built for input shape "
                        f"{fmt_shape(self._build_input_shape)}, but adapt() received data of "
                        f"shape {fmt_shape(first.shape)}")
        if self.input_mean is not None:
            raise ValueError(
                f"Normalization '{self.name}' was given `mean` and `variance`; adapt() would "
                "replace them. Create the layer without them to adapt it.")
        total_mean = xp.zeros(self._mean_and_var_shape)
        total_var = xp.zeros(self._mean_and_var_shape)
        total = 0
        for batch in arrays:
            batch = batch.astype("float64")
            count = math.prod(batch.shape[d] for d in self._reduce_axis)
            b_mean = batch.mean(axis=self._reduce_axis)
            b_var = batch.var(axis=self._reduce_axis)
            total += count
            w = count / total
            new_mean = total_mean * (1 - w) + b_mean * w
            total_var = (total_var + (total_mean - new_mean) ** 2) * (1 - w) + (
                b_var + (b_mean - new_mean) ** 2) * w
            total_mean = new_mean
        self.adapt_mean.assign(total_mean.astype(self.dtype))
        self.adapt_variance.assign(total_var.astype(self.dtype))
        self.count.assign(xp.asarray(total, dtype="int64"))
        self.finalize_state()

    def finalize_state(self):
        if self.input_mean is not None or not self.built:
            return
        self.mean = self.adapt_mean.data.reshape(self._broadcast_shape)
        self.variance = self.adapt_variance.data.reshape(self._broadcast_shape)

    def set_weights(self, weights):
        super().set_weights(weights)
        self.finalize_state()

    def call(self, inputs):
        if self.mean is None:
            raise ValueError(
                f"Normalization '{self.name}' has no statistics: call adapt(data) or pass "
                "`mean` and `variance`.")
        if inputs.dtype.kind != "f":
            inputs = ops.cast(inputs, self.dtype)
        std = xp.maximum(xp.sqrt(self.variance), config.epsilon()).astype(inputs.dtype)
        mean = self.mean.astype(inputs.dtype, copy=False)
        if self.invert:
            return ops.add(ops.multiply(inputs, std), mean)
        return ops.divide(ops.subtract(inputs, mean), std)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "axis": list(self.axis),
            "invert": self.invert,
            "mean": None if self.input_mean is None else xp.asarray(self.input_mean).tolist(),
            "variance": None if self.input_variance is None else xp.asarray(
                self.input_variance).tolist(),
        })
        return cfg

    def get_build_config(self):
        if self._build_input_shape:
            return {"input_shape": list(self._build_input_shape)}
        return None

    def build_from_config(self, config):
        if config and not self.built:
            self.build(tuple(config["input_shape"]))


@registry.register("layer")
class Rescaling(Layer):
    """``x * scale + offset``, e.g. ``Rescaling(1 / 255)`` for 8-bit images.

    ``scale`` and ``offset`` may be floats or per-channel lists (broadcast against the last
    axes).
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        for name, v in (("scale", scale), ("offset", offset)):
            try:
                xp.asarray(v, dtype="float64")
            except (TypeError, ValueError):
                raise ValueError(f"Rescaling: `{name}` must be a number or a list of numbers. "
                                 f"Received: {name}={v!r}") from None
        self.scale = scale
        self.offset = offset
        self.supports_masking = True

    def call(self, inputs):
        if inputs.dtype.kind != "f":
            inputs = ops.cast(inputs, self.dtype)
        scale = xp.asarray(self.scale, dtype=inputs.dtype)
        offset = xp.asarray(self.offset, dtype=inputs.dtype)
        y = ops.multiply(inputs, scale)
        if offset.ndim or float(offset) != 0.0:
            y = ops.add(y, offset)
        return y

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"scale": _plain(self.scale), "offset": _plain(self.offset)})
        return cfg


def _plain(v):
    if isinstance(v, (int, float)):
        return v
    return xp.asarray(v).tolist()


__all__ = ["Normalization", "Rescaling"]
