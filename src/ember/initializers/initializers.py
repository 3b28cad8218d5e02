"""Weight initializers, as ``keras.initializers``.

An initializer is called as ``init(shape, dtype=None)`` and returns a NumPy array of ``dtype``
(``floatx()`` by default). Random ones draw from ``ember.config.rng()`` (seeded by
``ember.utils.set_random_seed``) unless they were given a ``seed``; a seeded initializer gives
the same values at every call, as in Keras.
"""

import math

from ember import config
from ember.backend import xp
from ember.registry import register


class Initializer:
    """Base class: subclasses implement ``__call__(shape, dtype=None)`` and ``get_config``."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype)")

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        # Keras >= 3.12 writes these for sharded layouts; with one device they change nothing.
        config.pop("input_axes", None)
        config.pop("output_axes", None)
        return cls(**config)

    def clone(self):
        return type(self).from_config(self.get_config())

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _dtype(dtype):
    dtype = xp.dtype(dtype or config.floatx())
    if dtype.kind != "f":
        raise TypeError(f"Random initializers need a float dtype. Received: dtype={dtype}")
    return dtype


def _shape(shape):
    if isinstance(shape, int):
        return (shape,)
    return tuple(int(d) for d in shape)


class RandomInitializer(Initializer):
    """An initializer that draws random numbers; ``seed`` (an int) makes it deterministic."""

    def __init__(self, seed=None):
        if seed is not None and not isinstance(seed, int):
            raise ValueError(
                f"{type(self).__name__}: `seed` must be an int or None. Received: seed={seed!r}"
            )
        self.seed = seed

    def _rng(self):
        if self.seed is None:
            return config.rng()
        return xp.random.default_rng(self.seed)

    def get_config(self):
        return {"seed": self.seed}


def _truncated_normal(rng, shape, mean, stddev, dtype):
    """Normal samples redrawn until they lie within two standard deviations (as Keras)."""
    out = rng.standard_normal(shape)
    bad = xp.abs(out) > 2.0
    while bad.any():
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = xp.abs(out) > 2.0
    out *= stddev
    out += mean
    return out.astype(dtype, copy=False)


@register("initializer", aliases=("zeros", "zero"))
class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape, dtype=None):
        return xp.zeros(_shape(shape), dtype=dtype or config.floatx())


@register("initializer", aliases=("ones", "one"))
class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, dtype=None):
        return xp.ones(_shape(shape), dtype=dtype or config.floatx())


@register("initializer", aliases=("constant",))
class Constant(Initializer):
    """A constant value (a scalar, or an array broadcastable to the shape)."""

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        return xp.broadcast_to(xp.asarray(self.value, dtype=dtype or config.floatx()),
                               _shape(shape)).copy()

    def get_config(self):
        value = self.value
        if hasattr(value, "tolist"):
            value = value.tolist()
        return {"value": value}


@register("initializer", aliases=("random_normal", "normal"))
class RandomNormal(RandomInitializer):
    """Normal distribution with ``mean`` and ``stddev``."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        dtype = _dtype(dtype)
        out = self._rng().standard_normal(_shape(shape))
        return (out * self.stddev + self.mean).astype(dtype, copy=False)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


@register("initializer", aliases=("random_uniform", "uniform"))
class RandomUniform(RandomInitializer):
    """Uniform distribution on ``[minval, maxval)``."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=None):
        dtype = _dtype(dtype)
        return self._rng().uniform(self.minval, self.maxval, _shape(shape)).astype(dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


@register("initializer", aliases=("truncated_normal",))
class TruncatedNormal(RandomInitializer):
    """Normal distribution with values beyond two standard deviations redrawn."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        return _truncated_normal(self._rng(), _shape(shape), self.mean, self.stddev,
                                 _dtype(dtype))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


