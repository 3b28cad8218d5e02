"""Losses against NumPy references: reductions, sample_weight, from_logits, label_smoothing,
ignore_class, gradients, configs and resolution."""

import numpy as np
import pytest

import ember
from ember import check_gradients, losses, registry
from ember.losses import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    Huber,
    KLDivergence,
    LogCosh,
    LossFunctionWrapper,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
)

EPS = 1e-7
RNG = np.random.default_rng(0)
N, C = 6, 4
LOGITS = RNG.standard_normal((N, C)).astype("float32") * 2
LABELS = RNG.integers(0, C, N)
ONE_HOT = np.eye(C, dtype="float32")[LABELS]
SW = RNG.random(N).astype("float32")
Y_REG = RNG.random((N, 3)).astype("float32") + 0.1
P_REG = RNG.random((N, 3)).astype("float32") + 0.1


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


PROBS = _softmax(LOGITS.astype("float64")).astype("float32")


def _np(x):
    return ember.ops.convert_to_numpy(x)


def _ref_scce(labels, probs):
    return -np.log(np.clip(probs / probs.sum(-1, keepdims=True), EPS, 1 - EPS)[
        np.arange(len(labels)), labels])


def _ref_cce(t, probs):
    return -(t * np.log(np.clip(probs / probs.sum(-1, keepdims=True), EPS, 1 - EPS))).sum(-1)


def _ref_bce(t, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean(-1)


PER_SAMPLE = {
    "mse": (losses.mean_squared_error, lambda t, p: ((t - p) ** 2).mean(-1)),
    "mae": (losses.mean_absolute_error, lambda t, p: np.abs(t - p).mean(-1)),
    "mape": (losses.mean_absolute_percentage_error,
             lambda t, p: 100 * np.abs((t - p) / np.maximum(np.abs(t), EPS)).mean(-1)),
    "msle": (losses.mean_squared_logarithmic_error,
             lambda t, p: ((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1))
                           ** 2).mean(-1)),
    "log_cosh": (losses.log_cosh, lambda t, p: np.log(np.cosh(p - t)).mean(-1)),
    "huber": (losses.huber, lambda t, p: np.where(np.abs(p - t) <= 1.0, 0.5 * (p - t) ** 2,
                                                 np.abs(p - t) - 0.5).mean(-1)),
    "kl_divergence": (losses.kl_divergence,
                      lambda t, p: (np.clip(t, EPS, 1) * np.log(np.clip(t, EPS, 1)
                                                                / np.clip(p, EPS, 1))).sum(-1)),
    "poisson": (losses.poisson, lambda t, p: (p - t * np.log(p + EPS)).mean(-1)),
    "cosine_similarity": (losses.cosine_similarity,
                          lambda t, p: -((t / np.linalg.norm(t, axis=-1, keepdims=True))
                                         * (p / np.linalg.norm(p, axis=-1, keepdims=True))
                                         ).sum(-1)),
}


@pytest.mark.parametrize("name", sorted(PER_SAMPLE))
def test_regression_functions(name):
    fn, ref = PER_SAMPLE[name]
    out = fn(Y_REG, P_REG)
    assert out.shape == (N,) and out.dtype == np.float32
    np.testing.assert_allclose(_np(out), ref(Y_REG.astype("float64"), P_REG.astype("float64")),
                               rtol=2e-5, atol=1e-6)


def test_huber_delta_and_hinges():
    t, p = Y_REG * 3, P_REG
    np.testing.assert_allclose(
        _np(losses.huber(t, p, delta=0.5)),
        np.where(np.abs(p - t) <= 0.5, 0.5 * (p - t) ** 2, 0.5 * np.abs(p - t) - 0.125).mean(-1),
        rtol=1e-5)
    labels01 = (RNG.random((N, 3)) > 0.5).astype("float32")
    pm = 2 * labels01 - 1
    pred = RNG.standard_normal((N, 3)).astype("float32")
    np.testing.assert_allclose(_np(losses.hinge(labels01, pred)),
                               np.maximum(1 - pm * pred, 0).mean(-1), rtol=1e-6)
    np.testing.assert_allclose(_np(losses.hinge(pm, pred)),
                               np.maximum(1 - pm * pred, 0).mean(-1), rtol=1e-6)
    np.testing.assert_allclose(_np(losses.squared_hinge(labels01, pred)),
                               (np.maximum(1 - pm * pred, 0) ** 2).mean(-1), rtol=1e-6)
    pos = (ONE_HOT * LOGITS).sum(-1)
    neg = ((1 - ONE_HOT) * LOGITS).max(-1)
    np.testing.assert_allclose(_np(losses.categorical_hinge(ONE_HOT, LOGITS)),
                               np.maximum(neg - pos + 1, 0), rtol=1e-6)


