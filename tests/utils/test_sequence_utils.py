"""``pad_sequences`` (parity with Keras is in tests/keras_parity/test_api_parity.py)."""

import numpy as np
import pytest

import ember
from ember.utils import pad_sequences


def test_pads_and_truncates_at_the_front_by_default():
    out = pad_sequences([[1, 2, 3], [4], []], maxlen=2)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [[2, 3], [0, 4], [0, 0]])


def test_post_padding_truncating_value_and_dtype():
    out = pad_sequences([[1, 2, 3], [4]], maxlen=2, padding="post", truncating="post",
                        value=-1, dtype="float32")
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[1, 2], [4, -1]])


def test_sequences_of_vectors_and_strings():
    out = pad_sequences([[[1, 2], [3, 4]], [[5, 6]]])
    assert out.shape == (2, 2, 2)
    np.testing.assert_array_equal(out[1], [[0, 0], [5, 6]])
    out = pad_sequences([["a", "bb"], ["c"]], dtype=object, value="")
    assert out.tolist() == [["a", "bb"], ["", "c"]]


def test_maxlen_zero_and_empty_input():
    assert pad_sequences([[1, 2], []], maxlen=0).shape == (2, 0)
    assert pad_sequences([], maxlen=3).shape == (0, 3)


@pytest.mark.parametrize("args,kwargs,error,match", [
    ((5,), {}, ValueError, "must be iterable"),
    (([5, [1]],), {}, ValueError, "Found non-iterable: 5"),
    (([[1]],), {"padding": "mid"}, ValueError, 'Padding type "mid"'),
    (([[1]],), {"truncating": "end"}, ValueError, 'Truncating type "end"'),
    (([["a"]],), {"value": "x"}, ValueError, "dtype=object"),
    (([[[1, 2]], [[1, 2, 3]]],), {}, ValueError, "position 1"),
    (([],), {}, ValueError, "maxlen"),
    (([[1]],), {"maxlen": -1}, ValueError, "maxlen"),
    (([[1]],), {"maxlen": 1.5}, TypeError, "maxlen"),
    ((["ab"],), {"dtype": object}, TypeError, "position 0"),
])
def test_errors_name_the_function_and_the_problem(args, kwargs, error, match):
    with pytest.raises(error, match=match) as info:
        pad_sequences(*args, **kwargs)
    assert "pad_sequences" in str(info.value)


def test_exposed_where_keras_has_it():
    from ember.preprocessing import sequence

    assert sequence.pad_sequences is ember.utils.pad_sequences
    assert "pad_sequences" in dir(ember.utils)
