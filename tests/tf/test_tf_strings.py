"""tf.strings through ``import ember as tf``: string tensors hold UTF-8 bytes in NumPy object
arrays, as TensorFlow's; values as TensorFlow 2.21 gave them."""

import numpy as np
import pytest

import ember as tf


def _list(t):
    return np.asarray(t).tolist()


def test_case_strip_length():
    assert _list(tf.strings.lower(["Hello World", "ABC"])) == [b"hello world", b"abc"]
    assert np.asarray(tf.strings.upper("abc")).item() == b"ABC"
    assert _list(tf.strings.lower(["ÉA"], encoding="utf-8")) == ["éa".encode()]
    assert _list(tf.strings.strip(["  a b  "])) == [b"a b"]
    n = tf.strings.length(["abc", "é"])
    assert _list(n) == [3, 2] and n.dtype == np.int32  # bytes by default
    assert _list(tf.strings.length(["abc", "é"], unit="UTF8_CHAR")) == [3, 1]
    with pytest.raises(ValueError, match="unit"):
        tf.strings.length(["a"], unit="CHAR")


def test_split():
    assert _list(tf.strings.split("a b  c")) == [b"a", b"b", b"c"]
    assert _list(tf.strings.split("a,b,,c", sep=",")) == [b"a", b"b", b"", b"c"]
    parts = tf.strings.split(["a b  c", "d"])  # a list (TF: a RaggedTensor)
    assert [_list(p) for p in parts] == [[b"a", b"b", b"c"], [b"d"]]
    with pytest.raises(ValueError, match="sep must not be empty"):
        tf.strings.split("a", sep="")
    with pytest.raises(ValueError, match="scalar or a vector"):
        tf.strings.split([["a"]])


def test_regex():
    assert _list(tf.strings.regex_replace(["a1b22"], r"\d+", "#")) == [b"a#b#"]
    one = tf.strings.regex_replace("<br />x<br />", "<br />", " ", replace_global=False)
    assert np.asarray(one).item() == b" x<br />"
    assert _list(tf.strings.regex_replace(["ab"], "(a)(b)", r"\2\1")) == [b"ba"]
    assert _list(tf.strings.regex_full_match(["abc", "ab1"], "[a-z]+")) == [True, False]


def test_join_and_reduce_join():
    assert np.asarray(tf.strings.join(["a", "b"], separator="-")).item() == b"a-b"
    assert _list(tf.strings.join([["a", "b"], ["c", "d"]])) == [b"ac", b"bd"]
    assert np.asarray(tf.strings.reduce_join(["a", "b", "c"])).item() == b"abc"
    rows = tf.strings.reduce_join([["a", "b"], ["c", "d"]], axis=1, separator=" ")
    assert _list(rows) == [b"a b", b"c d"]
    assert tf.strings.reduce_join([["a", "b"]], axis=0, keepdims=True).shape == (1, 2)


def test_numbers_and_strings():
    f = tf.strings.to_number(["1.5", "2"])
    assert _list(f) == [1.5, 2.0] and f.dtype == np.float32
    i = tf.strings.to_number(["1", "2"], out_type=tf.int32)
    assert _list(i) == [1, 2] and i.dtype == np.int32
    with pytest.raises(tf.errors.InvalidArgumentError, match="could not correctly convert"):
        tf.strings.to_number(["x"])
    assert _list(tf.strings.as_string([1.5, 2.0])) == [b"1.500000", b"2.000000"]
    assert _list(tf.strings.as_string([1, 2])) == [b"1", b"2"]
    assert _list(tf.strings.as_string([1.2345], precision=2)) == [b"1.23"]
    assert _list(tf.strings.as_string([True])) == [b"true"]
    assert _list(tf.strings.as_string([7], width=3, fill="0")) == [b"007"]
    assert tf.as_string is tf.strings.as_string
    with pytest.raises(TypeError, match="numeric"):
        tf.strings.as_string(["a"])


def test_substr_splits_ngrams_format():
    assert np.asarray(tf.strings.substr("hello", 1, 3)).item() == b"ell"
    assert np.asarray(tf.strings.substr("héllo", 1, 2, unit="UTF8_CHAR")).item() == "él".encode()
    assert _list(tf.strings.bytes_split("abc")) == [b"a", b"b", b"c"]
    assert _list(tf.strings.unicode_split("aé", "UTF-8")) == [b"a", "é".encode()]
    assert _list(tf.strings.ngrams(["a", "b", "c"], 2)) == [b"a b", b"b c"]
    assert np.asarray(tf.strings.format("x={}", [tf.constant([1, 2])])).item() == b"x=[1 2]"
    with pytest.raises(ValueError, match="placeholders"):
        tf.strings.format("{} {}", [1])


def test_non_strings_are_refused():
    with pytest.raises(TypeError, match="expected string values"):
        tf.strings.lower([1, 2])


def test_string_constants():
    t = tf.constant(["a", "b"])
    assert t.dtype == tf.string and _list(t) == [b"a", b"b"]