def test_crossentropy_functions():
    np.testing.assert_allclose(_np(losses.sparse_categorical_crossentropy(LABELS, PROBS)),
                               _ref_scce(LABELS, PROBS), rtol=1e-5)
    np.testing.assert_allclose(
        _np(losses.sparse_categorical_crossentropy(LABELS, LOGITS, from_logits=True)),
        _ref_scce(LABELS, PROBS), rtol=1e-5)
    np.testing.assert_allclose(_np(losses.categorical_crossentropy(ONE_HOT, PROBS)),
                               _ref_cce(ONE_HOT, PROBS), rtol=1e-5)
    np.testing.assert_allclose(
        _np(losses.categorical_crossentropy(ONE_HOT, LOGITS, from_logits=True)),
        _ref_cce(ONE_HOT, PROBS), rtol=1e-5)
    smooth = ONE_HOT * 0.8 + 0.2 / C
    np.testing.assert_allclose(
        _np(losses.categorical_crossentropy(ONE_HOT, PROBS, label_smoothing=0.2)),
        _ref_cce(smooth, PROBS), rtol=1e-5)
    t = (RNG.random((N, 3)) > 0.5).astype("float32")
    z = RNG.standard_normal((N, 3)).astype("float32")
    np.testing.assert_allclose(_np(losses.binary_crossentropy(t, _sigmoid(z))),
                               _ref_bce(t, _sigmoid(z.astype("float64"))), rtol=1e-5)
    np.testing.assert_allclose(_np(losses.binary_crossentropy(t, z, from_logits=True)),
                               _ref_bce(t, _sigmoid(z.astype("float64"))), rtol=1e-5)
    np.testing.assert_allclose(
        _np(losses.binary_crossentropy(t, z, from_logits=True, label_smoothing=0.1)),
        _ref_bce(t * 0.9 + 0.05, _sigmoid(z.astype("float64"))), rtol=1e-5)


def test_keras_documented_values():
    y_true = [[0, 1, 0], [0, 0, 1]]
    y_pred = np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]], "float32")
    cce = CategoricalCrossentropy()
    assert float(cce(y_true, y_pred)) == pytest.approx(1.177, abs=1e-3)
    assert float(cce(y_true, y_pred, sample_weight=np.array([0.3, 0.7]))) == pytest.approx(
        0.814, abs=1e-3)
    assert float(CategoricalCrossentropy(reduction="sum")(y_true, y_pred)) == pytest.approx(
        2.354, abs=1e-3)
    np.testing.assert_allclose(_np(CategoricalCrossentropy(reduction=None)(y_true, y_pred)),
                               [0.0513, 2.303], atol=1e-3)
    assert float(SparseCategoricalCrossentropy()([1, 2], y_pred)) == pytest.approx(1.177,
                                                                                   abs=1e-3)
    bce = BinaryCrossentropy()
    assert float(bce([[0, 1], [0, 0]], np.array([[0.6, 0.4], [0.4, 0.6]], "float32"))) == \
        pytest.approx(0.815, abs=1e-3)
    assert float(losses.huber([[0, 1], [0, 0]], np.array([[0.6, 0.4], [0.4, 0.6]])).numpy()
                 .mean()) == pytest.approx(0.155, abs=1e-3)


