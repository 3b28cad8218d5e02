"""Sum, Mean and MeanMetricWrapper (a Mean over the values of a function)."""

from ember import registry
from ember.autodiff.tensor import data_of
from ember.backend import xp
from ember.metrics.metric import Metric, as_array, divide_no_nan, squeeze_or_expand
from ember.registry import register


def reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype):
    """Weight ``values`` and reduce them to one value per sample (Keras's rule): values with
    more dimensions than the weights are reduced over the extra axes first."""
    values = as_array(values, dtype)
    if sample_weight is not None:
        sample_weight = as_array(sample_weight, dtype)
        values, sample_weight = squeeze_or_expand(values, sample_weight)
        weight_ndim = sample_weight.ndim
        if values.ndim > weight_ndim:
            values = reduce_fn(values, axis=tuple(range(weight_ndim, values.ndim)))
        sample_weight = xp.broadcast_to(sample_weight, values.shape)
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, weight_ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


@register("metric", aliases=("sum",))
class Sum(Metric):
    """The (weighted) sum of the values seen."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise_values(values, sample_weight, xp.sum, self.dtype)
        self.total.data[()] += values.sum()

    def result(self):
        return self.total.data[()]


@register("metric", aliases=("mean",))
class Mean(Metric):
    """The (weighted) mean of the values seen: ``total / count``."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), name="total")
        self.count = self.add_variable((), name="count")

    def update_state(self, values, sample_weight=None):
        if isinstance(sample_weight, (int, float)) and xp.ndim(data_of(values)) == 0:
            # fast path for a scalar weighted by the batch size (the trainer's loss tracker)
            self.total.data[()] += float(data_of(values)) * sample_weight
            self.count.data[()] += sample_weight
            return
        if sample_weight is None:
            values = as_array(values)
            if values.ndim == 1:  # the common case: one value per sample
                self.total.data[()] += values.sum(dtype=self.dtype)
                self.count.data[()] += values.shape[0]
                return
            if values.ndim == 0:
                self.total.data[()] += values
                self.count.data[()] += 1
                return
        values, sample_weight = reduce_to_samplewise_values(values, sample_weight, xp.mean,
                                                            self.dtype)
        self.total.data[()] += values.sum()
        if sample_weight is not None:
            self.count.data[()] += sample_weight.sum()
        else:
            self.count.data[()] += values.shape[0] if values.ndim >= 1 else 1

    def result(self):
        return divide_no_nan(self.total.data, self.count.data)[()]


@register("metric")
class MeanMetricWrapper(Mean):
    """The mean of ``fn(y_true, y_pred, **kwargs)`` over all samples seen.

    ``fn`` receives the raw NumPy arrays (metrics do not record on a tape); it may return an
    array or a Tensor of per-sample values.
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        mask = getattr(y_pred, "_keras_mask", None)
        values = data_of(self._fn(data_of(y_true), data_of(y_pred), **self._fn_kwargs))
        if mask is not None:
            from ember.losses.loss import apply_mask

            sample_weight = apply_mask(sample_weight, mask, self.dtype, "sum")
        Mean.update_state(self, values, sample_weight)

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype, "fn": registry.serialize(self._fn)}
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(resolve_function(config.pop("fn")), **config)


def resolve_function(fn):
    """A metric function from its serialized form: a metric function's or a loss function's
    name, or a registered custom function's envelope."""
    if isinstance(fn, str):
        for kind in ("metric_function", "loss"):
            obj = registry.get_registered_object(fn, kind=kind)
            if obj is not None:
                return obj
        return registry.lookup("metric_function", fn)
    if isinstance(fn, dict):
        return registry.deserialize(fn, kind="loss")
    return fn


class _FunctionMetric(MeanMetricWrapper):
    """A built-in MeanMetricWrapper: its config is its constructor arguments."""

    _fn_default = None
    _args = ()

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype}
        config.update({k: self._fn_kwargs[k] for k in self._args})
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)
