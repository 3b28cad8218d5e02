"""Metrics against NumPy references (with sample_weight), Keras's documented values, state,
configs and resolution."""

import numpy as np
import pytest

import ember
from ember import metrics, registry
from ember.metrics import (
    AUC,
    Accuracy,
    BinaryAccuracy,
    BinaryCrossentropy,
    CategoricalAccuracy,
    CategoricalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    FalseNegatives,
    FalsePositives,
    Hinge,
    KLDivergence,
    LogCoshError,
    Mean,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanMetricWrapper,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    Precision,
    Recall,
    RootMeanSquaredError,
    SparseCategoricalAccuracy,
    SparseCategoricalCrossentropy,
    SparseTopKCategoricalAccuracy,
    SquaredHinge,
    Sum,
    TopKCategoricalAccuracy,
    TrueNegatives,
    TruePositives,
)

RNG = np.random.default_rng(0)
N, C = 40, 5
PROBS = RNG.random((N, C)).astype("float32")
LABELS = RNG.integers(0, C, N)
ONE_HOT = np.eye(C, dtype="float32")[LABELS]
SW = RNG.random(N).astype("float32")
BIN_TRUE = RNG.integers(0, 2, N).astype("float32")
BIN_PRED = np.clip(BIN_TRUE * 0.4 + RNG.random(N) * 0.6, 0, 1).astype("float32")
Y_REG = RNG.random((N, 3)).astype("float32") + 0.1
P_REG = RNG.random((N, 3)).astype("float32") + 0.1


def _wmean(values, w=None):
    return values.mean() if w is None else (values * w).sum() / w.sum()


def _in_top_k(labels, probs, k):
    return np.array([(probs[i] > probs[i, l]).sum() < k for i, l in enumerate(labels)])


ACCURACY_CASES = [
    (SparseCategoricalAccuracy(), LABELS, PROBS, (PROBS.argmax(1) == LABELS)),
    (SparseCategoricalAccuracy(), LABELS[:, None], PROBS, (PROBS.argmax(1) == LABELS)),
    (SparseCategoricalAccuracy(), LABELS.astype("float32"), ember.Tensor(PROBS),
     (PROBS.argmax(1) == LABELS)),
    (CategoricalAccuracy(), ONE_HOT, PROBS, (PROBS.argmax(1) == LABELS)),
    (Accuracy(), LABELS[:, None], PROBS.argmax(1)[:, None], (PROBS.argmax(1) == LABELS)),
    (BinaryAccuracy(), BIN_TRUE[:, None], BIN_PRED[:, None], (BIN_PRED > 0.5) == BIN_TRUE),
    (BinaryAccuracy(threshold=0.7), BIN_TRUE, BIN_PRED[:, None],
     (BIN_PRED > 0.7) == BIN_TRUE),
    (TopKCategoricalAccuracy(k=2), ONE_HOT, PROBS, _in_top_k(LABELS, PROBS, 2)),
    (SparseTopKCategoricalAccuracy(k=3), LABELS, PROBS, _in_top_k(LABELS, PROBS, 3)),
]


@pytest.mark.parametrize("metric,y_true,y_pred,matches", ACCURACY_CASES,
                         ids=[type(c[0]).__name__ for c in ACCURACY_CASES])
def test_accuracy_metrics(metric, y_true, y_pred, matches):
    matches = matches.astype("float64")
    metric.reset_state()
    half = N // 2
    metric.update_state(y_true[:half], y_pred[:half])
    metric.update_state(y_true[half:], y_pred[half:])
    result = metric.result()
    # a 0-d float32 Tensor, as Keras's and TensorFlow's metrics return
    assert isinstance(result, ember.Tensor) and result.shape == () and result.dtype == np.float32
    assert float(result) == pytest.approx(matches.mean(), rel=1e-6)
    metric.reset_state()
    assert float(metric.result()) == 0.0
    metric.update_state(y_true, y_pred, sample_weight=SW)
    assert float(metric.result()) == pytest.approx(_wmean(matches, SW), rel=1e-5)


