"""``ember.ops.shape`` is Keras's function, and the ``ember.ops.shape`` module still imports."""

import numpy as np

import ember
from ember import ops


def test_ops_shape_is_a_function_returning_python_ints():
    assert callable(ops.shape) and ops.shape.__module__ == "ember.ops.creation"
    got = ops.shape(ops.ones((2, 3)))
    assert got == (2, 3) and type(got) is tuple and all(type(d) is int for d in got)
    assert ops.shape(ops.convert_to_tensor(np.float32(1.0))) == ()
    assert ops.shape(ember.Variable(np.zeros((4, 1)))) == (4, 1)
    assert ops.shape(np.zeros((0, 5))) == (0, 5)


def test_ops_shape_of_a_keras_tensor_keeps_unknown_dimensions():
    assert ops.shape(ember.Input((None, 4))) == (None, None, 4)


def test_shape_module_contents_still_import():
    from ember.ops.shape import reshape, transpose

    assert reshape is ops.reshape and transpose is ops.transpose
    # importing modules that import from the submodule does not rebind the function
    import ember.layers.embedding  # noqa: F401
    import ember.random  # noqa: F401

    assert callable(ember.ops.shape) and ember.ops.shape(np.ones((1, 2))) == (1, 2)
    from ember.ops import shape

    assert shape is ops.shape
