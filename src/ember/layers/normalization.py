"""Normalization layers: BatchNormalization, LayerNormalization, UnitNormalization.

Arguments, defaults, weight names and order and ``get_config`` keys are Keras 3's. The
arithmetic of the first two is one fused op each (:mod:`ember.ops.normalization`).
"""

from ember import ops, registry
from ember.autodiff.trace import effect
from ember.backend import xp
from ember.backend.half import is_half
from ember.layers.convolutional import fmt_shape
from ember.layers.input_spec import InputSpec
from ember.layers.layer import Layer
from ember.ops import normalization as norm_ops
from ember.ops._helpers import raw


def _in_float32(layer, normalize, inputs, *args):
    """``normalize(inputs, *args)`` computed in float32 when ``inputs`` are float16/bfloat16
    (batch statistics need the precision), returned in the layer's compute dtype: Keras's
    mixed-precision behaviour for BatchNormalization and LayerNormalization."""
    if is_half(inputs.dtype):
        inputs = ops.cast(inputs, "float32")
    y = normalize(inputs, *args)
    return y if y.dtype == layer.compute_dtype else ops.cast(y, layer.compute_dtype)


def _float(value, layer, arg, low=None, high=None):
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = None
    if v is None or isinstance(value, bool) or (low is not None and v < low) or (
            high is not None and v > high):
        bounds = f" in [{low}, {high}]" if high is not None else (
            f" >= {low}" if low is not None else "")
        raise ValueError(f"{layer}: `{arg}` must be a number{bounds}. Received: {arg}={value!r}")
    return v


def _axis_of(layer, axis, ndim, input_shape):
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}': axis {axis} is out of range for an input "
            f"of rank {ndim}. Received input shape {fmt_shape(input_shape)}")
    return axis % ndim


def _mask_array(mask):
    if mask is None:
        return None
    return xp.asarray(raw(mask))