def test_keras_documented_values():
    m = Accuracy()
    m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    assert float(m.result()) == 0.75
    m.reset_state()
    m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]], sample_weight=[1, 1, 0, 0])
    assert float(m.result()) == 0.5
    m = BinaryAccuracy()
    m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], sample_weight=[1, 0, 0, 1])
    assert float(m.result()) == 0.5
    m = CategoricalAccuracy()
    m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
                   sample_weight=[0.7, 0.3])
    assert float(m.result()) == pytest.approx(0.3)
    m = SparseTopKCategoricalAccuracy(k=1)
    m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], sample_weight=[0.7, 0.3])
    assert float(m.result()) == pytest.approx(0.3)
    m = Mean()
    m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert float(m.result()) == 2.0
    s = Sum()
    s.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert float(s.result()) == 4.0
    auc = AUC(num_thresholds=3)
    auc.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    assert float(auc.result()) == pytest.approx(0.75)
    auc.reset_state()
    auc.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9], sample_weight=[1, 0, 0, 1])
    assert float(auc.result()) == pytest.approx(1.0)
    p = Precision()
    p.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
    assert float(p.result()) == 1.0
    p = Precision(top_k=2)
    p.update_state([0, 0, 1, 1], [1, 1, 1, 1])
    assert float(p.result()) == 0.0
    r = Recall(class_id=2)
    r.update_state([[0, 0, 1, 0]], [[0.1, 0.2, 0.6, 0.4]])
    assert float(r.result()) == 1.0


def test_mean_sum_shapes_and_weights():
    m = Mean()
    values = RNG.random((N, 3)).astype("float32")
    m.update_state(values, sample_weight=SW)
    assert float(m.result()) == pytest.approx((values.mean(1) * SW).sum() / SW.sum(), rel=1e-5)
    m.reset_state()
    m.update_state(ember.Tensor(np.float32(2.0)))
    m.update_state(4.0)
    assert float(m.result()) == 3.0
    m.update_state(6.0, sample_weight=2)
    assert float(m.result()) == pytest.approx(18 / 4)
    s = Sum()
    s.update_state(values)
    assert float(s.result()) == pytest.approx(values.sum(), rel=1e-5)
    assert [v.name for v in m.variables] == ["total", "count"]
    assert all(not v.trainable for v in m.variables)
    assert float(m(np.array([10.0]))) == pytest.approx(28 / 5)  # __call__ updates


def _np_losses():
    t, p = Y_REG.astype("float64"), P_REG.astype("float64")
    eps = 1e-7
    return {
        MeanSquaredError: ((t - p) ** 2).mean(-1),
        MeanAbsoluteError: np.abs(t - p).mean(-1),
        MeanAbsolutePercentageError: 100 * np.abs((t - p) / t).mean(-1),
        MeanSquaredLogarithmicError: ((np.log1p(p) - np.log1p(t)) ** 2).mean(-1),
        LogCoshError: np.log(np.cosh(p - t)).mean(-1),
        CosineSimilarity: ((t / np.linalg.norm(t, axis=-1, keepdims=True))
                           * (p / np.linalg.norm(p, axis=-1, keepdims=True))).sum(-1),
        Poisson: (p - t * np.log(p + eps)).mean(-1),
        KLDivergence: (np.clip(t, eps, 1) * np.log(np.clip(t, eps, 1) / np.clip(p, eps, 1))
                       ).sum(-1),
    }


@pytest.mark.parametrize("cls", list(_np_losses()), ids=lambda c: c.__name__)
def test_regression_metrics(cls, ):
    per = _np_losses()[cls]
    m = cls()
    m.update_state(Y_REG, ember.Tensor(P_REG))
    assert float(m.result()) == pytest.approx(per.mean(), rel=2e-5)
    m.reset_state()
    m.update_state(Y_REG, P_REG, sample_weight=SW)
    assert float(m.result()) == pytest.approx(_wmean(per, SW), rel=2e-5)


def test_rmse():
    m = RootMeanSquaredError()
    m.update_state(Y_REG, P_REG)
    assert float(m.result()) == pytest.approx(np.sqrt(((Y_REG - P_REG) ** 2).mean()), rel=1e-5)
    m.reset_state()
    m.update_state(Y_REG, P_REG, sample_weight=SW)
    want = np.sqrt((((Y_REG - P_REG) ** 2).mean(-1) * SW).sum() / SW.sum())
    assert float(m.result()) == pytest.approx(want, rel=1e-5)


