"""More normalization layers: GroupNormalization, RMSNormalization and SpectralNormalization.

Arguments, defaults, weight names and order and ``get_config`` keys are Keras 3's; the
arithmetic is ember ops, so gradients come from the tape.
"""

from ember import initializers, ops, registry
from ember.autodiff.trace import effect
from ember.backend.half import is_half
from ember.layers.convolutional import fmt_shape
from ember.layers.core.wrapper import Wrapper
from ember.layers.input_spec import InputSpec
from ember.layers.layer import Layer


def _check_axes(layer, axis, input_shape):
    """Keras's compute_output_shape check: every axis within the input's rank."""
    ndim = len(input_shape)
    for a in (axis if isinstance(axis, (list, tuple)) else [axis]):
        if a >= ndim or a < -ndim:
            raise ValueError(
                f"{type(layer).__name__} '{layer.name}': axis {a} is out of bounds for input "
                f"shape {fmt_shape(input_shape)}. Received: axis={layer.axis}")


@registry.register("layer")
class GroupNormalization(Layer):
    """Splits the channels (``axis``) into ``groups`` and normalizes each sample's group to
    zero mean and unit variance, then scales by ``gamma`` and shifts by ``beta`` (one value per
    channel). ``groups=-1`` is instance normalization (one group per channel); ``groups=1`` is
    layer normalization over all non-batch axes. Same in training and inference.

    Args:
        groups: 32; a positive divisor of the channel count, or -1.
        axis: -1, the channel axis. epsilon: 1e-3. center / scale: whether beta / gamma exist.
        beta_initializer ... gamma_constraint: as Keras.

    Weights: ``gamma``, ``beta``, each of shape (channels,).
    """

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        if not isinstance(groups, int) or isinstance(groups, bool) or (
                groups <= 0 and groups != -1):
            raise ValueError(
                "GroupNormalization: `groups` must be a positive integer (or -1 for instance "
                f"normalization). Received: groups={groups!r}")
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise TypeError(f"GroupNormalization: `axis` must be an int. Received: axis={axis!r}")
        super().__init__(**kwargs)
        self.supports_masking = True
        self.autocast = False
        self.groups = groups
        self.axis = axis
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        get = registry.get
        self.beta_initializer = get("initializer", beta_initializer)
        self.gamma_initializer = get("initializer", gamma_initializer)
        self.beta_regularizer = get("regularizer", beta_regularizer)
        self.gamma_regularizer = get("regularizer", gamma_regularizer)
        self.beta_constraint = get("constraint", beta_constraint)
        self.gamma_constraint = get("constraint", gamma_constraint)
        self.gamma = self.beta = None

    def build(self, input_shape):
        _check_axes(self, self.axis, input_shape)
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(
                f"GroupNormalization '{self.name}': axis {self.axis} of the input must have a "
                f"defined size. Received input shape {fmt_shape(input_shape)}")
        if self.groups == -1:
            self.groups = dim  # as Keras, which then saves the resolved count
        if dim < self.groups:
            raise ValueError(
                f"GroupNormalization '{self.name}': the number of groups ({self.groups}) cannot "
                f"be more than the number of channels ({dim}).")
        if dim % self.groups != 0:
            raise ValueError(
                f"GroupNormalization '{self.name}': the number of channels ({dim}) must be a "
                f"multiple of the number of groups ({self.groups}).")
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: dim})
        if self.scale:
            self.gamma = self.add_weight(
                name="gamma", shape=(dim,), initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer, constraint=self.gamma_constraint,
                autocast=False)
        if self.center:
            self.beta = self.add_weight(
                name="beta", shape=(dim,), initializer=self.beta_initializer,
                regularizer=self.beta_regularizer, constraint=self.beta_constraint,
                autocast=False)
        self.built = True

    def call(self, inputs):
        shape = tuple(inputs.shape)
        a = self.axis % len(shape)
        g = self.groups
        grouped = shape[:a] + (g, shape[a] // g) + shape[a + 1:]
        in_dtype = inputs.dtype
        x = ops.reshape(inputs, grouped)
        if is_half(x.dtype) or x.dtype.kind != "f":
            x = ops.cast(x, "float32")
        axes = tuple(i for i in range(1, len(grouped)) if i != a)
        mean, var = ops.moments(x, axes=axes, keepdims=True)
        bshape = [1] * len(grouped)
        bshape[a], bshape[a + 1] = g, shape[a] // g
        inv = ops.rsqrt(ops.add(var, self.epsilon))
        if self.gamma is not None:
            inv = ops.multiply(inv, ops.reshape(ops.cast(self.gamma, x.dtype), bshape))
        res = ops.negative(ops.multiply(mean, inv))
        if self.beta is not None:
            res = ops.add(res, ops.reshape(ops.cast(self.beta, x.dtype), bshape))
        y = ops.add(ops.multiply(x, inv), res)
        if y.dtype != in_dtype and in_dtype.kind == "f":
            y = ops.cast(y, in_dtype)
        y = ops.reshape(y, shape)
        return y if y.dtype == self.compute_dtype else ops.cast(y, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        _check_axes(self, self.axis, input_shape)
        return tuple(input_shape)

    def get_config(self):
        cfg = super().get_config()
        ser = registry.serialize
        cfg.update({
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": ser(self.beta_initializer),
            "gamma_initializer": ser(self.gamma_initializer),
            "beta_regularizer": ser(self.beta_regularizer),
            "gamma_regularizer": ser(self.gamma_regularizer),
            "beta_constraint": ser(self.beta_constraint),
            "gamma_constraint": ser(self.gamma_constraint),
        })
        return cfg


@registry.register("layer")
class RMSNormalization(Layer):
    """Root-mean-square normalization: ``x * rsqrt(mean(x**2, axis) + epsilon) * scale``.

    Args:
        axis: -1, an int or a list of ints: the axes to normalize over (stored as a sorted
            list once built, as Keras).
        epsilon: 1e-6.

    Weight: ``scale`` of the normalized axes' shape, initialized to ones. As in Keras the
    weight is multiplied in as it is (NumPy broadcasting), so the normalized axes should be the
    trailing ones.
    """

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            bad = not axis or not all(isinstance(a, int) and not isinstance(a, bool)
                                      for a in axis)
        else:
            bad = not isinstance(axis, int) or isinstance(axis, bool)
        if bad:
            raise TypeError(
                f"RMSNormalization: `axis` must be an int or a list of ints. Received: "
                f"axis={axis!r}")
        self.axis = axis
        self.epsilon = epsilon

    def build(self, input_shape):
        _check_axes(self, self.axis, input_shape)
        if isinstance(self.axis, (list, tuple)):
            self.axis = sorted(self.axis)
            shape = tuple(input_shape[a] for a in self.axis)
        else:
            shape = (input_shape[self.axis],)
            self.axis = [self.axis]
        self.scale = self.add_weight(name="scale", shape=shape, initializer="ones")
        self.built = True

    def call(self, x):
        return ops.rms_normalization(x, scale=self.scale, axis=self.axis, epsilon=self.epsilon)

    def compute_output_shape(self, input_shape):
        _check_axes(self, self.axis, input_shape)
        return tuple(input_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"axis": self.axis, "epsilon": self.epsilon})
        return cfg


def _l2_normalize(v):
    """``v / max(||v||, 1e-12)`` over all its elements (Keras's ``normalize(v, axis=None)``)."""
    sq = ops.sum(ops.square(v))
    return ops.multiply(v, ops.rsqrt(ops.maximum(sq, 1e-24)))


@registry.register("layer")
class SpectralNormalization(Wrapper):
    """Spectral normalization of a wrapped layer's ``kernel`` (or ``embeddings``): in training
    calls the kernel is divided by an estimate of its largest singular value, found by
    ``power_iterations`` steps of power iteration, and written back into the wrapped layer (as
    Keras does, so gradients flow through the wrapped layer's own call, not through the
    estimate). Inference calls use the kernel as it is.

    Args:
        layer: a layer with a ``kernel`` or ``embeddings`` weight (Dense, Conv2D, Embedding...).
        power_iterations: 1, a positive int.

    Weights: the wrapped layer's, and ``vector_u`` (non-trainable, ``(1, kernel.shape[-1])``,
    initialized ``TruncatedNormal(stddev=0.02)``), the power iteration's running vector.
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if power_iterations <= 0:
            raise ValueError(
                "SpectralNormalization: `power_iterations` should be greater than zero. "
                f"Received: power_iterations={power_iterations}")
        self.power_iterations = power_iterations

    def build(self, input_shape):
        super().build(input_shape)
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})
        if getattr(self.layer, "kernel", None) is not None:
            self.kernel = self.layer.kernel
        elif getattr(self.layer, "embeddings", None) is not None:
            self.kernel = self.layer.embeddings
        else:
            raise ValueError(
                f"SpectralNormalization '{self.name}': {type(self.layer).__name__} object has "
                "no attribute 'kernel' nor 'embeddings'")
        self.kernel_shape = tuple(self.kernel.shape)
        self.vector_u = self.add_weight(
            shape=(1, self.kernel_shape[-1]),
            initializer=initializers.TruncatedNormal(stddev=0.02),
            trainable=False, name="vector_u", dtype=self.kernel.dtype)
        self.built = True

    @property
    def weights(self):
        """Keras's order: this layer's own (``kernel``, tracked here too, then ``vector_u``),
        then the wrapped layer's others (``bias``)."""
        return self._all_weights()

    def call(self, inputs, training=False):
        if training:
            self._update_kernel()
        output = self.layer(inputs)
        return output if output.dtype == inputs.dtype else ops.cast(output, inputs.dtype)

    @effect
    def _update_kernel(self):
        """One training step's normalization: the kernel and ``vector_u`` are replaced (a
        kernel of all zeros is left alone, as Keras)."""
        if not bool(ops.any(ops.not_equal(ops.stop_gradient(self.kernel), 0))):
            return
        vector_u, kernel = self.normalized_weights()
        self.vector_u.assign(vector_u)
        self.kernel.assign(kernel)

    def normalized_weights(self):
        """``(vector_u, kernel / sigma)``: the power iteration's new vector and the kernel
        divided by its estimated spectral norm ``sigma = v W u^T``."""
        kernel = ops.stop_gradient(self.kernel)
        weights = ops.reshape(kernel, (-1, self.kernel_shape[-1]))
        vector_u = ops.stop_gradient(self.vector_u)
        for _ in range(self.power_iterations):
            vector_v = _l2_normalize(ops.matmul(vector_u, ops.transpose(weights)))
            vector_u = _l2_normalize(ops.matmul(vector_v, weights))
        sigma = ops.matmul(ops.matmul(vector_v, weights), ops.transpose(vector_u))
        kernel = ops.reshape(ops.divide(kernel, sigma), self.kernel_shape)
        return (ops.cast(vector_u, self.vector_u.dtype), ops.cast(kernel, self.kernel.dtype))

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg["power_iterations"] = self.power_iterations
        return cfg


__all__ = ["GroupNormalization", "RMSNormalization", "SpectralNormalization"]