@registry.register("layer")
class BatchNormalization(Layer):
    """Normalizes each channel with the batch's mean and variance while training, and with
    moving averages of them at inference.

    Training (``training=True`` and the layer trainable):
    ``y = gamma * (x - mean(batch)) / sqrt(var(batch) + epsilon) + beta``, and the moving
    statistics are updated: ``moving = moving * momentum + batch * (1 - momentum)`` (the
    biased batch variance, as Keras). Inference: the same with the moving statistics. A frozen
    layer (``trainable = False``) always runs in inference mode, as in Keras.

    Args:
        axis: the channel axis (-1 for channels_last).
        momentum: 0.99. epsilon: 1e-3. center / scale: whether beta / gamma exist.
        beta_initializer ... gamma_constraint: as Keras.

    Weights, in Keras's order: ``gamma``, ``beta`` (trainable), ``moving_mean``,
    ``moving_variance`` (non-trainable), each of shape (channels,).
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, synchronized=False, renorm=False, renorm_clipping=None,
                 renorm_momentum=0.99, **kwargs):
        super().__init__(**kwargs)
        who = "BatchNormalization"
        if isinstance(axis, (list, tuple)):
            if len(axis) != 1:
                raise ValueError(f"{who}: `axis` must be a single int. Received: axis={axis!r}")
            axis = axis[0]
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise TypeError(f"{who}: `axis` must be an int. Received: axis={axis!r}")
        if renorm:
            raise NotImplementedError(f"{who}: batch renormalization (renorm=True) is not "
                                      "supported by ember.")
        self.axis = axis
        self.momentum = _float(momentum, who, "momentum", 0.0, 1.0)
        self.epsilon = _float(epsilon, who, "epsilon", 0.0)
        self.center = bool(center)
        self.scale = bool(scale)
        self.synchronized = bool(synchronized)
        self.renorm, self.renorm_clipping = False, renorm_clipping
        self.renorm_momentum = float(renorm_momentum)
        get = registry.get
        self.beta_initializer = get("initializer", beta_initializer)
        self.gamma_initializer = get("initializer", gamma_initializer)
        self.moving_mean_initializer = get("initializer", moving_mean_initializer)
        self.moving_variance_initializer = get("initializer", moving_variance_initializer)
        self.beta_regularizer = get("regularizer", beta_regularizer)
        self.gamma_regularizer = get("regularizer", gamma_regularizer)
        self.beta_constraint = get("constraint", beta_constraint)
        self.gamma_constraint = get("constraint", gamma_constraint)
        self.supports_masking = True
        self.gamma = self.beta = None

    def build(self, input_shape):
        ndim = len(input_shape)
        axis = _axis_of(self, self.axis, ndim, input_shape)
        channels = input_shape[axis]
        if channels is None:
            raise ValueError(
                f"BatchNormalization '{self.name}': axis {self.axis} of the input must have a "
                f"known size. Received input shape {fmt_shape(input_shape)}")
        shape = (channels,)
        if self.scale:
            self.gamma = self.add_weight(
                name="gamma", shape=shape, initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer, constraint=self.gamma_constraint,
                autocast=False)
        if self.center:
            self.beta = self.add_weight(
                name="beta", shape=shape, initializer=self.beta_initializer,
                regularizer=self.beta_regularizer, constraint=self.beta_constraint,
                autocast=False)
        self.moving_mean = self.add_weight(
            name="moving_mean", shape=shape, initializer=self.moving_mean_initializer,
            trainable=False, autocast=False)
        self.moving_variance = self.add_weight(
            name="moving_variance", shape=shape, initializer=self.moving_variance_initializer,
            trainable=False, autocast=False)
        self._axis = axis
        self.input_spec = InputSpec(ndim=ndim, axes={self.axis: channels})
        self.built = True

    def call(self, inputs, training=None, mask=None):
        return _in_float32(self, self._normalize, inputs, training, mask)

    def _normalize(self, inputs, training, mask):
        mask = _mask_array(mask)
        if mask is not None and mask.ndim != inputs.ndim - 1:
            raise ValueError(
                f"BatchNormalization '{self.name}': the mask must have one dimension less than "
                f"the inputs. Received: mask.shape={mask.shape}, inputs.shape="
                f"{fmt_shape(inputs.shape)}")
        if training and self.trainable:
            if mask is None:
                op = norm_ops.BatchNormTrain(self._axis, float(self.epsilon),
                                             self.gamma is not None, self.beta is not None)
                y = op.apply(inputs, *[p for p in (self.gamma, self.beta) if p is not None])
                self._update_moving_stats(op)
            else:
                y, mean, var = self._masked_train(inputs, mask)
                self._update_moving_stats((mean, var))
            return y
        return norm_ops.batch_norm_inference(
            inputs, self.moving_mean, self.moving_variance, self.gamma, self.beta,
            axis=self._axis, epsilon=self.epsilon)

    @effect
    def _update_moving_stats(self, stats):
        """Move the moving statistics towards the batch's: ``stats`` is the BatchNormTrain op
        that computed them, or ``(mean, var)`` Tensors. An effect: a replayed tf.function trace
        calls it again with the replayed op's statistics (raw arrays it could not see)."""
        if isinstance(stats, tuple):
            mean, var = (t.data.reshape(-1) for t in stats)
        else:
            mean, var = stats.batch_mean, stats.batch_var
        m = self.momentum
        self.moving_mean.assign(self.moving_mean.data * m + mean * (1.0 - m))
        self.moving_variance.assign(self.moving_variance.data * m + var * (1.0 - m))

    def _masked_train(self, x, mask):
        """Statistics over the unmasked positions only (Keras's weighted moments)."""
        eps = 1e-7
        axes = tuple(i for i in range(x.ndim) if i != self._axis)
        w = xp.expand_dims(mask.astype(x.dtype), -1)
        count = w.sum(axis=axes, keepdims=True) + eps
        mean = ops.divide(ops.sum(ops.multiply(x, w), axis=axes, keepdims=True), count)
        diff = ops.subtract(ops.multiply(x, w), mean)
        var = ops.divide(ops.sum(ops.multiply(ops.square(diff), w), axis=axes, keepdims=True),
                         count)
        y = ops.multiply(ops.subtract(x, mean), ops.rsqrt(ops.add(var, self.epsilon)))
        if self.gamma is not None:
            y = ops.multiply(y, self.gamma)
        if self.beta is not None:
            y = ops.add(y, self.beta)
        return y, mean, var

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        cfg = super().get_config()
        ser = registry.serialize
        cfg.update({
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": ser(self.beta_initializer),
            "gamma_initializer": ser(self.gamma_initializer),
            "moving_mean_initializer": ser(self.moving_mean_initializer),
            "moving_variance_initializer": ser(self.moving_variance_initializer),
            "beta_regularizer": ser(self.beta_regularizer),
            "gamma_regularizer": ser(self.gamma_regularizer),
            "beta_constraint": ser(self.beta_constraint),
            "gamma_constraint": ser(self.gamma_constraint),
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        })
        return cfg