def test_probabilistic_and_hinge_metrics_match_losses():
    for metric, loss_fn, t, p in [
        (BinaryCrossentropy(), ember.losses.binary_crossentropy, BIN_TRUE[:, None],
         BIN_PRED[:, None]),
        (CategoricalCrossentropy(), ember.losses.categorical_crossentropy, ONE_HOT, PROBS),
        (SparseCategoricalCrossentropy(), ember.losses.sparse_categorical_crossentropy,
         LABELS, PROBS),
        (Hinge(), ember.losses.hinge, BIN_TRUE[:, None], BIN_PRED[:, None]),
        (SquaredHinge(), ember.losses.squared_hinge, BIN_TRUE[:, None], BIN_PRED[:, None]),
        (CategoricalHinge(), ember.losses.categorical_hinge, ONE_HOT, PROBS),
    ]:
        metric.update_state(t, p, sample_weight=SW)
        per = ember.ops.convert_to_numpy(loss_fn(t, p)).astype("float64")
        assert float(metric.result()) == pytest.approx(_wmean(per, SW), rel=2e-5)


def _confusion(y_true, y_pred, thresholds, w=None):
    w = np.ones(len(y_true)) if w is None else w
    out = {}
    for k in ("tp", "fp", "tn", "fn"):
        out[k] = []
    for t in thresholds:
        pos = y_pred > t
        out["tp"].append(((pos & (y_true == 1)) * w).sum())
        out["fp"].append(((pos & (y_true == 0)) * w).sum())
        out["tn"].append(((~pos & (y_true == 0)) * w).sum())
        out["fn"].append(((~pos & (y_true == 1)) * w).sum())
    return {k: np.array(v) for k, v in out.items()}


@pytest.mark.parametrize("thresholds", [None, 0.3, [0.2, 0.5, 0.8], [0.0, 0.5, 1.0]])
def test_precision_recall_and_counts(thresholds):
    ts = [0.5] if thresholds is None else (
        [thresholds] if isinstance(thresholds, float) else thresholds)
    ref = _confusion(BIN_TRUE, BIN_PRED, ts, SW)
    precision, recall = Precision(thresholds=thresholds), Recall(thresholds=thresholds)
    counts = [TruePositives(thresholds), FalsePositives(thresholds), TrueNegatives(thresholds),
              FalseNegatives(thresholds)]
    for m in [precision, recall, *counts]:
        m.update_state(BIN_TRUE[:20], BIN_PRED[:20], sample_weight=SW[:20])
        m.update_state(BIN_TRUE[20:], BIN_PRED[20:], sample_weight=SW[20:])
    with np.errstate(invalid="ignore"):
        want_p = np.nan_to_num(ref["tp"] / (ref["tp"] + ref["fp"]))  # divide_no_nan
        want_r = np.nan_to_num(ref["tp"] / (ref["tp"] + ref["fn"]))
    np.testing.assert_allclose(np.atleast_1d(precision.result()), want_p, rtol=1e-5)
    np.testing.assert_allclose(np.atleast_1d(recall.result()), want_r, rtol=1e-5)
    for m, key in zip(counts, ("tp", "fp", "tn", "fn")):
        np.testing.assert_allclose(np.atleast_1d(m.result()), ref[key], rtol=1e-5, atol=1e-6)
    if len(ts) == 1:
        assert np.ndim(precision.result()) == 0


def test_precision_top_k_and_class_id():
    y_true = (RNG.random((N, C)) > 0.6).astype("float32")
    p = Precision(top_k=2)
    p.update_state(y_true, PROBS)
    top2 = np.argsort(-PROBS, axis=1)[:, :2]
    hits = np.take_along_axis(y_true, top2, axis=1)
    assert float(p.result()) == pytest.approx(hits.mean(), rel=1e-6)
    r = Recall(class_id=1, thresholds=0.4)
    r.update_state(y_true, PROBS)
    col_t, col_p = y_true[:, 1] == 1, PROBS[:, 1] > 0.4
    assert float(r.result()) == pytest.approx((col_t & col_p).sum() / col_t.sum(), rel=1e-6)


