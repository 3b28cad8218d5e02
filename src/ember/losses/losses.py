"""The losses, as functions (per-sample values) and classes (reduced), with Keras's names.

The crossentropies use the fused ops of :mod:`ember.ops.nn`: predictions that come out of a
softmax or sigmoid are turned back into their logits, which is exact and numerically stable.
"""

import math

from ember import config, ops
from ember.autodiff.tensor import data_of
from ember.backend import xp
from ember.losses.loss import (
    Loss,
    LossFunctionWrapper,
    squeeze_or_expand_to_same_rank,
    to_tensor,
)
from ember.registry import register


def _convert(y_true, y_pred):
    y_pred = to_tensor(y_pred)
    return to_tensor(y_true, y_pred.dtype), y_pred


def _l2_normalize(x, axis):
    square_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return ops.divide(x, ops.sqrt(ops.maximum(square_sum, config.epsilon())))


# -- functions ---------------------------------------------------------------------------------
@register("loss", aliases=("mse", "MSE"))
def mean_squared_error(y_true, y_pred):
    """``mean(square(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_convert(y_true, y_pred))
    return ops.mean(ops.square(ops.subtract(y_true, y_pred)), axis=-1)


@register("loss", aliases=("mae", "MAE"))
def mean_absolute_error(y_true, y_pred):
    """``mean(abs(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_convert(y_true, y_pred))
    return ops.mean(ops.abs(ops.subtract(y_true, y_pred)), axis=-1)


@register("loss", aliases=("mape", "MAPE"))
def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), axis=-1)``."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_convert(y_true, y_pred))
    denominator = ops.maximum(ops.abs(y_true), config.epsilon())
    diff = ops.abs(ops.divide(ops.subtract(y_true, y_pred), denominator))
    return ops.multiply(ops.mean(diff, axis=-1), 100.0)


@register("loss", aliases=("msle", "MSLE"))
def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)``."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_convert(y_true, y_pred))
    eps = config.epsilon()
    first = ops.log(ops.add(ops.maximum(y_pred, eps), 1.0))
    second = ops.log(ops.add(ops.maximum(y_true, eps), 1.0))
    return ops.mean(ops.square(ops.subtract(first, second)), axis=-1)


@register("loss")
def cosine_similarity(y_true, y_pred, axis=-1):
    """``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``: -1 for equal directions."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_convert(y_true, y_pred))
    y_pred = _l2_normalize(y_pred, axis)
    y_true = _l2_normalize(y_true, axis)
    return ops.negative(ops.sum(ops.multiply(y_true, y_pred), axis=axis))


@register("loss")
def huber(y_true, y_pred, delta=1.0):
    """Quadratic ``0.5 * e**2`` for ``|e| <= delta``, linear beyond; mean over the last axis."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_convert(y_true, y_pred))
    delta = float(delta)
    error = ops.subtract(y_pred, y_true)
    abs_error = ops.abs(error)
    quadratic = ops.multiply(ops.square(error), 0.5)
    linear = ops.subtract(ops.multiply(abs_error, delta), 0.5 * delta * delta)
    return ops.mean(ops.where(data_of(abs_error) <= delta, quadratic, linear), axis=-1)


@register("loss", aliases=("logcosh",))
def log_cosh(y_true, y_pred):
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, computed as
    ``x + softplus(-2x) - log(2)`` (no overflow)."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_convert(y_true, y_pred))
    x = ops.subtract(y_pred, y_true)
    value = ops.subtract(ops.add(x, ops.softplus(ops.multiply(x, -2.0))), math.log(2.0))
    return ops.mean(value, axis=-1)


def _hinge_labels(y_true):
    """Binary 0/1 labels become -1/1 (as Keras); other labels are used as they are."""
    labels = data_of(y_true)
    if xp.all((labels == 0) | (labels == 1)):
        return ops.subtract(ops.multiply(y_true, 2.0), 1.0)
    return y_true


@register("loss")
def hinge(y_true, y_pred):
    """``mean(maximum(1 - y_true * y_pred, 0), axis=-1)``; labels -1/1 (0/1 converted)."""
    y_true, y_pred = _convert(y_true, y_pred)
    y_true = _hinge_labels(y_true)
    return ops.mean(ops.maximum(ops.subtract(1.0, ops.multiply(y_true, y_pred)), 0.0), axis=-1)


