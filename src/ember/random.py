"""Random sampling, as ``keras.random`` and ``tf.random``.

Every function takes a ``seed``: ``None`` draws from ember's global generator
(``ember.config.rng()``, seeded by ``ember.utils.set_random_seed``); an int gives the same draws
on every call (as Keras); a :class:`SeedGenerator` gives new draws on each call, reproducibly
from its own seed.
"""

from ember import config
from ember.autodiff.tensor import Tensor, Variable
from ember.backend import xp
from ember.ops._helpers import raw
from ember.ops.nn import _rng_for
from ember.ops.nn import dropout as _dropout


class SeedGenerator:
    """A source of seeds for random ops, as ``keras.random.SeedGenerator``.

    Its state is a non-trainable uint32 Variable ``[seed, counter]`` (so a layer can save it);
    each call to a random op with this generator advances the counter.

    Args:
        seed: an int; ``None`` draws one from ember's global generator.
        name: an optional name.
    """

    def __init__(self, seed=None, name=None, **kwargs):
        if seed is None:
            seed = int(config.rng().integers(0, 2**31 - 1))
        elif isinstance(seed, SeedGenerator):
            raise TypeError("SeedGenerator: seed must be an int or None, not a SeedGenerator")
        elif not isinstance(seed, (int, xp.integer)):
            raise TypeError(
                f"SeedGenerator: seed must be an int or None. Received: seed={seed!r}")
        self.name = name or "seed_generator"
        self.initial_seed = int(seed)
        self.state = Variable(xp.array([int(seed) % 2**32, 0], dtype="uint32"), trainable=False,
                              name=f"{self.name}_state")

    def next_generator(self):
        """A NumPy generator for the current state; advances the state."""
        seed, counter = (int(v) for v in self.state.data)
        self.state.data[1] = (counter + 1) % 2**32
        return xp.random.default_rng([seed, counter])

    def next(self, ordered=True):
        """The current state as a seed array ``[seed, counter]``; advances the state."""
        value = self.state.data.copy()
        self.state.data[1] = (int(value[1]) + 1) % 2**32
        return Tensor(value)

    def get_config(self):
        return {"seed": self.initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<SeedGenerator name={self.name} seed={self.initial_seed}>"


def _float_dtype(dtype, op):
    dtype = xp.dtype(dtype or config.floatx())
    if dtype.kind != "f":
        raise ValueError(f"{op}: dtype must be a float dtype. Received: dtype={dtype}")
    return dtype


def _shape(shape, op):
    if isinstance(shape, (int, xp.integer)):
        return (int(shape),)
    try:
        shape = tuple(int(d) for d in shape)
    except TypeError:
        raise ValueError(f"{op}: shape must be a tuple of ints. Received: shape={shape!r}") \
            from None
    if any(d < 0 for d in shape):
        raise ValueError(f"{op}: shape must be non-negative. Received: shape={shape}")
    return shape


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None, name=None):
    """Samples from a normal distribution."""
    dtype = _float_dtype(dtype, "normal")
    rng = _rng_for(seed)
    x = rng.standard_normal(_shape(shape, "normal"), dtype="float32" if dtype == "float32"
                            else "float64")
    return Tensor((x * raw(stddev) + raw(mean)).astype(dtype, copy=False))