def _trapezoid_auc(y_true, y_pred, n, w=None, curve="ROC"):
    eps = 1e-7
    ts = [-eps] + [(i + 1) / (n - 1) for i in range(n - 2)] + [1 + eps]
    c = _confusion(y_true, y_pred, ts, w)
    recall = c["tp"] / np.maximum(c["tp"] + c["fn"], 1e-300)
    if curve == "ROC":
        x, y = c["fp"] / np.maximum(c["fp"] + c["tn"], 1e-300), recall
    else:
        p = c["tp"] + c["fp"]
        x, y = recall, np.where(p > 0, c["tp"] / np.where(p > 0, p, 1), 0)
    return ((x[:-1] - x[1:]) * (y[:-1] + y[1:]) / 2).sum()


@pytest.mark.parametrize("num_thresholds", [3, 50, 200])
def test_auc_roc_against_trapezoids_and_exact(num_thresholds):
    auc = AUC(num_thresholds=num_thresholds)
    auc.update_state(BIN_TRUE, BIN_PRED, sample_weight=SW)
    want = _trapezoid_auc(BIN_TRUE, BIN_PRED, num_thresholds, SW)
    assert float(auc.result()) == pytest.approx(want, rel=1e-5, abs=1e-7)
    if num_thresholds == 200:  # close to the exact (Mann-Whitney) AUC
        pos, neg = BIN_PRED[BIN_TRUE == 1], BIN_PRED[BIN_TRUE == 0]
        exact = ((pos[:, None] > neg[None]).mean() + 0.5 * (pos[:, None] == neg[None]).mean())
        fresh = AUC()
        fresh.update_state(BIN_TRUE, BIN_PRED)
        assert float(fresh.result()) == pytest.approx(exact, abs=0.01)


def test_auc_variants():
    explicit = AUC(thresholds=[0.25, 0.5, 0.75])
    even = AUC(num_thresholds=5)
    explicit.update_state(BIN_TRUE, BIN_PRED)
    even.update_state(BIN_TRUE, BIN_PRED)
    assert float(explicit.result()) == pytest.approx(float(even.result()), rel=1e-6)
    uneven = AUC(thresholds=[0.1, 0.35, 0.9])
    uneven.update_state(BIN_TRUE, BIN_PRED)
    ts = [-1e-7, 0.1, 0.35, 0.9, 1 + 1e-7]
    c = _confusion(BIN_TRUE, BIN_PRED, ts)
    tpr, fpr = c["tp"] / (c["tp"] + c["fn"]), c["fp"] / (c["fp"] + c["tn"])
    want = ((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2).sum()
    assert float(uneven.result()) == pytest.approx(want, rel=1e-5)
    lo, hi = AUC(summation_method="minoring"), AUC(summation_method="majoring")
    mid = AUC()
    for m in (lo, hi, mid):
        m.update_state(BIN_TRUE, BIN_PRED)
    assert float(lo.result()) <= float(mid.result()) <= float(hi.result())
    logits = AUC(from_logits=True)
    logits.update_state(BIN_TRUE, np.log(BIN_PRED + 1e-3) - np.log1p(-BIN_PRED + 1e-3))
    assert float(logits.result()) == pytest.approx(float(mid.result()), abs=0.02)
    pr = AUC(curve="PR", summation_method="majoring", num_thresholds=20)
    pr.update_state(BIN_TRUE, BIN_PRED)
    assert 0 < float(pr.result()) <= 1


def test_auc_pr_interpolation():
    pr = AUC(curve="PR", num_thresholds=3)
    pr.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    # thresholds (-eps, 0.5, 1+eps): tp=[2,1,0], fp=[2,0,0], fn=[0,1,2]
    # bucket 1: dTP=1, dP=3, slope=1/3, intercept=1-1/3, area=(1/3)*(1+(2/3)*log(4))/2
    # bucket 2: P_B=0: ratio 1, slope 1, area (1 - 0)/2
    want = (1 / 3) * (1 + (2 / 3) * np.log(4)) / 2 + 0.5
    assert float(pr.result()) == pytest.approx(want, rel=1e-5)
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 500)
    p = np.clip(y * 0.3 + rng.random(500) * 0.7, 0, 1)
    pr = AUC(curve="PR")
    pr.update_state(y, p)
    order = np.argsort(-p)
    hits = y[order]
    precision_at = np.cumsum(hits) / np.arange(1, 501)
    average_precision = (precision_at * hits).sum() / hits.sum()
    assert float(pr.result()) == pytest.approx(average_precision, abs=0.02)


