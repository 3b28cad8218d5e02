"""The Loss base class and Keras's reductions.

``Loss.__call__(y_true, y_pred, sample_weight=None)`` converts its inputs to the loss's dtype
(float32 by default), computes per-sample values with ``call`` and reduces them to a scalar
Tensor built from :mod:`ember.ops`, so gradients flow through it:

* ``'sum_over_batch_size'`` (default) and ``'mean'``: the sum of the (weighted) values divided
  by their number;
* ``'sum'``: the sum;
* ``'mean_with_sample_weight'``: the sum divided by the sum of the sample weights;
* ``'none'`` / ``None``: the per-sample values.
"""

from ember import config, ops, registry
from ember.autodiff.tensor import Tensor, data_of
from ember.backend import xp

REDUCTIONS = ("sum_over_batch_size", "sum", None, "none", "mean", "mean_with_sample_weight")


def standardize_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(
            "Invalid value for argument `reduction`. Expected one of "
            f"{set(REDUCTIONS)}. Received: reduction={reduction!r}")
    return reduction


def to_tensor(x, dtype=None):
    """A Tensor of ``dtype`` (when given): Tensors are cast with an op, so gradients flow."""
    if isinstance(x, Tensor):
        if dtype is not None and x.dtype != dtype:
            return ops.cast(x, dtype)
        return x
    array = xp.asarray(x)
    if dtype is not None and array.dtype != dtype:
        array = array.astype(dtype)
    elif dtype is None and array.dtype == "float64" and not isinstance(x, xp.ndarray):
        array = array.astype(config.floatx())
    return Tensor(array)


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Make ranks equal when they differ by one and the longer has a trailing 1 (as Keras)."""
    r1, r2 = len(x1.shape), len(x2.shape)
    if r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = ops.expand_dims(x2, -1)
        else:
            x1 = ops.squeeze(x1, -1)
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = ops.expand_dims(x1, -1)
        else:
            x2 = ops.squeeze(x2, -1)
    return x1, x2


def apply_mask(sample_weight, mask, dtype, reduction):
    """Merge a boolean mask into the sample weights (raw arrays; masks carry no gradient).

    For the mean reductions the valid entries get weight ``total / valid``, so the mean runs
    over the valid entries only.
    """
    if mask is None:
        return sample_weight
    mask = xp.asarray(data_of(mask)).astype(dtype)
    if reduction in ("mean", "sum_over_batch_size"):
        valid = float(mask.sum())
        mask = mask * (mask.size / valid if valid else 0.0)
    if sample_weight is None:
        return mask
    sample_weight = xp.asarray(data_of(sample_weight), dtype=dtype)
    mask, sample_weight = _same_rank_arrays(mask, sample_weight)
    return sample_weight * mask


def _same_rank_arrays(a, b):
    """``squeeze_or_expand_to_same_rank`` on raw arrays: a rank-1 side is expanded (so a
    ``(B,)`` mask with ``(B, 1)`` weights gives ``(B, 1)`` weights, as in Keras)."""
    if a.ndim == b.ndim + 1 and a.shape[-1] == 1:
        if b.ndim == 1:
            b = b[..., None]
        else:
            a = a[..., 0]
    elif b.ndim == a.ndim + 1 and b.shape[-1] == 1:
        if a.ndim == 1:
            a = a[..., None]
        else:
            b = b[..., 0]
    return a, b


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    if reduction is None or reduction == "none" or values.shape in ((), (0,)):
        return values
    if reduction == "sum":
        return ops.sum(values)
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        total = float(xp.sum(data_of(sample_weight)))
        loss = ops.sum(values)
        return ops.multiply(loss, 1.0 / total if total else 0.0)
    return ops.mean(values)


def reduce_weighted_values(values, sample_weight=None, mask=None,
                           reduction="sum_over_batch_size", dtype=None):
    """Weight ``values`` by ``sample_weight`` (and ``mask``) and reduce them."""
    reduction = standardize_reduction(reduction)
    dtype = dtype or config.floatx()
    values = to_tensor(values, dtype)
    sample_weight = apply_mask(sample_weight, mask, dtype, reduction)
    if sample_weight is not None:
        sample_weight = to_tensor(sample_weight, dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        values = ops.multiply(values, sample_weight)
    return reduce_values(values, sample_weight, reduction)


class Loss:
    """Base class of the losses, as ``keras.losses.Loss``.

    Args:
        name: the loss's name (defaults to the snake-case class name).
        reduction: see the module docstring; ``'sum_over_batch_size'`` by default.
        dtype: the dtype of the computation (``floatx()`` by default).

    Subclasses implement ``call(y_true, y_pred)``, returning per-sample values.
    """

    #: whether ``y_true`` is cast to the loss's dtype (integer labels stay integers otherwise)
    _cast_y_true = True

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or registry.to_snake_case(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self._dtype_arg = dtype
        self.dtype = str(xp.dtype(dtype or config.floatx()))

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The reduced loss: a scalar Tensor (per-sample values for reduction ``'none'``)."""
        y_pred = to_tensor(y_pred, self.dtype)
        if self._cast_y_true:
            y_true = to_tensor(y_true, self.dtype)
        else:
            y_true = to_tensor(y_true)
            if y_true.dtype.kind == "f" and y_true.dtype != self.dtype:
                y_true = to_tensor(y_true, self.dtype)
        values, mask = self._call_with_mask(y_true, y_pred)
        in_mask = getattr(y_pred, "_keras_mask", None)
        if in_mask is not None:
            mask = in_mask if mask is None else xp.logical_and(data_of(in_mask), mask)
        return reduce_weighted_values(values, sample_weight=sample_weight, mask=mask,
                                      reduction=self.reduction, dtype=self.dtype)

    def _call_with_mask(self, y_true, y_pred):
        # a loss may mark which values count (as Keras's output mask: Circle's positive ones)
        values = self.call(y_true, y_pred)
        return values, getattr(values, "_keras_mask", None)

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred)")

    def get_config(self):
        config = {"name": self.name, "reduction": self.reduction}
        if self._dtype_arg is not None:
            config["dtype"] = self.dtype
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


@registry.register("loss")
class LossFunctionWrapper(Loss):
    """A Loss around a function ``fn(y_true, y_pred, **kwargs)`` returning per-sample values
    (this is how custom loss functions given to ``compile`` are used)."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction,
                         dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        config = super().get_config()
        config["fn"] = registry.serialize(self.fn)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "fn" in config:
            fn = config.pop("fn")
            if isinstance(fn, (str, dict)):
                fn = registry.deserialize(fn, kind="loss")
            return cls(fn, **config)
        return cls(**config)

    def __repr__(self):
        return f"<LossFunctionWrapper({self.fn}, kwargs={self._fn_kwargs})>"
