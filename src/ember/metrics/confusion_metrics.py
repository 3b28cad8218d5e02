"""Confusion-matrix metrics: TruePositives, ..., Precision, Recall, AUC and the rates at a
target (PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity,
SpecificityAtSensitivity).

State is accumulated per threshold with vectorized NumPy: one comparison matrix
(thresholds x predictions) in general, or, for AUC's evenly spaced thresholds, one bucketing
pass (``bincount``) and a reversed cumulative sum, whatever the number of thresholds.
"""

from ember import config
from ember.backend import xp
from ember.metrics.metric import Metric, as_array, divide_no_nan, squeeze_or_expand
from ember.registry import register

NEG_INF = -1e10


def _thresholds(thresholds, default):
    if thresholds is None:
        return [default]
    values = list(thresholds) if isinstance(thresholds, (list, tuple)) else [thresholds]
    bad = [t for t in values if t is None or t < 0 or t > 1]
    if bad:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {bad}")
    return [float(t) for t in values]


def _evenly_distributed(thresholds):
    n = len(thresholds)
    if n < 3:
        return False
    even = xp.arange(n, dtype="float32") / (n - 1)
    return bool(xp.allclose(thresholds, even, atol=config.epsilon()))


def _filter_top_k(x, k):
    """Keep the ``k`` largest values of the last axis; the others become NEG_INF."""
    k = min(k, x.shape[-1])
    idx = xp.argpartition(-x, k - 1, axis=-1)[..., :k]
    mask = xp.zeros(x.shape, dtype=bool)
    xp.put_along_axis(mask, idx, True, axis=-1)
    return xp.where(mask, x, NEG_INF).astype(x.dtype)


def update_confusion_matrix(variables, y_true, y_pred, thresholds, top_k=None, class_id=None,
                            sample_weight=None, multi_label=False, label_weights=None,
                            evenly=False):
    """Add the weighted counts of ``{'tp','fp','tn','fn'}`` per threshold (a prediction is
    positive when strictly above the threshold) into the given Variables, as Keras."""
    dtype = next(iter(variables.values())).dtype
    y_true = as_array(y_true, dtype)
    y_pred = as_array(y_pred, dtype)
    thresholds = xp.asarray(thresholds, dtype=dtype)
    y_pred, y_true = squeeze_or_expand(y_pred, y_true)
    if y_pred.shape != y_true.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape for confusion-matrix metrics. "
            f"Received: y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}")
    if sample_weight is not None:
        sample_weight = as_array(sample_weight, dtype)[..., None]
        _, sample_weight = squeeze_or_expand(y_true, sample_weight, expand_rank_1=False)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError(
                "When class_id is provided, y_pred must be a 2D array with shape "
                f"(num_samples, num_classes), found shape: {y_pred.shape}")
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]
    weights = None
    if sample_weight is not None:
        weights = xp.broadcast_to(sample_weight, y_pred.shape)
    if label_weights is not None and not multi_label:
        lw = xp.broadcast_to(xp.asarray(label_weights, dtype=dtype), y_pred.shape)
        weights = lw if weights is None else weights * lw
    labels = (y_true != 0)
    if evenly:
        with_eps = bool(thresholds[0] < 0 or thresholds[-1] > 1)
        tp, fp, pos, neg = _bucket_counts(labels, y_pred, weights, len(thresholds),
                                          multi_label, with_eps)
        counts = {"tp": tp, "fp": fp, "tn": neg - fp, "fn": pos - tp}
    else:
        counts = _threshold_counts(labels, y_pred, weights, thresholds, multi_label)
    for key, var in variables.items():
        var.data += counts[key].astype(dtype, copy=False)