CLASSES = [
    (MeanSquaredError(), PER_SAMPLE["mse"][1], Y_REG, P_REG),
    (MeanAbsoluteError(), PER_SAMPLE["mae"][1], Y_REG, P_REG),
    (MeanAbsolutePercentageError(), PER_SAMPLE["mape"][1], Y_REG, P_REG),
    (MeanSquaredLogarithmicError(), PER_SAMPLE["msle"][1], Y_REG, P_REG),
    (LogCosh(), PER_SAMPLE["log_cosh"][1], Y_REG, P_REG),
    (Huber(), PER_SAMPLE["huber"][1], Y_REG, P_REG),
    (KLDivergence(), PER_SAMPLE["kl_divergence"][1], Y_REG, P_REG),
    (Poisson(), PER_SAMPLE["poisson"][1], Y_REG, P_REG),
    (CosineSimilarity(), PER_SAMPLE["cosine_similarity"][1], Y_REG, P_REG),
    (SparseCategoricalCrossentropy(), lambda t, p: _ref_scce(t, p), LABELS, PROBS),
    (SparseCategoricalCrossentropy(from_logits=True), lambda t, p: _ref_scce(t, _softmax(p)),
     LABELS, LOGITS),
    (CategoricalCrossentropy(), _ref_cce, ONE_HOT, PROBS),
    (CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
     lambda t, p: _ref_cce(t * 0.9 + 0.1 / C, _softmax(p)), ONE_HOT, LOGITS),
    (BinaryCrossentropy(), _ref_bce, (Y_REG > 0.5).astype("float32"), P_REG / 1.2),
    (BinaryCrossentropy(from_logits=True, label_smoothing=0.2),
     lambda t, p: _ref_bce(t * 0.8 + 0.1, _sigmoid(p)), (Y_REG > 0.5).astype("float32"),
     LOGITS[:, :3]),
]


@pytest.mark.parametrize("loss,ref,y_true,y_pred", CLASSES,
                         ids=[type(c[0]).__name__ for c in CLASSES])
def test_classes_reductions_and_sample_weight(loss, ref, y_true, y_pred):
    per = ref(y_true, y_pred.astype("float64"))
    out = loss(y_true, y_pred)
    assert out.shape == () and out.dtype == np.float32
    assert float(out) == pytest.approx(per.mean(), rel=2e-5, abs=1e-6)
    assert float(loss(y_true, y_pred, sample_weight=SW)) == pytest.approx(
        (per * SW).sum() / N, rel=2e-5, abs=1e-6)
    assert float(loss(y_true, y_pred, sample_weight=SW[:, None])) == pytest.approx(
        (per * SW).sum() / N, rel=2e-5, abs=1e-6)
    assert float(loss(y_true, y_pred, sample_weight=2.0)) == pytest.approx(
        2 * per.mean(), rel=2e-5, abs=1e-6)
    config = loss.get_config()
    for reduction, want in [("sum", (per * SW).sum()), ("mean", (per * SW).mean()),
                            ("mean_with_sample_weight", (per * SW).sum() / SW.sum())]:
        other = type(loss).from_config({**config, "reduction": reduction})
        assert float(other(y_true, y_pred, sample_weight=SW)) == pytest.approx(
            want, rel=2e-5, abs=1e-6)
    none = type(loss).from_config({**config, "reduction": "none"})
    np.testing.assert_allclose(_np(none(y_true, y_pred)), per, rtol=2e-5, atol=1e-6)


def test_hinge_classes():
    labels01 = (Y_REG > 0.5).astype("float32")
    for cls, fn in [(Hinge, losses.hinge), (SquaredHinge, losses.squared_hinge),
                    (CategoricalHinge, losses.categorical_hinge)]:
        assert float(cls()(labels01, P_REG)) == pytest.approx(float(_np(fn(labels01,
                                                                           P_REG)).mean()))


def test_gradients_flow_and_match():
    z = ember.Variable(LOGITS)
    with ember.GradientTape() as tape:
        loss = SparseCategoricalCrossentropy()(LABELS, ember.activations.softmax(z))
    g = tape.gradient(loss, z).numpy()
    np.testing.assert_allclose(g, (PROBS - ONE_HOT) / N, rtol=1e-4, atol=1e-6)
    for loss_obj, t in [(MeanSquaredError(), Y_REG), (Huber(), Y_REG), (LogCosh(), Y_REG),
                        (CategoricalCrossentropy(from_logits=True), ONE_HOT)]:
        w = ember.Variable(P_REG if t is Y_REG else LOGITS)
        with ember.GradientTape() as tape:
            value = loss_obj(t, w, sample_weight=SW)
        grad = tape.gradient(value, w)
        assert grad is not None and grad.shape == w.shape and grad.dtype == np.float32
    w = ember.Variable(P_REG)
    with ember.GradientTape() as tape:
        value = MeanSquaredError()(Y_REG, w)
    np.testing.assert_allclose(tape.gradient(value, w).numpy(),
                               2 * (P_REG - Y_REG) / (N * 3), rtol=1e-5)


