"""What monitoring callbacks share: which way a metric improves, and reading it from logs."""

import math
import warnings

# Name fragments of metrics that improve upwards / downwards, for mode="auto" when the model's
# metric objects do not say (Keras asks the metric's direction; names are the fallback).
_UP = ("acc", "auc", "precision", "recall", "f1", "fbeta", "iou", "r2", "similarity", "psnr",
       "ssim", "true_positives", "true_negatives")
_DOWN = ("loss", "error", "mse", "mae", "mape", "msle", "rmse", "crossentropy", "hinge",
         "divergence", "poisson", "cosh", "huber", "false_positives", "false_negatives")


def _model_metric_direction(model, name):
    """``'up'``/``'down'`` as the model's metric named ``name`` declares (``_direction``)."""
    try:
        metrics = list(getattr(model, "metrics", None) or ())
    except (AttributeError, TypeError, ValueError, RuntimeError):
        return None
    stack = metrics
    while stack:
        m = stack.pop()
        inner = getattr(m, "metrics", None)
        if isinstance(inner, (list, tuple)) and inner is not metrics:
            stack.extend(inner)
        if getattr(m, "name", None) == name:
            direction = getattr(m, "_direction", None)
            if direction in ("up", "down"):
                return direction
    return None


def resolve_mode(owner, monitor, mode, model):
    """``'min'`` or ``'max'`` for ``monitor``: ``mode`` itself unless it is ``'auto'``.

    Raises:
        ValueError: when ``mode='auto'`` and the direction of ``monitor`` cannot be inferred.
    """
    if mode in ("min", "max"):
        return mode
    name = monitor[4:] if monitor.startswith("val_") else monitor
    if name == "loss" or name.endswith("_loss"):
        return "min"
    direction = _model_metric_direction(model, name)
    if direction is not None:
        return "max" if direction == "up" else "min"
    lower = name.lower()
    if any(part in lower for part in _UP):
        return "max"
    if any(part in lower for part in _DOWN):
        return "min"
    raise ValueError(
        f"{owner} callback received monitor={monitor}, but ember isn't able to automatically "
        "determine whether that metric should be maximized or minimized. Pass `mode='max'` in "
        "order to monitor based on the highest metric value, or pass `mode='min'` in order to "
        "use the lowest value.")


def check_mode(owner, mode):
    if mode not in ("auto", "min", "max"):
        warnings.warn(f"{owner} mode '{mode}' is unknown, fallback to auto mode.", stacklevel=3)
        return "auto"
    return mode


def monitor_value(logs, monitor, what):
    """The monitored value from ``logs`` as a float, or None (with a warning) when absent."""
    logs = logs if logs is not None else {}
    value = logs.get(monitor)
    if value is None:
        warnings.warn(
            f"{what} conditioned on metric `{monitor}` which is not available. Available "
            f"metrics are: {','.join(list(logs.keys()))}", stacklevel=3)
        return None
    return float(value)


def is_improvement(mode, value, reference, min_delta):
    """Whether ``value`` beats ``reference`` by more than ``min_delta`` (``min_delta >= 0``)."""
    if reference is None:
        return True
    if mode == "min":
        return value + min_delta < reference
    return value - min_delta > reference


def worst(mode):
    return math.inf if mode == "min" else -math.inf
