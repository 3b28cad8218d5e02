"""The rates at a target (PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity,
SpecificityAtSensitivity) against a brute-force NumPy sweep over the thresholds."""

import numpy as np
import pytest

import ember
from ember import metrics

RNG = np.random.default_rng(8)
N, C = 40, 3
Y_TRUE = (RNG.uniform(size=(N, C)) > 0.5).astype("float32")
Y_PRED = np.clip(0.35 * Y_TRUE + 0.65 * RNG.uniform(size=(N, C)), 0, 1).astype("float32")
SW = RNG.uniform(0, 2, N).astype("float32")


def _thresholds(n):
    if n == 1:
        return np.array([0.5])
    return np.array([0.0] + [(i + 1) / (n - 1) for i in range(n - 2)] + [1.0])


def _ref(cls_name, value, n, y_true, y_pred, w):
    w = np.broadcast_to(w[:, None], y_true.shape).ravel()
    t, p = y_true.ravel() > 0, y_pred.ravel()
    best = 0.0
    for th in _thresholds(n):
        pos = p > th
        tp, fp = (w * (pos & t)).sum(), (w * (pos & ~t)).sum()
        fn, tn = (w * (~pos & t)).sum(), (w * (~pos & ~t)).sum()
        rates = {"recall": tp / (tp + fn) if tp + fn else 0.0,
                 "specificity": tn / (tn + fp) if tn + fp else 0.0,
                 "precision": tp / (tp + fp) if tp + fp else 0.0}
        constrained, dependent = {
            "PrecisionAtRecall": ("recall", "precision"),
            "RecallAtPrecision": ("precision", "recall"),
            "SensitivityAtSpecificity": ("specificity", "recall"),
            "SpecificityAtSensitivity": ("recall", "specificity")}[cls_name]
        if rates[constrained] >= value:
            best = max(best, rates[dependent])
    return best


CLASSES = ["PrecisionAtRecall", "RecallAtPrecision", "SensitivityAtSpecificity",
           "SpecificityAtSensitivity"]


@pytest.mark.parametrize("cls_name", CLASSES)
@pytest.mark.parametrize("value,num_thresholds", [(0.5, 200), (0.8, 7), (0.3, 1)])
def test_against_threshold_sweep(cls_name, value, num_thresholds):
    m = getattr(metrics, cls_name)(value, num_thresholds=num_thresholds)
    m.update_state(Y_TRUE, Y_PRED, sample_weight=SW)
    result = m.result()
    assert isinstance(result, ember.Tensor) and result.dtype == np.float32
    np.testing.assert_allclose(result.numpy(),
                               _ref(cls_name, value, num_thresholds, Y_TRUE, Y_PRED, SW),
                               rtol=1e-5)


@pytest.mark.parametrize("cls_name", CLASSES)
def test_class_id_reset_and_config(cls_name):
    cls = getattr(metrics, cls_name)
    m = cls(0.4, num_thresholds=11, class_id=1)
    m.update_state(Y_TRUE, Y_PRED)
    np.testing.assert_allclose(
        m.result().numpy(),
        _ref(cls_name, 0.4, 11, Y_TRUE[:, 1:2], Y_PRED[:, 1:2], np.ones(N)), rtol=1e-5)
    assert [(v.name, v.shape) for v in m.variables] == [
        (k, (11,)) for k in ("true_positives", "false_positives", "true_negatives",
                             "false_negatives")]
    m.reset_state()
    assert float(m.result()) == 0.0
    value_name = {"PrecisionAtRecall": "recall", "RecallAtPrecision": "precision",
                  "SensitivityAtSpecificity": "specificity",
                  "SpecificityAtSensitivity": "sensitivity"}[cls_name]
    config = m.get_config()
    assert config == {"name": m.name, "dtype": "float32", "class_id": 1,
                      "num_thresholds": 11, value_name: 0.4}
    assert cls.from_config(config).get_config() == config


@pytest.mark.parametrize("cls_name", CLASSES)
def test_errors(cls_name):
    cls = getattr(metrics, cls_name)
    for value in (-0.1, 1.5):
        with pytest.raises(ValueError, match=r"must be in the range \[0, 1\]"):
            cls(value)
    with pytest.raises(ValueError, match="num_thresholds"):
        cls(0.5, num_thresholds=0)
    with pytest.raises(ValueError, match="class_id"):
        cls(0.5, class_id=0).update_state(Y_TRUE[:, 0], Y_PRED[:, 0])
    with pytest.raises(TypeError):
        metrics.get(cls_name)  # the target value is required, as in Keras