def test_sparse_labels_shapes_dtypes_and_errors():
    base = float(SparseCategoricalCrossentropy()(LABELS, PROBS))
    assert float(SparseCategoricalCrossentropy()(LABELS[:, None], PROBS)) == pytest.approx(base)
    assert float(SparseCategoricalCrossentropy()(LABELS.astype("float32"), PROBS)) == \
        pytest.approx(base)
    assert float(SparseCategoricalCrossentropy()(LABELS.astype("uint8"), PROBS)) == \
        pytest.approx(base)
    bad = LABELS.copy()
    bad[2] = C
    with pytest.raises(ValueError, match=rf"label value of {C}.*\[0, {C}\)"):
        SparseCategoricalCrossentropy()(bad, PROBS)


def test_ignore_class():
    labels = LABELS.copy()
    labels[:2] = -1
    loss = SparseCategoricalCrossentropy(ignore_class=-1)
    per = _ref_scce(LABELS, PROBS)
    assert float(loss(labels, PROBS)) == pytest.approx(per[2:].mean(), rel=1e-5)
    assert float(loss(labels, PROBS, sample_weight=SW)) == pytest.approx(
        (per[2:] * SW[2:]).sum() / (N - 2), rel=1e-5)
    out = _np(losses.sparse_categorical_crossentropy(labels, PROBS, ignore_class=-1))
    assert (out[:2] == 0).all()
    np.testing.assert_allclose(out[2:], per[2:], rtol=1e-5)


def test_dtype_handling():
    out = MeanSquaredError()(Y_REG.astype("float64"), P_REG.astype("float64"))
    assert out.dtype == np.float32
    out = MeanSquaredError(dtype="float64")(Y_REG, P_REG)
    assert out.dtype == np.float64
    assert MeanSquaredError(dtype="float64").get_config()["dtype"] == "float64"
    assert losses.mean_squared_error(Y_REG.astype("int64"), P_REG).dtype == np.float32
    assert float(MeanSquaredError()(Y_REG[:, :1], P_REG[:, 0])) == pytest.approx(
        ((Y_REG[:, 0] - P_REG[:, 0]) ** 2).mean(), rel=1e-6)


def test_custom_function_wrapper():
    def my_loss(y_true, y_pred):
        return ember.ops.mean(ember.ops.abs(y_true - y_pred), axis=-1)

    wrapped = LossFunctionWrapper(my_loss)
    assert wrapped.name == "my_loss"
    assert float(wrapped(Y_REG, P_REG)) == pytest.approx(np.abs(Y_REG - P_REG).mean(), rel=1e-6)
    w2 = LossFunctionWrapper(losses.huber, delta=0.3)
    cfg = w2.get_config()
    assert cfg["fn"] == "huber" and cfg["delta"] == 0.3
    rebuilt = LossFunctionWrapper.from_config(cfg)
    assert rebuilt.fn is losses.huber and float(rebuilt(Y_REG, P_REG)) == float(w2(Y_REG, P_REG))


ALL = [MeanSquaredError(), MeanAbsoluteError(name="m"), MeanAbsolutePercentageError(),
       MeanSquaredLogarithmicError(), CosineSimilarity(axis=0), Huber(delta=2.0), LogCosh(),
       Hinge(), SquaredHinge(), CategoricalHinge(), KLDivergence(), Poisson(reduction="sum"),
       BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
       CategoricalCrossentropy(label_smoothing=0.2, axis=1),
       SparseCategoricalCrossentropy(from_logits=True, ignore_class=3)]


@pytest.mark.parametrize("loss", ALL, ids=[type(x).__name__ for x in ALL])
def test_round_trip(loss):
    env = registry.serialize(loss)
    assert env["module"] == "keras.losses" and env["class_name"] == type(loss).__name__
    rebuilt = losses.deserialize(env)
    assert type(rebuilt) is type(loss) and rebuilt.get_config() == loss.get_config()


def test_keras_configs():
    assert MeanSquaredError().get_config() == {"name": "mean_squared_error",
                                               "reduction": "sum_over_batch_size"}
    assert SparseCategoricalCrossentropy().get_config() == {
        "name": "sparse_categorical_crossentropy", "reduction": "sum_over_batch_size",
        "from_logits": False, "ignore_class": None}
    assert BinaryCrossentropy().get_config() == {
        "name": "binary_crossentropy", "reduction": "sum_over_batch_size",
        "from_logits": False, "label_smoothing": 0.0, "axis": -1}


@pytest.mark.parametrize("name,obj", [
    ("mse", losses.mean_squared_error), ("MSE", losses.mean_squared_error),
    ("mae", losses.mean_absolute_error), ("mape", losses.mean_absolute_percentage_error),
    ("msle", losses.mean_squared_logarithmic_error), ("kld", losses.kl_divergence),
    ("bce", losses.binary_crossentropy), ("logcosh", losses.log_cosh),
    ("sparse_categorical_crossentropy", losses.sparse_categorical_crossentropy),
    ("categorical_crossentropy", losses.categorical_crossentropy), ("huber", losses.huber),
    ("poisson", losses.poisson), ("hinge", losses.hinge),
])
def test_get_functions(name, obj):
    assert losses.get(name) is obj
    assert losses.serialize(obj) in (name, obj.__name__)
    assert losses.deserialize(losses.serialize(obj)) is obj