def test_auc_multi_label():
    y_true = (RNG.random((N, 3)) > 0.5).astype("float32")
    y_pred = RNG.random((N, 3)).astype("float32")
    multi = AUC(multi_label=True, num_thresholds=50)
    multi.update_state(y_true, y_pred)
    singles = []
    for j in range(3):
        a = AUC(num_thresholds=50)
        a.update_state(y_true[:, j], y_pred[:, j])
        singles.append(float(a.result()))
    assert float(multi.result()) == pytest.approx(np.mean(singles), rel=1e-5)
    weighted = AUC(multi_label=True, num_thresholds=50, label_weights=[1.0, 0.0, 3.0])
    weighted.update_state(y_true, y_pred)
    assert float(weighted.result()) == pytest.approx((singles[0] + 3 * singles[2]) / 4,
                                                     rel=1e-5)
    flat = AUC(num_thresholds=50)
    flat.update_state(y_true, y_pred)
    flat2 = AUC(num_thresholds=50)
    flat2.update_state(y_true.reshape(-1), y_pred.reshape(-1))
    assert float(flat.result()) == pytest.approx(float(flat2.result()))
    uneven = AUC(multi_label=True, thresholds=[0.1, 0.3, 0.8])
    uneven.update_state(y_true, y_pred)
    per = []
    for j in range(3):
        a = AUC(thresholds=[0.1, 0.3, 0.8])
        a.update_state(y_true[:, j], y_pred[:, j])
        per.append(float(a.result()))
    assert float(uneven.result()) == pytest.approx(np.mean(per), rel=1e-5)
    with pytest.raises(ValueError, match="rank 2"):
        AUC(multi_label=True).update_state([1, 0], [0.2, 0.3])


def test_mean_metric_wrapper_with_custom_function():
    def within(y_true, y_pred, tol=0.1):
        return (np.abs(y_true - y_pred) < tol).mean(-1)

    m = MeanMetricWrapper(within, tol=0.3)
    assert m.name == "within"
    m.update_state(Y_REG, P_REG)
    assert float(m.result()) == pytest.approx((np.abs(Y_REG - P_REG) < 0.3).mean(-1).mean(),
                                              rel=1e-6)
    ops_metric = MeanMetricWrapper(ember.losses.mean_squared_error)
    v = ember.Variable(P_REG)
    with ember.GradientTape() as tape:
        y = v * 1.0
        ops_metric.update_state(Y_REG, y)  # works on raw arrays: nothing recorded
    assert len(tape._nodes) == 1
    assert float(ops_metric.result()) == pytest.approx(((Y_REG - P_REG) ** 2).mean(), rel=1e-5)
    cfg = ops_metric.get_config()
    assert cfg["fn"] == "mean_squared_error"
    rebuilt = MeanMetricWrapper.from_config(cfg)
    assert rebuilt._fn is ember.losses.mean_squared_error
    acc = MeanMetricWrapper(metrics.sparse_categorical_accuracy)
    again = MeanMetricWrapper.from_config(acc.get_config())
    assert again._fn is metrics.sparse_categorical_accuracy


ALL = [Mean(name="m"), Sum(), Accuracy(), BinaryAccuracy(threshold=0.3), CategoricalAccuracy(),
       SparseCategoricalAccuracy(), TopKCategoricalAccuracy(k=3),
       SparseTopKCategoricalAccuracy(k=2), MeanSquaredError(), MeanAbsoluteError(),
       RootMeanSquaredError(), MeanAbsolutePercentageError(), MeanSquaredLogarithmicError(),
       CosineSimilarity(axis=1), LogCoshError(), BinaryCrossentropy(from_logits=True),
       CategoricalCrossentropy(label_smoothing=0.1), SparseCategoricalCrossentropy(),
       KLDivergence(), Poisson(), Hinge(), SquaredHinge(), CategoricalHinge(),
       Precision(thresholds=[0.3, 0.6], class_id=1), Recall(top_k=2), TruePositives(0.4),
       FalsePositives(), TrueNegatives(), FalseNegatives(),
       AUC(num_thresholds=50, curve="PR", summation_method="minoring"),
       AUC(thresholds=[0.2, 0.7], multi_label=True, num_labels=3, label_weights=[1, 2, 3])]


