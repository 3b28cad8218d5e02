"""Sequential, Functional and subclassed models: building, calling, layers, errors."""

import numpy as np
import pytest

import ember
from ember import layers, ops


def tutorial_model():
    return ember.Sequential([
        layers.Flatten(input_shape=(28, 28)),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])


def test_tutorial_network_has_101770_parameters():
    model = tutorial_model()
    assert model.built
    assert model.count_params() == 101_770
    assert [type(l).__name__ for l in model.layers] == ["Flatten", "Dense", "Dense"]
    assert model.output_shape == (None, 10)


def test_sequential_add_input_and_lazy_build():
    model = ember.Sequential()
    model.add(ember.Input((4,)))
    model.add(layers.Dense(3))
    assert model.built and model.count_params() == 15
    lazy = ember.Sequential([layers.Dense(2)])
    assert not lazy.built
    out = lazy(np.ones((5, 7)))
    assert out.shape == (5, 2) and lazy.built
    assert lazy.pop().units == 2
    assert lazy.layers == []


def test_sequential_matches_manual_computation():
    model = tutorial_model()
    x = np.random.default_rng(0).random((3, 28, 28)).astype("float32")
    w1, b1, w2, b2 = model.get_weights()
    h = np.maximum(x.reshape(3, -1) @ w1 + b1, 0)
    z = h @ w2 + b2
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    np.testing.assert_allclose(model.predict_on_batch(x), p, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(model.predict(x, verbose=0), p, rtol=1e-5, atol=1e-7)


def test_sequential_rejects_duplicate_names_and_non_layers():
    model = ember.Sequential([layers.Dense(2, name="a")])
    with pytest.raises(ValueError, match="unique names"):
        model.add(layers.Dense(2, name="a"))
    with pytest.raises(TypeError, match="expects a Layer"):
        model.add("dense")


def test_get_layer_and_weights_round_trip():
    model = tutorial_model()
    dense = model.layers[1]
    assert model.get_layer(dense.name) is dense
    assert model.get_layer(index=2) is model.layers[2]
    with pytest.raises(ValueError, match="No such layer"):
        model.get_layer("nope")
    weights = model.get_weights()
    other = tutorial_model()
    other.set_weights(weights)
    x = np.ones((1, 28, 28), dtype="float32")
    np.testing.assert_array_equal(model.predict_on_batch(x), other.predict_on_batch(x))


def test_functional_several_inputs_outputs_and_shared_layers():
    a = ember.Input((3,), name="a")
    b = ember.Input((3,), name="b")
    shared = layers.Dense(4, activation="tanh", name="shared")
    ha, hb = shared(a), shared(b)
    merged = layers.Dense(2, name="head")(ops_concat([ha, hb]))
    aux = layers.Dense(1, name="aux")(ha)
    model = ember.Model([a, b], [merged, aux])
    names = [l.name for l in model.layers]
    assert names[:2] == ["a", "b"] or set(names[:2]) == {"a", "b"}
    assert "shared" in names and "head" in names and "aux" in names
    xa = np.random.default_rng(0).random((5, 3)).astype("float32")
    xb = np.random.default_rng(1).random((5, 3)).astype("float32")
    out, aux_out = model([xa, xb])
    k, bias = shared.get_weights()
    hA, hB = np.tanh(xa @ k + bias), np.tanh(xb @ k + bias)
    hk, hb_ = model.get_layer("head").get_weights()
    np.testing.assert_allclose(out.numpy(), np.concatenate([hA, hB], 1) @ hk + hb_, rtol=1e-5)
    assert aux_out.shape == (5, 1)
    by_name = model({"a": xa, "b": xb})
    np.testing.assert_allclose(by_name[0].numpy(), out.numpy())
    # the shared layer's weights are counted once
    assert model.count_params() == 16 + 18 + 5


def ops_concat(tensors):
    class Concat(layers.Layer):
        def call(self, inputs):
            return ops.concatenate(inputs, axis=-1)

    return Concat()(tensors)


def test_functional_input_shape_error_names_model_and_shapes():
    inp = ember.Input((4,))
    model = ember.Model(inp, layers.Dense(2)(inp), name="net")
    with pytest.raises(ValueError, match=r"model 'net'.*expected shape \(None, 4\).*\(3, 5\)"):
        model(np.ones((3, 5)))
    with pytest.raises(ValueError, match="expects 1 input"):
        model([np.ones((3, 4)), np.ones((3, 4))])


def test_functional_rejects_non_input_tensors():
    with pytest.raises(ValueError, match="keras.Input"):
        ember.Model(np.ones((2, 3)), ember.Input((3,)))


def test_subclassed_model():
    class Net(ember.Model):
        def __init__(self):
            super().__init__(name="net")
            self.hidden = layers.Dense(8, activation="relu")
            self.out = layers.Dense(3)

        def call(self, x, training=None):
            return self.out(self.hidden(x))

    net = Net()
    y = net(np.ones((2, 5)))
    assert y.shape == (2, 3)
    assert len(net.trainable_weights) == 4
    assert net.count_params() == 5 * 8 + 8 + 8 * 3 + 3


def test_training_flag_propagates_to_nested_dropout():
    inner = ember.Sequential([layers.Dropout(0.5, input_shape=(100,))])
    outer = ember.Sequential([ember.Input((100,)), inner])
    x = np.ones((4, 100), dtype="float32")
    np.testing.assert_array_equal(outer(x).numpy(), x)
    assert (outer(x, training=True).numpy() == 0).any()


def test_input_layer_errors_name_the_problem():
    with pytest.raises(ValueError, match="give `shape` or `batch_shape`, not both"):
        ember.layers.InputLayer(shape=(3,), batch_shape=(None, 3))
    with pytest.raises(ValueError, match="needs a `shape`"):
        ember.layers.InputLayer()
    with pytest.raises(ValueError, match="sparse inputs are not supported"):
        ember.Input((3,), sparse=True)
    with pytest.raises(ValueError, match="give `name` or `index`, not both"):
        tutorial_model().get_layer("dense", index=0)
    with pytest.raises(ValueError, match="index 9 is out of range"):
        tutorial_model().get_layer(index=9)
    with pytest.raises(TypeError, match="called without inputs"):
        layers.Dense(2)()
    with pytest.raises(ValueError, match="only a keras.Input tensor"):
        inp = ember.Input((3,))
        ember.Sequential().add(layers.Dense(2)(inp))