def compute_fans(shape):
    """``(fan_in, fan_out)`` as Keras computes them.

    A kernel of rank > 2 (convolution, ``(*spatial, in, out)``) multiplies both fans by the
    receptive field size, the product of the spatial dimensions.
    """
    shape = _shape(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


@register("initializer", aliases=("variance_scaling",))
class VarianceScaling(RandomInitializer):
    """Samples scaled to the fans: variance ``scale / fan``.

    ``distribution='truncated_normal'`` uses stddev ``sqrt(scale / fan) / 0.8796...`` (so the
    truncated samples have the requested variance), ``'untruncated_normal'`` stddev
    ``sqrt(scale / fan)``, ``'uniform'`` the interval ``±sqrt(3 * scale / fan)``.
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        if scale <= 0.0:
            raise ValueError(
                f"Argument `scale` must be positive float. Received: scale={scale}")
        if mode not in _MODES:
            raise ValueError(
                f"Invalid `mode` argument: expected one of {list(_MODES)}. Received: mode={mode}")
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(
                f"Invalid `distribution` argument: expected one of {list(_DISTRIBUTIONS)}. "
                f"Received: distribution={distribution}")
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape, dtype=None):
        shape, dtype = _shape(shape), _dtype(dtype)
        fan_in, fan_out = compute_fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}
        scale = self.scale / max(1.0, fan[self.mode])
        rng = self._rng()
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(scale) / 0.87962566103423978
            return _truncated_normal(rng, shape, 0.0, stddev, dtype)
        if self.distribution == "untruncated_normal":
            return (rng.standard_normal(shape) * math.sqrt(scale)).astype(dtype)
        limit = math.sqrt(3.0 * scale)
        return rng.uniform(-limit, limit, shape).astype(dtype)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


class _FixedVarianceScaling(VarianceScaling):
    """A VarianceScaling preset whose config is only the seed (as Keras's Glorot/He/Lecun)."""

    _preset = (1.0, "fan_in", "truncated_normal")

    def __init__(self, seed=None):
        super().__init__(*self._preset, seed=seed)

    def get_config(self):
        return {"seed": self.seed}


@register("initializer", aliases=("glorot_uniform",))
class GlorotUniform(_FixedVarianceScaling):
    """Uniform on ``±sqrt(6 / (fan_in + fan_out))``: the default kernel initializer."""

    _preset = (1.0, "fan_avg", "uniform")


@register("initializer", aliases=("glorot_normal",))
class GlorotNormal(_FixedVarianceScaling):
    """Truncated normal with stddev ``sqrt(2 / (fan_in + fan_out))``."""

    _preset = (1.0, "fan_avg", "truncated_normal")


@register("initializer", aliases=("lecun_normal",))
class LecunNormal(_FixedVarianceScaling):
    """Truncated normal with stddev ``sqrt(1 / fan_in)``."""

    _preset = (1.0, "fan_in", "truncated_normal")


@register("initializer", aliases=("lecun_uniform",))
class LecunUniform(_FixedVarianceScaling):
    """Uniform on ``±sqrt(3 / fan_in)``."""

    _preset = (1.0, "fan_in", "uniform")


@register("initializer", aliases=("he_normal",))
class HeNormal(_FixedVarianceScaling):
    """Truncated normal with stddev ``sqrt(2 / fan_in)``."""

    _preset = (2.0, "fan_in", "truncated_normal")


@register("initializer", aliases=("he_uniform",))
class HeUniform(_FixedVarianceScaling):
    """Uniform on ``±sqrt(6 / fan_in)``."""

    _preset = (2.0, "fan_in", "uniform")


@register("initializer", aliases=("orthogonal", "OrthogonalInitializer"))
class Orthogonal(RandomInitializer):
    """A (semi-)orthogonal matrix times ``gain``; higher ranks are flattened to
    ``(prod(shape[:-1]), shape[-1])`` first."""

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape, dtype = _shape(shape), _dtype(dtype)
        if len(shape) < 2:
            raise ValueError(
                "Orthogonal initializer expects a shape of rank >= 2. "
                f"Received: shape={shape}")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self._rng().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = xp.linalg.qr(a)
        q *= xp.sign(xp.diag(r))  # make the decomposition unique (uniform over rotations)
        if rows < cols:
            q = q.T
        return (self.gain * q).reshape(shape).astype(dtype)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


@register("initializer", aliases=("identity", "IdentityInitializer"))
class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only)."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = _shape(shape)
        if len(shape) != 2:
            raise ValueError(
                "Identity initializer expects a 2-D shape. "
                f"Received: shape={shape}; use Orthogonal for other ranks.")
        return (self.gain * xp.eye(*shape)).astype(dtype or config.floatx())

    def get_config(self):
        return {"gain": self.gain}
