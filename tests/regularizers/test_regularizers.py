"""Regularizers: penalties and their gradients, configs, resolution."""

import numpy as np
import pytest

import ember
from ember import registry, regularizers
from ember.regularizers import L1, L1L2, L2, OrthogonalRegularizer

W = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.5]], "float32")


def _penalty_and_grad(reg):
    v = ember.Variable(W)
    with ember.GradientTape() as tape:
        p = reg(v)
    return p, tape.gradient(p, v)


@pytest.mark.parametrize("reg,value,grad", [
    (L1(0.1), 0.1 * np.abs(W).sum(), 0.1 * np.sign(W)),
    (L2(0.2), 0.2 * (W ** 2).sum(), 0.4 * W),
    (L1L2(0.1, 0.2), 0.1 * np.abs(W).sum() + 0.2 * (W ** 2).sum(), 0.1 * np.sign(W) + 0.4 * W),
    (L2(), 0.01 * (W ** 2).sum(), 0.02 * W),
])
def test_penalties_and_gradients(reg, value, grad):
    p, g = _penalty_and_grad(reg)
    assert p.shape == () and p.dtype == np.float32
    assert float(p) == pytest.approx(value, rel=1e-6)
    np.testing.assert_allclose(g.numpy(), grad, rtol=1e-6)


def test_orthogonal_regularizer():
    for mode in ("rows", "columns"):
        reg = OrthogonalRegularizer(factor=0.5, mode=mode)
        x = W.astype("float64") if mode == "columns" else W.T.astype("float64")
        unit = x / np.linalg.norm(x, axis=0, keepdims=True)
        gram = unit.T @ unit
        n = gram.shape[0]
        want = 0.5 * 0.5 * np.abs(gram - np.diag(np.diag(gram))).sum() / (n * (n - 1) / 2)
        p, g = _penalty_and_grad(reg)
        assert float(p) == pytest.approx(want, rel=1e-5)
        assert g.shape == W.shape
        q = np.linalg.qr(np.random.default_rng(0).standard_normal((4, 4)))[0].astype("float32")
        assert float(OrthogonalRegularizer(mode=mode)(q)) == pytest.approx(0, abs=1e-6)
    with pytest.raises(ValueError, match="2-D"):
        OrthogonalRegularizer()(np.zeros((2, 2, 2), "float32"))
    with pytest.raises(ValueError, match="mode"):
        OrthogonalRegularizer(mode="diag")


def test_configs_and_round_trip():
    assert L1().get_config() == {"l1": 0.01}
    assert L2().get_config() == {"l2": 0.01}
    assert L1L2().get_config() == {"l1": 0.0, "l2": 0.0}
    for reg in [L1(0.3), L2(0.4), L1L2(0.1, 0.2), OrthogonalRegularizer(0.2, "columns")]:
        env = registry.serialize(reg)
        assert env["module"] == "keras.regularizers" and env["class_name"] == type(reg).__name__
        rebuilt = regularizers.deserialize(env)
        assert type(rebuilt) is type(reg) and rebuilt.get_config() == reg.get_config()


def test_get_and_errors():
    assert type(regularizers.get("l2")) is L2 and regularizers.get("l2").l2 == 0.01
    assert type(regularizers.get("l1")) is L1
    assert type(regularizers.get("l1_l2")) is L1L2
    assert type(regularizers.get("L1L2")) is L1L2
    assert regularizers.get(None) is None
    with pytest.raises(ValueError, match="Unknown regularizer: 'l3'.*l1_l2"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match="non-negative"):
        L2(-1.0)
    with pytest.raises(ValueError, match="non-negative"):
        L1("big")
