"""F-scores: FBetaScore and F1Score, per class or averaged, as ``keras.metrics``."""

from ember import config
from ember.backend import xp
from ember.metrics.metric import Metric, as_array
from ember.registry import register

_AVERAGES = (None, "micro", "macro", "weighted")


@register("metric", aliases=("f_beta_score",))
class FBetaScore(Metric):
    """``(1 + beta**2) * precision * recall / (beta**2 * precision + recall)`` per class.

    Args:
        average: None (one score per class), ``'micro'`` (from the counts summed over the
            classes), ``'macro'`` (the mean of the per-class scores) or ``'weighted'`` (their
            mean weighted by each class's number of true labels).
        beta: a positive Python float; recall weighs ``beta`` times as much as precision.
        threshold: predictions above it are positive; None (default): each sample's largest
            prediction is (unless it is 0).

    Inputs are ``(batch, num_classes)``; the state is built at the first update. Before it,
    ``result()`` is 0.
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score",
                 dtype=None):
        super().__init__(name=name, dtype=dtype)
        if average not in _AVERAGES:
            raise ValueError(
                "Invalid `average` argument value. Expected one of: {None, 'micro', 'macro', "
                f"'weighted'}}. Received: average={average}")
        if not isinstance(beta, float):
            raise ValueError(
                "Invalid `beta` argument value. It should be a Python float. "
                f"Received: beta={beta} of type '{type(beta)}'")
        if beta <= 0.0:
            raise ValueError(f"Invalid `beta` argument value. It should be > 0. "
                             f"Received: beta={beta}")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(
                    "Invalid `threshold` argument value. It should be a Python float. "
                    f"Received: threshold={threshold} of type '{type(threshold)}'")
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError(
                    "Invalid `threshold` argument value. It should verify 0 < threshold <= 1. "
                    f"Received: threshold={threshold}")
        self.average = average
        self.beta = beta
        self.threshold = threshold
        # micro-averaging sums the counts over the classes too
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                f"{type(self).__name__} expects 2D inputs with shape (batch_size, output_dim). "
                f"Received input shapes: y_pred.shape={y_pred_shape} and "
                f"y_true.shape={y_true_shape}.")
        shape = () if self.average == "micro" else (y_pred_shape[-1],)
        self._num_classes = y_pred_shape[-1]
        self.true_positives = self.add_variable(shape, name="true_positives")
        self.false_positives = self.add_variable(shape, name="false_positives")
        self.false_negatives = self.add_variable(shape, name="false_negatives")
        self.intermediate_weights = self.add_variable(shape, name="intermediate_weights")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Count the (weighted) true/false positives and false negatives of a batch."""
        y_true = as_array(y_true, self.dtype)
        y_pred = as_array(y_pred, self.dtype)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        name = type(self).__name__
        if y_true.shape != y_pred.shape or y_pred.ndim != 2 or (
                y_pred.shape[-1] != self._num_classes):
            raise ValueError(
                f"{name}: y_true and y_pred must both have shape (batch_size, "
                f"{self._num_classes}). Received y_true.shape={y_true.shape}, "
                f"y_pred.shape={y_pred.shape}")
        if self.threshold is None:
            # the largest prediction of each row, unless the row is all zeros
            top = y_pred.max(axis=-1, keepdims=True)
            positive = (y_pred >= top) & (xp.abs(y_pred) > 1e-9)
        else:
            positive = y_pred > self.threshold
        y_pred = positive.astype(self.dtype)
        if sample_weight is not None:
            sample_weight = as_array(sample_weight, self.dtype)
            if sample_weight.shape not in ((y_true.shape[0],), (y_true.shape[0], 1)):
                raise ValueError(
                    f"{name}: sample_weight must have shape ({y_true.shape[0]},) (one weight "
                    f"per sample). Received sample_weight.shape={sample_weight.shape}")
            sample_weight = sample_weight.reshape(-1, 1)

        def weighted_sum(values):
            if sample_weight is not None:
                values = values * sample_weight
            return values.sum(axis=self.axis)

        self.true_positives.data[...] += weighted_sum(y_pred * y_true)
        self.false_positives.data[...] += weighted_sum(y_pred * (1 - y_true))
        self.false_negatives.data[...] += weighted_sum((1 - y_pred) * y_true)
        self.intermediate_weights.data[...] += weighted_sum(y_true)

    def result(self):
        if not self._built:
            return xp.asarray(0.0, dtype=self.dtype)
        eps = config.epsilon()
        tp = self.true_positives.data
        precision = tp / (tp + self.false_positives.data + eps)
        recall = tp / (tp + self.false_negatives.data + eps)
        beta2 = self.beta ** 2
        score = (precision * recall / (beta2 * precision + recall + eps)) * (1 + beta2)
        if self.average == "weighted":
            support = self.intermediate_weights.data
            score = (score * (support / (support.sum() + eps))).sum()
        elif self.average is not None:
            score = score.mean()
        return xp.asarray(score, dtype=self.dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"average": self.average, "beta": self.beta,
                       "threshold": self.threshold})
        return config


@register("metric", aliases=("f1_score",))
class F1Score(FBetaScore):
    """The harmonic mean of precision and recall: :class:`FBetaScore` with ``beta=1``."""

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name,
                         dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config
