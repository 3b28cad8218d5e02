"""Regularization and noise layers: SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout,
AlphaDropout, ActivityRegularization. (Dropout itself is a core layer.)

All noise layers are the identity at inference and draw fresh noise on each training call,
from ember's seeded generator (or their own one when given a ``seed``).
"""

import math

from ember import ops, registry
from ember.backend import xp
from ember.layers.convolutional import normalize_data_format
from ember.layers.core.basic import Dropout
from ember.layers.input_spec import InputSpec
from ember.layers.layer import Layer
from ember.ops.nn import _rng_for


def _rate(value, layer, high_exclusive=False):
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1
    if ok and high_exclusive and value >= 1:
        ok = False
    if not ok:
        rng = "[0, 1)" if high_exclusive else "[0, 1]"
        raise ValueError(f"{layer}: `rate` must be a float in {rng}. Received: rate={value!r}")
    return float(value)


class _SpatialDropout(Dropout):
    """Dropout of whole feature maps: one keep/drop draw per (sample, channel)."""

    ndim = 3

    def __init__(self, rate, seed=None, name=None, dtype=None, **kwargs):
        _rate(rate, type(self).__name__)
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)
        self.input_spec = InputSpec(ndim=self.ndim)

    def _noise_shape(self, shape):
        return (shape[0],) + (1,) * (len(shape) - 2) + (shape[-1],)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.rate == 1:
            return ops.multiply(inputs, 0.0)
        return ops.dropout(inputs, self.rate, noise_shape=self._noise_shape(inputs.shape),
                           seed=self._rng)

    def get_config(self):
        # Keras's spatial dropouts write only these keys (no `trainable`, no `noise_shape`)
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype}


@registry.register("layer")
class SpatialDropout1D(_SpatialDropout):
    """Drops entire channels of ``(batch, steps, channels)`` inputs while training."""

    ndim = 3


@registry.register("layer")
class SpatialDropout2D(_SpatialDropout):
    """Drops entire feature maps of ``(batch, h, w, channels)`` inputs while training."""

    ndim = 4

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)
        self.data_format = normalize_data_format(data_format, "SpatialDropout2D")

    def _noise_shape(self, shape):
        if self.data_format == "channels_first":
            return (shape[0], shape[1], 1, 1)
        return (shape[0], 1, 1, shape[3])

    def get_config(self):
        cfg = super().get_config()
        cfg["data_format"] = self.data_format
        return cfg


@registry.register("layer")
class SpatialDropout3D(_SpatialDropout):
    """Drops entire volumes of ``(batch, d1, d2, d3, channels)`` inputs while training."""

    ndim = 5

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)
        self.data_format = normalize_data_format(data_format, "SpatialDropout3D")

    def _noise_shape(self, shape):
        if self.data_format == "channels_first":
            return (shape[0], shape[1], 1, 1, 1)
        return (shape[0], 1, 1, 1, shape[4])

    def get_config(self):
        cfg = super().get_config()
        cfg["data_format"] = self.data_format
        return cfg


class _Noise(Layer):
    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self._rng = xp.random.default_rng(seed) if seed is not None else None
        self.supports_masking = True

    def _normal(self, shape, dtype):
        rng = self._rng if self._rng is not None else _rng_for(None)
        return rng.standard_normal(shape, dtype="float32").astype(dtype, copy=False)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


@registry.register("layer")
class GaussianNoise(_Noise):
    """Adds zero-mean Gaussian noise of standard deviation ``stddev`` while training."""

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if not isinstance(stddev, (int, float)) or isinstance(stddev, bool) or stddev < 0:
            raise ValueError(
                "GaussianNoise: `stddev` must be a non-negative float. "
                f"Received: stddev={stddev!r}")
        self.stddev = float(stddev)

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        noise = self._normal(inputs.shape, inputs.dtype)
        noise *= self.stddev
        return ops.add(inputs, noise)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"stddev": self.stddev, "seed": self.seed})
        return cfg


@registry.register("layer")
class GaussianDropout(_Noise):
    """Multiplies the inputs by noise ``N(1, rate / (1 - rate))`` while training (dropout's
    mean and variance, without zeros)."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _rate(rate, "GaussianDropout", high_exclusive=True)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        noise = self._normal(inputs.shape, inputs.dtype)
        noise *= math.sqrt(self.rate / (1.0 - self.rate))
        noise += 1
        return ops.multiply(inputs, noise)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"rate": self.rate, "seed": self.seed})
        return cfg


# SELU's constants: AlphaDropout keeps a SELU network's mean and variance
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


@registry.register("layer")
class AlphaDropout(Layer):
    """Dropout for SELU networks: while training, a fraction ``rate`` of the inputs is set to
    SELU's negative saturation value ``-alpha * scale`` and the result is affinely rescaled,
    ``a * x + b``, so that inputs of zero mean and unit variance keep them. The identity at
    inference.

    Args:
        rate: the drop probability, in [0, 1].
        noise_shape: the shape of the keep/drop draw (None entries take the input's size),
            broadcast over the input; None: the input's shape.
        seed: seeds this layer's own generator (None: ember's global one).
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError(
                "AlphaDropout: `rate` must be a float between 0 and 1. "
                f"Received: rate={rate!r}")
        self.rate = rate
        self.seed = seed
        self.noise_shape = noise_shape
        self._rng = xp.random.default_rng(seed) if seed is not None else None
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if not training or self.rate <= 0:
            return inputs
        shape = tuple(inputs.shape)
        if self.noise_shape is not None:
            shape = tuple(shape[i] if d is None else int(d)
                          for i, d in enumerate(self.noise_shape))
        rng = self._rng if self._rng is not None else _rng_for(None)
        kept = (rng.random(shape, dtype="float32") >= self.rate).astype(inputs.dtype)
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        # a * (x * kept + alpha_p * (1 - kept)) + b, with the constant part precomputed
        shift = (alpha_p * (1 - kept)) * a + b
        return ops.add(ops.multiply(inputs, kept * a), shift.astype(inputs.dtype, copy=False))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape})
        return cfg


@registry.register("layer")
class ActivityRegularization(Layer):
    """The identity, adding ``l1 * sum(|x|) + l2 * sum(x^2)`` of its output to the model's
    losses."""

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        kwargs.pop("activity_regularizer", None)
        from ember.regularizers import L1L2

        super().__init__(activity_regularizer=L1L2(l1=l1, l2=l2), **kwargs)
        self.l1, self.l2 = float(l1), float(l2)
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg.pop("activity_regularizer", None)
        cfg.update({"l1": self.l1, "l2": self.l2})
        return cfg


__all__ = ["SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
           "GaussianDropout", "AlphaDropout", "ActivityRegularization"]
