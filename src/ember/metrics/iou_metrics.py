"""Intersection-over-union metrics (IoU, MeanIoU, BinaryIoU, OneHotIoU, OneHotMeanIoU).

Predictions and labels are accumulated in a ``num_classes x num_classes`` confusion matrix
(rows: true class, columns: predicted class). As in Keras, its dtype is ``int32`` by default,
so float sample weights are truncated to integers; pass ``dtype='float32'`` for fractional
weights.
"""

import warnings

from ember import config
from ember.backend import xp
from ember.metrics.metric import Metric, as_array
from ember.registry import register


def _class_ids(x, dtype):
    """Class ids from labels or predictions: floats are truncated towards 0 (a cast)."""
    x = as_array(x)
    if x.dtype.kind == "f" and xp.dtype(dtype).kind != "f":
        x = xp.trunc(x)
    return x


class _IoUBase(Metric):
    """The confusion-matrix state shared by the IoU metrics."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        # integers by default, as Keras (its confusion matrix counts samples)
        super().__init__(name=name, dtype="int32" if dtype in (None, "int") else dtype)
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable((num_classes, num_classes),
                                          name="total_confusion_matrix")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add a batch to the confusion matrix: labels/predictions outside
        ``[0, num_classes)`` and labels equal to ``ignore_class`` are left out."""
        name = type(self).__name__
        y_true, y_pred = as_array(y_true), as_array(y_pred)
        if not self.sparse_y_true:
            y_true = xp.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = xp.argmax(y_pred, axis=self.axis)
        y_true = _class_ids(y_true, self.dtype).reshape(-1)
        y_pred = _class_ids(y_pred, self.dtype).reshape(-1)
        if y_true.shape != y_pred.shape:
            raise ValueError(
                f"{name}: y_true and y_pred must hold as many class ids. Received "
                f"{y_true.shape[0]} labels and {y_pred.shape[0]} predictions")
        if sample_weight is None:
            weights = xp.ones(y_true.shape, dtype=self.dtype)
        else:
            weights = as_array(sample_weight)
            if weights.dtype.kind == "f" and xp.dtype(self.dtype).kind != "f":
                warnings.warn(
                    f"{name}: float sample weights are truncated to the metric's dtype "
                    f"{self.dtype}; pass integer weights, or dtype='float32' to the metric.",
                    stacklevel=2)
            weights = weights.astype(self.dtype).reshape(-1)
            if weights.size == 1:
                weights = xp.full(y_true.shape, weights[0], dtype=self.dtype)
            elif weights.shape != y_true.shape:
                raise ValueError(
                    f"{name}: sample_weight ({weights.shape[0]} values) must have one weight "
                    f"per label ({y_true.shape[0]}) or be a scalar")
        n = self.num_classes
        valid = (y_true >= 0) & (y_true < n) & (y_pred >= 0) & (y_pred < n)
        if self.ignore_class is not None:
            valid &= y_true != self.ignore_class
        index = y_true[valid].astype(xp.intp) * n + y_pred[valid].astype(xp.intp)
        counts = xp.bincount(index, weights=weights[valid], minlength=n * n)
        self.total_cm.data[...] += counts.reshape(n, n).astype(self.dtype)


@register("metric", aliases=("io_u",))
class IoU(_IoUBase):
    """The mean intersection-over-union ``tp / (tp + fp + fn)`` of the classes in
    ``target_class_ids`` (classes never seen are left out of the mean).

    Args:
        num_classes: the number of classes.
        target_class_ids: the classes to average over.
        ignore_class: a label to leave out (e.g. a "void" class).
        sparse_y_true, sparse_y_pred: whether labels/predictions are class ids (else their
            argmax along ``axis`` is taken).
        axis: the class axis of dense inputs.

    Raises:
        ValueError: when a target class id is not below ``num_classes``.
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None,
                 ignore_class=None, sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)
        if max(target_class_ids) >= num_classes:
            raise ValueError(
                f"Target class id {max(target_class_ids)} is out of range, which is "
                f"[0, {num_classes}).")
        self.target_class_ids = list(target_class_ids)

    def result(self):
        cm = self.total_cm.data.astype("float32")
        tp = xp.diag(cm)
        denominator = cm.sum(axis=0) + cm.sum(axis=1) - tp
        ids = xp.asarray(self.target_class_ids, dtype=xp.intp)
        tp, denominator = tp[ids], denominator[ids]
        valid = denominator > 1e-9
        eps = config.epsilon()
        iou = xp.where(valid, tp / (denominator + eps), 0.0)
        return xp.asarray(iou.sum() / (valid.sum() + eps), dtype="float32")

    def get_config(self):
        config = super().get_config()
        config.update({"num_classes": self.num_classes,
                       "target_class_ids": self.target_class_ids,
                       "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                       "sparse_y_pred": self.sparse_y_pred, "axis": self.axis})
        return config


@register("metric", aliases=("binary_io_u",))
class BinaryIoU(IoU):
    """IoU of a binary task: predictions ``>= threshold`` are class 1, the others class 0.

    Args:
        target_class_ids: ``(0,)``, ``(1,)`` or ``(0, 1)`` (their mean).
        threshold: the decision threshold on the predictions.
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name,
                         dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = as_array(y_pred, "float32") >= self.threshold
        super().update_state(y_true, y_pred.astype(self.dtype), sample_weight)

    def get_config(self):
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold,
                "name": self.name, "dtype": self.dtype}


@register("metric", aliases=("mean_io_u",))
class MeanIoU(IoU):
    """IoU averaged over all ``num_classes`` classes (arguments as :class:`IoU`)."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, list(range(num_classes)), name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["target_class_ids"]
        return config


@register("metric", aliases=("one_hot_io_u",))
class OneHotIoU(IoU):
    """:class:`IoU` for one-hot labels (and, unless ``sparse_y_pred``, dense predictions):
    both are turned into class ids by an argmax along ``axis``."""

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None,
                 ignore_class=None, sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config


@register("metric", aliases=("one_hot_mean_io_u",))
class OneHotMeanIoU(MeanIoU):
    """:class:`MeanIoU` for one-hot labels (see :class:`OneHotIoU`)."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config
