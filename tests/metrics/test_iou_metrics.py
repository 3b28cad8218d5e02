"""IoU metrics against a NumPy confusion matrix: targets, ignore_class, dense inputs, weights,
dtypes and errors."""

import warnings

import numpy as np
import pytest

import ember
from ember import metrics

EPS = 1e-7
RNG = np.random.default_rng(4)
N, C = 12, 4
LABELS = RNG.integers(0, C, N)
PREDS = RNG.integers(0, C, N)
PROBS = RNG.uniform(size=(N, C)).astype("float32")
SW = RNG.uniform(0, 2, N).astype("float32")


def _ref_cm(labels, preds, w=None, ignore_class=None):
    cm = np.zeros((C, C))
    w = np.ones(len(labels)) if w is None else w
    for t, p, wi in zip(labels, preds, w):
        if 0 <= t < C and 0 <= p < C and t != ignore_class:
            cm[t, p] += wi
    return cm


def _ref_iou(cm, ids):
    tp = np.diag(cm)
    den = cm.sum(0) + cm.sum(1) - tp
    tp, den = tp[ids], den[ids]
    valid = den > 1e-9
    return np.where(valid, tp / (den + EPS), 0).sum() / (valid.sum() + EPS)


def test_iou_and_mean_iou_against_numpy():
    iou = metrics.IoU(num_classes=C, target_class_ids=[0, 2])
    mean = metrics.MeanIoU(num_classes=C)
    for m in (iou, mean):
        m.update_state(LABELS, PREDS)
        m.update_state(LABELS[:6], PREDS[:6], sample_weight=np.array([1, 2, 0, 1, 3, 1]))
    cm = _ref_cm(LABELS, PREDS) + _ref_cm(LABELS[:6], PREDS[:6], np.array([1, 2, 0, 1, 3, 1]))
    np.testing.assert_array_equal(iou.total_cm.numpy(), cm)
    assert iou.total_cm.dtype == np.int32
    result = iou.result()
    assert isinstance(result, ember.Tensor) and result.dtype == np.float32
    np.testing.assert_allclose(result.numpy(), _ref_iou(cm, [0, 2]), rtol=1e-6)
    np.testing.assert_allclose(mean.result().numpy(), _ref_iou(cm, list(range(C))), rtol=1e-6)
    mean.reset_state()
    assert float(mean.result()) == 0.0 and not mean.total_cm.numpy().any()


def test_segmentation_maps_and_ignore_class():
    """Label maps are flattened; ignored labels and ids out of range are left out."""
    labels = RNG.integers(-1, C + 1, (3, 5, 5))
    preds = RNG.integers(0, C, (3, 5, 5))
    w = RNG.uniform(0, 2, (3, 5, 5)).astype("float32")
    m = metrics.MeanIoU(num_classes=C, ignore_class=1, dtype="float32")
    m.update_state(labels, preds, sample_weight=w)
    cm = _ref_cm(labels.ravel(), preds.ravel(), w.ravel(), ignore_class=1)
    np.testing.assert_allclose(m.total_cm.numpy(), cm, rtol=1e-6)
    np.testing.assert_allclose(m.result().numpy(), _ref_iou(cm, list(range(C))), rtol=1e-6)


def test_dense_inputs_and_one_hot_variants():
    onehot = np.eye(C, dtype="float32")[LABELS]
    dense = metrics.IoU(num_classes=C, target_class_ids=[1, 3], sparse_y_true=False,
                        sparse_y_pred=False)
    onehot_iou = metrics.OneHotIoU(num_classes=C, target_class_ids=[1, 3])
    onehot_mean = metrics.OneHotMeanIoU(num_classes=C)
    for m in (dense, onehot_iou, onehot_mean):
        m.update_state(onehot, PROBS)
    cm = _ref_cm(LABELS, PROBS.argmax(-1))
    np.testing.assert_allclose(dense.result().numpy(), _ref_iou(cm, [1, 3]), rtol=1e-6)
    np.testing.assert_allclose(onehot_iou.result().numpy(), _ref_iou(cm, [1, 3]), rtol=1e-6)
    np.testing.assert_allclose(onehot_mean.result().numpy(), _ref_iou(cm, list(range(C))),
                               rtol=1e-6)
    sparse_pred = metrics.OneHotMeanIoU(num_classes=C, sparse_y_pred=True)
    sparse_pred.update_state(onehot, PREDS)
    np.testing.assert_allclose(sparse_pred.result().numpy(),
                               _ref_iou(_ref_cm(LABELS, PREDS), list(range(C))), rtol=1e-6)


def test_binary_iou():
    y_true = RNG.integers(0, 2, N)
    y_pred = RNG.uniform(size=N).astype("float32")
    m = metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3, dtype="float32")
    m.update_state(y_true, y_pred, sample_weight=SW)
    cm = np.zeros((2, 2))
    for t, p, w in zip(y_true, (y_pred >= 0.3).astype(int), SW):
        cm[t, p] += w
    np.testing.assert_allclose(m.total_cm.numpy(), cm, rtol=1e-6)
    tp = np.diag(cm)
    den = cm.sum(0) + cm.sum(1) - tp
    np.testing.assert_allclose(m.result().numpy(), (tp / (den + EPS)).mean(), rtol=1e-5)


def test_float_weights_are_truncated_with_int_dtype():
    m = metrics.MeanIoU(num_classes=C)
    with pytest.warns(UserWarning, match="truncated"):
        m.update_state(LABELS, PREDS, sample_weight=SW)
    np.testing.assert_array_equal(m.total_cm.numpy(),
                                  _ref_cm(LABELS, PREDS, SW.astype(np.int32)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.update_state(LABELS, PREDS, sample_weight=np.ones(N, "int32"))


def test_configs_and_names():
    m = metrics.IoU(num_classes=3, target_class_ids=(0, 2), ignore_class=1)
    assert m.name == "io_u" and m.dtype == "int32"
    assert m.get_config() == {"name": "io_u", "dtype": "int32", "num_classes": 3,
                              "target_class_ids": [0, 2], "ignore_class": 1,
                              "sparse_y_true": True, "sparse_y_pred": True, "axis": -1}
    assert "target_class_ids" not in metrics.MeanIoU(num_classes=3).get_config()
    assert "sparse_y_true" not in metrics.OneHotMeanIoU(num_classes=3).get_config()
    assert metrics.BinaryIoU().get_config() == {"target_class_ids": [0, 1], "threshold": 0.5,
                                                "name": "binary_io_u", "dtype": "int32"}
    for m in (metrics.MeanIoU(3, dtype="float32"), metrics.OneHotIoU(3, [1]),
              metrics.BinaryIoU(threshold=0.2)):
        assert type(m).from_config(m.get_config()).get_config() == m.get_config()


def test_errors():
    with pytest.raises(ValueError, match=r"Target class id 4 is out of range.*\[0, 4\)"):
        metrics.IoU(num_classes=C, target_class_ids=[0, 4])
    m = metrics.MeanIoU(num_classes=C)
    with pytest.raises(ValueError, match="12 labels and 5 predictions"):
        m.update_state(LABELS, PREDS[:5])
    with pytest.raises(ValueError, match=r"sample_weight \(3 values\).*\(12\)"):
        m.update_state(LABELS, PREDS, sample_weight=np.ones(3, "int32"))
    with pytest.raises(TypeError):
        metrics.get("MeanIoU")  # num_classes is required, as in Keras
