"""ember.Function (``keras.Function``): a callable graph from Inputs to outputs."""

import numpy as np
import pytest

import ember
from ember import layers
from ember.models.function import Function


def _graph():
    x = ember.Input((3,), name="x")
    dense = layers.Dense(2, name="d")
    y = dense(x)
    z = layers.ReLU(name="r")(y)
    return x, dense, y, z


def test_call_matches_the_layers_run_by_hand():
    x, dense, _, z = _graph()
    f = ember.Function(x, z, name="fn")
    assert ember.Function is Function and f.name == "fn"
    data = np.arange(6, dtype="float32").reshape(2, 3)
    kernel, bias = (np.asarray(w) for w in dense.get_weights())
    np.testing.assert_allclose(np.asarray(f(data)), np.maximum(data @ kernel + bias, 0),
                               rtol=1e-6)
    assert [op.name for op in f.operations] == ["x", "d", "r"]
    assert f.inputs == [x] and f.outputs == [z]


def test_structured_inputs_and_outputs():
    x, dense, y, z = _graph()
    data = np.ones((1, 3), "float32")
    outs = Function([x], [y, z])([data])
    assert isinstance(outs, list) and len(outs) == 2
    np.testing.assert_allclose(np.maximum(np.asarray(outs[0]), 0), np.asarray(outs[1]))
    named = Function({"a": x}, {"o": y})({"a": data})
    assert set(named) == {"o"} and named["o"].shape == (1, 2)


def test_output_spec_and_shape():
    x, _, _, z = _graph()
    f = Function(x, z)
    spec = f.compute_output_spec(ember.KerasTensor((5, 3)))
    assert spec.shape == (5, 2) and spec.dtype == "float32"
    assert f.compute_output_shape((5, 3)) == (5, 2)
    g = Function({"a": x}, {"o": z})
    assert g.compute_output_shape({"a": (4, 3)}) == {"o": (4, 2)}


def test_default_names_count_up():
    ember.utils.clear_session(free_memory=False)
    x, _, _, z = _graph()
    assert [Function(x, z).name, Function(x, z).name] == ["function", "function_1"]


def test_errors():
    x, _, _, z = _graph()
    with pytest.raises(ValueError, match="every input must be a tensor from keras.Input"):
        Function(np.ones(3), z)
    other = ember.Input((3,))
    with pytest.raises(ValueError, match="not among the model's inputs"):
        Function(other, z)
    f = Function(x, z)
    with pytest.raises(ValueError, match="expected shape"):
        f(np.ones((2, 4), "float32"))