@registry.register("layer")
class LayerNormalization(Layer):
    """Normalizes each sample over ``axis`` (default the last), then scales by ``gamma`` and
    shifts by ``beta`` (each of the normalized axes' shape). Same in training and inference.

    ``rms_scaling=True`` (Keras 3) ignores center/scale and computes
    ``x * rsqrt(var(x) + epsilon) * gamma``.
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        who = "LayerNormalization"
        if isinstance(axis, (list, tuple)):
            axis = list(axis)
            bad = not axis or not all(isinstance(a, int) for a in axis)
        else:
            bad = not isinstance(axis, int) or isinstance(axis, bool)
        if bad:
            raise TypeError(
                f"{who}: `axis` must be an int or a list of ints. Received: axis={axis!r}")
        self.axis = axis
        self.epsilon = _float(epsilon, who, "epsilon", 0.0)
        self.center = bool(center)
        self.scale = bool(scale)
        self.rms_scaling = bool(rms_scaling)
        get = registry.get
        self.beta_initializer = get("initializer", beta_initializer)
        self.gamma_initializer = get("initializer", gamma_initializer)
        self.beta_regularizer = get("regularizer", beta_regularizer)
        self.gamma_regularizer = get("regularizer", gamma_regularizer)
        self.beta_constraint = get("constraint", beta_constraint)
        self.gamma_constraint = get("constraint", gamma_constraint)
        self.supports_masking = True
        self.autocast = False  # as Keras: inputs and weights stay as they are (float32)
        self.gamma = self.beta = None

    def build(self, input_shape):
        ndim = len(input_shape)
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        norm = sorted(_axis_of(self, a, ndim, input_shape) for a in axes)
        shape = tuple(input_shape[a] for a in norm)
        if any(d is None for d in shape):
            raise ValueError(
                f"LayerNormalization '{self.name}': the normalized axes {axes} must have known "
                f"sizes. Received input shape {fmt_shape(input_shape)}")
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(
                name="gamma", shape=shape, initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer, constraint=self.gamma_constraint,
                autocast=False)
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(
                name="beta", shape=shape, initializer=self.beta_initializer,
                regularizer=self.beta_regularizer, constraint=self.beta_constraint,
                autocast=False)
        self._norm_axes = tuple(norm)
        self._trailing = norm == list(range(ndim - len(norm), ndim))
        self._ndim = ndim
        if not isinstance(self.axis, list):
            self.axis = [self.axis]  # as Keras, which stores the axis as a list once built
        self.input_spec = InputSpec(ndim=ndim, axes={a: input_shape[a] for a in norm})
        self.built = True

    def _broadcast(self, w, ndim):
        if w is None or self._trailing:
            return w
        shape = [1] * ndim
        for a, d in zip(self._norm_axes, w.shape):
            shape[a] = d
        return ops.reshape(w, tuple(shape))

    def call(self, inputs):
        return _in_float32(self, self._normalize, inputs)

    def _normalize(self, inputs):
        if self.rms_scaling:
            var = ops.var(inputs, axis=self._norm_axes, keepdims=True)
            y = ops.multiply(inputs, ops.rsqrt(ops.add(var, self.epsilon)))
            return ops.multiply(y, self._broadcast(self.gamma, inputs.ndim))
        if self._trailing:
            return norm_ops.layer_norm(inputs, self.gamma, self.beta,
                                       num_axes=len(self._norm_axes), epsilon=self.epsilon)
        mean = ops.mean(inputs, axis=self._norm_axes, keepdims=True)
        var = ops.var(inputs, axis=self._norm_axes, keepdims=True)
        y = ops.multiply(ops.subtract(inputs, mean), ops.rsqrt(ops.add(var, self.epsilon)))
        if self.gamma is not None:
            y = ops.multiply(y, self._broadcast(self.gamma, inputs.ndim))
        if self.beta is not None:
            y = ops.add(y, self._broadcast(self.beta, inputs.ndim))
        return y

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        cfg = super().get_config()
        ser = registry.serialize
        cfg.update({
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            "beta_initializer": ser(self.beta_initializer),
            "gamma_initializer": ser(self.gamma_initializer),
            "beta_regularizer": ser(self.beta_regularizer),
            "gamma_regularizer": ser(self.gamma_regularizer),
            "beta_constraint": ser(self.beta_constraint),
            "gamma_constraint": ser(self.gamma_constraint),
        })
        return cfg


@registry.register("layer")
class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm over ``axis``:
    ``x / max(||x||, 1e-12)`` (as Keras's ``ops.normalize(x, order=2, epsilon=1e-12)``)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = list(axis)
        elif isinstance(axis, int) and not isinstance(axis, bool):
            self.axis = axis
        else:
            raise TypeError(
                "UnitNormalization: `axis` must be an int or a list of ints. "
                f"Received: axis={axis!r}")
        self.supports_masking = True

    def call(self, inputs):
        axis = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        square_sum = ops.sum(ops.square(inputs), axis=axis, keepdims=True)
        inv_norm = ops.rsqrt(ops.maximum(square_sum, 1e-24))
        return ops.multiply(inputs, inv_norm)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        cfg = super().get_config()
        cfg["axis"] = self.axis
        return cfg


__all__ = ["BatchNormalization", "LayerNormalization", "UnitNormalization"]
