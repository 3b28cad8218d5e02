"""Pearson and concordance correlation: functions (values, axis, gradients) and metrics."""

import numpy as np
import pytest

import ember
from ember import check_gradients, metrics

RNG = np.random.default_rng(5)
N, D = 6, 5
Y_TRUE = RNG.normal(size=(N, D)).astype("float32")
Y_PRED = (0.7 * Y_TRUE + 0.5 * RNG.normal(size=(N, D)) + 0.3).astype("float32")
SW = RNG.uniform(0, 2, N).astype("float32")


def _ref_pearson(t, p):
    return np.array([np.corrcoef(a, b)[0, 1] for a, b in zip(t, p)])


def _ref_concordance(t, p):
    out = []
    for a, b in zip(t.astype("float64"), p.astype("float64")):
        cov = ((a - a.mean()) * (b - b.mean())).mean()
        out.append(2 * cov / (a.var() + b.var() + (a.mean() - b.mean()) ** 2 + 1e-7))
    return np.array(out)


def test_function_values_and_axis():
    out = metrics.pearson_correlation(Y_TRUE, Y_PRED)
    assert out.shape == (N,) and out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), _ref_pearson(Y_TRUE, Y_PRED), rtol=1e-5)
    np.testing.assert_allclose(metrics.pearson_correlation(Y_TRUE.T, Y_PRED.T, axis=0).numpy(),
                               _ref_pearson(Y_TRUE, Y_PRED), rtol=1e-5)
    np.testing.assert_allclose(metrics.concordance_correlation(Y_TRUE, Y_PRED).numpy(),
                               _ref_concordance(Y_TRUE, Y_PRED), rtol=1e-5)
    # concordance is 1 only for equal values; Pearson also for shifted/scaled ones
    np.testing.assert_allclose(metrics.concordance_correlation(Y_TRUE, Y_TRUE).numpy(), 1,
                               rtol=1e-5)
    shifted = 2 * Y_TRUE + 1
    np.testing.assert_allclose(metrics.pearson_correlation(Y_TRUE, shifted).numpy(), 1,
                               rtol=1e-5)
    assert (metrics.concordance_correlation(Y_TRUE, shifted).numpy() < 0.9).all()


@pytest.mark.parametrize("fn", [metrics.pearson_correlation, metrics.concordance_correlation])
def test_function_gradients(fn):
    check_gradients(lambda p: fn(Y_TRUE, p), [Y_PRED], tolerance=1e-5)
    w = ember.Variable(Y_PRED)
    with ember.GradientTape() as tape:
        value = ember.ops.sum(fn(Y_TRUE, w))
    grad = tape.gradient(value, w)
    assert grad.dtype == np.float32 and np.isfinite(grad.numpy()).all()


@pytest.mark.parametrize("cls,ref", [(metrics.PearsonCorrelation, _ref_pearson),
                                     (metrics.ConcordanceCorrelation, _ref_concordance)])
def test_metrics_are_weighted_means(cls, ref):
    m = cls()
    m.update_state(Y_TRUE, Y_PRED)
    m.update_state(Y_TRUE, Y_PRED, sample_weight=SW)
    values = ref(Y_TRUE, Y_PRED)
    expected = (values.sum() + (values * SW).sum()) / (N + SW.sum())
    result = m.result()
    assert isinstance(result, ember.Tensor)
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-5)
    m.reset_state()
    assert float(m.result()) == 0.0
    config = cls(axis=1, name="c").get_config()
    assert config == {"name": "c", "dtype": "float32", "axis": 1}
    assert cls.from_config(config).get_config() == config
    assert isinstance(metrics.get(cls.__name__), cls)
