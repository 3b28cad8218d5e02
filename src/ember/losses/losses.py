"""The losses, as functions (per-sample values) and classes (reduced), with Keras's names.

The crossentropies use the fused ops of :mod:`ember.ops.nn`: predictions that come out of a
softmax or sigmoid are turned back into their logits, which is exact and numerically stable.
"""

import math
import warnings

from ember import config, ops
from ember.autodiff import trace
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


def _check_same_shape(name, y_true, y_pred):
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise ValueError(
            f"{name}: y_true and y_pred must have the same shape. Received "
            f"y_true.shape={tuple(y_true.shape)}, y_pred.shape={tuple(y_pred.shape)}")


@register("loss")
def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25,
                              gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary crossentropy scaled by the focal factor ``(1 - p_t) ** gamma`` (Lin et al.,
    2018), ``p_t`` being the probability given to the true class; averaged over ``axis``.

    With ``apply_class_balancing``, class 1 is also weighted by ``alpha`` and class 0 by
    ``1 - alpha``. ``gamma=0`` gives the binary crossentropy.
    """
    y_true, y_pred = _convert(y_true, y_pred)
    if label_smoothing:
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing), 0.5 * label_smoothing)
    if from_logits:
        y_pred = ops.sigmoid(y_pred)
    bce = ops.binary_crossentropy(y_true, y_pred)  # checks the shapes
    p_t = ops.add(ops.multiply(y_true, y_pred),
                  ops.multiply(ops.subtract(1.0, y_true), ops.subtract(1.0, y_pred)))
    focal = ops.multiply(ops.power(ops.subtract(1.0, p_t), float(gamma)), bce)
    if apply_class_balancing:
        weight = ops.add(ops.multiply(y_true, alpha), ops.multiply(ops.subtract(1.0, y_true),
                                                                    1.0 - alpha))
        focal = ops.multiply(weight, focal)
    return ops.mean(focal, axis=axis)


@register("loss")
def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """``sum(alpha * (1 - p) ** gamma * -y_true * log(p), axis)`` with ``p`` the predictions
    normalized to sum to 1 along ``axis`` and clipped to ``[eps, 1 - eps]``.

    ``alpha`` is a float or one weight per class; ``label_smoothing`` as in
    :func:`categorical_crossentropy`.
    """
    if isinstance(axis, bool):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis}")
    y_true, y_pred = _convert(y_true, y_pred)
    _check_same_shape("categorical_focal_crossentropy", y_true, y_pred)
    if y_pred.shape[-1] == 1:
        warnings.warn(
            "In loss categorical_focal_crossentropy, expected y_pred.shape to be "
            f"(batch_size, num_classes) with num_classes > 1. Received: "
            f"y_pred.shape={tuple(y_pred.shape)}. Consider using 'binary_crossentropy' if you "
            "only have 2 classes.", SyntaxWarning, stacklevel=2)
    if label_smoothing:
        num_classes = y_true.shape[-1]
        y_true = ops.add(ops.multiply(y_true, 1.0 - label_smoothing),
                         label_smoothing / num_classes)
    if from_logits:
        y_pred = ops.softmax(y_pred, axis=axis)
    eps = config.epsilon()
    output = ops.divide(y_pred, ops.sum(y_pred, axis=axis, keepdims=True))
    output = ops.clip(output, eps, 1.0 - eps)
    cce = ops.negative(ops.multiply(y_true, ops.log(output)))
    if not isinstance(alpha, (int, float)):
        alpha = xp.asarray(data_of(alpha), dtype=y_pred.dtype)  # one weight per class
    factor = ops.multiply(ops.power(ops.subtract(1.0, output), float(gamma)), alpha)
    return ops.sum(ops.multiply(factor, cce), axis=axis)


@register("loss")
def dice(y_true, y_pred, axis=None):
    """``1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred) + eps)``, the sums over
    ``axis`` (all axes when None: one value for the batch)."""
    y_true, y_pred = _convert(y_true, y_pred)
    _check_same_shape("dice", y_true, y_pred)
    intersection = ops.sum(ops.multiply(y_true, y_pred), axis=axis)
    total = ops.add(ops.add(ops.sum(y_true, axis=axis), ops.sum(y_pred, axis=axis)),
                    config.epsilon())
    return ops.subtract(1.0, ops.divide(ops.multiply(intersection, 2.0), total))


@register("loss")
def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """``1 - tp / (tp + alpha * fp + beta * fn + eps)`` with soft counts summed over ``axis``
    (all axes when None); ``alpha = beta = 0.5`` gives the Dice loss."""
    y_true, y_pred = _convert(y_true, y_pred)
    _check_same_shape("tversky", y_true, y_pred)
    tp = ops.sum(ops.multiply(y_true, y_pred), axis=axis)
    fp = ops.sum(ops.multiply(ops.subtract(1.0, y_pred), y_true), axis=axis)
    fn = ops.sum(ops.multiply(y_pred, ops.subtract(1.0, y_true)), axis=axis)
    denominator = ops.add(ops.add(ops.add(tp, ops.multiply(fp, alpha)),
                                  ops.multiply(fn, beta)), config.epsilon())
    return ops.subtract(1.0, ops.divide(tp, denominator))


def _int_labels(y_true, y_pred, name):
    """Integer labels (a trailing axis of 1 dropped) of shape ``y_pred.shape[:-1]``."""
    if trace.tracing[0] and trace.current() is not None:
        # what is built from these raw labels would be frozen into a tf.function's record
        trace.current().mark_escape(f"{name} computes its masks from the labels' values")
    labels = xp.asarray(data_of(y_true))
    if labels.ndim == len(y_pred.shape) and labels.shape[-1:] == (1,):
        labels = labels[..., 0]
    if labels.shape != tuple(y_pred.shape[:-1]):
        raise ValueError(
            f"{name}: y_true must hold one integer label per sample, of shape "
            f"{tuple(y_pred.shape[:-1])} for y_pred of shape {tuple(y_pred.shape)}. "
            f"Received y_true.shape={labels.shape}")
    return labels.astype("int32")


@register("loss")
def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True,
           gamma=80, margin=0.4):
    """Circle loss (Sun et al., 2020) between integer labels ``(batch,)`` and L2-normalized
    embeddings ``(batch, dim)``, against ``ref_embeddings``/``ref_labels`` (the batch itself
    by default); one value per sample.

    Pairs are compared by cosine distance; same-label pairs are pulled together and others
    pushed apart, each weighted by how far it is from its optimum (``margin``). Samples with
    no positive or no negative pair get 0 and are left out of the mean (Keras's mask).
    """
    y_pred = to_tensor(y_pred)
    if len(y_pred.shape) != 2:
        raise ValueError(f"circle: y_pred must have shape (batch, dim). Received "
                         f"y_pred.shape={tuple(y_pred.shape)}")
    labels = _int_labels(y_true, y_pred, "circle")
    ref_embeddings = y_pred if ref_embeddings is None else to_tensor(ref_embeddings,
                                                                     y_pred.dtype)
    ref_labels = labels if ref_labels is None else xp.asarray(
        data_of(ref_labels)).reshape(-1).astype("int32")
    distances = ops.subtract(1.0, ops.matmul(y_pred, ops.transpose(ref_embeddings)))
    distances = ops.maximum(distances, 0.0)
    positive = labels[:, None] == ref_labels[None, :]
    negative = ~positive
    if remove_diagonal:
        positive = positive & ~xp.eye(positive.shape[0], positive.shape[1], dtype=bool)
    dtype = y_pred.dtype
    pos_weights = ops.maximum(ops.multiply(ops.add(distances, margin), positive.astype(dtype)),
                              0.0)
    neg_weights = ops.maximum(ops.multiply(ops.subtract(1.0 + margin, distances),
                                           negative.astype(dtype)), 0.0)
    pos_logits = ops.multiply(ops.multiply(pos_weights, ops.subtract(margin, distances)),
                              -float(gamma))
    neg_logits = ops.multiply(ops.multiply(neg_weights, ops.subtract(1.0 - margin, distances)),
                              float(gamma))
    # a row without positives (or negatives) has loss softplus(-inf) = 0; its entries are
    # set finite so that its logsumexp, and so every gradient, stays finite
    valid = positive.any(axis=1) & negative.any(axis=1)
    fill = xp.where(valid[:, None], -xp.inf, 0.0).astype(dtype)
    p_loss = ops.logsumexp(ops.where(positive, pos_logits, fill), axis=1)
    n_loss = ops.logsumexp(ops.where(negative, neg_logits, fill), axis=1)
    loss = ops.where(valid, ops.softplus(ops.add(p_loss, n_loss)), 0.0)
    loss._keras_mask = data_of(loss) > 0
    return loss


# not registered by name: Keras's losses.get does not resolve it either (the class is)
def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """Generalized crossentropy (Zhang & Sabuncu, 2018) for integer labels: ``(1 - p ** q) / q``
    with ``p`` the probability of the true class; ``q`` in (0, 1) goes from crossentropy-like
    (near 0) to mean-absolute-error-like (near 1), more robust to noisy labels."""
    y_pred = to_tensor(y_pred)
    labels = _int_labels(y_true, y_pred, "categorical_generalized_cross_entropy")
    one_hot = ops.one_hot(labels, y_pred.shape[-1], dtype=y_pred.dtype)
    p = ops.sum(ops.multiply(y_pred, one_hot), axis=-1)
    return ops.divide(ops.subtract(1.0, ops.power(p, float(q))), float(q))


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


@register("loss")
class BinaryFocalCrossentropy(_Wrapper):
    """Binary crossentropy with a focal factor (see :func:`binary_focal_crossentropy`).

    Args:
        apply_class_balancing: weight class 1 by ``alpha`` and class 0 by ``1 - alpha``.
        alpha: the balancing weight of class 1.
        gamma: the focusing exponent (0 gives the binary crossentropy).
        from_logits, label_smoothing, axis: as :class:`BinaryCrossentropy`.
    """

    _args = ("from_logits", "label_smoothing", "axis", "apply_class_balancing", "alpha",
             "gamma")

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_focal_crossentropy", dtype=None):
        super().__init__(binary_focal_crossentropy, name=name, reduction=reduction, dtype=dtype,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.apply_class_balancing, self.alpha, self.gamma = apply_class_balancing, alpha, gamma
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis


@register("loss")
class CategoricalFocalCrossentropy(_Wrapper):
    """Categorical crossentropy with a focal factor (see
    :func:`categorical_focal_crossentropy`).

    Args:
        alpha: a weight for every class, or one per class (a list).
        gamma: the focusing exponent (0 gives ``alpha`` times the crossentropy).
        from_logits, label_smoothing, axis: as :class:`CategoricalCrossentropy`.
    """

    _args = ("from_logits", "label_smoothing", "axis", "alpha", "gamma")

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy",
                 dtype=None):
        super().__init__(categorical_focal_crossentropy, name=name, reduction=reduction,
                         dtype=dtype, alpha=alpha, gamma=gamma, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.alpha, self.gamma = alpha, gamma
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis


@register("loss")
class Dice(_Wrapper):
    """Dice loss (see :func:`dice`); ``axis`` (None: all axes) is what each value sums over."""

    _args = ("axis",)

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(dice, name=name, reduction=reduction, dtype=dtype, axis=axis)
        self.axis = axis


@register("loss")
class Tversky(_Wrapper):
    """Tversky loss (see :func:`tversky`): ``alpha`` weighs false positives, ``beta`` false
    negatives."""

    _args = ("alpha", "beta", "axis")

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky",
                 axis=None, dtype=None):
        super().__init__(tversky, name=name, reduction=reduction, dtype=dtype, alpha=alpha,
                         beta=beta, axis=axis)
        self.alpha, self.beta, self.axis = alpha, beta, axis


@register("loss")
class Circle(_Wrapper):
    """Circle loss between integer labels and L2-normalized embeddings (see :func:`circle`).

    Args:
        gamma: the scale of the similarity scores.
        margin: the relaxation margin.
        remove_diagonal: leave each sample's pair with itself out of its positives.
    """

    _args = ("gamma", "margin", "remove_diagonal")

    def __init__(self, gamma=80.0, margin=0.4, remove_diagonal=True,
                 reduction="sum_over_batch_size", name="circle", dtype=None):
        super().__init__(circle, name=name, reduction=reduction, dtype=dtype, gamma=gamma,
                         margin=margin, remove_diagonal=remove_diagonal)
        self.gamma, self.margin, self.remove_diagonal = gamma, margin, remove_diagonal


@register("loss")
class CategoricalGeneralizedCrossEntropy(_Wrapper):
    """Generalized crossentropy for integer labels (see
    :func:`categorical_generalized_cross_entropy`).

    Raises:
        ValueError: when ``q`` is not in (0, 1).
    """

    _args = ("q",)

    def __init__(self, q=0.5, reduction="sum_over_batch_size",
                 name="categorical_generalized_cross_entropy", dtype=None):
        if not 0 < q < 1:
            raise ValueError(f"q must be in the interval (0, 1). Received: q={q}")
        super().__init__(categorical_generalized_cross_entropy, name=name, reduction=reduction,
                         dtype=dtype, q=q)
        self.q = q


@register("loss")
def ctc(y_true, y_pred):
    """CTC loss per sample between integer labels ``y_true`` (batch, max_length), padded with
    0 (the blank, never a class), and logits ``y_pred`` (batch, frames, classes), every frame
    used (see :func:`ember.ops.ctc_loss`)."""
    shapes = f"Received: y_true.shape={ops.shape(y_true)}, y_pred.shape={ops.shape(y_pred)}"
    if len(ops.shape(y_true)) != 2:
        raise ValueError("ctc: targets y_true are expected to be a tensor of shape "
                         f"(batch_size, max_length) in integer format. {shapes}")
    if len(ops.shape(y_pred)) != 3:
        raise ValueError("ctc: logits y_pred are expected to be a tensor of shape "
                         f"(batch_size, max_length, num_classes). {shapes}")
    batch, frames = ops.shape(y_pred)[:2]
    # with ops, so that a replayed tf.function trace counts each call's labels
    label_length = ops.sum(ops.cast(ops.not_equal(y_true, 0), "int32"), axis=-1)
    return ops.ctc_loss(y_true, y_pred, label_length, xp.full((batch,), frames), mask_index=0)


@register("loss")
class CTC(_Wrapper):
    """CTC loss (see :func:`ctc`), reduced."""

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(ctc, name=name, reduction=reduction, dtype=dtype)