def test_get_classes_and_errors():
    assert type(losses.get("SparseCategoricalCrossentropy")) is SparseCategoricalCrossentropy
    assert type(losses.get("MeanSquaredError")) is MeanSquaredError
    got = losses.get({"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}})
    assert got.from_logits is True
    assert losses.get(None) is None
    with pytest.raises(ValueError, match="Unknown loss: 'sparse_categorical'.*mse"):
        losses.get("sparse_categorical")
    with pytest.raises(ValueError, match="reduction"):
        MeanSquaredError(reduction="avg")


# -- focal, overlap, circle and generalized crossentropy losses ---------------------------------
def _ref_binary_focal(t, p, balance=False, alpha=0.25, gamma=2.0):
    pc = np.clip(p, EPS, 1 - EPS)
    bce = -(t * np.log(pc) + (1 - t) * np.log(1 - pc))
    p_t = t * p + (1 - t) * (1 - p)
    out = (1 - p_t) ** gamma * bce
    if balance:
        out = (t * alpha + (1 - t) * (1 - alpha)) * out
    return out.mean(-1)


def _ref_categorical_focal(t, p, alpha=0.25, gamma=2.0):
    out = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return (alpha * (1 - out) ** gamma * -t * np.log(out)).sum(-1)


def _ref_circle(labels, emb, gamma=80.0, margin=0.4, remove_diagonal=True):
    """Circle loss, pair by pair."""
    n = len(labels)
    d = np.maximum(1 - emb @ emb.T, 0)
    out = np.zeros(n)
    for i in range(n):
        pos = [j for j in range(n) if labels[j] == labels[i] and (j != i or not remove_diagonal)]
        neg = [j for j in range(n) if labels[j] != labels[i]]
        if not pos or not neg:
            continue
        sp = [-gamma * max(margin + d[i, j], 0) * (margin - d[i, j]) for j in pos]
        sn = [gamma * max(1 + margin - d[i, j], 0) * (1 - margin - d[i, j]) for j in neg]
        lse = np.log(np.sum(np.exp(sp))) + np.log(np.sum(np.exp(sn)))
        out[i] = np.log1p(np.exp(lse))
    return out


BIN_T = (RNG.random((N, 3)) > 0.5).astype("float32")
BIN_P = RNG.uniform(0.05, 0.95, (N, 3)).astype("float32")
EMB_LABELS = np.array([0, 1, 0, 2, 1, 0])
EMB = RNG.standard_normal((N, 5))
EMB = (EMB / np.linalg.norm(EMB, axis=-1, keepdims=True)).astype("float32")


def test_binary_focal_crossentropy_values():
    t, p = BIN_T.astype("float64"), BIN_P.astype("float64")
    np.testing.assert_allclose(_np(losses.binary_focal_crossentropy(BIN_T, BIN_P)),
                               _ref_binary_focal(t, p), rtol=1e-5)
    np.testing.assert_allclose(
        _np(losses.binary_focal_crossentropy(BIN_T, BIN_P, apply_class_balancing=True,
                                             alpha=0.3, gamma=1.5)),
        _ref_binary_focal(t, p, balance=True, alpha=0.3, gamma=1.5), rtol=1e-5)
    # gamma=0 is the binary crossentropy; from_logits applies a sigmoid first
    np.testing.assert_allclose(_np(losses.binary_focal_crossentropy(BIN_T, BIN_P, gamma=0.0)),
                               _np(losses.binary_crossentropy(BIN_T, BIN_P)), rtol=1e-6)
    z = np.log(BIN_P / (1 - BIN_P))
    np.testing.assert_allclose(
        _np(losses.binary_focal_crossentropy(BIN_T, z, from_logits=True)),
        _ref_binary_focal(t, p), rtol=1e-4)
    smooth = t * 0.8 + 0.1
    p_t = smooth * p + (1 - smooth) * (1 - p)
    bce = -(smooth * np.log(p) + (1 - smooth) * np.log(1 - p))
    np.testing.assert_allclose(
        _np(losses.binary_focal_crossentropy(BIN_T, BIN_P, label_smoothing=0.2)),
        ((1 - p_t) ** 2 * bce).mean(-1), rtol=1e-5)
    loss = losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.3, gamma=1.5)
    np.testing.assert_allclose(_np(loss(BIN_T, BIN_P, sample_weight=SW)),
                               (_ref_binary_focal(t, p, True, 0.3, 1.5) * SW).mean(), rtol=1e-5)


def test_categorical_focal_crossentropy_values():
    t, p = ONE_HOT.astype("float64"), PROBS.astype("float64")
    np.testing.assert_allclose(_np(losses.categorical_focal_crossentropy(ONE_HOT, PROBS)),
                               _ref_categorical_focal(t, p), rtol=1e-5)
    np.testing.assert_allclose(
        _np(losses.categorical_focal_crossentropy(ONE_HOT, LOGITS, from_logits=True,
                                                  alpha=0.5, gamma=1.0)),
        _ref_categorical_focal(t, p, alpha=0.5, gamma=1.0), rtol=1e-4)
    alpha = [0.1, 0.2, 0.3, 0.4]
    np.testing.assert_allclose(
        _np(losses.categorical_focal_crossentropy(ONE_HOT, PROBS, alpha=alpha)),
        _ref_categorical_focal(t, p, alpha=np.array(alpha)), rtol=1e-5)
    # gamma=0, alpha=1: the categorical crossentropy
    np.testing.assert_allclose(
        _np(losses.categorical_focal_crossentropy(ONE_HOT, PROBS, alpha=1.0, gamma=0.0,
                                                  label_smoothing=0.1)),
        _np(losses.categorical_crossentropy(ONE_HOT, PROBS, label_smoothing=0.1)), rtol=1e-5)
    loss = losses.CategoricalFocalCrossentropy(reduction="sum")
    np.testing.assert_allclose(_np(loss(ONE_HOT, PROBS)), _ref_categorical_focal(t, p).sum(),
                               rtol=1e-5)


def test_categorical_focal_crossentropy_one_class_warns():
    with pytest.warns(SyntaxWarning, match="num_classes > 1"):
        losses.categorical_focal_crossentropy(np.ones((3, 1)), np.full((3, 1), 0.5))


def test_dice_and_tversky_values():
    t, p = BIN_T.astype("float64"), BIN_P.astype("float64")
    dice_all = 1 - 2 * (t * p).sum() / (t.sum() + p.sum() + EPS)
    np.testing.assert_allclose(_np(losses.dice(BIN_T, BIN_P)), dice_all, rtol=1e-5)
    dice_rows = 1 - 2 * (t * p).sum(1) / (t.sum(1) + p.sum(1) + EPS)
    np.testing.assert_allclose(_np(losses.dice(BIN_T, BIN_P, axis=1)), dice_rows, rtol=1e-5)
    tp, fp, fn = (t * p).sum(1), ((1 - p) * t).sum(1), (p * (1 - t)).sum(1)
    np.testing.assert_allclose(_np(losses.tversky(BIN_T, BIN_P, alpha=0.3, beta=0.7, axis=1)),
                               1 - tp / (tp + 0.3 * fp + 0.7 * fn + EPS), rtol=1e-5)
    # alpha = beta = 0.5 is the Dice loss
    np.testing.assert_allclose(_np(losses.tversky(BIN_T, BIN_P)), dice_all, rtol=1e-5)
    np.testing.assert_allclose(_np(losses.Dice(axis=1, reduction="sum")(BIN_T, BIN_P)),
                               dice_rows.sum(), rtol=1e-5)
    np.testing.assert_allclose(_np(losses.Tversky(reduction=None)(BIN_T, BIN_P)), dice_all,
                               rtol=1e-5)


def test_circle_values_and_mask():
    emb = EMB.astype("float64")
    for kwargs in ({}, {"gamma": 10.0, "margin": 0.25}, {"remove_diagonal": False,
                                                         "gamma": 5.0}):
        expected = _ref_circle(EMB_LABELS, emb, **kwargs)
        out = losses.circle(EMB_LABELS, EMB, **kwargs)
        np.testing.assert_allclose(_np(out), expected, rtol=1e-4, atol=1e-6)
        if kwargs.get("remove_diagonal", True):
            # label 2 has one sample: no positive pair, loss 0, left out of the mean
            assert _np(out)[3] == 0 and not out._keras_mask[3]
        loss = losses.Circle(**kwargs)(EMB_LABELS.astype("float32"), EMB)
        np.testing.assert_allclose(_np(loss), expected[expected > 0].mean(), rtol=1e-4)
    # explicit references: the batch compared with other embeddings
    ref = RNG.standard_normal((4, 5))
    ref = (ref / np.linalg.norm(ref, axis=-1, keepdims=True)).astype("float32")
    out = losses.circle(EMB_LABELS, EMB, ref_labels=np.array([0, 1, 2, 0]),
                        ref_embeddings=ref, remove_diagonal=False)
    assert out.shape == (N,) and np.isfinite(_np(out)).all()


def test_categorical_generalized_cross_entropy_values():
    p = PROBS.astype("float64")[np.arange(N), LABELS]
    for q in (0.5, 0.2):
        expected = (1 - p ** q) / q
        np.testing.assert_allclose(
            _np(losses.categorical_generalized_cross_entropy(LABELS, PROBS, q=q)), expected,
            rtol=1e-5)
        loss = losses.CategoricalGeneralizedCrossEntropy(q=q)
        np.testing.assert_allclose(_np(loss(LABELS[:, None], PROBS, sample_weight=SW)),
                                   (expected * SW).mean(), rtol=1e-5)


@pytest.mark.parametrize("name,fn,y_true,y_pred", [
    ("binary_focal", lambda t, p: losses.binary_focal_crossentropy(
        t, p, apply_class_balancing=True, gamma=1.5, label_smoothing=0.1), BIN_T, BIN_P),
    ("binary_focal_logits", lambda t, p: losses.binary_focal_crossentropy(
        t, p, from_logits=True), BIN_T, 2 * BIN_P - 1),
    ("categorical_focal", lambda t, p: losses.categorical_focal_crossentropy(
        t, p, alpha=[0.1, 0.2, 0.3, 0.4]), ONE_HOT, PROBS),
    ("categorical_focal_logits", lambda t, p: losses.categorical_focal_crossentropy(
        t, p, from_logits=True, label_smoothing=0.1), ONE_HOT, LOGITS),
    ("dice", lambda t, p: losses.dice(t, p, axis=1), BIN_T, BIN_P),
    ("tversky", lambda t, p: losses.tversky(t, p, alpha=0.3, beta=0.7), BIN_T, BIN_P),
    ("circle", lambda t, p: losses.circle(t, p, gamma=5.0), EMB_LABELS, EMB),
    ("generalized_ce", lambda t, p: losses.categorical_generalized_cross_entropy(t, p, q=0.3),
     LABELS, PROBS),
])
def test_new_losses_gradients(name, fn, y_true, y_pred):
    """Finite differences w.r.t. y_pred (float64), then float32 outputs and gradients."""
    check_gradients(lambda p: fn(y_true, p), [y_pred], tolerance=1e-5)
    w = ember.Variable(y_pred)
    with ember.GradientTape() as tape:
        value = ember.ops.sum(fn(y_true, w))
    grad = tape.gradient(value, w)
    assert value.dtype == np.float32 and grad.dtype == np.float32
    assert np.isfinite(grad.numpy()).all()


def test_circle_gradient_finite_without_positive_pairs():
    """A sample alone in its class has loss 0 and contributes a zero, finite gradient."""
    labels = np.array([0, 1, 2, 1])
    w = ember.Variable(EMB[:4])
    with ember.GradientTape() as tape:
        value = losses.Circle(gamma=5.0)(labels, w)
    grad = tape.gradient(value, w).numpy()
    assert np.isfinite(grad).all() and np.isfinite(_np(value))


@pytest.mark.parametrize("fn,y_true,y_pred,match", [
    (losses.binary_focal_crossentropy, np.zeros((N, 3)), np.zeros((N, 5)), "3.*5"),
    (losses.categorical_focal_crossentropy, np.zeros((N, 3)), np.zeros((N, 5)), "3.*5"),
    (losses.dice, np.zeros((N, 3)), np.zeros((N, 5)), "3.*5"),
    (losses.tversky, np.zeros((N, 3)), np.zeros((N, 5)), "3.*5"),
    (losses.circle, np.zeros((N, 3)), np.zeros((N, 5)), r"\(6, 3\)"),
    (losses.circle, np.zeros((N,)), np.zeros((N, 2, 5)), r"\(6, 2, 5\)"),
    (lambda t, p: losses.categorical_generalized_cross_entropy(t, p, q=0.5),
     np.zeros((N, 3)), np.zeros((N, 5)), r"\(6, 3\)"),
])
def test_new_losses_shape_errors(fn, y_true, y_pred, match):
    with pytest.raises(ValueError, match=match):
        fn(y_true, y_pred)


def test_new_losses_argument_errors():
    for q in (0.0, 1.0, -0.5):
        with pytest.raises(ValueError, match="q must be in the interval"):
            losses.CategoricalGeneralizedCrossEntropy(q=q)
    with pytest.raises(ValueError, match="axis"):
        losses.categorical_focal_crossentropy(ONE_HOT, PROBS, axis=True)


@pytest.mark.parametrize("loss", [
    losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.4, gamma=3.0),
    losses.CategoricalFocalCrossentropy(alpha=[0.1, 0.9], from_logits=True),
    losses.Dice(axis=(1, 2), reduction="sum"), losses.Tversky(alpha=0.2, beta=0.8),
    losses.Circle(gamma=40.0, margin=0.3, remove_diagonal=False),
    losses.CategoricalGeneralizedCrossEntropy(q=0.7, name="gce"),
])
def test_new_losses_round_trip(loss):
    config = loss.get_config()
    rebuilt = type(loss).from_config(config)
    assert rebuilt.get_config() == config
    assert isinstance(losses.get(type(loss).__name__), type(loss))
    assert isinstance(losses.deserialize(losses.serialize(loss)), type(loss))


@pytest.mark.parametrize("make", [lambda: losses.Circle(gamma=5.0),
                                  lambda: losses.CategoricalGeneralizedCrossEntropy(q=0.4)])
def test_label_dependent_losses_under_tf_function(make):
    """Their masks come from the labels' values: a tf.function must not freeze them (it runs
    such a call eagerly, with a warning)."""
    loss = make()
    y_pred = EMB if isinstance(loss, losses.Circle) else PROBS

    @ember.function
    def step(labels, pred):
        return loss(labels, pred)

    first = np.array([0, 1, 0, 2, 1, 0], "float32")
    with pytest.warns(UserWarning, match="labels' values"):  # once, when it first traces
        np.testing.assert_allclose(_np(step(first, y_pred)), _np(loss(first, y_pred)),
                                   rtol=1e-6)
    for labels in ([1, 1, 0, 0, 2, 2], [0, 0, 0, 1, 1, 1]):
        labels = np.array(labels, "float32")
        np.testing.assert_allclose(_np(step(labels, y_pred)), _np(loss(labels, y_pred)),
                                   rtol=1e-6)
