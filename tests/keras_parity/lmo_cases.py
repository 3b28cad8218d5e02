"""Cases for the loss, metric and optimizer parity tests (``test_{losses,metrics,optimizers}
_parity.py``).

Every name in ember's ``loss``, ``metric``, ``optimizer`` and ``schedule`` registries must
resolve to an object that has an entry here (the harness fails otherwise). An entry is either a
case (what data to feed it, which constructor variants to try) or a reasoned exclusion. What
Keras returns is never written here: the tests ask Keras.
"""

from dataclasses import dataclass, field

import numpy as np

B, T, D = 6, 3, 4  # batch, time, features of the generated data


# -- data ------------------------------------------------------------------------------------------
def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def make_data(kind, shape, seed=0):
    """``(y_true, y_pred)`` as float32 arrays (int32 labels for ``'sparse*'``) of ``shape``
    (the labels of the sparse kinds drop the last axis)."""
    rng = np.random.default_rng(seed)
    f32 = np.float32
    normal = rng.normal(size=shape).astype(f32)
    if kind == "regression":
        return rng.normal(size=shape).astype(f32), normal
    if kind == "positive":  # MSLE, Poisson: non-negative targets and predictions
        return rng.uniform(0, 3, shape).astype(f32), rng.uniform(0.05, 3, shape).astype(f32)
    if kind == "prob":  # distributions along the last axis
        return _softmax(rng.normal(size=shape)).astype(f32), _softmax(normal).astype(f32)
    if kind == "binary":
        return (rng.uniform(size=shape) > 0.5).astype(f32), rng.uniform(0.02, 0.98,
                                                                       shape).astype(f32)
    if kind == "binary_logits":
        return (rng.uniform(size=shape) > 0.5).astype(f32), 2 * normal
    if kind == "hinge":  # labels -1/1
        return np.where(rng.uniform(size=shape) > 0.5, 1, -1).astype(f32), normal
    if kind == "hinge01":  # labels 0/1 (Keras turns them into -1/1)
        return (rng.uniform(size=shape) > 0.5).astype(f32), normal
    if kind in ("categorical", "categorical_logits"):
        labels = rng.integers(0, shape[-1], shape[:-1])
        onehot = np.eye(shape[-1], dtype=f32)[labels]
        pred = 2 * normal if kind.endswith("logits") else _softmax(normal).astype(f32)
        return onehot, pred
    if kind in ("sparse", "sparse_logits"):
        labels = rng.integers(0, shape[-1], shape[:-1]).astype(np.int32)
        pred = 2 * normal if kind.endswith("logits") else _softmax(normal).astype(f32)
        return labels, pred
    if kind == "sparse_embeddings":  # Circle: labels of 3 classes, unit-norm embeddings
        labels = rng.integers(0, 3, shape[:-1]).astype(np.int32)
        return labels, (normal / np.linalg.norm(normal, axis=-1, keepdims=True)).astype(f32)
    if kind == "unit":  # Dice, Tversky: soft masks in [0, 1]
        return (rng.uniform(size=shape) > 0.5).astype(f32), rng.uniform(0, 1, shape).astype(f32)
    if kind == "class_ids":  # IoU: labels and predictions as ids of D classes
        return (rng.integers(0, D, shape).astype(np.int32),
                rng.integers(0, D, shape).astype(np.int32))
    if kind == "scores":  # binary labels, scores in [0, 1] with ties (confusion metrics)
        y_true = (rng.uniform(size=shape) > 0.5).astype(f32)
        return y_true, np.round(rng.uniform(size=shape), 1).astype(f32)
    if kind == "equal":  # Accuracy: labels and predictions that often coincide
        return rng.integers(0, 3, shape).astype(f32), rng.integers(0, 3, shape).astype(f32)
    if kind == "ctc":  # CTC: labels (B, shape[1]) of classes 1.. padded with the blank 0
        labels = rng.integers(1, shape[-1], shape[:2]).astype(np.int32)
        # at most T - 1 labels, so that every target fits the T frames (repeats need a blank)
        labels[np.arange(shape[1])[None, :] >= rng.integers(0, shape[1], (shape[0], 1))] = 0
        return labels, 2 * normal
    raise ValueError(f"unknown data kind {kind!r}")


