"""Correlation metrics: Pearson's and Lin's concordance correlation coefficients.

The functions are built from :mod:`ember.ops`, so they are differentiable (usable as losses);
the metrics are the means of their per-sample values.
"""

from ember import config, ops
from ember.losses.loss import squeeze_or_expand_to_same_rank, to_tensor
from ember.metrics.reduction_metrics import _FunctionMetric
from ember.registry import register


def _pair(y_true, y_pred):
    y_pred = to_tensor(y_pred)
    return squeeze_or_expand_to_same_rank(to_tensor(y_true, y_pred.dtype), y_pred)


def pearson_correlation(y_true, y_pred, axis=-1):
    """Pearson's correlation coefficient of ``y_true`` and ``y_pred`` along ``axis``
    (in [-1, 1]; NaN when either is constant along it)."""
    y_true, y_pred = _pair(y_true, y_pred)
    y_true = ops.subtract(y_true, ops.mean(y_true, axis=axis, keepdims=True))
    y_pred = ops.subtract(y_pred, ops.mean(y_pred, axis=axis, keepdims=True))
    y_true = ops.divide(y_true, ops.std(y_true, axis=axis, keepdims=True))
    y_pred = ops.divide(y_pred, ops.std(y_pred, axis=axis, keepdims=True))
    return ops.mean(ops.multiply(y_true, y_pred), axis=axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    """Lin's concordance correlation coefficient along ``axis``:
    ``2 cov / (var_true + var_pred + (mean_true - mean_pred)**2 + eps)``, which also
    penalizes a shift or scaling between the two (1 only when they are equal)."""
    y_true, y_pred = _pair(y_true, y_pred)
    true_mean = ops.mean(y_true, axis=axis, keepdims=True)
    pred_mean = ops.mean(y_pred, axis=axis, keepdims=True)
    true_var = ops.var(y_true, axis=axis, keepdims=True)
    pred_var = ops.var(y_pred, axis=axis, keepdims=True)
    covariance = ops.multiply(ops.subtract(y_true, true_mean), ops.subtract(y_pred, pred_mean))
    norm = ops.add(ops.add(true_var, pred_var), ops.square(ops.subtract(true_mean, pred_mean)))
    ratio = ops.divide(ops.multiply(covariance, 2.0), ops.add(norm, config.epsilon()))
    return ops.mean(ratio, axis=axis)


@register("metric", aliases=("pearson_correlation",))
class PearsonCorrelation(_FunctionMetric):
    """The mean Pearson correlation of the samples (see :func:`pearson_correlation`)."""

    _args = ("axis",)

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(pearson_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis


@register("metric", aliases=("concordance_correlation",))
class ConcordanceCorrelation(_FunctionMetric):
    """The mean concordance correlation of the samples (see :func:`concordance_correlation`)."""

    _args = ("axis",)

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(concordance_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis
