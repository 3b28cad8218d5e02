"""Format specs on tensors: 0-d tensors format as the number they hold (as eager JAX/TF)."""

import numpy as np
import pytest

import ember
from ember import ops


def test_zero_d_tensor_takes_a_format_spec():
    loss = ops.convert_to_tensor(np.float32(1.23456))
    assert f"{loss:.4f}" == "1.2346"
    assert "{:>8.2e}".format(loss) == "1.23e+00"
    assert f"{ops.convert_to_tensor(np.int32(7)):03d}" == "007"
    assert f"{ops.sum(ops.ones((3,))):g}" == "3"


def test_empty_spec_is_str():
    t = ops.ones((2,))
    assert f"{t}" == str(t)
    assert f"{ops.convert_to_tensor(np.float32(2.0))}" == str(ops.convert_to_tensor(np.float32(2)))


def test_bad_spec_for_a_zero_d_tensor_is_python_error():
    with pytest.raises(ValueError, match="Unknown format code"):
        format(ops.convert_to_tensor(np.int32(3)), "s")


@pytest.mark.parametrize("shape", [(2,), (1,), (1, 1)])
def test_nd_tensor_refuses_a_spec(shape):
    with pytest.raises(TypeError, match=r"unsupported format string.*shape"):
        format(ops.ones(shape), ".2f")


def test_variable_refuses_a_spec_as_keras():
    v = ember.Variable(1.5, name="lr")
    with pytest.raises(TypeError, match="Variable.__format__.*'lr'"):
        format(v, ".2f")
    assert f"{v}" == str(v)
    assert f"{float(v):.2f}" == "1.50"
