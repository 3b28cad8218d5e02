"""Metrics, as ``keras.metrics``.

Metrics work on raw NumPy arrays outside any tape; ``result()`` returns a Tensor (0-d, or 1-d
for several thresholds). ``get('accuracy')`` returns an
``Accuracy`` instance, as in Keras; :func:`get_metric` resolves ``'accuracy'``/``'acc'`` from
the shapes of the labels and predictions, as ``compile`` does.
"""

from ember import registry
from ember.losses import (  # Keras exports these under keras.metrics too
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_hinge,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from ember.metrics.accuracy_metrics import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from ember.metrics.confusion_metrics import (
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    PrecisionAtRecall,
    Recall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    TrueNegatives,
    TruePositives,
)
from ember.metrics.correlation_metrics import (
    ConcordanceCorrelation,
    PearsonCorrelation,
    concordance_correlation,
    pearson_correlation,
)
from ember.metrics.f_score_metrics import F1Score, FBetaScore
from ember.metrics.iou_metrics import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from ember.metrics.metric import Metric
from ember.metrics.reduction_metrics import Mean, MeanMetricWrapper, Sum
from ember.metrics.regression_metrics import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    KLDivergence,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    R2Score,
    RootMeanSquaredError,
    SparseCategoricalCrossentropy,
    SquaredHinge,
)

# Loss aliases that Keras's metrics.get does not accept (``metrics=['kld']`` fails there):
# the registry knows them for loading legacy files, compile must refuse them as Keras does.
_LOSS_ONLY_NAMES = frozenset({"kld", "KLD"})


def serialize(metric):
    """A Metric's Keras envelope (a registered function becomes its name)."""
    return registry.serialize(metric)


def deserialize(config, custom_objects=None):
    return registry.deserialize(config, custom_objects=custom_objects, kind="metric")


def get(identifier):
    """A metric for a name (``'accuracy'`` -> ``Accuracy()``, ``'mse'`` ->
    ``MeanSquaredError()``), a config dict, a class, an instance or a function (returned as it
    is); None stays None.

    Raises:
        ValueError: for an unknown name (the message lists the valid ones) or a value that is
            not callable.
    """
    if identifier is None:
        return None
    if isinstance(identifier, str) and identifier in _LOSS_ONLY_NAMES:
        raise ValueError(f"Could not interpret metric identifier: {identifier}")
    obj = registry.get("metric", identifier)
    if callable(obj):
        return obj
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}")


def get_metric(identifier, y_true, y_pred):
    """A Metric for a ``compile(metrics=...)`` entry, as Keras's trainer resolves it.

    ``'accuracy'``/``'acc'`` become BinaryAccuracy (one output unit), SparseCategoricalAccuracy
    (integer labels) or CategoricalAccuracy (one-hot labels), named as written; functions are
    wrapped in MeanMetricWrapper. ``y_true``/``y_pred`` may be arrays, Tensors or shapes.
    """
    if identifier is None:
        return None
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        true_shape = tuple(getattr(y_true, "shape", y_true))
        pred_shape = tuple(getattr(y_pred, "shape", y_pred))
        if pred_shape and pred_shape[-1] == 1:
            metric = BinaryAccuracy(name=identifier)
        elif len(true_shape) < len(pred_shape) or (
                len(true_shape) == len(pred_shape) and true_shape and true_shape[-1] == 1):
            metric = SparseCategoricalAccuracy(name=identifier)
        else:
            metric = CategoricalAccuracy(name=identifier)
        return metric
    metric = get(identifier)
    if not isinstance(metric, Metric):
        metric = MeanMetricWrapper(metric)
    if isinstance(identifier, str):
        metric.name = identifier
    return metric


__all__ = [
    "Metric", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy",
    "CategoricalAccuracy", "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy", "MeanSquaredError", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "RootMeanSquaredError",
    "CosineSimilarity", "LogCoshError", "BinaryCrossentropy", "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy", "KLDivergence", "Poisson", "Hinge", "SquaredHinge",
    "CategoricalHinge", "TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives",
    "Precision", "Recall", "AUC", "accuracy", "binary_accuracy", "categorical_accuracy",
    "sparse_categorical_accuracy", "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy", "get", "get_metric", "serialize", "deserialize",
    "PrecisionAtRecall", "RecallAtPrecision", "SensitivityAtSpecificity",
    "SpecificityAtSensitivity", "ConcordanceCorrelation", "PearsonCorrelation",
    "concordance_correlation", "pearson_correlation", "F1Score", "FBetaScore", "BinaryIoU",
    "IoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU", "R2Score", "binary_focal_crossentropy",
    "categorical_focal_crossentropy",
]
