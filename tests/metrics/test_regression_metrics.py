"""R2Score against NumPy: aggregations, adjusted R2, sample weights, state and errors."""

import numpy as np
import pytest

import ember
from ember import metrics

RNG = np.random.default_rng(6)
N, D = 10, 3
Y_TRUE = RNG.normal(size=(N, D)).astype("float32") * [1.0, 2.0, 0.5]
Y_PRED = (Y_TRUE + 0.4 * RNG.normal(size=(N, D))).astype("float32")
SW = RNG.uniform(0, 2, N).astype("float32")


def _ref_r2(t, p, w=None, aggregation="uniform_average", p_regressors=0):
    t, p = t.astype("float64"), p.astype("float64")
    w = np.ones(len(t)) if w is None else w.astype("float64")
    w = w[:, None]
    mean = (w * t).sum(0) / w.sum(0)
    total = (w * (t - mean) ** 2).sum(0)
    scores = 1 - (w * (t - p) ** 2).sum(0) / total
    if aggregation == "uniform_average":
        scores = scores.mean()
    elif aggregation == "variance_weighted_average":
        scores = (scores * total).sum() / total.sum()
    if p_regressors:
        n = t.size
        scores = 1 - (1 - scores) * (n - 1) / (n - p_regressors - 1)
    return scores


@pytest.mark.parametrize("aggregation", [None, "uniform_average", "variance_weighted_average"])
@pytest.mark.parametrize("weighted", [False, True])
def test_r2_against_numpy(aggregation, weighted):
    w = SW if weighted else None
    m = metrics.R2Score(class_aggregation=aggregation)
    m.update_state(Y_TRUE[:4], Y_PRED[:4], sample_weight=None if w is None else w[:4])
    m.update_state(Y_TRUE[4:], Y_PRED[4:], sample_weight=None if w is None else w[4:, None])
    result = m.result()
    assert isinstance(result, ember.Tensor) and result.dtype == np.float32
    np.testing.assert_allclose(result.numpy(), _ref_r2(Y_TRUE, Y_PRED, w, aggregation),
                               rtol=1e-5)


def test_adjusted_r2_and_fallbacks():
    m = metrics.R2Score(num_regressors=4)
    m.update_state(Y_TRUE, Y_PRED)
    np.testing.assert_allclose(m.result().numpy(), _ref_r2(Y_TRUE, Y_PRED, p_regressors=4),
                               rtol=1e-5)
    plain = _ref_r2(Y_TRUE[:2], Y_PRED[:2])
    for p in (5, 6):  # p == n - 1 and p > n - 1 with n = 6 values: the plain R2
        m = metrics.R2Score(num_regressors=p)
        m.update_state(Y_TRUE[:2], Y_PRED[:2])
        with pytest.warns(UserWarning, match="R2"):
            np.testing.assert_allclose(m.result().numpy(), plain, rtol=1e-5)


def test_state_reset_and_config():
    m = metrics.R2Score()
    assert float(m.result()) == 0.0  # nothing seen: the state is not built yet
    m.update_state(Y_TRUE, Y_PRED)
    assert [(v.name, v.shape) for v in m.variables] == [
        ("num_samples", ()), ("squared_sum", (D,)), ("sum", (D,)), ("residual", (D,)),
        ("count", (D,))]
    assert float(m.num_samples.numpy()) == N * D
    m.reset_state()
    assert all(not v.numpy().any() for v in m.variables)
    config = metrics.R2Score(class_aggregation=None, num_regressors=2, name="r").get_config()
    assert config == {"name": "r", "dtype": "float32", "class_aggregation": None,
                      "num_regressors": 2}
    assert metrics.R2Score.from_config(config).get_config() == config
    assert isinstance(metrics.get("r2_score"), metrics.R2Score)


def test_errors():
    with pytest.raises(ValueError, match="class_aggregation"):
        metrics.R2Score(class_aggregation="mean")
    with pytest.raises(ValueError, match="num_regressors"):
        metrics.R2Score(num_regressors=-1)
    with pytest.raises(ValueError, match=r"2D inputs.*\(10, 3, 1, 2\)"):
        metrics.R2Score().update_state(np.zeros((N, D, 1, 2)), np.zeros((N, D, 1, 2)))
    m = metrics.R2Score()
    m.update_state(Y_TRUE, Y_PRED)
    with pytest.raises(ValueError, match=r"\(batch_size, 3\).*\(10, 2\)"):
        m.update_state(Y_TRUE[:, :2], Y_PRED[:, :2])
    with pytest.raises(ValueError, match=r"sample_weight of shape \(4,\)"):
        m.update_state(Y_TRUE, Y_PRED, sample_weight=np.ones(4))