# -- losses ----------------------------------------------------------------------------------------
@dataclass
class LossCase:
    """A loss class and its function form.

    ``variants``: constructor kwargs to try (each also given to the function, minus
    ``reduction``/``name``); a kwarg ``_data`` overrides the data kind, ``_ranks`` the input
    ranks (2: ``(B, D)``, 3: ``(B, T, D)``).
    """

    data: str
    function: str
    variants: list = field(default_factory=lambda: [{}])
    xfail: dict = field(default_factory=dict)  # aspect -> what still differs from Keras


LOSS_CASES = {
    "CTC": LossCase("ctc", "ctc", [{"_ranks": (3,)}]),
    "MeanSquaredError": LossCase("regression", "mean_squared_error"),
    "MeanAbsoluteError": LossCase("regression", "mean_absolute_error"),
    "MeanAbsolutePercentageError": LossCase("regression", "mean_absolute_percentage_error"),
    "MeanSquaredLogarithmicError": LossCase("positive", "mean_squared_logarithmic_error"),
    "LogCosh": LossCase("regression", "log_cosh"),
    "CosineSimilarity": LossCase("regression", "cosine_similarity",
                                 [{}, {"axis": 1, "_ranks": (3,)}]),
    "Huber": LossCase("regression", "huber", [{}, {"delta": 0.5}]),
    "Hinge": LossCase("hinge", "hinge", [{}, {"_data": "hinge01", "_ranks": (2,)}]),
    "SquaredHinge": LossCase("hinge", "squared_hinge", [{}, {"_data": "hinge01", "_ranks": (2,)}]),
    "CategoricalHinge": LossCase("categorical_logits", "categorical_hinge"),
    "KLDivergence": LossCase("prob", "kl_divergence"),
    "Poisson": LossCase("positive", "poisson"),
    "BinaryCrossentropy": LossCase("binary", "binary_crossentropy", [
        {}, {"from_logits": True, "_data": "binary_logits"}, {"label_smoothing": 0.1},
        {"from_logits": True, "label_smoothing": 0.2, "_data": "binary_logits"},
        {"axis": 1, "_ranks": (3,)}]),
    "CategoricalCrossentropy": LossCase("categorical", "categorical_crossentropy", [
        {}, {"from_logits": True, "_data": "categorical_logits"}, {"label_smoothing": 0.1},
        {"from_logits": True, "label_smoothing": 0.2, "_data": "categorical_logits"},
        {"axis": 1, "_data": "prob", "_ranks": (3,)}]),
    "SparseCategoricalCrossentropy": LossCase("sparse", "sparse_categorical_crossentropy", [
        {}, {"from_logits": True, "_data": "sparse_logits"}, {"ignore_class": 0},
        {"ignore_class": 1, "from_logits": True, "_data": "sparse_logits"}]),
    "BinaryFocalCrossentropy": LossCase("binary", "binary_focal_crossentropy", [
        {}, {"apply_class_balancing": True, "alpha": 0.4}, {"gamma": 0.0},
        {"gamma": 3.0, "from_logits": True, "_data": "binary_logits"},
        {"label_smoothing": 0.1, "apply_class_balancing": True},
        {"axis": 1, "_ranks": (3,)}]),
    "CategoricalFocalCrossentropy": LossCase("categorical", "categorical_focal_crossentropy", [
        {}, {"alpha": 0.5, "gamma": 1.0}, {"from_logits": True, "_data": "categorical_logits"},
        {"label_smoothing": 0.1}, {"alpha": [0.1, 0.2, 0.3, 0.4]},
        {"axis": 1, "_data": "prob", "_ranks": (3,)}]),
    "CategoricalGeneralizedCrossEntropy": LossCase(
        "sparse", "categorical_generalized_cross_entropy", [{"q": 0.5}, {"q": 0.2}]),
    "Dice": LossCase("unit", "dice", [{}, {"axis": 1}, {"axis": (1, 2), "_ranks": (3,)}]),
    "Tversky": LossCase("unit", "tversky", [{}, {"alpha": 0.3, "beta": 0.7},
                                             {"axis": 1, "alpha": 0.7, "beta": 0.2}]),
    "Circle": LossCase("sparse_embeddings", "circle", [
        {"_ranks": (2,)}, {"gamma": 10.0, "margin": 0.25, "_ranks": (2,)},
        {"remove_diagonal": False, "gamma": 5.0, "_ranks": (2,)}]),
}