@register("loss")
def squared_hinge(y_true, y_pred):
    """``mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)``."""
    y_true, y_pred = _convert(y_true, y_pred)
    y_true = _hinge_labels(y_true)
    margin = ops.maximum(ops.subtract(1.0, ops.multiply(y_true, y_pred)), 0.0)
    return ops.mean(ops.square(margin), axis=-1)


@register("loss")
def categorical_hinge(y_true, y_pred):
    """``maximum(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)``."""
    y_true, y_pred = _convert(y_true, y_pred)
    pos = ops.sum(ops.multiply(y_true, y_pred), axis=-1)
    neg = ops.max(ops.multiply(ops.subtract(1.0, y_true), y_pred), axis=-1)
    return ops.maximum(ops.add(ops.subtract(neg, pos), 1.0), 0.0)


@register("loss", aliases=("kld", "KLD", "kullback_leibler_divergence"))
def kl_divergence(y_true, y_pred):
    """``sum(y_true * log(y_true / y_pred), axis=-1)`` with both clipped to ``[eps, 1]``."""
    y_true, y_pred = _convert(y_true, y_pred)
    eps = config.epsilon()
    y_true = ops.clip(y_true, eps, 1.0)
    y_pred = ops.clip(y_pred, eps, 1.0)
    return ops.sum(ops.multiply(y_true, ops.log(ops.divide(y_true, y_pred))), axis=-1)


@register("loss")
def poisson(y_true, y_pred):
    """``mean(y_pred - y_true * log(y_pred + eps), axis=-1)``."""
    y_true, y_pred = _convert(y_true, y_pred)
    log_pred = ops.log(ops.add(y_pred, config.epsilon()))
    return ops.mean(ops.subtract(y_pred, ops.multiply(y_true, log_pred)), axis=-1)


@register("loss")
def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Crossentropy between one-hot (or soft) targets and predictions along ``axis``.

    ``label_smoothing`` replaces targets by ``y * (1 - s) + s / num_classes``.
    """
    if isinstance(axis, bool):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis}")
    y_true, y_pred = _convert(y_true, y_pred)
    if label_smoothing:
        num_classes = y_true.shape[axis]
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing),
                         label_smoothing / num_classes)
    return ops.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def _sparse_ce(y_true, y_pred, from_logits, ignore_class, axis):
    """Per-sample values and the validity mask (None without ``ignore_class``)."""
    labels = data_of(y_true)
    if not hasattr(labels, "shape"):
        labels = xp.asarray(labels)
    y_pred = to_tensor(y_pred)
    if labels.ndim == y_pred.ndim and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    if ignore_class is None:
        return ops.sparse_categorical_crossentropy(labels, y_pred, from_logits=from_logits,
                                                   axis=axis), None
    valid = labels != ignore_class
    safe = xp.where(valid, labels, 0)
    values = ops.sparse_categorical_crossentropy(safe, y_pred, from_logits=from_logits,
                                                 axis=axis)
    return ops.where(valid, values, 0.0), valid


@register("loss")
def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None,
                                    axis=-1):
    """Crossentropy between integer labels and predictions along ``axis``.

    Labels equal to ``ignore_class`` contribute 0. Labels outside ``[0, num_classes)`` raise a
    ValueError naming the value and the valid range.
    """
    return _sparse_ce(y_true, y_pred, from_logits, ignore_class, axis)[0]


@register("loss", aliases=("bce", "BCE"))
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Elementwise binary crossentropy, averaged over ``axis``; ``label_smoothing`` squeezes
    targets towards 0.5: ``y * (1 - s) + 0.5 * s``."""
    y_true, y_pred = _convert(y_true, y_pred)
    if label_smoothing:
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    return ops.mean(ops.binary_crossentropy(y_true, y_pred, from_logits=from_logits),
                    axis=axis)


# -- classes -----------------------------------------------------------------------------------
class _Wrapper(LossFunctionWrapper):
    """A built-in loss class: its config is its constructor arguments (not the function)."""

    _args = ()

    def get_config(self):
        config = Loss.get_config(self)
        config.update({k: self._fn_kwargs[k] for k in self._args})
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@register("loss")
class MeanSquaredError(_Wrapper):
    """Mean of squared errors (see :func:`mean_squared_error`)."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, reduction=reduction, dtype=dtype)


@register("loss")
class MeanAbsoluteError(_Wrapper):
    """Mean of absolute errors (see :func:`mean_absolute_error`)."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, reduction=reduction, dtype=dtype)


