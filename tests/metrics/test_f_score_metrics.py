"""FBetaScore and F1Score against a NumPy reference: averages, thresholds, weights, errors."""

import numpy as np
import pytest

import ember
from ember import metrics

EPS = 1e-7
RNG = np.random.default_rng(3)
N, C = 8, 4
Y_TRUE = np.eye(C, dtype="float32")[RNG.integers(0, C, N)]
Y_PRED = RNG.uniform(size=(N, C)).astype("float32")
MULTI = (RNG.uniform(size=(N, C)) > 0.5).astype("float32")
SW = RNG.uniform(0, 2, N).astype("float32")


def _ref_fbeta(y_true, y_pred, beta=1.0, average=None, threshold=None, w=None):
    if threshold is None:
        pred = (y_pred == y_pred.max(-1, keepdims=True)) & (np.abs(y_pred) > 1e-9)
    else:
        pred = y_pred > threshold
    pred = pred.astype("float64")
    w = np.ones(len(y_true)) if w is None else np.asarray(w, "float64")
    axis = None if average == "micro" else 0
    tp = (pred * y_true * w[:, None]).sum(axis)
    fp = (pred * (1 - y_true) * w[:, None]).sum(axis)
    fn = ((1 - pred) * y_true * w[:, None]).sum(axis)
    support = (y_true * w[:, None]).sum(axis)
    precision, recall = tp / (tp + fp + EPS), tp / (tp + fn + EPS)
    score = (1 + beta ** 2) * precision * recall / (beta ** 2 * precision + recall + EPS)
    if average == "weighted":
        return (score * support / (support.sum() + EPS)).sum()
    if average in ("micro", "macro"):
        return score.mean()
    return score


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("beta,threshold", [(1.0, None), (2.0, None), (0.5, 0.4)])
def test_fbeta_against_numpy(average, beta, threshold):
    y_true = Y_TRUE if threshold is None else MULTI
    m = metrics.FBetaScore(average=average, beta=beta, threshold=threshold)
    m.update_state(y_true, Y_PRED)
    m.update_state(y_true[:5], Y_PRED[:5], sample_weight=SW[:5])
    both_true = np.concatenate([y_true, y_true[:5]])
    both_pred = np.concatenate([Y_PRED, Y_PRED[:5]])
    w = np.concatenate([np.ones(N), SW[:5]])
    result = m.result()
    assert isinstance(result, ember.Tensor) and result.dtype == np.float32
    expected = _ref_fbeta(both_true, both_pred, beta, average, threshold, w)
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-5, atol=1e-6)
    assert result.shape == ((C,) if average is None else ())


def test_f1_is_fbeta_one_and_reset():
    f1, fb = metrics.F1Score(average="macro"), metrics.FBetaScore(average="macro", beta=1.0)
    for m in (f1, fb):
        m.update_state(Y_TRUE, Y_PRED, sample_weight=SW[:, None])  # (N, 1) weights work too
    np.testing.assert_allclose(f1.result().numpy(), fb.result().numpy())
    np.testing.assert_allclose(f1.result().numpy(),
                               _ref_fbeta(Y_TRUE, Y_PRED, average="macro", w=SW), rtol=1e-5)
    assert [v.name for v in f1.variables] == ["true_positives", "false_positives",
                                              "false_negatives", "intermediate_weights"]
    f1.reset_state()
    assert all(not v.numpy().any() for v in f1.variables)
    assert float(f1.result()) == 0.0


def test_all_zero_predictions_are_negative():
    """Without a threshold a row of zeros predicts no class (not every class)."""
    m = metrics.F1Score()
    m.update_state(Y_TRUE[:2], np.zeros((2, C), "float32"))
    assert not m.true_positives.numpy().any() and not m.false_positives.numpy().any()


def test_result_before_update_is_zero():
    assert float(metrics.F1Score(average="micro").result()) == 0.0


def test_configs():
    m = metrics.FBetaScore(average="weighted", beta=2.0, threshold=0.3, name="fb")
    assert m.get_config() == {"name": "fb", "dtype": "float32", "average": "weighted",
                              "beta": 2.0, "threshold": 0.3}
    assert "beta" not in metrics.F1Score().get_config()
    assert metrics.F1Score.from_config(metrics.F1Score(average="micro").get_config()
                                       ).average == "micro"
    assert isinstance(metrics.get("f1_score"), metrics.F1Score)


@pytest.mark.parametrize("kwargs,match", [
    ({"average": "mean"}, "average"), ({"beta": 2}, "Python float"), ({"beta": -1.0}, "> 0"),
    ({"threshold": 1}, "Python float"), ({"threshold": 1.5}, "0 < threshold <= 1"),
    ({"threshold": 0.0}, "0 < threshold <= 1"),
])
def test_constructor_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        metrics.FBetaScore(**kwargs)


def test_update_errors():
    with pytest.raises(ValueError, match=r"2D inputs.*\(8,\)"):
        metrics.F1Score().update_state(Y_TRUE[:, 0], Y_PRED[:, 0])
    m = metrics.F1Score()
    with pytest.raises(ValueError, match=r"\(8, 3\)"):
        m.update_state(Y_TRUE, Y_PRED[:, :3])
    m = metrics.F1Score()
    m.update_state(Y_TRUE, Y_PRED)
    with pytest.raises(ValueError, match=r"\(batch_size, 4\).*\(8, 3\)"):
        m.update_state(Y_TRUE[:, :3], Y_PRED[:, :3])
    with pytest.raises(ValueError, match=r"sample_weight.*\(8, 4\)"):
        m.update_state(Y_TRUE, Y_PRED, sample_weight=np.ones((N, C)))