#: registry entries that are not losses of their own, with the reason
LOSS_EXCLUDED = {
    "LossFunctionWrapper": "a wrapper of a function, not a loss: covered through every "
                           "function form and by test_loss_function_wrapper",
}

#: constructor arguments ember's get_config keeps and Keras 3.15's drops (so that
#: ``from_config(get_config())`` rebuilds the same loss: Keras's round trip resets them)
LOSS_CONFIG_EXTRA = {"Huber": ("delta",), "CosineSimilarity": ("axis",)}

#: names ember resolves that Keras 3 does not (Keras 2 spellings kept so old code loads)
LOSS_EXTRA_ALIASES = {"kullback_leibler_divergence", "logcosh"}


# -- metrics ---------------------------------------------------------------------------------------
@dataclass
class MetricCase:
    """A metric class: ``variants`` are constructor kwargs (``_data``/``_shape`` override the
    data kind and the ``(B, D)`` shape of each batch); ``weights``: the sample-weight shapes of
    the second and third batches (the first has none)."""

    data: str
    variants: list = field(default_factory=lambda: [{}])
    shape: tuple = (B, D)
    xfail: dict = field(default_factory=dict)
    weights: tuple = ((B,), (B, 1))


_REG = "regression"
METRIC_CASES = {
    "Mean": MetricCase("values"),
    "Sum": MetricCase("values"),
    "Accuracy": MetricCase("equal"),
    "BinaryAccuracy": MetricCase("binary", [{}, {"threshold": 0.3}]),
    "CategoricalAccuracy": MetricCase("categorical"),
    "SparseCategoricalAccuracy": MetricCase("sparse"),
    "TopKCategoricalAccuracy": MetricCase("categorical", [{}, {"k": 2}], shape=(B, 7)),
    "SparseTopKCategoricalAccuracy": MetricCase("sparse", [{}, {"k": 2}], shape=(B, 7)),
    "MeanSquaredError": MetricCase(_REG),
    "MeanAbsoluteError": MetricCase(_REG),
    "MeanAbsolutePercentageError": MetricCase(_REG),
    "MeanSquaredLogarithmicError": MetricCase("positive"),
    "RootMeanSquaredError": MetricCase(_REG),
    "LogCoshError": MetricCase(_REG),
    "CosineSimilarity": MetricCase(_REG, [{}, {"axis": 1, "_shape": (B, T, D)}]),
    "BinaryCrossentropy": MetricCase("binary", [
        {}, {"from_logits": True, "_data": "binary_logits"}, {"label_smoothing": 0.1}]),
    "CategoricalCrossentropy": MetricCase("categorical", [
        {}, {"from_logits": True, "_data": "categorical_logits"}, {"label_smoothing": 0.1}]),
    "SparseCategoricalCrossentropy": MetricCase("sparse", [
        {}, {"from_logits": True, "_data": "sparse_logits"}, {"ignore_class": 1},
        {"ignore_class": 0, "from_logits": True, "_data": "sparse_logits"}]),
    "KLDivergence": MetricCase("prob"),
    "Poisson": MetricCase("positive"),
    "Hinge": MetricCase("hinge", [{}, {"_data": "hinge01"}]),
    "SquaredHinge": MetricCase("hinge"),
    "CategoricalHinge": MetricCase("categorical_logits"),
    "TruePositives": MetricCase("scores", [{}, {"thresholds": [0.0, 0.3, 0.5, 0.9]}]),
    "FalsePositives": MetricCase("scores", [{}, {"thresholds": [0.0, 0.3, 0.5, 0.9]}]),
    "TrueNegatives": MetricCase("scores", [{}, {"thresholds": [0.0, 0.3, 0.5, 0.9]}]),
    "FalseNegatives": MetricCase("scores", [{}, {"thresholds": [0.0, 0.3, 0.5, 0.9]}]),
    "Precision": MetricCase("scores", [
        {}, {"thresholds": [0.2, 0.5, 0.8]}, {"class_id": 2}, {"top_k": 2},
        {"top_k": 2, "class_id": 1}, {"thresholds": 0.3, "class_id": 0}]),
    "Recall": MetricCase("scores", [
        {}, {"thresholds": [0.2, 0.5, 0.8]}, {"class_id": 2}, {"top_k": 2},
        {"top_k": 2, "class_id": 1}, {"thresholds": 0.3, "class_id": 0}]),
    "AUC": MetricCase("scores", [
        {}, {"num_thresholds": 7}, {"curve": "PR"},
        {"curve": "PR", "summation_method": "majoring", "num_thresholds": 11},
        {"curve": "ROC", "summation_method": "minoring"},
        {"curve": "PR", "summation_method": "minoring"},
        {"thresholds": [0.25, 0.5, 0.75]}, {"thresholds": [0.1, 0.35, 0.8]},
        {"multi_label": True}, {"multi_label": True, "num_labels": D, "curve": "PR"},
        {"multi_label": True, "label_weights": [1.0, 0.5, 0.0, 2.0]},
        {"label_weights": [1.0, 0.5, 0.0, 2.0]},
        {"from_logits": True, "_data": "binary_logits"}]),
    # Keras's F-scores take (batch,) weights only: (batch, 1) ones fail its update
    "FBetaScore": MetricCase("categorical", [
        {}, {"beta": 2.0}, {"beta": 0.5, "average": "macro"},
        {"average": "micro", "beta": 2.0}, {"average": "weighted"},
        {"threshold": 0.4, "_data": "binary"}, {"threshold": 0.6, "average": "micro",
                                                 "_data": "binary"}], weights=((B,), (B,))),
    "F1Score": MetricCase("categorical", [
        {}, {"average": "micro"}, {"average": "macro"}, {"average": "weighted"},
        {"threshold": 0.5, "_data": "binary"},
        {"threshold": 0.3, "average": "weighted", "_data": "binary"}], weights=((B,), (B,))),
    "R2Score": MetricCase(_REG, [
        {}, {"class_aggregation": None}, {"class_aggregation": "variance_weighted_average"},
        {"num_regressors": 2}, {"num_regressors": 3, "class_aggregation": None}]),
    "PearsonCorrelation": MetricCase(_REG, [{}, {"axis": 1, "_shape": (B, T, D)}]),
    "ConcordanceCorrelation": MetricCase(_REG, [{}, {"axis": 1, "_shape": (B, T, D)}]),
    "PrecisionAtRecall": MetricCase("scores", [
        {"recall": 0.5}, {"recall": 0.8, "num_thresholds": 7}, {"recall": 0.3, "class_id": 1},
        {"recall": 0.6, "num_thresholds": 1}]),
    "RecallAtPrecision": MetricCase("scores", [
        {"precision": 0.5}, {"precision": 0.7, "num_thresholds": 11},
        {"precision": 0.4, "class_id": 2}, {"precision": 0.5, "num_thresholds": 1}]),
    "SensitivityAtSpecificity": MetricCase("scores", [
        {"specificity": 0.5}, {"specificity": 0.9, "num_thresholds": 5},
        {"specificity": 0.3, "class_id": 0}]),
    "SpecificityAtSensitivity": MetricCase("scores", [
        {"sensitivity": 0.5}, {"sensitivity": 0.2, "num_thresholds": 9},
        {"sensitivity": 0.7, "class_id": 3}]),
    # Keras's IoUs broadcast the weights to the flattened labels: one class id per sample
    "IoU": MetricCase("class_ids", [
        {"num_classes": D, "target_class_ids": [0, 2]},
        {"num_classes": D, "target_class_ids": [1], "ignore_class": 3},
        {"num_classes": D, "target_class_ids": [3, 1], "dtype": "float32"},
        {"num_classes": D, "target_class_ids": [0, 1, 2], "sparse_y_pred": False,
         "_data": "sparse", "_shape": (B, D)}], shape=(B,)),
    "MeanIoU": MetricCase("class_ids", [
        {"num_classes": D}, {"num_classes": D, "ignore_class": 0},
        {"num_classes": D, "dtype": "float32"},
        {"num_classes": D, "sparse_y_pred": False, "_data": "sparse", "_shape": (B, D)}],
        shape=(B,)),
    "BinaryIoU": MetricCase("binary", [
        {}, {"target_class_ids": [1], "threshold": 0.3}, {"target_class_ids": [0]},
        {"dtype": "float32", "threshold": 0.7}], shape=(B,)),
    "OneHotIoU": MetricCase("categorical", [
        {"num_classes": D, "target_class_ids": [0, 3]},
        {"num_classes": D, "target_class_ids": [2], "dtype": "float32"},
        {"num_classes": D, "target_class_ids": [1, 2], "ignore_class": 1}]),
    "OneHotMeanIoU": MetricCase("categorical", [
        {"num_classes": D}, {"num_classes": D, "dtype": "float32"},
        {"num_classes": D, "ignore_class": 2}]),
}