@pytest.mark.parametrize("metric", ALL, ids=[type(m).__name__ for m in ALL])
def test_round_trip(metric):
    env = registry.serialize(metric)
    assert env["module"] == "keras.metrics" and env["class_name"] == type(metric).__name__
    rebuilt = metrics.deserialize(env)
    assert type(rebuilt) is type(metric)
    assert rebuilt.get_config() == metric.get_config()
    assert [v.shape for v in rebuilt.variables] == [v.shape for v in metric.variables]


def test_keras_configs():
    assert SparseCategoricalAccuracy().get_config() == {
        "name": "sparse_categorical_accuracy", "dtype": "float32"}
    assert BinaryAccuracy().get_config() == {"name": "binary_accuracy", "dtype": "float32",
                                             "threshold": 0.5}
    assert Precision().get_config() == {"thresholds": None, "top_k": None, "class_id": None,
                                        "name": "precision", "dtype": "float32"}
    cfg = AUC().get_config()
    assert cfg["num_thresholds"] == 200 and cfg["curve"] == "ROC"
    assert cfg["summation_method"] == "interpolation" and "thresholds" not in cfg


@pytest.mark.parametrize("name,cls", [
    ("accuracy", Accuracy), ("binary_accuracy", BinaryAccuracy),
    ("categorical_accuracy", CategoricalAccuracy),
    ("sparse_categorical_accuracy", SparseCategoricalAccuracy),
    ("SparseCategoricalAccuracy", SparseCategoricalAccuracy),
    ("top_k_categorical_accuracy", TopKCategoricalAccuracy), ("mse", MeanSquaredError),
    ("mae", MeanAbsoluteError), ("mean_squared_error", MeanSquaredError),
    ("root_mean_squared_error", RootMeanSquaredError), ("auc", AUC), ("AUC", AUC),
    ("precision", Precision), ("recall", Recall), ("mean", Mean), ("sum", Sum),
])
def test_get_by_name(name, cls):
    assert type(metrics.get(name)) is cls


def test_get_metric_resolves_accuracy_from_shapes():
    m = metrics.get_metric("accuracy", np.zeros(32), np.zeros((32, 10)))
    assert type(m) is SparseCategoricalAccuracy and m.name == "accuracy"
    m = metrics.get_metric("acc", np.zeros((32, 1)), np.zeros((32, 10)))
    assert type(m) is SparseCategoricalAccuracy and m.name == "acc"
    assert type(metrics.get_metric("accuracy", (32, 10), (32, 10))) is CategoricalAccuracy
    assert type(metrics.get_metric("accuracy", (32, 1), (32, 1))) is BinaryAccuracy
    assert type(metrics.get_metric("mae", (32, 1), (32, 1))) is MeanAbsoluteError
    f = metrics.get_metric(metrics.sparse_categorical_accuracy, (4,), (4, 3))
    assert isinstance(f, MeanMetricWrapper) and f.name == "sparse_categorical_accuracy"


def test_get_errors_and_passthrough():
    assert metrics.get(None) is None
    m = AUC()
    assert metrics.get(m) is m
    assert metrics.get(metrics.binary_accuracy) is metrics.binary_accuracy
    with pytest.raises(ValueError, match="Unknown metric: 'acuracy'.*accuracy"):
        metrics.get("acuracy")
    with pytest.raises(ValueError, match="threshold"):
        BinaryAccuracy(threshold=1.5)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        Precision(thresholds=[1.5])
    with pytest.raises(ValueError, match="curve"):
        AUC(curve="XY")


def test_metric_functions_return_per_sample_arrays():
    out = metrics.sparse_categorical_accuracy(LABELS, PROBS)
    assert isinstance(out, np.ndarray) and out.shape == (N,) and out.dtype == np.float32
    assert metrics.categorical_accuracy(ONE_HOT, PROBS).shape == (N,)
    assert metrics.top_k_categorical_accuracy(ONE_HOT, PROBS, k=C).min() == 1.0
    sorted_ids = np.argsort(-PROBS, axis=1)
    np.testing.assert_array_equal(
        metrics.sparse_top_k_categorical_accuracy(LABELS, sorted_ids, k=2, from_sorted_ids=True),
        metrics.sparse_top_k_categorical_accuracy(LABELS, PROBS, k=2))
