"""The compiled sparse crossentropy of a softmax classifier runs as one fused op, with the
same numbers as the general path (per-sample op, then the mean)."""

import numpy as np
import pytest

import ember
from ember import layers, losses
from ember.autodiff import GradientTape


def _model(loss="sparse_categorical_crossentropy", **compile_kw):
    ember.utils.set_random_seed(0)
    m = ember.Sequential([ember.Input((6,)), layers.Dense(5, activation="softmax")])
    m.compile(optimizer="adam", loss=loss, **compile_kw)
    return m


def _loss_and_grads(m, x, y, fused, sample_weight=None):
    container = m._loss_container
    with GradientTape() as tape:
        y_pred = m(x, training=True)
        if container.losses is None:
            container.build(m, y_pred)
        saved, container.fused = container.fused, container.fused and fused
        try:
            loss = m.compute_loss(x, y, y_pred, sample_weight)
        finally:
            container.fused = saved
    return loss.numpy(), [g.numpy() for g in tape.gradient(loss, m.trainable_variables)]


@pytest.mark.parametrize("loss", ["sparse_categorical_crossentropy",
                                  losses.SparseCategoricalCrossentropy()])
@pytest.mark.parametrize("labels_shape", [(16,), (16, 1)])
def test_fused_loss_equals_the_general_path(loss, labels_shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 6)).astype("float32")
    y = rng.integers(0, 5, size=labels_shape)
    m = _model(loss)
    fused = _loss_and_grads(m, x, y, True)
    assert m._loss_container.fused
    plain = _loss_and_grads(m, x, y, False)
    assert fused[0] == plain[0] and fused[0].dtype == np.float32
    for a, b in zip(fused[1], plain[1]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("loss", [losses.SparseCategoricalCrossentropy(from_logits=True),
                                  losses.SparseCategoricalCrossentropy(ignore_class=0),
                                  losses.SparseCategoricalCrossentropy(reduction="sum"),
                                  "categorical_crossentropy"])
def test_other_losses_are_not_fused(loss):
    m = _model(loss)
    m(np.zeros((2, 6), "float32"))
    m._loss_container.build(m, m(np.zeros((2, 6), "float32")))
    assert not m._loss_container.fused


def test_loss_weights_and_sample_weights_take_the_general_path():
    m = _model(loss_weights=[2.0])
    m._loss_container.build(m, m(np.zeros((2, 6), "float32")))
    assert not m._loss_container.fused
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((8, 6)).astype("float32"), rng.integers(0, 5, 8)
    m = _model()
    sw = np.linspace(0.1, 1.0, 8).astype("float32")
    weighted, _ = _loss_and_grads(m, x, y, True, sample_weight=sw)
    unweighted, _ = _loss_and_grads(m, x, y, True)
    assert weighted != unweighted


def test_fused_loss_rejects_bad_labels():
    m = _model()
    x = np.zeros((3, 6), "float32")
    with pytest.raises(ValueError, match=r"label value of 7.*valid range \[0, 5\)"):
        m.train_on_batch(x, np.array([0, 1, 7]))
    with pytest.raises(ValueError, match="labels of shape"):
        m.train_on_batch(x, np.zeros((3, 2), "int64"))


def test_fused_loss_trains_like_keras_formula():
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((32, 6)).astype("float32"), rng.integers(0, 5, 32)
    m = _model()
    probs = m.predict(x, verbose=0)
    want = -np.log(probs[np.arange(32), y]).mean()
    got = m.evaluate(x, y, verbose=0, batch_size=32)
    np.testing.assert_allclose(got, want, rtol=1e-5)