METRIC_EXCLUDED = {
    "MeanMetricWrapper": "a wrapper of a function, not a metric: covered by every function "
                         "metric and by test_mean_metric_wrapper",
}

#: constructor arguments ember's get_config keeps and Keras 3.15's drops (see
#: LOSS_CONFIG_EXTRA)
METRIC_CONFIG_EXTRA = {"CosineSimilarity": ("axis",)}

#: names ember resolves that Keras 3's ``metrics.get`` does not (Keras 2 spellings)
METRIC_EXTRA_ALIASES = {"KLD", "kld"}


# -- optimizers ------------------------------------------------------------------------------------
@dataclass
class OptimizerCase:
    """An optimizer class and the constructor variants to step through (``learning_rate`` may
    be a ``("ScheduleName", kwargs)`` pair, built in each framework)."""

    variants: list
    xfail: dict = field(default_factory=dict)


_COMMON = [{"weight_decay": 0.05}, {"clipnorm": 0.3}, {"clipvalue": 0.05},
           {"global_clipnorm": 0.4}, {"loss_scale_factor": 4.0},
           {"learning_rate": ("ExponentialDecay", {"initial_learning_rate": 0.05,
                                                   "decay_steps": 2, "decay_rate": 0.5})}]

OPTIMIZER_CASES = {
    "SGD": OptimizerCase([{}, {"momentum": 0.9}, {"momentum": 0.9, "nesterov": True},
                          {"learning_rate": 0.1, "momentum": 0.5, "weight_decay": 0.01},
                          {"momentum": 0.9, "use_ema": True, "ema_momentum": 0.9},
                          {"learning_rate": 0.1, "use_ema": True, "ema_momentum": 0.9,
                           "ema_overwrite_frequency": 2}]
                         + _COMMON),
    "Adam": OptimizerCase([{}, {"amsgrad": True}, {"beta_1": 0.5, "beta_2": 0.9,
                                                   "epsilon": 1e-3},
                           {"use_ema": True, "ema_momentum": 0.9, "ema_overwrite_frequency": 2}]
                          + _COMMON),
    "AdamW": OptimizerCase([{}, {"amsgrad": True}, {"weight_decay": 0.1},
                            {"use_ema": True, "ema_momentum": 0.8, "ema_overwrite_frequency": 3,
                             "clipnorm": 0.3}] + _COMMON[1:]),
    "RMSprop": OptimizerCase([{}, {"momentum": 0.9}, {"centered": True},
                              {"centered": True, "momentum": 0.5, "rho": 0.8}] + _COMMON),
    "Adagrad": OptimizerCase([{}, {"initial_accumulator_value": 0.5, "epsilon": 1e-3}]
                             + _COMMON),
    "Adamax": OptimizerCase([{}, {"beta_1": 0.8, "beta_2": 0.95}] + _COMMON),
    "Nadam": OptimizerCase([{}, {"beta_1": 0.8, "beta_2": 0.95}] + _COMMON),
    "Adadelta": OptimizerCase([{}, {"rho": 0.8, "epsilon": 1e-3}, {"learning_rate": 1.0}]
                              + _COMMON),
    "Adafactor": OptimizerCase([{}, {"beta_2_decay": -0.5, "epsilon_2": 1e-2,
                                     "clip_threshold": 0.5},
                                {"learning_rate": 0.7},  # capped at 1 / sqrt(step)
                                {"relative_step": False},
                                # Adafactor's own update_step: the per-variable EMA
                                {"use_ema": True, "ema_momentum": 0.9,
                                 "ema_overwrite_frequency": 2}] + _COMMON),
    "Ftrl": OptimizerCase([{}, {"learning_rate": 0.1, "l1_regularization_strength": 0.01,
                                "l2_regularization_strength": 0.1,
                                "l2_shrinkage_regularization_strength": 0.05, "beta": 0.5},
                           {"learning_rate_power": -0.3, "initial_accumulator_value": 0.5},
                           {"learning_rate_power": 0.0}] + _COMMON),
    "Lamb": OptimizerCase([{}, {"beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-3},
                           {"use_ema": True, "ema_momentum": 0.7}] + _COMMON),
    "Lion": OptimizerCase([{}, {"beta_1": 0.5, "beta_2": 0.9}, {"beta_1": 1.0}] + _COMMON),
    "Muon": OptimizerCase([{}, {"nesterov": False, "momentum": 0.9, "ns_steps": 3},
                           {"rms_rate": None, "learning_rate": 0.01},
                           {"adam_lr_ratio": 0.1, "adam_weight_decay": 0.1,
                            "weight_decay": None},
                           {"exclude_layers": ["kern"]},  # the kernel takes AdamW steps
                           {"muon_a": 2.0, "muon_b": -1.5, "muon_c": 0.5}] + _COMMON),
    "ScheduleFreeAdamW": OptimizerCase([{}, {"warmup_steps": 3},
                                        {"beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-3}]
                                       + _COMMON),
}

#: optimizers without a case: wrappers of other optimizers, compared with Keras in
#: test_optimizer_wrappers_parity.py
OPTIMIZER_EXCLUDED = {
    "LossScaleOptimizer": "wraps an inner optimizer (test_optimizer_wrappers_parity.py)",
    "MultiOptimizer": "dispatches to inner optimizers (test_optimizer_wrappers_parity.py)",
    "OptimizerMap": "not an optimizer: MultiOptimizer's table (test_optimizer_wrappers_parity.py)",
}

#: registered optimizers that Keras 3.15's ``optimizers.get`` cannot resolve by name (its
#: table of names lacks the class, or the class needs constructor arguments); the test checks
#: that Keras's class of the same name exists instead
OPTIMIZER_NOT_BY_NAME = {
    "Lamb": "missing from keras.optimizers.get's table in Keras 3.15",
    "LossScaleOptimizer": "needs `inner_optimizer`",
    "MultiOptimizer": "needs `optimizer_map`",
    "OptimizerMap": "needs `default_optimizer`",
}

#: optimizer variables whose names differ, ember name -> Keras name: Keras 3.15 creates Nadam's
#: running product unnamed, so it gets a session-numbered default name ("variable_3"); ember
#: names it after what it is. Optimizer state is saved by position, so names do not matter
#: to files.
OPTIMIZER_VARIABLE_NAMES = {"Nadam": {"u_product": "variable"}}


# -- schedules -------------------------------------------------------------------------------------
SCHEDULE_CASES = {
    "ExponentialDecay": [
        {"initial_learning_rate": 0.1, "decay_steps": 3, "decay_rate": 0.5},
        {"initial_learning_rate": 0.1, "decay_steps": 3, "decay_rate": 0.5, "staircase": True}],
    "PiecewiseConstantDecay": [{"boundaries": [2, 5], "values": [1.0, 0.5, 0.1]}],
    "PolynomialDecay": [
        {"initial_learning_rate": 0.1, "decay_steps": 4},
        {"initial_learning_rate": 0.1, "decay_steps": 4, "end_learning_rate": 0.01,
         "power": 2.0, "cycle": True}],
    "InverseTimeDecay": [
        {"initial_learning_rate": 0.1, "decay_steps": 2, "decay_rate": 0.5},
        {"initial_learning_rate": 0.1, "decay_steps": 2, "decay_rate": 0.5, "staircase": True}],
    "CosineDecay": [
        {"initial_learning_rate": 0.1, "decay_steps": 5},
        {"initial_learning_rate": 0.1, "decay_steps": 5, "alpha": 0.1},
        {"initial_learning_rate": 0.0, "decay_steps": 5, "warmup_target": 0.2,
         "warmup_steps": 3}],
    "CosineDecayRestarts": [
        {"initial_learning_rate": 0.1, "first_decay_steps": 3},
        {"initial_learning_rate": 0.1, "first_decay_steps": 3, "t_mul": 1.0, "m_mul": 0.5,
         "alpha": 0.1}],
}

SCHEDULE_EXCLUDED = {
    "LearningRateSchedule": "the abstract base class (test_schedule_base checks its errors)",
}
