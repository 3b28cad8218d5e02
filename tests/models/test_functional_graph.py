"""The Functional graph and symbolic tensors: what ember guarantees beyond the Keras parity
tests (error messages, no stray state from shape inference, masks on symbolic tensors)."""

import numpy as np
import pytest

import ember
from ember import layers
from ember.layers.node import KerasTensor, is_keras_tensor


def test_keras_tensor_is_exported_and_named_like_keras():
    x = ember.Input((3,), name="x")
    y = layers.Dense(2)(x)
    assert isinstance(x, ember.KerasTensor) and ember.KerasTensor is KerasTensor
    assert is_keras_tensor(y) and not is_keras_tensor(np.zeros(2))
    assert y.name.startswith("keras_tensor")
    assert (y.sparse, y.ragged, y.ndim) == (False, False, 2)
    assert repr(y) == (f"<KerasTensor shape=(None, 2), dtype=float32, sparse=False, "
                       f"ragged=False, name={y.name}>")
    with pytest.raises(TypeError, match="cannot be used as a Python bool"):
        bool(y)


def test_output_cannot_be_reassigned():
    x = ember.Input((3,))
    dense = layers.Dense(2)
    dense(x)
    with pytest.raises(AttributeError, match="cannot be set"):
        dense.output = x


def test_input_and_output_list_every_tensor_argument():
    a, b = ember.Input((2,), name="a"), ember.Input((2,), name="b")
    add = layers.Add()
    out = add([a, b])
    assert add.input == [a, b] and add.output is out


class TwoArgs(layers.Layer):
    def call(self, x, y, scale=None):
        out = x + y
        return out * scale if scale is not None else out


def test_every_tensor_argument_is_replayed_with_data():
    x, y, s = ember.Input((3,)), ember.Input((3,)), ember.Input((3,))
    model = ember.Model([x, y, s], TwoArgs()(x, y, scale=s))
    ones = np.ones((2, 3), "float32")
    out = model([ones, 2 * ones, 3 * ones])
    np.testing.assert_allclose(out.numpy(), 9 * ones)
    # a symbolic second argument alone (first argument a constant) is also a graph call, as
    # in Keras; the constant is replayed as it is
    row = np.ones((1, 3), "float32")
    out = TwoArgs()(row, y)
    assert isinstance(out, KerasTensor) and out.shape == (None, 3)
    np.testing.assert_allclose(ember.Model(y, out)(ones).numpy(), 2 * ones)


class AddsLoss(layers.Layer):
    def call(self, x):
        self.add_loss(ember.ops.sum(x))
        return x


def test_shape_inference_leaves_no_losses_behind():
    x = ember.Input((3,))
    model = ember.Model(x, AddsLoss()(x))
    assert model.losses == []
    model(np.ones((2, 3), "float32"))
    assert float(model.losses[0].numpy()) == 6.0


class NeedsMask(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.seen = []

    def call(self, x, mask=None):
        self.seen.append(mask)
        return x


def test_symbolic_mask_reaches_call_and_passes_through():
    tokens = ember.Input((4,), dtype="int32")
    emb = layers.Embedding(5, 2, mask_zero=True)(tokens)
    user = NeedsMask()
    out = user(emb)
    assert isinstance(emb._keras_mask, KerasTensor)
    assert (emb._keras_mask.shape, emb._keras_mask.dtype) == ((None, 4), "bool")
    assert all(m is not None for m in user.seen)
    assert out._keras_mask is emb._keras_mask
    # Masking computes its mask from the values
    masked = layers.Masking()(ember.Input((4, 3)))
    assert masked._keras_mask.shape == (None, 4)


def test_layer_output_feature_extractor_of_functional_model():
    x = ember.Input((4,))
    h = layers.Dense(3, name="h")(x)
    y = layers.Dense(2, name="y")(h)
    model = ember.Model(x, y)
    extractor = ember.Model(model.input, [l.output for l in model.layers[1:]])
    data = np.ones((5, 4), "float32")
    hidden, final = extractor(data)
    np.testing.assert_allclose(final.numpy(), model(data).numpy(), rtol=1e-6)
    assert hidden.shape == (5, 3)


def test_model_from_config_of_a_subclassed_model_needs_its_config():
    class NoConfig(ember.Model):
        def __init__(self, units):
            super().__init__()
            self.dense = layers.Dense(units)

        def call(self, x):
            return self.dense(x)

    with pytest.raises(TypeError, match="Unable to revive model NoConfig"):
        NoConfig.from_config({"name": "n", "trainable": True})


def test_subclass_with_own_init_is_not_mistaken_for_functional():
    class TwoNumbers(ember.Model):
        def __init__(self, a, b):
            super().__init__()
            self.dense = layers.Dense(a + b)

        def call(self, x):
            return self.dense(x)

    model = TwoNumbers(1, 2)
    assert not isinstance(model, ember.models.Functional)
    assert model(np.ones((1, 3), "float32")).shape == (1, 3)


def test_functional_built_inside_subclass_init():
    class Built(ember.Model):
        def __init__(self):
            x = ember.Input((3,))
            super().__init__(x, layers.Dense(2)(x), name="built")

    model = Built()
    assert isinstance(model, ember.models.Functional) and model.name == "built"
    assert model(np.ones((1, 3), "float32")).shape == (1, 2)


def test_unbuilt_sequential_summary_does_not_raise(capsys):
    model = ember.Sequential([layers.Dense(2, name="d1")], name="later")
    model.summary(line_length=88)
    text = capsys.readouterr().out
    assert "0 (unbuilt)" in text and "?" in text