def _threshold_counts(labels, y_pred, weights, thresholds, multi_label):
    """tp/fp/tn/fn per threshold (and per label with ``multi_label``), in float64."""
    if not multi_label:
        labels, y_pred = labels.reshape(-1, 1), y_pred.reshape(-1, 1)
        if weights is not None:
            weights = weights.reshape(-1, 1)
    w = xp.ones(y_pred.shape) if weights is None else weights.astype("float64")
    pos_w = labels * w  # (N, L)
    neg_w = ~labels * w
    above = (y_pred[None] > thresholds[:, None, None]).astype("float64")  # (T, N, L)
    below = 1.0 - above
    counts = {"tp": (above * pos_w).sum(1), "fp": (above * neg_w).sum(1),
              "tn": (below * neg_w).sum(1), "fn": (below * pos_w).sum(1)}
    if not multi_label:
        counts = {k: v[:, 0] for k, v in counts.items()}
    return counts


def _bucket_counts(labels, y_pred, weights, num_thresholds, multi_label, with_eps):
    """Counts for evenly spaced thresholds: bucket each prediction, then reverse-cumsum."""
    y_pred = xp.clip(y_pred, 0.0, 1.0)
    w = xp.ones(y_pred.shape, y_pred.dtype) if weights is None else weights
    pos_w = labels * w
    neg_w = ~labels * w
    buckets = (xp.ceil(y_pred * (num_thresholds - 1)) - 1).astype(xp.intp)
    if with_eps:
        xp.maximum(buckets, 0, out=buckets)
    if multi_label:
        n_labels = y_pred.shape[-1]
        ids = buckets + num_thresholds * xp.arange(n_labels)  # one block of buckets per label
        valid = buckets >= 0
        size = num_thresholds * n_labels

        def count(values):
            c = xp.bincount(ids[valid], weights=values[valid], minlength=size)
            c = c.reshape(n_labels, num_thresholds)
            return xp.cumsum(c[:, ::-1], axis=1)[:, ::-1].T

        return count(pos_w), count(neg_w), pos_w.sum(0), neg_w.sum(0)
    buckets = buckets.reshape(-1)
    pos_w, neg_w = pos_w.reshape(-1), neg_w.reshape(-1)
    valid = buckets >= 0

    def count(values):
        c = xp.bincount(buckets[valid], weights=values[valid], minlength=num_thresholds)
        return xp.cumsum(c[::-1])[::-1]

    return count(pos_w), count(neg_w), pos_w.sum(), neg_w.sum()


class _ConfusionMetric(Metric):
    """A metric over some of tp/fp/tn/fn at a list of thresholds."""

    _kinds = ()
    _default_threshold = 0.5
    _variable_names = {"tp": "true_positives", "fp": "false_positives", "tn": "true_negatives",
                       "fn": "false_negatives"}

    def __init__(self, thresholds=None, name=None, dtype=None, top_k=None, class_id=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = NEG_INF if top_k is not None else self._default_threshold
        self.thresholds = _thresholds(thresholds, default)
        self._evenly = _evenly_distributed(self.thresholds)
        n = len(self.thresholds)
        names = {"tp": "true_positives", "fp": "false_positives", "tn": "true_negatives",
                 "fn": "false_negatives"}
        self._state = {k: self.add_variable((n,), name=self._variable_names[k])
                       for k in self._kinds}
        for k, var in self._state.items():
            setattr(self, names[k], var)

    def update_state(self, y_true, y_pred, sample_weight=None):
        update_confusion_matrix(self._state, y_true, y_pred, self.thresholds, top_k=self.top_k,
                                class_id=self.class_id, sample_weight=sample_weight,
                                evenly=self._evenly)

    def _scalar(self, value):
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self):
        config = {"thresholds": self.init_thresholds, "top_k": self.top_k,
                  "class_id": self.class_id}
        config.update(super().get_config())
        return config


class _CountMetric(_ConfusionMetric):
    # Keras names the one state variable of TruePositives & co. "accumulator"
    _variable_names = dict.fromkeys(("tp", "fp", "tn", "fn"), "accumulator")

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(thresholds=thresholds, name=name, dtype=dtype)
        self.accumulator = self._state[self._kinds[0]]

    def result(self):
        return self._scalar(self._state[self._kinds[0]].data.copy())

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "thresholds": self.init_thresholds}


