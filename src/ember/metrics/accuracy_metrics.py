"""Accuracy metrics and their functions (on NumPy arrays; they return per-sample matches)."""

from ember import config
from ember.backend import xp
from ember.metrics.metric import as_array, squeeze_or_expand
from ember.metrics.reduction_metrics import _FunctionMetric
from ember.registry import register


def _floatx(matches):
    return matches.astype(config.floatx())


@register("metric_function")
def accuracy(y_true, y_pred):
    """How often ``y_pred`` equals ``y_true`` (mean over the last axis)."""
    y_pred = as_array(y_pred)
    y_true = as_array(y_true)
    y_true, y_pred = squeeze_or_expand(y_true, y_pred)
    matches = _floatx(y_true == y_pred)
    return matches.mean(axis=-1) if matches.ndim else matches


@register("metric_function")
def binary_accuracy(y_true, y_pred, threshold=0.5):
    """How often ``y_pred > threshold`` equals the binary ``y_true`` (mean over the last
    axis)."""
    y_true = as_array(y_true)
    y_pred = as_array(y_pred)
    y_true, y_pred = squeeze_or_expand(y_true, y_pred)
    matches = _floatx(y_true == (y_pred > threshold))
    return matches.mean(axis=-1) if matches.ndim else matches


@register("metric_function")
def categorical_accuracy(y_true, y_pred):
    """How often the argmax of ``y_pred`` equals the argmax of one-hot ``y_true``."""
    y_true = as_array(y_true).argmax(axis=-1)
    y_pred = as_array(y_pred)
    shape = y_true.shape
    reshape = False
    if y_true.ndim == y_pred.ndim:
        y_true = y_true[..., 0]
        reshape = True
    matches = _floatx(y_true == y_pred.argmax(axis=-1))
    return matches.reshape(shape) if reshape else matches


@register("metric_function")
def sparse_categorical_accuracy(y_true, y_pred):
    """How often the argmax of ``y_pred`` equals the integer label ``y_true``."""
    y_true = as_array(y_true)
    y_pred = as_array(y_pred)
    shape = y_true.shape
    reshape = False
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
        reshape = True
    matches = _floatx(y_true == y_pred.argmax(axis=-1))
    if reshape:
        matches = matches.reshape(shape)
    if matches.ndim > 1 and matches.shape[-1] == 1:
        matches = matches[..., 0]
    return matches


def _in_top_k(targets, predictions, k):
    """Whether each target's prediction is among the ``k`` largest (ties count as in)."""
    k = min(k, predictions.shape[-1])
    kth = -xp.partition(-predictions, k - 1, axis=-1)[:, k - 1]
    target_values = xp.take_along_axis(predictions, targets[:, None].astype(xp.intp), axis=-1)
    return target_values[:, 0] >= kth


@register("metric_function")
def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """How often the one-hot target is among the top ``k`` predictions."""
    y_true = as_array(y_true).argmax(axis=-1)
    return _top_k(y_true, as_array(y_pred), k)


@register("metric_function")
def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """How often the integer target is among the top ``k`` predictions (with
    ``from_sorted_ids``, ``y_pred`` holds class ids sorted by score)."""
    y_true = as_array(y_true)
    y_pred = as_array(y_pred)
    if from_sorted_ids:
        if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
            y_true = y_true[..., 0]
        return _floatx((y_pred[..., :k] == y_true[..., None]).any(axis=-1))
    return _top_k(y_true, y_pred, k)


def _top_k(y_true, y_pred, k):
    shape = y_true.shape
    if y_pred.ndim > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    if y_true.ndim > 1:
        y_true = y_true.reshape(-1)
    matches = _floatx(_in_top_k(y_true, y_pred, k))
    return matches.reshape(shape) if len(shape) > 1 else matches


@register("metric", aliases=("accuracy",))
class Accuracy(_FunctionMetric):
    """How often predictions equal labels."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)


@register("metric", aliases=("binary_accuracy",))
class BinaryAccuracy(_FunctionMetric):
    """How often ``y_pred > threshold`` matches binary labels."""

    _args = ("threshold",)

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        if threshold is not None and (threshold <= 0 or threshold >= 1):
            raise ValueError(
                "Invalid value for argument `threshold`. Expected a value in interval (0, 1). "
                f"Received: threshold={threshold}")
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold


@register("metric", aliases=("categorical_accuracy",))
class CategoricalAccuracy(_FunctionMetric):
    """How often the argmax of predictions matches one-hot labels."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


@register("metric", aliases=("sparse_categorical_accuracy",))
class SparseCategoricalAccuracy(_FunctionMetric):
    """How often the argmax of predictions matches integer labels."""

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        if sample_weight is None and getattr(y_pred, "_keras_mask", None) is None:
            y_true, y_pred = as_array(y_true), as_array(y_pred)
            if y_pred.ndim == 2 and (y_true.ndim == 1 or (y_true.ndim == 2
                                                          and y_true.shape[1] == 1)):
                # fast path (called every training step): count matches directly
                hits = xp.count_nonzero(y_true.reshape(-1) == y_pred.argmax(axis=-1))
                self.total.data[()] += hits
                self.count.data[()] += y_pred.shape[0]
                return
        super().update_state(y_true, y_pred, sample_weight)


@register("metric", aliases=("top_k_categorical_accuracy",))
class TopKCategoricalAccuracy(_FunctionMetric):
    """How often one-hot targets are among the top ``k`` predictions."""

    _args = ("k",)

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k


@register("metric", aliases=("sparse_top_k_categorical_accuracy",))
class SparseTopKCategoricalAccuracy(_FunctionMetric):
    """How often integer targets are among the top ``k`` predictions."""

    _args = ("k",)

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None,
                 from_sorted_ids=False):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k,
                         from_sorted_ids=from_sorted_ids)
        self.k = k
        self.from_sorted_ids = from_sorted_ids

    def get_config(self):
        config = super().get_config()
        if self.from_sorted_ids:
            config["from_sorted_ids"] = True
        return config