@register("loss")
class MeanAbsolutePercentageError(_Wrapper):
    """Mean absolute percentage error (see :func:`mean_absolute_percentage_error`)."""

    def __init__(self, reduction="sum_over_batch_size",
                 name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, name=name, reduction=reduction,
                         dtype=dtype)


@register("loss")
class MeanSquaredLogarithmicError(_Wrapper):
    """Mean squared logarithmic error (see :func:`mean_squared_logarithmic_error`)."""

    def __init__(self, reduction="sum_over_batch_size",
                 name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, name=name, reduction=reduction,
                         dtype=dtype)


@register("loss")
class CosineSimilarity(_Wrapper):
    """Negative cosine similarity along ``axis`` (see :func:`cosine_similarity`)."""

    _args = ("axis",)

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity",
                 dtype=None):
        super().__init__(cosine_similarity, name=name, reduction=reduction, dtype=dtype,
                         axis=axis)


@register("loss")
class Huber(_Wrapper):
    """Huber loss with threshold ``delta`` (see :func:`huber`)."""

    _args = ("delta",)

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss",
                 dtype=None):
        super().__init__(huber, name=name, reduction=reduction, dtype=dtype, delta=delta)


@register("loss")
class LogCosh(_Wrapper):
    """Log of the hyperbolic cosine of the error (see :func:`log_cosh`)."""

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(log_cosh, name=name, reduction=reduction, dtype=dtype)


@register("loss")
class Hinge(_Wrapper):
    """Hinge loss (see :func:`hinge`)."""

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(hinge, name=name, reduction=reduction, dtype=dtype)


@register("loss")
class SquaredHinge(_Wrapper):
    """Squared hinge loss (see :func:`squared_hinge`)."""

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, name=name, reduction=reduction, dtype=dtype)


@register("loss")
class CategoricalHinge(_Wrapper):
    """Categorical hinge loss (see :func:`categorical_hinge`)."""

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, name=name, reduction=reduction, dtype=dtype)


@register("loss")
class KLDivergence(_Wrapper):
    """Kullback-Leibler divergence (see :func:`kl_divergence`)."""

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, name=name, reduction=reduction, dtype=dtype)


@register("loss")
class Poisson(_Wrapper):
    """Poisson loss (see :func:`poisson`)."""

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(poisson, name=name, reduction=reduction, dtype=dtype)


@register("loss")
class BinaryCrossentropy(_Wrapper):
    """Binary crossentropy (see :func:`binary_crossentropy`).

    Args:
        from_logits: whether ``y_pred`` are logits (else probabilities; a sigmoid output's
            logits are used automatically).
        label_smoothing: squeeze targets towards 0.5.
        axis: the axis to average over.
    """

    _args = ("from_logits", "label_smoothing", "axis")

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis


@register("loss")
class CategoricalCrossentropy(_Wrapper):
    """Crossentropy for one-hot targets (see :func:`categorical_crossentropy`)."""

    _args = ("from_logits", "label_smoothing", "axis")

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis


@register("loss")
class SparseCategoricalCrossentropy(_Wrapper):
    """Crossentropy for integer labels (see :func:`sparse_categorical_crossentropy`).

    With ``ignore_class``, the labels equal to it are left out of the mean (as Keras does).
    Integer labels are not cast to float.
    """

    _cast_y_true = False

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 name="sparse_categorical_crossentropy", dtype=None, axis=-1):
        super().__init__(sparse_categorical_crossentropy, name=name, reduction=reduction,
                         dtype=dtype, from_logits=from_logits, ignore_class=ignore_class,
                         axis=axis)
        self.from_logits, self.ignore_class, self.axis = from_logits, ignore_class, axis

    def _call_with_mask(self, y_true, y_pred):
        return _sparse_ce(y_true, y_pred, self.from_logits, self.ignore_class, self.axis)

    def call(self, y_true, y_pred):
        return self._call_with_mask(y_true, y_pred)[0]

    def get_config(self):
        config = Loss.get_config(self)
        config.update({"from_logits": self.from_logits, "ignore_class": self.ignore_class})
        if self.axis != -1:
            config["axis"] = self.axis
        return config