@register("metric", aliases=("true_positives",))
class TruePositives(_CountMetric):
    """The weighted number of true positives (per threshold)."""

    _kinds = ("tp",)


@register("metric", aliases=("false_positives",))
class FalsePositives(_CountMetric):
    """The weighted number of false positives (per threshold)."""

    _kinds = ("fp",)


@register("metric", aliases=("true_negatives",))
class TrueNegatives(_CountMetric):
    """The weighted number of true negatives (per threshold)."""

    _kinds = ("tn",)


@register("metric", aliases=("false_negatives",))
class FalseNegatives(_CountMetric):
    """The weighted number of false negatives (per threshold)."""

    _kinds = ("fn",)


@register("metric", aliases=("precision",))
class Precision(_ConfusionMetric):
    """``tp / (tp + fp)`` at each threshold (a scalar for one threshold).

    Args:
        thresholds: a float or list of floats in [0, 1] (default 0.5; with ``top_k``, no
            threshold: the top-k predictions are the positives).
        top_k: only the ``k`` largest predictions of each sample count as positive.
        class_id: only this class (last axis index) is considered.
    """

    _kinds = ("tp", "fp")

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(thresholds=thresholds, name=name, dtype=dtype, top_k=top_k,
                         class_id=class_id)

    def result(self):
        tp, fp = self.true_positives.data, self.false_positives.data
        return self._scalar(divide_no_nan(tp, tp + fp))


@register("metric", aliases=("recall",))
class Recall(_ConfusionMetric):
    """``tp / (tp + fn)`` at each threshold (a scalar for one threshold); arguments as
    :class:`Precision`."""

    _kinds = ("tp", "fn")

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(thresholds=thresholds, name=name, dtype=dtype, top_k=top_k,
                         class_id=class_id)

    def result(self):
        tp, fn = self.true_positives.data, self.false_negatives.data
        return self._scalar(divide_no_nan(tp, tp + fn))


class SensitivitySpecificityBase(Metric):
    """The best value of one rate among the thresholds where another reaches a target.

    The counts are kept at ``num_thresholds`` evenly spaced thresholds in [0, 1] (0.5 alone
    for one threshold); ``class_id`` restricts them to one class (last axis index).
    Subclasses name the target and define ``_curves()``: ``(constrained, dependent)``.
    """

    _value_name = None

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        if value < 0 or value > 1:
            raise ValueError(f"Argument `{self._value_name}` must be in the range [0, 1]. "
                             f"Received: {self._value_name}={value}")
        if num_thresholds <= 0:
            raise ValueError("Argument `num_thresholds` must be an integer > 0. "
                             f"Received: num_thresholds={num_thresholds}")
        super().__init__(name=name, dtype=dtype)
        self.value = value
        setattr(self, self._value_name, value)
        self.num_thresholds = num_thresholds
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds = [0.5]
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = [0.0] + inner + [1.0]
        self._evenly = num_thresholds > 1
        n = len(self.thresholds)
        self.true_positives = self.add_variable((n,), name="true_positives")
        self.false_positives = self.add_variable((n,), name="false_positives")
        self.true_negatives = self.add_variable((n,), name="true_negatives")
        self.false_negatives = self.add_variable((n,), name="false_negatives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        variables = {"tp": self.true_positives, "fp": self.false_positives,
                     "tn": self.true_negatives, "fn": self.false_negatives}
        update_confusion_matrix(variables, y_true, y_pred, self.thresholds,
                                class_id=self.class_id, sample_weight=sample_weight,
                                evenly=self._evenly)

    def _rates(self):
        tp, fp = self.true_positives.data, self.false_positives.data
        tn, fn = self.true_negatives.data, self.false_negatives.data
        return {"recall": divide_no_nan(tp, tp + fn), "specificity": divide_no_nan(tn, tn + fp),
                "precision": divide_no_nan(tp, tp + fp)}

    def result(self):
        constrained, dependent = self._curves(self._rates())
        feasible = constrained >= self.value
        return xp.asarray(xp.where(feasible, dependent, 0).max(initial=0), dtype=self.dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"class_id": self.class_id, "num_thresholds": self.num_thresholds,
                       self._value_name: self.value})
        return config


