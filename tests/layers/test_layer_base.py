"""The Layer contract: build on first call, weights, tracking, trainable, losses, names."""

import numpy as np
import pytest

import ember
from ember import layers, ops


class Scale(layers.Layer):
    """A user's custom layer: no gradient code anywhere."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.built_with = None

    def build(self, input_shape):
        self.built_with = input_shape
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")
        self.count = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                     name="count")

    def call(self, inputs):
        return inputs * self.w


class Block(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = layers.Dense(3)
        self.scale = Scale()

    def call(self, inputs, training=None):
        return self.scale(self.inner(inputs))


def test_build_on_first_call_and_weights():
    layer = Scale()
    assert not layer.built
    layer(np.ones((2, 4)))
    assert layer.built and layer.built_with == (2, 4)
    assert [w.name for w in layer.trainable_weights] == ["w"]
    assert [w.name for w in layer.non_trainable_weights] == ["count"]
    assert [w.name for w in layer.weights] == ["w", "count"]


def test_sub_layers_are_tracked_and_train_without_gradient_code():
    block = Block()
    x = np.random.default_rng(0).standard_normal((5, 4)).astype("float32")
    block(x)
    names = [w.path for w in block.trainable_weights]
    assert names == [f"{block.inner.name}/kernel", f"{block.inner.name}/bias",
                     f"{block.scale.name}/w"]
    with ember.GradientTape() as tape:
        loss = ops.mean(ops.square(block(x)))
    grads = tape.gradient(loss, block.trainable_weights)
    assert all(g is not None and g.shape == w.shape for g, w in
               zip(grads, block.trainable_weights))


def test_freezing_a_layer_removes_its_trainable_weights():
    block = Block()
    block(np.ones((1, 4)))
    block.inner.trainable = False
    assert [w.name for w in block.trainable_weights] == ["w"]
    assert len(block.non_trainable_weights) == 3
    with ember.GradientTape() as tape:
        loss = ops.sum(block(np.ones((1, 4))))
    assert tape.gradient(loss, block.inner.kernel) is None
    block.inner.trainable = True
    assert len(block.trainable_weights) == 3


def test_regularizer_losses_join_layer_losses():
    layer = layers.Dense(2, kernel_regularizer=ember.regularizers.L2(0.1))
    layer(np.ones((1, 3)))
    (penalty,) = layer.losses
    np.testing.assert_allclose(float(penalty), 0.1 * np.sum(layer.kernel.numpy() ** 2),
                               rtol=1e-5)


def test_unique_auto_names():
    ember.clear_session()
    a, b, c = layers.Dense(1), layers.Dense(1), layers.Flatten()
    assert (a.name, b.name, c.name) == ("dense", "dense_1", "flatten")


def test_count_params_requires_build():
    layer = layers.Dense(3)
    with pytest.raises(ValueError, match="not built"):
        layer.count_params()
    layer(np.ones((1, 2)))
    assert layer.count_params() == 9


def test_set_weights_checks_count_and_shapes():
    layer = layers.Dense(2)
    layer(np.ones((1, 3)))
    with pytest.raises(ValueError, match="expects 2 weight arrays"):
        layer.set_weights([np.ones((3, 2))])
    with pytest.raises(ValueError, match=r"shape \(3, 2\).*\(2, 2\)"):
        layer.set_weights([np.ones((2, 2)), np.ones(2)])


def test_add_weight_rejects_unknown_dimension():
    layer = Scale()
    with pytest.raises(ValueError, match="every dimension must be a known"):
        layer.add_weight(shape=(None, 3), name="bad")
