"""keras.utils.model_to_dot against Keras itself: the same graph text, node ids aside."""

import re

import pytest

import ember

pytest.importorskip("pydot", reason="pydot is not installed (extra `plot`)")


def _build(api):
    inputs = api.Input((4,), name="x")
    a = api.layers.Dense(3, activation="relu", name="d1")(inputs)
    b = api.layers.Dense(3, name="d2")(inputs)
    merged = api.layers.Add(name="add")([a, b])
    frozen = api.layers.Dense(4, name="frozen")
    frozen.trainable = False
    inner = api.Sequential([api.Input((4,)), api.layers.Dense(2, name="inner_dense")],
                           name="inner")
    return api.Model(inputs, inner(frozen(merged)), name="outer")


def _canonical(dot):
    """The dot text with each node id replaced by its layer's (or model's) title."""
    text = dot.to_string()
    titles = dict(re.findall(r"^(\d+) \[label=<.*?<b>(.*?)</b>", text, flags=re.M))
    return re.sub(r"\b\d{6,}\b", lambda m: titles.get(m.group(0), m.group(0)), text)


@pytest.mark.parametrize("options", [
    {},
    dict(show_shapes=True, show_dtype=True),
    dict(show_layer_names=False, show_layer_activations=True, show_trainable=True),
    dict(show_shapes=True, expand_nested=True, rankdir="LR", dpi=72, splines="curved"),
    dict(show_trainable=True, expand_nested=True, show_layer_activations=True),
])
def test_same_dot_text(keras, options):
    ours = _canonical(ember.utils.model_to_dot(_build(ember), **options))
    theirs = _canonical(keras.utils.model_to_dot(_build(keras), **options))
    assert ours == theirs


def test_same_dot_text_for_sequential(keras):
    def build(api):
        return api.Sequential([api.Input((3,)), api.layers.Dense(2, name="a"),
                               api.layers.Dense(1, activation="sigmoid", name="b")])

    opts = dict(show_shapes=True, show_layer_activations=True)
    assert (_canonical(ember.utils.model_to_dot(build(ember), **opts))
            == _canonical(keras.utils.model_to_dot(build(keras), **opts)))