@register("metric", aliases=("sensitivity_at_specificity",))
class SensitivityAtSpecificity(SensitivitySpecificityBase):
    """The best sensitivity (recall) at a specificity of at least ``specificity``."""

    _value_name = "specificity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds=num_thresholds, class_id=class_id,
                         name=name, dtype=dtype)

    def _curves(self, rates):
        return rates["specificity"], rates["recall"]


@register("metric", aliases=("specificity_at_sensitivity",))
class SpecificityAtSensitivity(SensitivitySpecificityBase):
    """The best specificity at a sensitivity (recall) of at least ``sensitivity``."""

    _value_name = "sensitivity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds=num_thresholds, class_id=class_id,
                         name=name, dtype=dtype)

    def _curves(self, rates):
        return rates["recall"], rates["specificity"]


@register("metric", aliases=("precision_at_recall",))
class PrecisionAtRecall(SensitivitySpecificityBase):
    """The best precision at a recall of at least ``recall``."""

    _value_name = "recall"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds=num_thresholds, class_id=class_id, name=name,
                         dtype=dtype)

    def _curves(self, rates):
        return rates["recall"], rates["precision"]


@register("metric", aliases=("recall_at_precision",))
class RecallAtPrecision(SensitivitySpecificityBase):
    """The best recall at a precision of at least ``precision``."""

    _value_name = "precision"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds=num_thresholds, class_id=class_id,
                         name=name, dtype=dtype)

    def _curves(self, rates):
        return rates["precision"], rates["recall"]


_CURVES = {"roc": "ROC", "pr": "PR"}
_SUMMATIONS = ("interpolation", "majoring", "minoring")


