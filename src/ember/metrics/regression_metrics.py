"""Regression, probabilistic and hinge metrics (means of per-sample values), and R2Score.

The regression functions are computed on NumPy arrays directly; the probabilistic and hinge
metrics reuse the loss functions on raw arrays (so nothing is recorded on a tape).
"""

import math
import warnings

from ember import config, losses
from ember.autodiff.tensor import data_of
from ember.backend import xp
from ember.metrics.metric import Metric, as_array, squeeze_or_expand
from ember.metrics.reduction_metrics import Mean, _FunctionMetric
from ember.registry import register


def _pair(y_true, y_pred):
    y_pred = as_array(y_pred)
    if y_pred.dtype.kind != "f":
        y_pred = y_pred.astype(config.floatx())
    y_true = as_array(y_true, y_pred.dtype)
    return squeeze_or_expand(y_true, y_pred)


def _mse(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    d = y_true - y_pred
    return (d * d).mean(axis=-1)


def _mae(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    return xp.abs(y_true - y_pred).mean(axis=-1)


def _mape(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    diff = xp.abs((y_true - y_pred) / xp.maximum(xp.abs(y_true), config.epsilon()))
    return 100.0 * diff.mean(axis=-1)


def _msle(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    eps = config.epsilon()
    d = xp.log(xp.maximum(y_pred, eps) + 1.0) - xp.log(xp.maximum(y_true, eps) + 1.0)
    return (d * d).mean(axis=-1)


def _logcosh(y_true, y_pred):
    y_true, y_pred = _pair(y_true, y_pred)
    x = y_pred - y_true
    return (x + xp.logaddexp(-2.0 * x, 0.0) - math.log(2.0)).mean(axis=-1)


def _cosine(y_true, y_pred, axis=-1):
    y_true, y_pred = _pair(y_true, y_pred)
    eps = config.epsilon()
    t = y_true / xp.sqrt(xp.maximum((y_true * y_true).sum(axis, keepdims=True), eps))
    p = y_pred / xp.sqrt(xp.maximum((y_pred * y_pred).sum(axis, keepdims=True), eps))
    return (t * p).sum(axis=axis)


def _raw(fn):
    """A loss function evaluated on raw arrays, returning a NumPy array."""

    def metric_fn(y_true, y_pred, **kwargs):
        return data_of(fn(y_true, y_pred, **kwargs))

    metric_fn.__name__ = fn.__name__
    return metric_fn


@register("metric", aliases=("mean_squared_error", "mse", "MSE"))
class MeanSquaredError(_FunctionMetric):
    """Mean squared error."""

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(_mse, name=name, dtype=dtype)


@register("metric", aliases=("mean_absolute_error", "mae", "MAE"))
class MeanAbsoluteError(_FunctionMetric):
    """Mean absolute error."""

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(_mae, name=name, dtype=dtype)


@register("metric", aliases=("mean_absolute_percentage_error", "mape", "MAPE"))
class MeanAbsolutePercentageError(_FunctionMetric):
    """Mean absolute percentage error."""

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(_mape, name=name, dtype=dtype)


@register("metric", aliases=("mean_squared_logarithmic_error", "msle", "MSLE"))
class MeanSquaredLogarithmicError(_FunctionMetric):
    """Mean squared logarithmic error."""

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(_msle, name=name, dtype=dtype)


@register("metric", aliases=("log_cosh_error",))
class LogCoshError(_FunctionMetric):
    """Mean of ``log(cosh(y_pred - y_true))``."""

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(_logcosh, name=name, dtype=dtype)


@register("metric", aliases=("cosine_similarity",))
class CosineSimilarity(_FunctionMetric):
    """Mean cosine similarity between labels and predictions (1 for equal directions)."""

    _args = ("axis",)

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(_cosine, name=name, dtype=dtype, axis=axis)


@register("metric", aliases=("root_mean_squared_error",))
class RootMeanSquaredError(Mean):
    """``sqrt(mean(square(y_true - y_pred)))`` over all values seen."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _pair(y_true, y_pred)
        d = y_pred - y_true
        super().update_state(d * d, sample_weight)

    def result(self):
        return xp.sqrt(super().result())

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


@register("metric", aliases=("binary_crossentropy", "bce", "BCE"))
class BinaryCrossentropy(_FunctionMetric):
    """Mean binary crossentropy."""

    _args = ("from_logits", "label_smoothing")

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0):
        super().__init__(_raw(losses.binary_crossentropy), name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing)


@register("metric", aliases=("categorical_crossentropy",))
class CategoricalCrossentropy(_FunctionMetric):
    """Mean categorical crossentropy."""

    _args = ("from_logits", "label_smoothing", "axis")

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0, axis=-1):
        super().__init__(_raw(losses.categorical_crossentropy), name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


@register("metric", aliases=("sparse_categorical_crossentropy",))
class SparseCategoricalCrossentropy(_FunctionMetric):
    """Mean sparse categorical crossentropy. With ``ignore_class``, those labels contribute
    0 but still count in the mean (as Keras's metric: only a mask on ``y_pred`` removes
    entries)."""

    _args = ("from_logits", "ignore_class", "axis")

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
                 ignore_class=None, axis=-1):
        super().__init__(_raw(losses.sparse_categorical_crossentropy), name=name, dtype=dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self._fn_kwargs["ignore_class"] is None or sample_weight is None:
            return super().update_state(y_true, y_pred, sample_weight)
        # Keras drops the ignored labels from the mean only when there are sample weights:
        # the loss's validity mask then merges into them
        from ember.losses.loss import apply_mask
        from ember.losses.losses import _sparse_ce

        kw = self._fn_kwargs
        values, valid = _sparse_ce(y_true, data_of(y_pred), kw["from_logits"],
                                   kw["ignore_class"], kw["axis"])
        sample_weight = apply_mask(sample_weight, valid, self.dtype, "sum")
        in_mask = getattr(y_pred, "_keras_mask", None)
        if in_mask is not None:
            sample_weight = apply_mask(sample_weight, in_mask, self.dtype, "sum")
        Mean.update_state(self, data_of(values), sample_weight)


@register("metric", aliases=("kl_divergence", "kld", "KLD"))
class KLDivergence(_FunctionMetric):
    """Mean Kullback-Leibler divergence."""

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(_raw(losses.kl_divergence), name=name, dtype=dtype)


@register("metric", aliases=("poisson",))
class Poisson(_FunctionMetric):
    """Mean Poisson loss."""

    def __init__(self, name="poisson", dtype=None):
        super().__init__(_raw(losses.poisson), name=name, dtype=dtype)


@register("metric", aliases=("hinge",))
class Hinge(_FunctionMetric):
    """Mean hinge loss."""

    def __init__(self, name="hinge", dtype=None):
        super().__init__(_raw(losses.hinge), name=name, dtype=dtype)


@register("metric", aliases=("squared_hinge",))
class SquaredHinge(_FunctionMetric):
    """Mean squared hinge loss."""

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(_raw(losses.squared_hinge), name=name, dtype=dtype)


@register("metric", aliases=("categorical_hinge",))
class CategoricalHinge(_FunctionMetric):
    """Mean categorical hinge loss."""

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(_raw(losses.categorical_hinge), name=name, dtype=dtype)


_CLASS_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


@register("metric", aliases=("r2_score",))
class R2Score(Metric):
    """The coefficient of determination ``1 - sum((y - y_pred)**2) / sum((y - mean(y))**2)``,
    per output column, over all samples seen.

    Args:
        class_aggregation: None (one score per column), ``'uniform_average'`` (their mean)
            or ``'variance_weighted_average'`` (their mean weighted by each column's
            variance).
        num_regressors: the number of independent variables, for the adjusted R2
            ``1 - (1 - r2) * (n - 1) / (n - p - 1)`` (``n``: the number of values seen); 0
            (default) gives the plain R2, as does a ``p >= n - 1`` (with a warning).

    Inputs are ``(batch, num_outputs)``; the state is built at the first update. Before it,
    ``result()`` is 0.
    """

    def __init__(self, class_aggregation="uniform_average", num_regressors=0,
                 name="r2_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        if class_aggregation not in _CLASS_AGGREGATIONS:
            raise ValueError(
                "Invalid value for argument `class_aggregation`. Expected one of "
                f"{_CLASS_AGGREGATIONS}. Received: class_aggregation={class_aggregation}")
        if num_regressors < 0:
            raise ValueError(
                "Invalid value for argument `num_regressors`. Expected a value >= 0. "
                f"Received: num_regressors={num_regressors}")
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable((), name="num_samples")
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                "R2Score expects 2D inputs with shape (batch_size, output_dim). Received "
                f"input shapes: y_pred.shape={y_pred_shape} and y_true.shape={y_true_shape}.")
        n = y_pred_shape[-1]
        self.squared_sum = self.add_variable((n,), name="squared_sum")
        self.sum = self.add_variable((n,), name="sum")
        self.total_mse = self.add_variable((n,), name="residual")
        self.count = self.add_variable((n,), name="count")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulate the (weighted) sums the score needs."""
        y_true, y_pred = squeeze_or_expand(as_array(y_true, self.dtype),
                                           as_array(y_pred, self.dtype))
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        if y_true.shape != y_pred.shape or y_pred.shape[-1:] != self.sum.shape:
            raise ValueError(
                f"R2Score: y_true and y_pred must both have shape (batch_size, "
                f"{self.sum.shape[0]}). Received y_true.shape={y_true.shape}, "
                f"y_pred.shape={y_pred.shape}")
        given = xp.ones((), self.dtype) if sample_weight is None else as_array(
            sample_weight, self.dtype)
        weights = given[:, None] if given.ndim == 1 else given  # one weight per sample
        try:
            weights = xp.broadcast_to(weights, y_true.shape)
        except ValueError:
            raise ValueError(
                f"R2Score: sample_weight of shape {given.shape} does not broadcast to the "
                f"inputs' shape {y_true.shape}") from None
        weighted = y_true * weights
        self.sum.data[...] += weighted.sum(axis=0)
        self.squared_sum.data[...] += (y_true * weighted).sum(axis=0)
        self.total_mse.data[...] += ((y_true - y_pred) ** 2 * weights).sum(axis=0)
        self.count.data[...] += weights.sum(axis=0)
        self.num_samples.data[()] += y_true.size

    def result(self):
        if not self._built:
            return xp.asarray(0.0, dtype=self.dtype)
        with xp.errstate(divide="ignore", invalid="ignore"):
            mean = self.sum.data / self.count.data
            total = self.squared_sum.data - self.sum.data * mean
            raw_scores = 1 - self.total_mse.data / total
            raw_scores = xp.where(xp.isinf(raw_scores), 0.0, raw_scores)
            if self.class_aggregation == "uniform_average":
                score = raw_scores.mean()
            elif self.class_aggregation == "variance_weighted_average":
                score = (total * raw_scores).sum() / total.sum()
            else:
                score = raw_scores
        n, p = float(self.num_samples.data), self.num_regressors
        if p:
            if p > n - 1:
                warnings.warn("More independent predictors than datapoints in adjusted R2 "
                              "score. Falling back to standard R2 score.", stacklevel=2)
            elif p == n - 1:
                warnings.warn("Division by zero in Adjusted R2 score. Falling back to "
                              "standard R2 score.", stacklevel=2)
            else:
                score = 1.0 - (1.0 - score) * (n - 1.0) / (n - p - 1.0)
        return xp.asarray(score, dtype=self.dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"class_aggregation": self.class_aggregation,
                       "num_regressors": self.num_regressors})
        return config