def uniform(shape, minval=0.0, maxval=None, dtype=None, seed=None, name=None):
    """Samples from a uniform distribution on ``[minval, maxval)`` (``maxval`` 1 for floats);
    an integer ``dtype`` draws integers (``maxval`` required, as TensorFlow)."""
    rng = _rng_for(seed)
    if dtype is not None and xp.dtype(dtype).kind in "iu":
        if maxval is None:
            raise ValueError(f"uniform: Must specify maxval for integer dtype {dtype}")
        return randint(shape, int(raw(minval)), int(raw(maxval)), dtype=dtype, seed=rng)
    dtype = _float_dtype(dtype, "uniform")
    maxval = 1.0 if maxval is None else maxval
    x = rng.random(_shape(shape, "uniform"), dtype="float32" if dtype == "float32"
                   else "float64")
    lo, hi = raw(minval), raw(maxval)
    return Tensor((x * (hi - lo) + lo).astype(dtype, copy=False))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None, name=None):
    """Samples from a normal distribution, redrawn where more than two standard deviations
    from the mean (as TensorFlow)."""
    dtype = _float_dtype(dtype, "truncated_normal")
    rng = _rng_for(seed)
    shape = _shape(shape, "truncated_normal")
    x = rng.standard_normal(shape)
    bad = xp.abs(x) > 2
    while bad.any():
        x[bad] = rng.standard_normal(int(bad.sum()))
        bad = xp.abs(x) > 2
    return Tensor((x * raw(stddev) + raw(mean)).astype(dtype))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Random integers in ``[minval, maxval)``."""
    dtype = xp.dtype(dtype)
    if dtype.kind not in "iu":
        raise ValueError(f"randint: dtype must be an integer dtype. Received: dtype={dtype}")
    if maxval <= minval:
        raise ValueError(f"randint: maxval ({maxval}) must be greater than minval ({minval})")
    rng = seed if isinstance(seed, xp.random.Generator) else _rng_for(seed)
    return Tensor(rng.integers(minval, maxval, _shape(shape, "randint")).astype(dtype))


def shuffle(x, axis=0, seed=None, name=None):
    """``x`` with its slices along ``axis`` in a random order."""
    data = xp.asarray(raw(x))
    if data.ndim == 0:
        raise ValueError("shuffle: the input must have rank >= 1")
    rng = _rng_for(seed)
    order = rng.permutation(data.shape[axis])
    if isinstance(x, Tensor):
        from ember.ops.shape import take

        return take(x, order, axis=axis)
    return Tensor(xp.take(data, order, axis=axis))


def categorical(logits, num_samples, dtype="int32", seed=None, name=None):
    """Draws ``num_samples`` class indices per row of ``logits`` (batch, classes); int32 as
    Keras (TensorFlow's default is int64: pass ``dtype``)."""
    z = xp.asarray(raw(logits), dtype="float64")
    if z.ndim != 2:
        raise ValueError(f"categorical: logits must have shape (batch, classes). "
                         f"Received shape {z.shape}")
    rng = _rng_for(seed)
    p = xp.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    cdf = xp.cumsum(p, axis=1)
    u = rng.random((z.shape[0], num_samples))
    idx = (u[:, :, None] > cdf[:, None, :]).sum(axis=-1)
    return Tensor(xp.minimum(idx, z.shape[1] - 1).astype(dtype))


def gamma(shape, alpha, dtype=None, seed=None, name=None, beta=None):
    """Samples from a gamma distribution with concentration ``alpha`` (scale 1)."""
    dtype = _float_dtype(dtype, "gamma")
    scale = 1.0 if beta is None else 1.0 / xp.asarray(raw(beta))  # TF's rate parameter
    out = _rng_for(seed).gamma(raw(alpha), scale=scale, size=_shape(shape, "gamma"))
    return Tensor(out.astype(dtype))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Samples from a binomial distribution."""
    dtype = _float_dtype(dtype, "binomial")
    out = _rng_for(seed).binomial(raw(counts), raw(probabilities), size=_shape(shape, "binomial"))
    return Tensor(out.astype(dtype))


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Samples from a beta distribution."""
    dtype = _float_dtype(dtype, "beta")
    out = _rng_for(seed).beta(raw(alpha), raw(beta), size=_shape(shape, "beta"))
    return Tensor(out.astype(dtype))


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zero each element with probability ``rate``, scale the rest by ``1 / (1 - rate)``."""
    return _dropout(inputs, rate, noise_shape=noise_shape, seed=seed)


def poisson(shape, lam, dtype=None, seed=None, name=None):
    """Samples from Poisson distributions with rates ``lam``: shape ``shape + lam.shape``
    (float32 by default, as TensorFlow)."""
    lam = xp.asarray(raw(lam))
    out = _rng_for(seed).poisson(lam, size=_shape(shape, "poisson") + lam.shape)
    return Tensor(out.astype(dtype or config.floatx()))


def set_seed(seed):
    """Seed ember's random ops (``tf.random.set_seed``): the same seed gives the same draws
    and the same initial weights (as ``keras.utils.set_random_seed``)."""
    from ember.utils.random import set_random_seed

    set_random_seed(int(seed))


class Generator:
    """A random generator with its own state (``tf.random.Generator``): ``from_seed(seed)``
    gives reproducible draws, ``from_non_deterministic_state()`` fresh ones."""

    def __init__(self, seed=None, alg=None):
        self._seed = seed
        self._rng = xp.random.default_rng(seed)

    @classmethod
    def from_seed(cls, seed, alg=None):
        if not isinstance(seed, (int, xp.integer)):
            raise TypeError(f"Generator.from_seed: seed must be an int; got {seed!r}")
        return cls(int(seed), alg)

    @classmethod
    def from_non_deterministic_state(cls, alg=None):
        return cls(None, alg)

    def next_generator(self):
        """The NumPy generator the random ops draw from (its state advances as they draw)."""
        return self._rng

    def reset_from_seed(self, seed):
        self._seed = int(seed)
        self._rng = xp.random.default_rng(self._seed)

    def normal(self, shape, mean=0.0, stddev=1.0, dtype="float32", name=None):
        return normal(shape, mean, stddev, dtype, seed=self)

    def uniform(self, shape, minval=0, maxval=None, dtype="float32", name=None):
        return uniform(shape, minval, maxval, dtype, seed=self)

    def truncated_normal(self, shape, mean=0.0, stddev=1.0, dtype="float32", name=None):
        return truncated_normal(shape, mean, stddev, dtype, seed=self)

    def split(self, count=1):
        """``count`` new generators seeded from this one."""
        return [Generator(int(s)) for s in self._rng.integers(0, 2**63 - 1, count)]

    def make_seeds(self, count=1):
        return Tensor(self._rng.integers(0, 2**63 - 1, (2, count)).astype("int64"))


_GLOBAL_GENERATOR = []


def get_global_generator():
    """The generator behind ``set_global_generator`` (one drawing from ember's global
    generator by default)."""
    if not _GLOBAL_GENERATOR:
        _GLOBAL_GENERATOR.append(Generator(int(config.rng().integers(0, 2**63 - 1))))
    return _GLOBAL_GENERATOR[0]


def set_global_generator(generator):
    _GLOBAL_GENERATOR[:] = [generator]


__all__ = [
    "SeedGenerator", "normal", "uniform", "truncated_normal", "randint", "shuffle",
    "categorical", "gamma", "binomial", "beta", "dropout", "poisson", "set_seed", "Generator",
    "get_global_generator", "set_global_generator",
]