@register("metric", aliases=("auc",))
class AUC(Metric):
    """Area under the ROC or precision-recall curve, as ``keras.metrics.AUC``.

    The curve is discretized at ``num_thresholds`` thresholds: ``(i + 1) / (n - 1)`` for the
    inner ones plus ``-epsilon`` and ``1 + epsilon``. ``summation_method='interpolation'``
    (default) sums trapezoids for ROC and uses Davis & Goadrich's interpolation for PR;
    ``'minoring'``/``'majoring'`` give lower/upper Riemann sums.

    Args:
        num_thresholds: number of thresholds (> 1); ignored when ``thresholds`` is given.
        curve: ``'ROC'`` or ``'PR'``.
        summation_method: ``'interpolation'``, ``'minoring'`` or ``'majoring'``.
        thresholds: explicit thresholds in [0, 1].
        multi_label: one AUC per label (last axis), then their (weighted) mean.
        num_labels: the number of labels with ``multi_label`` (else found at the first update).
        label_weights: weights of the labels (the mean with ``multi_label``, else the points).
        from_logits: whether ``y_pred`` are logits (a sigmoid is applied).
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        curve_key = str(curve).lower()
        if curve_key not in _CURVES:
            raise ValueError(
                f'Invalid AUC curve value: "{curve}". Expected values are ["PR", "ROC"]')
        if str(summation_method).lower() not in _SUMMATIONS:
            raise ValueError(
                f'Invalid AUC summation method value: "{summation_method}". Expected values '
                'are ["interpolation", "majoring", "minoring"]')
        super().__init__(name=name, dtype=dtype)
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            thresholds = sorted(_thresholds(thresholds, 0.5))
            self.num_thresholds = len(thresholds) + 2
            self._evenly = _evenly_distributed([0.0] + thresholds + [1.0])
        else:
            if num_thresholds <= 1:
                raise ValueError(
                    "Argument `num_thresholds` must be an integer > 1. "
                    f"Received: num_thresholds={num_thresholds}")
            self.num_thresholds = num_thresholds
            thresholds = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        eps = config.epsilon()
        self._thresholds = xp.array([0.0 - eps] + thresholds + [1.0 + eps])
        self.curve = _CURVES[curve_key]
        self.summation_method = str(summation_method).lower()
        self.multi_label = multi_label
        self.num_labels = num_labels
        if label_weights is not None:
            label_weights = xp.asarray(label_weights, dtype=self.dtype)
            if (label_weights < 0).any():
                raise ValueError("All values of `label_weights` must be non-negative.")
        self.label_weights = label_weights
        self._from_logits = from_logits
        self._built = False
        if not multi_label:
            if num_labels:
                raise ValueError("`num_labels` is needed only when `multi_label` is True.")
            self._build(None)
        elif num_labels:
            self._build(num_labels)

    @property
    def thresholds(self):
        return list(self._thresholds)

    def _build(self, num_labels):
        shape = (self.num_thresholds,) if num_labels is None else (self.num_thresholds,
                                                                   num_labels)
        self._num_labels = num_labels
        self.true_positives = self.add_variable(shape, name="true_positives")
        self.false_positives = self.add_variable(shape, name="false_positives")
        self.true_negatives = self.add_variable(shape, name="true_negatives")
        self.false_negatives = self.add_variable(shape, name="false_negatives")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = as_array(y_pred)
        if not self._built:
            if y_pred.ndim != 2:
                raise ValueError(
                    "`y_pred` must have rank 2 when `multi_label=True`. Found rank "
                    f"{y_pred.ndim}. Full shape received for `y_pred`: {y_pred.shape}")
            self._build(y_pred.shape[1])
        if self._from_logits:
            e = xp.exp(-xp.abs(y_pred))
            y_pred = xp.where(y_pred >= 0, 1 / (1 + e), e / (1 + e))
        variables = {"tp": self.true_positives, "fp": self.false_positives,
                     "tn": self.true_negatives, "fn": self.false_negatives}
        update_confusion_matrix(variables, y_true, y_pred, self._thresholds,
                                sample_weight=sample_weight, multi_label=self.multi_label,
                                label_weights=None if self.multi_label else self.label_weights,
                                evenly=self._evenly)

    def _average(self, per_label):
        if self.label_weights is None:
            return per_label.mean()
        return divide_no_nan((per_label * self.label_weights).sum(), self.label_weights.sum())

    def interpolate_pr_auc(self):
        """PR-AUC with Davis & Goadrich's interpolation (true/false positives vary linearly
        between thresholds, not the precision)."""
        n = self.num_thresholds
        tp, fp, fn = (self.true_positives.data, self.false_positives.data,
                      self.false_negatives.data)
        dtp = tp[:n - 1] - tp[1:]
        p = tp + fp
        dp = p[:n - 1] - p[1:]
        slope = divide_no_nan(dtp, xp.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:n - 1] > 0) & (p[1:] > 0)
        ratio = xp.where(both, divide_no_nan(p[:n - 1], xp.maximum(p[1:], 0)), 1)
        increment = divide_no_nan(slope * (dtp + intercept * xp.log(ratio)),
                                  xp.maximum(tp[1:] + fn[1:], 0))
        if self.multi_label:
            return self._cast(self._average(increment.sum(axis=0)))
        return self._cast(increment.sum())

    def _cast(self, value):
        return xp.asarray(value, dtype=self.dtype)[()]

    def result(self):
        if not self._built:
            return self._cast(0.0)
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self.interpolate_pr_auc()
        n = self.num_thresholds
        tp, fp = self.true_positives.data, self.false_positives.data
        tn, fn = self.true_negatives.data, self.false_negatives.data
        recall = divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = divide_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, divide_no_nan(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:n - 1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = xp.minimum(y[:n - 1], y[1:])
        else:
            heights = xp.maximum(y[:n - 1], y[1:])
        terms = (x[:n - 1] - x[1:]) * heights
        if self.multi_label:
            return self._cast(self._average(terms.sum(axis=0)))
        return self._cast(terms.sum())

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        label_weights = self.label_weights
        config = {
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": None if label_weights is None else label_weights.tolist(),
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = [float(t) for t in self._thresholds[1:-1]]
        base = super().get_config()
        return {**base, **config}
